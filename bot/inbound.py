"""Exactly-once inbound: which events a conversation has already applied.

A platform may deliver an event again: Telegram confirms an update only with the next
poll, so a bot killed after saving a turn gets that update once more after the restart.
Each conversation's record keeps the identities it applied, written in the same save as
the turn's effects, so a redelivered event is recognised and left alone, whenever the
crash came.

Numbers grow within a stream (a Telegram chat's message numbers, Discord's snowflakes, a terminal
session's lines), so what is kept stays small: the `RECENT` highest numbers applied,
and a floor at or below which every number counts as applied. Events a little out of
order (concurrent updates of one person) are still told apart; a new stream (the next
terminal session) starts afresh. Events whose numbers have no order (Telegram's presses,
known by their update id) are kept apart, as the last `RECENT` numbers applied.
"""

from __future__ import annotations

from typing import Any

from bot.events import EventId

RECENT = 32
"""Numbers kept per conversation besides the floor."""


def applied(conversation: dict[str, Any], event_id: EventId) -> bool:
    """Whether the conversation already applied this event."""
    if not event_id.ordered:
        return event_id.number in conversation.get("applied_once", {}).get(event_id.stream, ())
    seen = conversation.get("applied")
    if not seen or seen.get("stream") != event_id.stream:
        return False
    return event_id.number <= seen["floor"] or event_id.number in seen["recent"]


def record(conversation: dict[str, Any], event_id: EventId) -> None:
    """Note the event as applied (saved with the turn that applied it)."""
    if not event_id.ordered:
        # No order to lean on: the last `RECENT` numbers themselves (a redelivery comes
        # within seconds, a few events later at most).
        kept = conversation.get("applied_once", {}).get(event_id.stream, [])
        conversation["applied_once"] = {event_id.stream: [*kept, event_id.number][-RECENT:]}
        return
    seen = conversation.get("applied")
    if not seen or seen.get("stream") != event_id.stream:
        seen = {"stream": event_id.stream, "floor": -1, "recent": []}
    recent = sorted({*seen["recent"], event_id.number})
    floor = seen["floor"]
    while len(recent) > RECENT:
        floor = max(floor, recent.pop(0))
    conversation["applied"] = {"stream": event_id.stream, "floor": floor, "recent": recent}
