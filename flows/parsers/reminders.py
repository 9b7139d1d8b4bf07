"""`/remind` arguments: when, then what it is about, in one line as a person types it."""

from __future__ import annotations

from datetime import datetime

from flows.parsers.common import MAX_TEXT, ParseError
from flows.parsers.free_text import parse_text
from flows.parsers.times import parse_when


def parse_reminder(args: str, now: datetime) -> tuple[datetime, str]:
    """`in 2 days call back` → (due, 'call back'): the longest leading words that read as a time."""
    words = args.split()[:12]
    for cut in range(len(words), 0, -1):
        try:
            due = parse_when(" ".join(words[:cut]), now)
        except ParseError:
            continue
        return due, _note(" ".join(args.split()[cut:])[:MAX_TEXT])
    raise ParseError(
        "I couldn't tell when to remind you. Try in 2 days, tomorrow 9am, Friday or 2026-12-01 14:00, then what it's about.",
        "reminder.unread",
    )


def _note(text: str) -> str:
    """What a reminder is about, tidied like any free text the bot keeps (no control
    characters or lone surrogates, which the case file could not encode); may be empty."""
    try:
        return parse_text(text)
    except ParseError:
        return ""
