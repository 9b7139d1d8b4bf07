"""Logging a contact with the merchant: the questions, and what each result leads to."""

from __future__ import annotations

from flows import parsers
from flows.facts import CaseFacts, Fact, choice_parser
from flows.playbook import Playbook
from flows.prompt import InputKind

RESULTS = {
    "resolved": "Resolved",
    "offer": "They made an offer",
    "no_progress": "No progress",
    "waiting": "Waiting on them",
}


def _channels(playbook: Playbook) -> dict[str, str]:
    return {channel.id: channel.label for channel in playbook.channels.values()}


def _when(text: str, facts: CaseFacts) -> str:
    if text.strip().casefold() in ("just now", "now"):
        return facts.today.isoformat()
    return parsers.parse_date(text, facts.today).isoformat()


LOG_QUESTIONS: tuple[Fact, ...] = (
    Fact(
        "when",
        "When",
        "When were you in touch? Press **Just now**, or give a date such as _yesterday_.",
        parse=_when,
        options=lambda playbook: {"now": "Just now"},
        kind=InputKind.DATE,
    ),
    Fact(
        "channel",
        "Channel",
        "How were you in touch?",
        parse=choice_parser(_channels),
        options=_channels,
        kind=InputKind.CHOICE,
    ),
    Fact(
        "rep",
        "Representative",
        "What was the name of the person you dealt with?",
        parse=lambda text, facts: parsers.parse_text(text, max_len=100),
    ),
    Fact(
        "reference",
        "Reference",
        "Did they give you a reference or case number? Type it, or skip.",
        in_form="Did they give you a reference or case number? Give it with ✍️ Answer, or skip.",
        parse=lambda text, facts: parsers.parse_text(text, max_len=100),
    ),
    Fact(
        "notes",
        "What was said",
        "What did they say or promise? Include any dates they gave.",
        parse=lambda text, facts: parsers.parse_text(text),
        long=True,
    ),
    Fact(
        "result",
        "Result",
        "Where does that leave things?",
        parse=choice_parser(lambda playbook: RESULTS),
        options=lambda playbook: RESULTS,
        kind=InputKind.CHOICE,
    ),
)
