"""Typing something the bot can't use: it says what it expected, asks the same question
again, and keeps everything the person already told it."""

from __future__ import annotations

import pytest

from bot.events import Notice
from flows import machine
from tests.chat import (
    AMAZON_ORDER,
    GENERIC,
    Chat,
    Story,
    answer_until,
    at_case_menu,
    current_fact,
    listed,
    log_contact,
)

STORY = Story(item="Blue kettle", what_happened="The lid was cracked.")

BAD_ANSWERS = [
    # (the fact asked, the story, what the person types, why it cannot be used)
    ("order_number", STORY, "12345", "order.digits"),
    ("order_number", STORY, "my order from last week", "order.unread"),
    ("order_number", STORY, "112-3456789-01234567", "order.digits"),
    ("order_number", GENERIC, "!!", "order.unread"),
    ("order_number", GENERIC, "x" * 41, "order.unread"),
    ("order_date", STORY, "the day after the party", "date.unread"),
    ("order_date", STORY, "tomorrow", "date.future"),
    ("order_date", STORY, "Feb 30", "date.missing"),
    ("order_date", STORY, "2001-05-01", "date.too_old"),
    ("delivery_date", STORY, "soonish", "date.unread"),
    ("delivery_date", STORY, "9999-12-31", "date.too_far"),
    ("item", STORY, "", "text.empty"),
    ("item", STORY, "kettle " * 40, "text.too_long"),
    ("amount", STORY, "fifty", "money.unread"),
    ("amount", STORY, "-5", "money.negative"),
    ("amount", STORY, "$0.00", "money.zero"),
    ("amount", STORY, "$5 EUR", "money.two_currencies"),
    ("amount", STORY, "$2,000,000", "money.too_large"),
    ("what_happened", STORY, "   \n\t ", "text.empty"),
    ("what_happened", STORY, "\u200b\u200b\u2060", "text.empty"),
    ("what_happened", STORY, "A" * 10_000, "text.too_long"),
    ("problem", STORY, "my cat ate it", "choice.unknown"),
    ("seller", STORY, "maybe", "choice.unknown"),
    ("outcome", STORY, "money", "choice.unknown"),
    ("urgency", STORY, "very", "choice.unknown"),
]


def review_shows(chat: Chat, story: Story) -> None:
    """The review lists what the person typed before (the facts shown as they were given)."""
    review = chat.prompt()
    assert chat.step() == machine.REVIEW
    for fact in ("merchant", "order_number", "item", "what_happened"):
        assert listed(fact, getattr(story, fact)) in review


@pytest.mark.parametrize(("fact", "story", "typed", "reason"), BAD_ANSWERS)
async def test_a_bad_answer_is_explained_and_the_question_asked_again(
    fact: str, story: Story, typed: str, reason: str
) -> None:
    """Each bad answer gets a reply saying what works, the same question again, and the
    facts told before it still reach the review."""
    chat = Chat()
    await chat.say("/new")
    await answer_until(chat, story, stop=fact)
    asked = chat.prompt()

    await chat.say(typed)

    assert chat.told(Notice.UNREADABLE)["reason"] == reason
    assert chat.replies[0].notice == Notice.UNREADABLE, "why first"
    assert chat.prompt() == asked, "the same question, asked again"
    assert current_fact(chat) == fact

    await answer_until(chat, story)
    review_shows(chat, story)


async def test_a_bad_answer_while_editing_keeps_the_old_value() -> None:
    """A bad answer while editing a fact keeps the value it had, even when the person
    then leaves the edit."""
    chat = Chat()
    await chat.say("/new")
    await answer_until(chat, STORY)
    await chat.press_option("edit:amount")
    assert "Currently: $49.99" in chat.prompt()

    await chat.say("about fifty")

    assert "like 49.99" in chat.last_text()
    assert "Currently: $49.99" in chat.prompt()
    await chat.say("/cancel")
    await chat.press_option("do:resume")
    await answer_until(chat, STORY)
    assert listed("amount", "$49.99") in chat.prompt()


@pytest.mark.parametrize(
    ("question", "typed", "reason"),
    [
        ("when", "the other day", "date.unread"),
        ("when", "tomorrow", "date.future"),
        ("channel", "pigeon", "choice.unknown"),
        ("rep", "", "text.empty"),
        ("notes", "B" * 10_000, "text.too_long"),
        ("result", "meh", "choice.unknown"),
    ],
)
async def test_a_bad_answer_in_a_contact_log_keeps_the_answers_before_it(
    question: str, typed: str, reason: str
) -> None:
    """A bad answer while logging a contact: the same log question again, and the answers given
    before it are in the logged contact."""
    chat = Chat()
    await at_case_menu(chat)
    await log_contact(chat, "pick:waiting", channel="pick:email", rep="Priya", stop=question)
    asked = chat.prompt()

    await chat.say(typed)

    assert chat.told(Notice.UNREADABLE)["reason"] == reason
    assert chat.prompt() == asked
    assert (chat.step(), chat.question()) == (machine.LOGGING, question)
    await log_contact(chat, "pick:waiting", channel="pick:email", rep="Priya")
    [contact] = (await chat.record())["contacts"]
    assert (contact["channel"], contact["rep"]) == ("email", "Priya")


async def test_a_bad_time_zone_says_what_works_and_changes_nothing() -> None:
    """An unknown time zone or a fixed offset is explained; the zone and the pending question stay."""
    chat = Chat()
    await chat.say("/new")
    await answer_until(chat, STORY, stop="item")

    for typed, reason in [
        ("Mars/Olympus_Mons", "zone.unread"),
        ("+05:00", "zone.offset"),
        ("🙂" * 300, "zone.unread"),
    ]:
        await chat.say(f"/timezone {typed}")
        assert chat.told(Notice.UNREADABLE)["reason"] == reason

    await chat.say("/timezone")
    assert chat.told(Notice.TIMEZONE) == {"tz": "UTC"}
    await chat.status()
    assert chat.question() == "item", "the pending question is still pending"
    await answer_until(chat, STORY)
    review_shows(chat, STORY)


@pytest.mark.parametrize(
    ("typed", "answered"),
    [
        ("whenever you like", Notice.UNREADABLE),
        ("", Notice.REMIND_HOW),
    ],
)
async def test_a_bad_reminder_time_says_what_works_and_sets_nothing(
    typed: str, answered: Notice
) -> None:
    """A reminder time the bot can't read is explained with examples; no reminder is set."""
    chat = Chat()
    await chat.say("/new")
    await answer_until(chat, STORY, stop="amount")

    await chat.say(f"/remind {typed}")

    assert chat.notices() == [answered]
    await chat.say("/reminders")
    assert chat.notices() == [Notice.NO_REMINDERS]
    await chat.status()
    assert chat.question() == "amount"
    await answer_until(chat, STORY)
    review_shows(chat, STORY)


async def test_a_good_answer_after_a_bad_one_is_taken() -> None:
    """After a bad order number, a good one (with a label and spaces) moves on."""
    chat = Chat()
    await chat.say("/new")
    await answer_until(chat, STORY, stop="order_number")
    await chat.say("order 12345")

    await chat.say(f"Order #{AMAZON_ORDER.replace('-', ' ')}")

    assert current_fact(chat) is None, "back at the review it was added from"
    await answer_until(chat, STORY)
    assert listed("order_number", AMAZON_ORDER) in chat.prompt()


async def test_typing_while_buttons_are_expected_points_to_them() -> None:
    """Typing where a button is expected points to the buttons and shows them again."""
    chat = Chat()
    await at_case_menu(chat)
    menu = chat.labels()

    await chat.say("what now?")

    assert chat.notices() == [Notice.BUTTONS_ONLY]
    assert chat.labels() == menu
    await log_contact(chat, "pick:resolved")
    assert chat.step() == machine.RESOLVED


async def test_odd_characters_in_a_reminder_note_are_tidied_away() -> None:
    """A lone surrogate or a control character (which a platform's JSON can carry) in what
    a reminder is about must not break /reminders or the case file later."""
    chat = Chat()
    await at_case_menu(chat)

    await chat.say("/remind in 2 days call \ud800 the\x00 seller\x1b[31m")
    await chat.say("/reminders")

    assert "Fri 13 Nov 15:00: call the seller[31m (c1)" in chat.last_text()
    assert "call the seller[31m (pending)" in await chat.export()


async def test_bidi_controls_never_reach_the_stored_facts_or_the_script() -> None:
    chat = Chat()
    await chat.say("/new")
    await answer_until(chat, STORY.but(item="\u202eelttek\u202c Blue \u2066kettle\u2069"))
    record = await chat.record()
    stored = " ".join(str(value) for value in record["facts"].values())
    assert not set(stored) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert "Blue kettle" in stored
