"""Platform-neutral events in and messages out: what adapters translate to and from.

An adapter turns a platform update into one of `TextMessage`, `Command` or
`ButtonPress`, hands it to `Engine.handle`, and renders the `Outbound` messages it gets
back: rich text it escapes for its own markup, rows of buttons whose `data` it sends
back verbatim on a press, an optional attachment, and the `private` flag (case content:
ephemeral or direct messages only).

What a message asks is data, in its `prompt` (flows/prompt.py, re-exported here): the
step and question ids, the kind of answer (choice, text, date, amount, confirm), and
its options, which come as the `buttons`, each with its option id and style; what it
tells without asking is its `notice` id. Adapters
decide from these alone, never from the English text, which they only show; what they
say of their own (a form's button, an apology) they pick by id too (`Word`). This
module, with `bot.engine`, `bot.config` and `flows.text`, is all an adapter may import
of `bot/` and `flows/` (pyproject.toml's import-linter contract).

Every inbound event may carry its `EventId`: where it came from and its number there
(a Telegram message's number in its chat, a Discord interaction id, the terminal's line
number in its session). The engine records it in the same save as the turn's effects, so an event
the platform delivers again (after a crash, before Telegram was told it arrived) is
recognised and not applied twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.adapter_words import Word, said, words
from flows.parsers import MAX_TEXT as MAX_ANSWER
from flows.prompt import (
    BACK_ID,
    PING,
    SKIP_ID,
    ButtonStyle,
    InputKind,
    Prompt,
    Question,
)
from flows.reply import Notice
from flows.text import Block, RichText, Snippet
from storage.keys import ConversationKey

__all__ = [
    "BACK_ID",
    "MAX_ANSWER",
    "MAX_BUTTON_DATA",
    "PING",
    "SKIP_ID",
    "Attachment",
    "Block",
    "Button",
    "ButtonPress",
    "ButtonStyle",
    "Command",
    "EventId",
    "Inbound",
    "InputKind",
    "Notice",
    "Outbound",
    "PartlySent",
    "Prompt",
    "Question",
    "Snippet",
    "TextMessage",
    "Word",
    "parse_command",
    "said",
    "words",
]

MAX_BUTTON_DATA = 64
"""Bytes a button's data may take (Telegram's callback data limit; Discord allows 100)."""


@dataclass(frozen=True, slots=True)
class EventId:
    """An inbound event's identity: numbers grow within a `stream` (a Telegram chat's
    message numbers, Discord's snowflakes, one terminal session's lines), unless it is not
    `ordered` (a Telegram press's update id: unique, but it may start afresh anywhere),
    where only the same number counts as the same event."""

    stream: str
    number: int
    ordered: bool = True

    @property
    def name(self) -> str:
        """The event as one string, unique for its person (the rate limit counts it once)."""
        return f"{self.stream}#{self.number}"


@dataclass(frozen=True, slots=True)
class TextMessage:
    key: ConversationKey
    text: str
    event_id: EventId | None = None


@dataclass(frozen=True, slots=True)
class Command:
    """`/name args`; `name` is lower case without the slash or a bot suffix."""

    key: ConversationKey
    name: str
    args: str = ""
    event_id: EventId | None = None


@dataclass(frozen=True, slots=True)
class ButtonPress:
    key: ConversationKey
    data: str
    event_id: EventId | None = None


Inbound = TextMessage | Command | ButtonPress


@dataclass(frozen=True, slots=True)
class Button:
    """An option as drawn: `data` comes back on a press; `option` is its id in the prompt
    (`SKIP_ID`, `BACK_ID`, `pick:refund`, …), `style` how it looks."""

    label: str
    data: str
    option: str = ""
    style: ButtonStyle = ButtonStyle.DEFAULT


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Outbound:
    text: RichText
    buttons: tuple[tuple[Button, ...], ...] = ()
    attachment: Attachment | None = None
    private: bool = True
    prompt: Prompt | None = None
    """What the message asks; its options are `buttons`. None: it asks nothing. A
    reminder's ping asks too, at the step `PING`, whose prompt retires no other
    (`Prompt.retires`)."""
    notice: Notice | None = None
    """What it tells, as an id, where that is not its prompt (flows/reply.py)."""
    details: tuple[tuple[str, str], ...] = ()
    """The values the notice names (`case_id`, `when`, …), as said."""
    snippets: tuple[Snippet, ...] = ()
    """Parts of the text offered whole to copy (a script's key lines, an email), where
    the platform has copy buttons. Its lines to say are marked in the text (`Block`)."""


def parse_command(
    key: ConversationKey, text: str, event_id: EventId | None = None
) -> Command | None:
    """`/Remind@FairShakeBot 2d call back` → Command('remind', '2d call back'); None if not a command."""
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, args = text[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    if not name.isascii() or not name.replace("_", "").isalnum():
        return None
    return Command(key, name, args.strip(), event_id)


class PartlySent(Exception):
    """Raised by an adapter's `send` when the first `sent` messages went out and `error`
    stopped the rest, so a retry starts after them instead of sending them again."""

    def __init__(self, sent: int, error: Exception) -> None:
        super().__init__(f"{sent} sent, then {type(error).__name__}")
        self.sent = sent
        self.error = error
