"""Typed answers on Discord: the ✍️ Answer button, its modal, and order details at once.

Without the privileged message-content intent a bot never sees what people type in a
channel, so every question answered by typing (the prompt's kind says so: text, a date,
an amount) gets a button that opens a modal (a form) instead. The order details
(number, dates, item, amount: the prompt's `together`) can also be filled in one modal;
its fields go to the engine one by one, as if typed in turn, so the parsers and error
replies are the ones of the step-by-step path, and the first answer it refuses stops
the run with the rest kept for the next try. Everything is decided from the prompt's
ids and kinds; its wording is only shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import discord

from adapters.discord_bot.render import ButtonSpec
from bot.engine import Engine
from bot.events import (
    MAX_ANSWER,
    SKIP_ID,
    ButtonPress,
    ButtonStyle,
    Outbound,
    Prompt,
    Question,
    TextMessage,
)
from flows.text import RichText, join, rich
from storage import ConversationKey

ANSWER = "✍️ Answer"
DETAILS = "🧾 Order details at once"
ANSWER_KIND, DETAILS_KIND = "a", "g"
MODAL_PREFIX = "fs:m:"


@dataclass(frozen=True, slots=True)
class Asking:
    """What a person's latest buttons ask: the question, the ones that may be answered
    with it, and its skip button's data."""

    question: Question | None
    skip: str | None
    together: tuple[Question, ...] = ()

    @property
    def fact(self) -> str | None:
        return self.question.id if self.question else None

    def questions(self, kind: str) -> tuple[Question, ...]:
        """The form's questions: this one, or the order details from it on."""
        if kind == DETAILS_KIND and self.together:
            return self.together
        return (self.question,) if self.question else ()


NOTHING = Asking(None, None)


def from_prompt(prompt: Prompt | None, skip: str | None) -> Asking:
    if prompt is None or prompt.question is None or skip is None:
        return Asking(None, skip)
    return Asking(prompt.question, skip, prompt.together)


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
    buttons = [ButtonSpec(ANSWER, f"fs:{ANSWER_KIND}:{custom}", ButtonStyle.PRIMARY)]
    first = state.together[:1] == (state.question,) and len(state.together) > 1
    if state.together and (first or kept):
        buttons.append(ButtonSpec(DETAILS, f"fs:{DETAILS_KIND}:{custom}"))
    return buttons


def modal(questions: tuple[Question, ...], skip: str, kept: Mapping[str, str]) -> discord.ui.Modal:
    """The form for one question, or for several (the order details).

    In the single form the answer is required; in the order-details form a blank field
    means "don't know" (it presses skip), like leaving a question out.
    """
    several = len(questions) > 1
    title = "Order details" if several else questions[0].label
    form = discord.ui.Modal(title=title[:45], custom_id=f"{MODAL_PREFIX}{skip}", timeout=900)
    for question in questions:
        field: discord.ui.TextInput[discord.ui.Modal] = discord.ui.TextInput(
            custom_id=question.id,
            style=discord.TextStyle.long if question.long else discord.TextStyle.short,
            default=kept.get(question.id),
            required=not several,
            max_length=MAX_ANSWER,
        )
        description = "Leave blank if you don't know." if several else None
        form.add_item(
            discord.ui.Label(text=question.label[:45], description=description, component=field)
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


@dataclass
class Filled:
    """What a form run leaves: the replies to show and the answers not yet stored."""

    replies: list[Outbound]
    kept: dict[str, str]


async def fill(
    engine: Engine,
    key: ConversationKey,
    fields: list[tuple[str, str]],
    skip: str,
    labels: Mapping[str, str],
) -> Filled:
    """Give the engine the fields in order; stop where the flow does not ask the next one.

    Each answer is a turn of its own, so what was accepted stays stored even when a later
    one is refused. Only the last turn's replies are shown (the earlier ones are just the
    next question), after a line saying what was saved and what is kept for the next try.
    """
    replies: list[Outbound] = []
    saved: list[str] = []
    kept: dict[str, str] = {}
    for index, (fact_id, value) in enumerate(fields):
        text = value.strip()
        replies = await engine.handle(TextMessage(key, text) if text else ButtonPress(key, skip))
        now = asking(replies) or NOTHING
        skip = now.skip or skip
        if now.fact == fact_id:  # asked again: refused (or stale); keep it and the rest
            kept = {field: typed for field, typed in fields[index:] if typed.strip()}
            break
        saved.append(fact_id)
        upcoming = fields[index + 1][0] if index + 1 < len(fields) else None
        if upcoming is not None and now.fact != upcoming:  # the flow went elsewhere
            kept = {field: typed for field, typed in fields[index + 1 :] if typed.strip()}
            break
    notes = _notes(saved, kept, labels) if len(fields) > 1 else RichText()
    return Filled(([Outbound(notes)] if notes else []) + replies, kept)


def _notes(saved: list[str], kept: dict[str, str], labels: Mapping[str, str]) -> RichText:
    parts = []
    if saved:
        parts.append(rich("Saved: {facts}.", facts=_labels(saved, labels)))
    if kept:
        parts.append(
            rich(
                "I kept what you typed for {facts}: it's filled in when you press **{button}**.",
                facts=_labels(kept, labels),
                button=DETAILS if len(kept) > 1 else ANSWER,
            )
        )
    return join(parts, " ")


def _labels(fact_ids: Iterable[str], labels: Mapping[str, str]) -> str:
    return ", ".join(labels.get(fact_id, fact_id) for fact_id in fact_ids)
