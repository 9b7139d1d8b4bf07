"""What a turn of the dialogue gives back: replies with their prompts, and reminders.

Option ids are short (`verb` or `verb:arg`): `do:<event>` fires an event of the
machine, `pick:<value>` answers the current question, `skip` skips it, `edit:<fact>`
reopens a fact from the review, `channel:<id>` picks a channel. What a reply asks is
data (flows/prompt.py), so no adapter reads its English to decide anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flows.prompt import BACK, SKIP, Choice, Prompt, Rows
from flows.reminders import ReminderCancel, ReminderRequest
from flows.text import RichText

__all__ = ["BACK", "SKIP", "Reply", "Rows", "Turn", "rows"]


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to the person: its text, and what it asks (None: it asks nothing)."""

    text: RichText
    prompt: Prompt | None = None

    @property
    def choices(self) -> Rows:
        return self.prompt.options if self.prompt else ()


@dataclass
class Turn:
    """What a turn produced: replies in order, reminders to cancel, then to schedule."""

    replies: list[Reply] = field(default_factory=list)
    reminders: list[ReminderRequest] = field(default_factory=list)
    cancels: list[ReminderCancel] = field(default_factory=list)


def rows(choices: list[Choice], per_row: int = 2) -> Rows:
    return tuple(tuple(choices[i : i + per_row]) for i in range(0, len(choices), per_row))
