"""Typed answers on Discord: the ✍️ Answer button, its modal, and order details at once.

Without the privileged message-content intent a bot never sees what people type in a
channel, so every question that takes words gets a button that opens a modal (a form)
instead. A question prompt is recognised by the engine's own skip button: the flow
accepts typed answers exactly where it offers "Don't know / skip". The order details
(number, dates, item, amount) can also be filled in one modal; its fields go to the
engine one by one, as if typed in turn, so the parsers and error replies are the ones
of the step-by-step path, and the first answer it refuses stops the run with the rest
kept for the next try.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import discord

from adapters.discord_bot.render import ButtonSpec
from bot.engine import Engine
from bot.events import ButtonPress, Outbound, TextMessage
from flows.contacts import LOG_QUESTIONS
from flows.dialogue import SKIP
from flows.facts import FACTS, Fact
from flows.parsers import MAX_TEXT
from flows.text import RichText, join, rich
from storage import ConversationKey

QUESTIONS: dict[str, Fact] = {fact.id: fact for fact in (*FACTS, *LOG_QUESTIONS)}
_WORDING = {fact_id: rich(fact.question).plain() for fact_id, fact in QUESTIONS.items()}
ORDER_DETAILS = ("order_number", "order_date", "delivery_date", "item", "amount")
"""Facts asked one after another that people usually have together (one order page)."""

_LONG = {"what_happened", "notes", "earlier_contacts"}
ANSWER = "✍️ Answer"
DETAILS = "🧾 Order details at once"
ANSWER_KIND, DETAILS_KIND = "a", "g"
MODAL_PREFIX = "fs:m:"


@dataclass(frozen=True, slots=True)
class Asking:
    """What a person's latest buttons ask: a question's fact id and its skip button data."""

    fact: str | None
    skip: str | None


def asking(messages: Iterable[Outbound]) -> Asking | None:
    """What a turn leaves waiting for words; None when it offered no buttons (no change)."""
    with_buttons = [message for message in messages if message.buttons]
    if not with_buttons:
        return None
    prompt = with_buttons[-1]
    skip = next((b.data for row in prompt.buttons for b in row if b.label == SKIP.label), None)
    if skip is None:
        return Asking(None, None)
    text = prompt.text.plain()
    return Asking(next((f for f, wording in _WORDING.items() if wording in text), None), skip)


def form_buttons(message: Outbound, kept: Mapping[str, str]) -> list[ButtonSpec]:
    """The buttons that open a modal for this message's question (none if it asks none)."""
    state = asking([message])
    if state is None or state.fact is None:
        return []
    buttons = [ButtonSpec(ANSWER, f"fs:{ANSWER_KIND}:{state.fact}:{state.skip}", primary=True)]
    if state.fact in ORDER_DETAILS and (state.fact == ORDER_DETAILS[0] or kept):
        buttons.append(ButtonSpec(DETAILS, f"fs:{DETAILS_KIND}:{state.fact}:{state.skip}"))
    return buttons


def modal(kind: str, fact_id: str, skip: str, kept: Mapping[str, str]) -> discord.ui.Modal:
    """The form for one question, or for the order details from `fact_id` on.

    In the single form the answer is required; in the order-details form a blank field
    means "don't know" (it presses skip), like leaving a question out.
    """
    several = kind == DETAILS_KIND and fact_id in ORDER_DETAILS
    ids = ORDER_DETAILS[ORDER_DETAILS.index(fact_id) :] if several else (fact_id,)
    title = "Order details" if several else QUESTIONS[fact_id].label
    form = discord.ui.Modal(title=title[:45], custom_id=f"{MODAL_PREFIX}{skip}", timeout=900)
    for field_id in ids:
        fact = QUESTIONS[field_id]
        wording = "Leave blank if you don't know." if several else _WORDING[field_id]
        field: discord.ui.TextInput[discord.ui.Modal] = discord.ui.TextInput(
            custom_id=field_id,
            style=discord.TextStyle.long if field_id in _LONG else discord.TextStyle.short,
            default=kept.get(field_id),
            required=not several,
            max_length=MAX_TEXT,
        )
        form.add_item(
            discord.ui.Label(text=fact.label[:45], description=_clip(wording), component=field)
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
            elif component.get("custom_id") in QUESTIONS:
                found.append((component["custom_id"], component.get("value") or ""))

    walk(data.get("components", ()))
    return found


@dataclass
class Filled:
    """What a form run leaves: the replies to show and the answers not yet stored."""

    replies: list[Outbound]
    kept: dict[str, str]


async def fill(
    engine: Engine, key: ConversationKey, fields: list[tuple[str, str]], skip: str
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
        now = asking(replies) or Asking(None, None)
        skip = now.skip or skip
        if now.fact == fact_id:  # asked again: refused (or stale); keep it and the rest
            kept = {field: typed for field, typed in fields[index:] if typed.strip()}
            break
        saved.append(fact_id)
        upcoming = fields[index + 1][0] if index + 1 < len(fields) else None
        if upcoming is not None and now.fact != upcoming:  # the flow went elsewhere
            kept = {field: typed for field, typed in fields[index + 1 :] if typed.strip()}
            break
    notes = _notes(saved, kept) if len(fields) > 1 else RichText()
    return Filled(([Outbound(notes)] if notes else []) + replies, kept)


def _notes(saved: list[str], kept: dict[str, str]) -> RichText:
    parts = []
    if saved:
        parts.append(rich("Saved: {facts}.", facts=_labels(saved)))
    if kept:
        parts.append(
            rich(
                "I kept what you typed for {facts}: it's filled in when you press **{button}**.",
                facts=_labels(kept),
                button=DETAILS if any(f in ORDER_DETAILS for f in kept) else ANSWER,
            )
        )
    return join(parts, " ")


def _labels(fact_ids: Iterable[str]) -> str:
    return ", ".join(QUESTIONS[fact_id].label for fact_id in fact_ids)


def _clip(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
