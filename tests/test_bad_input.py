"""Typing something the bot can't use: it says what it expected, asks the same question
again, and keeps everything the person already told it."""

from __future__ import annotations

import pytest

from flows import machine
from tests.chat import (
    AMAZON_ORDER,
    GENERIC,
    QUESTIONS,
    Chat,
    Story,
    answer_until,
    at_case_menu,
    current_fact,
    log_contact,
)

STORY = Story(item="Blue kettle", what_happened="The lid was cracked.")

BAD_ANSWERS = [
    # (the fact asked, the story, what the person types, what the reply must say)
    ("order_number", STORY, "12345", "has 17, in three groups, like 112-3456789-0123456"),
    ("order_number", STORY, "my order from last week", "like 112-3456789-0123456"),
    ("order_number", STORY, "112-3456789-01234567", "I count 18 digits"),
    ("order_number", GENERIC, "!!", "like W123-4567"),
    ("order_number", GENERIC, "x" * 41, "3 to 40 letters or digits"),
    ("order_date", STORY, "the day after the party", "like yesterday, Nov 2 or 2026-11-02"),
    ("order_date", STORY, "tomorrow", "still to come"),
    ("order_date", STORY, "Feb 30", "can't find that day in the calendar"),
    ("order_date", STORY, "2001-05-01", "more than 10 years ago"),
    ("delivery_date", STORY, "soonish", "like yesterday, Nov 2 or 2026-11-02"),
    ("delivery_date", STORY, "9999-12-31", "more than a year ahead"),
    ("item", STORY, "", "I didn't catch any words"),
    ("item", STORY, "kettle " * 40, "I can keep up to 200"),
    ("amount", STORY, "fifty", "like 49.99, $49.99 or 49,99 €"),
    ("amount", STORY, "-5", "Just the amount itself works, like 49.99."),
    ("amount", STORY, "$0.00", "For example: 49.99"),
    ("amount", STORY, "$5 EUR", "like $49.99 or 49.99 EUR"),
    ("amount", STORY, "$2,000,000", "Could you check the amount?"),
    ("what_happened", STORY, "   \n\t ", "Could you tell me in a sentence?"),
    ("what_happened", STORY, "\u200b\u200b\u2060", "Could you tell me in a sentence?"),
    ("what_happened", STORY, "A" * 10_000, "I can keep up to 1,000"),
    ("problem", STORY, "my cat ate it", "Please press one of the buttons: Late or lost package"),
    ("seller", STORY, "maybe", "Please press one of the buttons: Sold by Amazon"),
    ("outcome", STORY, "money", "Please press one of the buttons: A refund, A replacement"),
    ("urgency", STORY, "very", "Please press one of the buttons: Urgent, This week, No rush"),
]


def review_shows(chat: Chat, story: Story) -> None:
    """The review lists what the person typed before (the facts shown as they were given)."""
    review = chat.prompt()
    assert chat.step() == machine.REVIEW
    assert f"Shop: {'Amazon' if story.merchant == 'Amazon' else story.merchant}" in review
    assert f"Order number: {story.order_number}" in review
    assert f"Item: {story.item}" in review
    assert f"What happened: {story.what_happened}" in review


@pytest.mark.parametrize(("fact", "story", "typed", "expected"), BAD_ANSWERS)
async def test_a_bad_answer_is_explained_and_the_question_asked_again(
    fact: str, story: Story, typed: str, expected: str
) -> None:
    """Each bad answer gets a reply saying what works, the same question again, and the
    facts told before it still reach the review."""
    chat = Chat()
    await chat.say("/new")
    await answer_until(chat, story, stop=fact)
    asked = chat.prompt()

    await chat.say(typed)

    assert expected in chat.texts()[0]
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
    await chat.press("✏️ Amount paid")
    assert "Currently: $49.99" in chat.prompt()

    await chat.say("about fifty")

    assert "like 49.99" in chat.last_text()
    assert "Currently: $49.99" in chat.prompt()
    await chat.say("/cancel")
    await chat.press("Continue")
    await answer_until(chat, STORY)
    assert "Amount paid: $49.99" in chat.prompt()


@pytest.mark.parametrize(
    ("question", "typed", "expected"),
    [
        ("when", "the other day", "like yesterday, Nov 2 or 2026-11-02"),
        ("when", "tomorrow", "still to come"),
        ("channel", "pigeon", "Please press one of the buttons: Live chat"),
        ("rep", "", "I didn't catch any words"),
        ("notes", "B" * 10_000, "I can keep up to 1,000"),
        ("result", "meh", "Please press one of the buttons: Resolved"),
    ],
)
async def test_a_bad_answer_in_a_contact_log_keeps_the_answers_before_it(
    question: str, typed: str, expected: str
) -> None:
    """A bad answer while logging a contact: the same log question again, and the answers given
    before it are in the logged contact."""
    chat = Chat()
    await at_case_menu(chat)
    await log_contact(chat, "Waiting on them", channel="Email", rep="Priya", stop=question)
    asked = chat.prompt()

    await chat.say(typed)

    assert expected in chat.texts()[0]
    assert chat.prompt() == asked
    await log_contact(chat, "Waiting on them", channel="Email", rep="Priya")
    assert "Channel: Email; Representative: Priya" in await chat.export()


async def test_a_bad_time_zone_says_what_works_and_changes_nothing() -> None:
    """An unknown time zone or a fixed offset is explained; the zone and the pending question stay."""
    chat = Chat()
    await chat.say("/new")
    await answer_until(chat, STORY, stop="item")

    for typed, expected in [
        ("Mars/Olympus_Mons", "like Europe/Berlin, America/New_York or UTC"),
        ("+05:00", "Could you send a place instead, like Europe/Berlin"),
        ("🙂" * 300, "like Europe/Berlin"),
    ]:
        await chat.say(f"/timezone {typed}")
        assert expected in chat.last_text()

    await chat.say("/timezone")
    assert "Your time zone is UTC." in chat.last_text()
    assert QUESTIONS["item"] in await chat.status(), "the pending question is still pending"
    await answer_until(chat, STORY)
    review_shows(chat, STORY)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("whenever you like", "Try in 2 days, tomorrow 9am, Friday"),
        ("", "For example /remind in 2 days call back"),
    ],
)
async def test_a_bad_reminder_time_says_what_works_and_sets_nothing(
    typed: str, expected: str
) -> None:
    """A reminder time the bot can't read is explained with examples; no reminder is set."""
    chat = Chat()
    await chat.say("/new")
    await answer_until(chat, STORY, stop="amount")

    await chat.say(f"/remind {typed}")

    assert expected in chat.last_text()
    await chat.say("/reminders")
    assert "You have no reminders set." in chat.last_text()
    assert QUESTIONS["amount"] in await chat.status()
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
    assert f"Order number: {AMAZON_ORDER}" in chat.prompt()


async def test_typing_while_buttons_are_expected_points_to_them() -> None:
    """Typing where a button is expected points to the buttons and shows them again."""
    chat = Chat()
    await at_case_menu(chat)
    menu = chat.labels()

    await chat.say("what now?")

    assert "Please use the buttons" in chat.texts()[0]
    assert chat.labels() == menu
    await log_contact(chat, "Resolved")
    assert "This case is resolved" in chat.prompt()


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
