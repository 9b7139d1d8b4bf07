"""Typed answers on Discord: the ✍️ Answer button, its modal, and a pasted order email.

Without the privileged message-content intent a bot never sees what people type in a
channel, so every question answered by typing (the prompt's kind says so: text, a date,
an amount) gets a button that opens a modal (a form) instead. Where the prompt takes a
paste too (a question about the facts of the case), a second form takes a pasted
order confirmation email or order page, which goes to the engine as if typed there: it
fills every fact the text holds. An answer the flow refuses is kept, and filled in when
the form opens again. Everything is decided from the prompt's ids and kinds; its
wording is only shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import discord

from adapters.discord_bot.render import ButtonSpec
from bot.events import (
    MAX_ANSWER,
    SKIP_ID,
    ButtonPress,
    ButtonStyle,
    Inbound,
    Outbound,
    Prompt,
    Question,
    TextMessage,
    Word,
    words,
)
from storage import ConversationKey

ANSWER_KIND, PASTE_KIND = "a", "g"
MODAL_PREFIX = "fs:m:"
PASTE = "order_text"
"""The field of the form that takes a pasted order email or order page."""
PASTE_LIMIT = 4000
"""Characters Discord lets a form field hold: an order email's facts come well before."""
MAX_TITLE = 45
"""Characters of a form's title, and of a field's label."""
MAX_HINT = 100
"""Characters of the description under a field's label."""


@dataclass(frozen=True, slots=True)
class Asking:
    """What a person's latest buttons ask: the question, its skip button's data, and
    whether it is a question about the facts (where an order email may be pasted)."""

    question: Question | None
    skip: str | None
    pastable: bool = False

    @property
    def fact(self) -> str | None:
        return self.question.id if self.question else None

    def answers(self, field_id: str) -> bool:
        """Whether a form's field answers what is asked now."""
        return field_id == self.fact or (field_id == PASTE and self.pastable)


NOTHING = Asking(None, None)


def from_prompt(prompt: Prompt | None, skip: str | None) -> Asking:
    if prompt is None or prompt.question is None or skip is None:
        return Asking(None, skip)
    return Asking(prompt.question, skip, prompt.paste)


def asking(messages: Iterable[Outbound]) -> Asking | None:
    """What a turn leaves waiting for words; None when it offered no buttons (no change)."""
    with_buttons = [message for message in messages if message.buttons]
    if not with_buttons:
        return None
    prompt = with_buttons[-1]
    skip = next((b.data for row in prompt.buttons for b in row if b.option == SKIP_ID), None)
    return from_prompt(prompt.prompt, skip)


def form_buttons(message: Outbound, kept: Mapping[str, str]) -> list[ButtonSpec]:
    """The buttons that open a modal for this message's question: only where the answer
    is typed (a choice question has its options as buttons)."""
    state = asking([message])
    if state is None or state.question is None or message.prompt is None:
        return []
    if not message.prompt.typed:
        return []
    custom = f"{state.fact}:{state.skip}"
    answer = ButtonSpec(words(Word.ANSWER), f"fs:{ANSWER_KIND}:{custom}", ButtonStyle.PRIMARY)
    buttons = [answer]
    if state.pastable:
        buttons.append(ButtonSpec(words(Word.PASTE), f"fs:{PASTE_KIND}:{custom}"))
    return buttons


def modal(kind: str, question: Question, skip: str, kept: Mapping[str, str]) -> discord.ui.Modal:
    """The form for a question, or for a pasted order text (`PASTE_KIND`)."""
    pasting = kind == PASTE_KIND
    form = discord.ui.Modal(
        title=(words(Word.PASTE_TITLE) if pasting else question.label)[:MAX_TITLE],
        custom_id=f"{MODAL_PREFIX}{skip}",
        timeout=900,
    )
    field_id = PASTE if pasting else question.id
    field: discord.ui.TextInput[discord.ui.Modal] = discord.ui.TextInput(
        custom_id=field_id,
        style=discord.TextStyle.long if pasting or question.long else discord.TextStyle.short,
        default=kept.get(field_id),
        required=True,
        max_length=PASTE_LIMIT if pasting else MAX_ANSWER,
    )
    description = words(Word.PASTE_HINT)[:MAX_HINT] if pasting else None
    label = words(Word.PASTE_FIELD) if pasting else question.label
    form.add_item(
        discord.ui.Label(text=label[:MAX_TITLE], description=description, component=field)
    )
    return form


def submitted(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A modal submit's (field id, value) pairs in form order (labels or action rows)."""
    found: list[tuple[str, str]] = []

    def walk(components: Iterable[Mapping[str, Any]]) -> None:
        for component in components:
            if component.get("type") == 1:
                walk(component.get("components", ()))
            elif component.get("type") == 18:
                walk((component["component"],))
            elif "custom_id" in component:
                found.append((component["custom_id"], component.get("value") or ""))

    walk(data.get("components", ()))
    return found


def event_for(key: ConversationKey, field: tuple[str, str], skip: str) -> Inbound:
    """What a form's field says, as typed at the question being asked (empty: skipped)."""
    text = field[1].strip()
    return TextMessage(key, text) if text else ButtonPress(key, skip)


def kept_after(field: tuple[str, str], replies: list[Outbound]) -> dict[str, str]:
    """An answer the flow refused (it asks the same question again), kept so the form
    opens with it filled in; a paste is never kept (it has done what it could)."""
    field_id, value = field
    text = value.strip()
    refused = (asking(replies) or NOTHING).fact == field_id and text
    return {field_id: text} if refused else {}
