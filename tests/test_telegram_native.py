"""Telegram as its users expect it, checked by what a person scrolling back sees: each
pressed choice stays under its question, only the open question has live buttons, long
labels are not cut, a turn is one message. Real python-telegram-bot against the fake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.events import SKIP_ID
from storage import PersonKey
from tests.fakes.telegram import FakeTelegram, SentMessage
from tests.telegram_chat import (
    REVIEW,
    USER,
    Person,
    data_of,
    fake,
    first_keyboard,
    label_of,
    running,
    tell_the_facts,
    up_to_the_delivery_date,
)

__all__ = ["fake"]


def live_keyboards(fake: FakeTelegram) -> list[int]:
    """Messages still offering options to press (copy buttons stay on answered ones)."""
    return [m.message_id for m in fake.messages_in(USER) if m.options]


async def test_each_pressed_choice_stays_visible_under_its_question(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    async with running(fake, tmp_path) as adapter:
        await tell_the_facts(Person(fake, adapter.engine))
    for option in ("new:amazon", "pick:damaged", "pick:merchant", "pick:refund"):
        (question,) = [m for m in fake.messages_in(USER) if option in first_keyboard(m).options]
        assert question.visible_text.endswith(f"✓ {label_of(first_keyboard(question), option)}")
        assert not question.buttons
        assert len(question.history) == 1, "text and keyboard changed in one call"


async def test_only_the_open_question_keeps_live_buttons(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    """Questions answered by typing no longer keep their skip/back keyboards forever."""
    async with running(fake, tmp_path) as adapter:
        person = Person(fake, adapter.engine)
        await tell_the_facts(person)
        assert live_keyboards(fake) == [fake.last_message(USER).message_id]
        await person.says("/status", REVIEW)
        assert live_keyboards(fake) == [fake.last_message(USER).message_id]


async def test_long_labels_share_a_row_with_one_other_at_most(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    async with running(fake, tmp_path) as adapter:
        await tell_the_facts(Person(fake, adapter.engine))
    review = fake.last_message(USER)
    assert len(review.button_labels) >= 12
    for row in review.buttons:
        assert len(row) <= 2 or all(len(button["text"]) <= 14 for button in row)


async def test_a_turn_is_one_message(fake: FakeTelegram, tmp_path: Path) -> None:
    async with running(fake, tmp_path) as adapter:
        person = Person(fake, adapter.engine)
        before = len(fake.messages_in(USER))
        await person.says("/new", "merchant")
        assert len(fake.messages_in(USER)) == before + 1, "the note, the case and the question"


async def test_an_empty_chat_says_what_the_bot_does(fake: FakeTelegram, tmp_path: Path) -> None:
    async with running(fake, tmp_path):
        await fake.wait_for(lambda f: f.short_descriptions, what="the short description")
    assert 100 < len(fake.descriptions[""]) <= 512
    assert 0 < len(fake.short_descriptions[""]) <= 120


async def test_a_deep_link_for_a_shop_opens_a_case_about_it(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    """t.me/<bot>?start=amazon arrives as `/start amazon`."""
    async with running(fake, tmp_path) as adapter:
        await Person(fake, adapter.engine).says("/start amazon", "problem")
        record = await adapter.engine.store.load(PersonKey("telegram", str(USER)))
    (case,) = record.cases.values()
    assert case["facts"]["merchant"]["playbook"] == "amazon"
    assert case["question"] == "problem"


def as_seen(message: SentMessage) -> tuple[str, list[dict[str, Any]], Any]:
    """What scrolling back shows of a message: its text, its entities and its keyboard."""
    return message.visible_text, message.api.get("entities", []), message.buttons


async def test_a_press_over_the_rate_limit_keeps_its_question_as_it_was(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    """Set aside unapplied, the press must not show a choice, nor take the keyboard that
    would let the person press again once they may (review S6)."""
    async with running(fake, tmp_path, FAIRSHAKE_RATE_LIMIT="1") as adapter:
        fake.user_says(USER, "/new")
        question = await fake.wait_for_message(USER)
        seen = as_seen(question)
        assert data_of(question, "pick:amazon")
        fake.user_presses(USER, question.message_id, data_of(question, "pick:amazon"))
        note = await fake.wait_for_message(USER)
        await fake.wait_for(lambda f: f.answered_callbacks, what="the press answered")
        record = await adapter.engine.store.load(PersonKey("telegram", str(USER)))
    assert note.message_id != question.message_id and not note.buttons
    assert as_seen(question) == seen and question.history == []
    assert fake.calls_to("editMessageText") == fake.calls_to("editMessageReplyMarkup") == []
    (case,) = record.cases.values()
    assert "merchant" not in case["facts"], "the press was not applied"


async def test_a_stale_press_leaves_its_old_question_showing_no_choice(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    """A question answered by typing whose keyboard outlived a restart: pressing its skip
    is from an earlier step, so the question must not read as skipped (review S7); its
    dead keyboard goes, and the typed answer stays."""
    async with running(fake, tmp_path) as adapter:
        await up_to_the_delivery_date(Person(fake, adapter.engine))
    old = fake.last_message(USER)
    assert old.buttons and data_of(old, SKIP_ID)
    text_before = old.visible_text
    async with running(fake, tmp_path) as adapter:
        fake.user_says(USER, "yesterday")
        await fake.wait_for_message(USER)
        asked = len(fake.sent)
        fake.user_presses(USER, old.message_id, data_of(old, SKIP_ID))
        await fake.wait_for_message(USER, after=asked)
        await fake.wait_for(lambda f: not old.buttons, what="the old keyboard gone")
        record = await adapter.engine.store.load(PersonKey("telegram", str(USER)))
    assert old.visible_text == text_before, "no choice shown under a question not answered so"
    edited = [call.params.get("message_id") for call in fake.calls_to("editMessageText")]
    assert old.message_id not in edited
    (case,) = record.cases.values()
    assert case["facts"]["delivery_date"], "the typed answer is kept"
