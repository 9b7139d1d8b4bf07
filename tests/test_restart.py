"""A restart in the middle of a conversation: the bot comes back exactly where it was,
with the same facts and the same question, and buttons behave as before."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.events import Notice
from flows import machine
from storage import TinyDBStore
from tests.chat import (
    GENERIC,
    Chat,
    Story,
    answer_until,
    at_case_menu,
    listed,
    log_contact,
    tell,
)

STORY = Story(item="Lamp ✨ <b>&*_`", what_happened="The shade was bent. שלום 😀")


async def mid_questions(chat: Chat) -> None:
    await chat.say("/new")
    await answer_until(chat, STORY, stop="outcome")


async def at_review(chat: Chat) -> None:
    await tell(chat, STORY)


async def mid_contact_log(chat: Chat) -> None:
    await at_case_menu(chat, STORY)
    await log_contact(chat, "pick:resolved", rep="Kim", stop="reference")


async def on_the_ladder(chat: Chat) -> None:
    await at_case_menu(chat, STORY)
    await log_contact(chat, "pick:no_progress", when="2026-11-02")


async def on_a_generic_channel_choice(chat: Chat) -> None:
    await at_case_menu(chat, GENERIC)
    await chat.press_option("do:plan")


POINTS: dict[str, Callable[[Chat], Awaitable[None]]] = {
    "mid-questions": mid_questions,
    "review": at_review,
    "mid-contact-log": mid_contact_log,
    "ladder": on_the_ladder,
    "generic-channels": on_a_generic_channel_choice,
}


async def before_restart(tmp_path: Path, point: str) -> Chat:
    chat = Chat(TinyDBStore(tmp_path))
    await POINTS[point](chat)
    return chat


@pytest.mark.parametrize("point", POINTS)
async def test_status_after_a_restart_shows_the_same_step(tmp_path: Path, point: str) -> None:
    """/status after a restart shows the same step, the same buttons and the same facts."""
    chat = await before_restart(tmp_path, point)
    prompt, labels = chat.prompt(), chat.labels()
    state, facts = await chat.state(), (await chat.record())["facts"]

    after = chat.restarted(TinyDBStore(tmp_path))
    status = await after.status()

    assert status.startswith("c1 · ")
    assert after.prompt() == prompt
    assert after.labels() == labels
    assert await after.state() == state
    assert (await after.record())["facts"] == facts


@pytest.mark.parametrize("point", POINTS)
async def test_a_button_offered_before_the_restart_still_works(tmp_path: Path, point: str) -> None:
    """The current prompt's buttons, pressed after a restart, act as if nothing had happened."""
    chat = await before_restart(tmp_path, point)
    twin = await before_restart(tmp_path / "twin", point)
    option = chat.options()[0]

    after = chat.restarted(TinyDBStore(tmp_path))
    await after.press_option(option)
    await twin.press_option(option)

    assert Notice.STALE_BUTTON not in after.notices()
    assert after.texts() == twin.texts(), "as if there had been no restart"


async def test_the_facts_survive_a_restart_into_the_review(tmp_path: Path) -> None:
    """Facts told before a restart, odd characters and all, are in the review after it."""
    chat = await before_restart(tmp_path, "mid-questions")

    after = chat.restarted(TinyDBStore(tmp_path))
    await after.press_option("pick:refund")
    await answer_until(after, STORY)

    review = after.prompt()
    for fact in ("item", "what_happened", "order_number"):
        assert listed(fact, getattr(STORY, fact)) in review
    assert listed("outcome", "A refund") in review


async def test_a_button_from_an_older_prompt_is_refused_kindly(tmp_path: Path) -> None:
    """An old message's button, pressed after a restart, changes nothing and shows
    where things stand."""
    chat = Chat(TinyDBStore(tmp_path))
    await chat.say("/new")
    await answer_until(chat, STORY, stop="problem")
    old_late = chat.button("pick:late")
    await answer_until(chat, STORY, stop="item")

    after = chat.restarted(TinyDBStore(tmp_path))
    await after.press_data(old_late.data)

    assert after.notices() == [Notice.STALE_BUTTON]
    assert after.question() == "item"
    await after.say("Lamp")
    await answer_until(after, STORY)
    assert listed("problem", STORY.problem) in after.prompt()


async def test_a_button_pressed_twice_across_a_restart_acts_once(tmp_path: Path) -> None:
    """A button pressed once before and again after a restart acts only once."""
    chat = Chat(TinyDBStore(tmp_path))
    await at_case_menu(chat)
    log = chat.button("do:log")
    await chat.press_data(log.data)

    after = chat.restarted(TinyDBStore(tmp_path))
    assert await after.press_data(log.data) == [], "a double tap: answered by the first"
    await after.say("/status")
    await after.press_data(log.data)

    assert after.notices() == [Notice.STALE_BUTTON]
    assert (after.step(), after.question()) == (machine.LOGGING, "when")


async def test_reminders_and_time_zone_survive_a_restart(tmp_path: Path) -> None:
    """Reminders and the time zone set before a restart are there after it."""
    chat = Chat(TinyDBStore(tmp_path))
    await at_case_menu(chat)
    await chat.say("/timezone America/New_York")
    await log_contact(chat, "pick:waiting")
    await chat.say("/remind in 3 days check the refund")

    after = chat.restarted(TinyDBStore(tmp_path))
    await after.say("/reminders")

    assert after.notices() == [Notice.REMINDERS]
    listing = after.last_text()
    record = await after.store.load(after.key.person)
    due = {r["kind"]: (r["due"], r["text"]) for r in record.reminders.values()}
    follow_up, custom = due["follow_up"], due["custom"]
    assert follow_up[0] == "2026-11-13T14:00:00+00:00" and custom[0] == "2026-11-14T15:00:00+00:00"
    assert f"Fri 13 Nov 09:00: {follow_up[1]} (c1)" in listing, "in New York's time"
    assert "Sat 14 Nov 10:00: check the refund (c1)" in listing
    await after.say("/timezone")
    assert after.told(Notice.TIMEZONE) == {"tz": "America/New_York"}
