"""What a turn of the dialogue gives back: replies with their buttons, and reminders.

Button values are short (`verb` or `verb:arg`): `do:<event>` fires an event of the
machine, `pick:<value>` answers the current question, `skip` skips it, `edit:<fact>`
reopens a fact from the review, `channel:<id>` picks a channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flows.facts import Choice
from flows.reminders import ReminderCancel, ReminderRequest
from flows.text import RichText

Rows = tuple[tuple[Choice, ...], ...]

BACK = Choice("do:back", "⬅ Back")
SKIP = Choice("skip", "Don't know / skip")


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to the person: text, button rows, and whether free text is expected."""

    text: RichText
    choices: Rows = ()
    typed_only: bool = False
    """The question is answered by typing (an amount, an item): its only buttons are skip
    and back, so a typed "2" is an answer, not a press."""


@dataclass
class Turn:
    """What a turn produced: replies in order, reminders to cancel, then to schedule."""

    replies: list[Reply] = field(default_factory=list)
    reminders: list[ReminderRequest] = field(default_factory=list)
    cancels: list[ReminderCancel] = field(default_factory=list)


def rows(choices: list[Choice], per_row: int = 2) -> Rows:
    return tuple(tuple(choices[i : i + per_row]) for i in range(0, len(choices), per_row))
