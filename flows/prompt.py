"""The prompt as data: what a reply asks, for adapters to render without reading its words.

A `Prompt` says which step is asking (the machine's state, or the session's own steps
such as `welcome` and `forget`), which question when one is open (a fact of the case or
a detail of a contact, with the kind of answer it takes), and the options on offer as
rows of `Choice`s: each with an id (`value`, what comes back on a press), its label and
a `ButtonStyle`. Skip and back are options too, with the fixed ids `SKIP_ID` and
`BACK_ID`, so an adapter finds them by id, never by label.

Adapters decide everything from this (which buttons, a form for typed answers, a select
menu for many options, a red button for a destructive one); the English text beside it
is only shown, never parsed. Nothing here knows a platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class InputKind(StrEnum):
    """What answers a prompt besides its buttons."""

    CHOICE = "choice"
    """One of the options; typed words count only where they name one."""
    TEXT = "text"
    """Words typed (an order number, a name, what happened)."""
    DATE = "date"
    """A day typed (`yesterday`, `Nov 2`, `2026-11-02`)."""
    AMOUNT = "amount"
    """Money typed (`$49.99`, `49,99 €`)."""
    CONFIRM = "confirm"
    """Yes or no to what is shown (the facts, dropping a case, deleting everything)."""


TYPED_KINDS = frozenset({InputKind.TEXT, InputKind.DATE, InputKind.AMOUNT})
"""Kinds a person answers by typing, so a platform must give them a way to type."""


class ButtonStyle(StrEnum):
    """How an option looks: platforms that colour buttons (Discord) follow it."""

    DEFAULT = "default"
    PRIMARY = "primary"
    """The usual way on (start a case, continue, log the contact)."""
    SUCCESS = "success"
    """It is settled or correct (all correct, it's resolved, accept the offer)."""
    DANGER = "danger"
    """It destroys or ends something (drop the case, delete everything)."""


@dataclass(frozen=True, slots=True)
class Choice:
    """An option: `value` is its id, what the flow receives; `label` what the person sees."""

    value: str
    label: str
    style: ButtonStyle = ButtonStyle.DEFAULT


SKIP_ID = "skip"
BACK_ID = "do:back"
SKIP = Choice(SKIP_ID, "Don't know / skip")
BACK = Choice(BACK_ID, "⬅ Back")

Rows = tuple[tuple[Choice, ...], ...]

PING = "ping"
"""The step of a reminder's ping (bot/reminders/ping.py)."""


@dataclass(frozen=True, slots=True)
class Question:
    """A question being asked: its id (a fact, or a contact-log detail), its short label
    (as in the review: "Order number"), and the answer it takes."""

    id: str
    label: str
    kind: InputKind
    long: bool = False
    """Answered in sentences (what happened, what was said): a paragraph box, not a line."""

    def to_json(self) -> list[Any]:
        return [self.id, self.label, str(self.kind), self.long]

    @classmethod
    def from_json(cls, stored: list[Any]) -> Question:
        return cls(stored[0], stored[1], InputKind(stored[2]), bool(stored[3]))


@dataclass(frozen=True, slots=True)
class Prompt:
    """What a reply asks (see the module docstring).

    Args:
        step: the step asking: a state of flows/machine.py, or `welcome`, `forget`,
            `cases`, `ping` for the session's own prompts.
        kind: what answers it besides the buttons (`CHOICE`: only the buttons).
        options: the options in rows, as they are best laid out.
        question: the question being asked, when one is.
        paste: a pasted order email or order page is taken here too (it fills every
            fact it holds), for platforms that need a place to paste it.
    """

    step: str
    kind: InputKind = InputKind.CHOICE
    options: Rows = ()
    question: Question | None = None
    paste: bool = False

    def choices(self) -> tuple[Choice, ...]:
        """Every option, skip and back included, in order."""
        return tuple(choice for row in self.options for choice in row)

    @property
    def skip(self) -> bool:
        return any(choice.value == SKIP_ID for choice in self.choices())

    @property
    def back(self) -> bool:
        return any(choice.value == BACK_ID for choice in self.choices())

    @property
    def retires(self) -> bool:
        """Whether it makes the prompts before it stale. A ping's does not: its buttons act
        on their reminder whenever pressed, beside whatever the case is asking."""
        return self.step != PING

    @property
    def typed(self) -> bool:
        """Whether the answer is typed (so a platform must offer a way to type)."""
        return self.kind in TYPED_KINDS

    def to_json(self) -> dict[str, Any]:
        """As stored with a reply waiting to be sent (the outbox)."""
        return {
            "step": self.step,
            "kind": str(self.kind),
            "options": [[[c.value, c.label, str(c.style)] for c in row] for row in self.options],
            "question": self.question.to_json() if self.question else None,
            "paste": self.paste,
        }

    @classmethod
    def from_json(cls, stored: dict[str, Any]) -> Prompt:
        question = stored.get("question")
        return cls(
            stored["step"],
            InputKind(stored["kind"]),
            tuple(
                tuple(Choice(value, label, ButtonStyle(style)) for value, label, style in row)
                for row in stored["options"]
            ),
            Question.from_json(question) if question else None,
            stored.get("paste", False),  # replies stored before it was said
        )
