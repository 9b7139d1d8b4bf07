"""What the flow asks of the reminder service: reminders to set and reminders to cancel.

A turn of the dialogue returns these as effects; `bot/` stores them in the person's
record and delivers them when they fall due. Kinds:

- `custom`: one the person set with /remind;
- `follow_up`: a contact left waiting with no time given: nudge if nothing moved;
- `check_in`: a promise the shop made ("refund in 3-5 business days"): did it happen?
- `deadline`: a rule's window opening or closing (return window, A-to-z, card dispute).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

CUSTOM = "custom"
FOLLOW_UP = "follow_up"
CHECK_IN = "check_in"
DEADLINE = "deadline"
KINDS = (CUSTOM, FOLLOW_UP, CHECK_IN, DEADLINE)


@dataclass(frozen=True, slots=True)
class ReminderRequest:
    """A reminder the turn asks for; bot/ stores and delivers it.

    Attributes:
        case_id: the case it belongs to.
        due: when to ping, timezone-aware (the person's zone).
        kind: one of `KINDS`.
        text: what the ping says, in the bot's words.
        slot: a case keeps one pending reminder per non-empty slot (`follow_up`,
            `promise:p1`, `deadline:guarantee_close`): a new request for the slot replaces it.
        detail: more to say in the ping (a deadline's rule, in full).
        source: the address of the rule a deadline comes from.
    """

    case_id: str
    due: datetime
    kind: str
    text: str
    slot: str = ""
    detail: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class ReminderCancel:
    """Cancel a case's pending reminders of these kinds, saying why (on the timeline)."""

    case_id: str
    kinds: tuple[str, ...]
    reason: str
