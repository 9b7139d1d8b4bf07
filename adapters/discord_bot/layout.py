"""The engine's messages laid out for Discord: buttons, select menus, embeds, forms.

Decided from the prompt alone: its options (ids, labels, styles) are what is drawn, each
with the data its button carries; a prompt with more than `MAX_BUTTONS` plain options
(six kinds of problem, a dozen facts to correct in the review) offers them in a select
menu, while its styled options (✅ All correct, a red delete), skip and back stay
buttons beside it; a structured text (the review, the ladder, a script) is an embed
(adapters/discord_bot/cards.py); a typed answer gets its form buttons
(adapters/discord_bot/forms.py), and the words are those the flow has for a platform
where typing arrives only through a form (`Typing.FORM`).

A prompt that retires no other (a reminder's ping, `Prompt.retires`) stands apart from
the step flow's message: it is a card of its own, all its options are buttons, and a
press on one answers with a new message (`KEPT_PRESS`), so the ping stays as it was
(a second press on it is answered kindly, as on any platform).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from adapters.discord_bot import forms
from adapters.discord_bot.cards import cards, copies, note
from adapters.discord_bot.render import (
    MAX_CONTENT,
    ButtonSpec,
    Piece,
    Post,
    Row,
    SelectSpec,
    label,
    markdown,
)
from adapters.discord_bot.render import posts as laid_out
from bot.events import BACK_ID, SKIP_ID, Button, ButtonStyle, Outbound
from flows.text import Typing

MAX_BUTTONS = 5
"""Plain options a prompt shows as buttons; more go in a select menu."""
MAX_OPTIONS = 25
"""Options one select menu holds."""
MAX_OPTION_LABEL = 100
PRESS, KEPT_PRESS = "b", "k"
"""A button's kind in its custom id (`fs:<kind>:<data>`): a press edits its message in
place, or (a ping's) answers with a new one and leaves its message as it was."""


def posts(messages: list[Outbound], kept: Mapping[str, str]) -> list[Post]:
    """A turn's messages as Discord messages, `kept` filling in a form's refused answer.
    Short texts with nothing else run on into the message after them (a note, "New
    case c1.", then the first question: one message)."""
    joined: list[Piece] = []
    for message in messages:
        next_piece = piece(message, kept)
        last = joined[-1] if joined else None
        if last is not None and _runs_on(last, next_piece):
            content = f"{last.content}\n\n{next_piece.content}"
            next_piece = replace(next_piece, content=content, count=last.count + 1)
            joined[-1] = next_piece
        else:
            joined.append(next_piece)
    return laid_out(joined)


def _runs_on(text: Piece, after: Piece) -> bool:
    """Whether `text` (nothing but words) can go at the top of `after`'s message."""
    alone = not (text.rows or text.attachment or text.embeds)
    room = len(text.content) + 2 + len(after.content) <= MAX_CONTENT
    return alone and not after.embeds and text.private == after.private and room


def piece(message: Outbound, kept: Mapping[str, str]) -> Piece:
    rows = rows_of(message)
    extra = forms.form_buttons(message, kept)
    if extra:
        rows.append(tuple(extra))
    text = message.text.typed_in(Typing.FORM)  # words typed reach the bot only by a form
    apart = message.prompt is not None and not message.prompt.retires
    embeds = [card] if apart and (card := note(text)) else cards(text) or []
    content = "" if embeds else markdown(text)
    return Piece(
        content,
        tuple(rows),
        message.attachment,
        message.private,
        tuple(embeds),
        copies=tuple(copies(message.snippets)),
    )


def rows_of(message: Outbound) -> list[Row]:
    """The message's rows of buttons, its many plain options gathered in select menus
    where the first of them was."""
    drawn = options(message)
    prompt = message.prompt
    listing = prompt is not None and prompt.retires
    listed = [b for row in drawn for b in row if _listable(b)] if listing else []
    if len(listed) <= MAX_BUTTONS:
        listed = []
    menus = [
        SelectSpec(
            f"fs:s:{number}",
            tuple(
                (label(b.label)[:MAX_OPTION_LABEL], b.data)
                for b in listed[start : start + MAX_OPTIONS]
            ),
        )
        for number, start in enumerate(range(0, len(listed), MAX_OPTIONS))
    ]
    kind = PRESS if prompt is None or prompt.retires else KEPT_PRESS
    rows: list[Row] = []
    for row in drawn:
        if menus and any(b in listed for b in row):
            rows.extend(menus)
            menus = []
        shown = tuple(_button(b, kind) for b in row if b not in listed)
        if shown:
            rows.append(shown)
    return rows


def options(message: Outbound) -> tuple[tuple[Button, ...], ...]:
    """What to draw: the prompt's options in its rows (id, label, style), each with the
    data its button carries back; a message that asks nothing, its buttons."""
    if message.prompt is None:
        return message.buttons
    data = {button.option: button.data for row in message.buttons for button in row}
    drawn = (
        tuple(Button(c.label, data[c.value], c.value, c.style) for c in row if c.value in data)
        for row in message.prompt.options
    )
    return tuple(row for row in drawn if row)


def _listable(button: Button) -> bool:
    return button.style == ButtonStyle.DEFAULT and button.option not in (SKIP_ID, BACK_ID)


def _button(button: Button, kind: str) -> ButtonSpec:
    return ButtonSpec(label(button.label), f"fs:{kind}:{button.data}", button.style)
