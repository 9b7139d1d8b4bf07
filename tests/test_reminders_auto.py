"""Reminders the bot sets by itself from the conversation: follow-ups and promise check-ins,
at the right moment in the person's time zone, across daylight-saving changes.

(Deadline warnings from the playbook rules are in test_deadlines.py.)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.events import Notice
from flows import machine
from flows.promises import find_promises
from tests.chat import Chat, Clock, Story, at_case_menu, log_contact
from tests.pings import Pings, scheduling

NO_DATES = Story(order_date="skip", delivery_date="skip")
"""No dates, so no deadline warnings beside the reminders under test."""


async def person(start: datetime, zone: str) -> Chat:
    """Someone in `zone` whose case is confirmed and at its menu at `start`."""
    chat = Chat(clock=Clock(start))
    await chat.say(f"/timezone {zone}")
    await at_case_menu(chat, NO_DATES)
    return chat


async def pending(chat: Chat, kind: str) -> list[tuple[datetime, str]]:
    """(due in UTC, slot) of the person's pending reminders of one kind: a follow-up's
    slot is `follow_up`, a check-in's names its promise (`promise:p1`)."""
    return sorted((due, r["slot"]) for due, r in await reminders(chat, kind))


async def reminders(chat: Chat, kind: str) -> list[tuple[datetime, dict[str, Any]]]:
    record = await chat.store.load(chat.key.person)
    return [
        (datetime.fromisoformat(r["due"]).astimezone(UTC), r)
        for r in record.reminders.values()
        if r["kind"] == kind and r["status"] == "pending"
    ]


async def promises(chat: Chat) -> list[tuple[str, str, str, str]]:
    """(id, about, words, status) of the active case's promises."""
    return [
        (p["id"], p["about"], p["words"], p["status"]) for p in (await chat.record())["promises"]
    ]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# -- a contact left waiting ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "start", "follow_up"),
    [
        # Thu 22 Oct, 14:00 in Berlin; clocks go back on Sun 25 Oct: Mon 9:00 is 08:00 UTC.
        ("Europe/Berlin", utc(2026, 10, 22, 12), utc(2026, 10, 26, 8)),
        # Thu 29 Oct, 12:00 in New York; clocks go back on Sun 1 Nov: Mon 9:00 is 14:00 UTC.
        ("America/New_York", utc(2026, 10, 29, 16), utc(2026, 11, 2, 14)),
        # Thu 22 Oct, 21:00 in Tokyo, which keeps one offset: Mon 9:00 is Sun 24:00 UTC.
        ("Asia/Tokyo", utc(2026, 10, 22, 12), utc(2026, 10, 26, 0)),
    ],
)
async def test_an_email_left_waiting_is_followed_up_two_business_days_later(
    zone: str, start: datetime, follow_up: datetime
) -> None:
    """Done means: a person who logs an email to the shop is pinged two business days
    later, at 9:00 their time (across a daylight-saving change), if nothing was logged since."""
    chat = await person(start, zone)
    pings = Pings()

    await log_contact(chat, "pick:waiting", channel="pick:email", notes="Sent them the photos.")

    day = f"{follow_up.astimezone(ZoneInfo(zone)):%a %-d %b}"
    assert chat.told(Notice.FOLLOW_UP_SET) == {"day": day}
    assert await pending(chat, "follow_up") == [(follow_up, "follow_up")]
    [(_, reminder)] = await reminders(chat, "follow_up")
    async with scheduling(chat, pings) as running:
        await running.at(seconds=(follow_up - start).total_seconds() - 60)
        assert pings.sent == []
        await running.at(minutes=1)
        assert len(pings.sent) == 1
    assert reminder["text"] in pings.texts()[0]
    assert "⬆️ Escalate" in [b.label for row in pings.sent[0][1][0].buttons for b in row]


async def test_a_newer_contact_cancels_the_follow_up() -> None:
    """Something moved (another contact logged): the follow-up is dropped, on the record."""
    chat = await person(utc(2026, 11, 11, 15), "UTC")
    await log_contact(chat, "pick:waiting", channel="pick:email", notes="Sent the photos.")

    await log_contact(chat, "pick:no_progress", notes="They said to wait.")

    assert await pending(chat, "follow_up") == []
    pings = Pings()
    async with scheduling(chat, pings) as running:
        await running.at(days=5)
    assert pings.sent == []
    record = await chat.store.load(chat.key.person)
    [follow_up] = [r for r in record.reminders.values() if r["kind"] == "follow_up"]
    assert (follow_up["status"], follow_up["reason"]) == ("cancelled", "a newer contact was logged")
    timeline = [e["text"] for e in (await chat.record())["timeline"] if e["kind"] == "reminder"]
    assert sum(text.endswith(f": {follow_up['text']}") for text in timeline) == 2, "set, cancelled"


async def test_a_second_waiting_contact_moves_the_follow_up() -> None:
    """Waiting again: one follow-up, two business days after the latest contact."""
    chat = await person(utc(2026, 11, 11, 15), "UTC")
    await log_contact(chat, "pick:waiting", channel="pick:email", notes="Sent the photos.")
    chat.clock.advance(days=1)

    await log_contact(chat, "pick:waiting", channel="pick:email", notes="Sent a reminder.")

    assert await pending(chat, "follow_up") == [(utc(2026, 11, 16, 9), "follow_up")]


# -- promises -------------------------------------------------------------------------------


async def test_a_refund_promised_in_3_to_5_business_days_is_checked_on() -> None:
    """Done means: 'refund in 3-5 business days' becomes a check-in the morning after the
    fifth business day; No takes the case to the next rung of the ladder."""
    chat = await person(utc(2026, 11, 11, 15), "America/Chicago")  # Wed 09:00 in Chicago
    pings = Pings()

    await log_contact(
        chat, "pick:waiting", notes="Agent said the refund goes out in 3-5 business days."
    )

    assert chat.told(Notice.CHECK_IN_SET) == {
        "words": "in 3-5 business days",
        "when": "Thu 19 Nov at 09:00",
    }
    assert await pending(chat, "follow_up") == []  # the check-in replaces the generic nudge
    check_in = utc(2026, 11, 19, 15)  # 09:00 CST
    assert await pending(chat, "check_in") == [(check_in, "promise:p1")]
    assert await promises(chat) == [("p1", "refund", "in 3-5 business days", "open")]
    [(_, asked)] = await reminders(chat, "check_in")
    assert "in 3-5 business days" in asked["text"], "the check-in names what they promised"
    async with scheduling(chat, pings) as running:
        await running.at(seconds=(check_in - chat.clock()).total_seconds())
        assert len(pings.sent) == 1
        assert [b.label for m in pings.sent[0][1] for r in m.buttons for b in r] == [
            "👍 Yes",
            "👎 No",
            "⏰ Ask me tomorrow",
        ]
        await chat.press_data(pings.button("no").data)

    assert Notice.PROMISE_BROKEN in chat.notices()
    assert chat.step() == machine.SUPERVISOR
    assert await promises(chat) == [("p1", "refund", "in 3-5 business days", "broken")]
    [promise] = (await chat.record())["promises"]
    assert (promise["made"], promise["contact"]) == ("2026-11-11", 1)
    assert (await chat.timeline())[-3:] == ["promise", "escalation", "escalation"]
    assert "supervisor" in await chat.rungs()


async def test_yes_to_a_check_in_settles_the_case() -> None:
    """Yes, they kept their word: the promise is kept and the case resolved."""
    chat = await person(utc(2026, 11, 11, 15), "UTC")
    pings = Pings()
    await log_contact(chat, "pick:waiting", notes="Replacement will ship by Friday.")
    assert await pending(chat, "check_in") == [(utc(2026, 11, 14, 9), "promise:p1")]
    assert await promises(chat) == [("p1", "replacement", "by friday", "open")]
    async with scheduling(chat, pings) as running:
        await running.at(days=3)
        await chat.press_data(pings.button("yes").data)
        await chat.press_data(pings.button("no").data)
        assert chat.notices() == [Notice.REMINDER_ALREADY_DONE]
    assert await chat.state() == "resolved"
    assert await promises(chat) == [("p1", "replacement", "by friday", "kept")]
    [promise] = (await chat.record())["promises"]
    assert promise["settled_at"] == utc(2026, 11, 14, 15).isoformat()


async def test_a_case_resolved_on_a_promise_still_has_the_promise_checked() -> None:
    """Resolved on a promise ('refund within 5 business days'): the case's other reminders
    stop, but the refund is still checked; No reopens the case and escalates."""
    chat = await person(utc(2026, 11, 11, 15), "UTC")
    await chat.say("/remind in 2 days look at the bank statement")
    pings = Pings()

    await log_contact(chat, "pick:resolved", notes="Refund within 5 business days, they said.")

    assert await chat.state() == "resolved"
    assert await pending(chat, "custom") == []
    assert [slot for _, slot in await pending(chat, "check_in")] == ["promise:p1"]
    assert await promises(chat) == [("p1", "refund", "within 5 business days", "open")]
    async with scheduling(chat, pings) as running:
        await running.at(days=8)
        assert len(pings.sent) == 1
        await chat.press_data(pings.button("no").data)
    record = await chat.record()
    assert record["state"] == "supervisor"
    assert [e["kind"] for e in record["timeline"]][-4:] == [
        "promise",
        "reopened",
        "escalation",
        "escalation",
    ]
    assert await promises(chat) == [("p1", "refund", "within 5 business days", "broken")]


@pytest.mark.parametrize(
    ("zone", "check_in"),
    [
        ("Asia/Tokyo", utc(2026, 11, 13, 6, 30)),  # already Thursday there: Fri 15:30 JST
        ("America/Los_Angeles", utc(2026, 11, 12, 23, 30)),  # Thu 15:30 PST
    ],
)
async def test_a_promised_callback_is_checked_shortly_after_its_time(
    zone: str, check_in: datetime
) -> None:
    """A callback promised for 'tomorrow at 3pm' is checked half an hour after 3pm in the
    person's own time zone."""
    chat = await person(utc(2026, 11, 11, 15), zone)

    await log_contact(
        chat, "pick:waiting", channel="pick:phone", notes="She'll call me back tomorrow at 3pm."
    )

    assert await pending(chat, "check_in") == [(check_in, "promise:p1")]
    assert await promises(chat) == [("p1", "callback", "tomorrow at 3pm", "open")]
    assert await pending(chat, "follow_up") == []


async def test_hours_promised_are_counted_as_elapsed_time_across_a_dst_change() -> None:
    """'Within 48 hours', said at 10:00 on the Saturday before Berlin's clocks go back, runs
    out at 09:00 on Monday (48 real hours); the check-in is half an hour later."""
    chat = await person(utc(2026, 10, 24, 8), "Europe/Berlin")

    await log_contact(chat, "pick:waiting", channel="pick:email", notes="Reply within 48 hours.")

    assert await pending(chat, "check_in") == [(utc(2026, 10, 26, 8, 30), "promise:p1")]
    assert await promises(chat) == [("p1", "reply", "within 48 hours", "open")]
    assert chat.told(Notice.CHECK_IN_SET) == {
        "words": "within 48 hours",
        "when": "Mon 26 Oct at 09:30",
    }


async def test_a_promise_whose_time_has_passed_is_noted_without_a_check_in() -> None:
    """A contact logged days later, whose promised time is already gone: the promise is on
    the record and the person is pointed to the next step, with no ping set."""
    chat = await person(utc(2026, 11, 11, 15), "UTC")

    await log_contact(chat, "pick:waiting", when="6 days ago", notes="Refund within 2 days.")

    assert chat.told(Notice.PROMISE_PASSED) == {"words": "within 2 days"}
    assert await pending(chat, "check_in") == []
    record = await chat.record()
    assert [p["words"] for p in record["promises"]] == ["within 2 days"]
    assert [p["about"] for p in record["promises"]] == ["refund"]
    assert "promise" in [e["kind"] for e in record["timeline"]]


# -- reading promises -----------------------------------------------------------------------

MADE = datetime(2026, 11, 11, 16, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # a Wednesday


@pytest.mark.parametrize(
    ("notes", "found"),
    [
        ("Refund in 3-5 business days", [("in 3-5 business days", "refund", "Thu 19 Nov 09:00")]),
        ("refund in 3\u20135 working days.", [("in 3\u20135 working days", "refund", "Thu 19 Nov 09:00")]),
        ("They'll call me back tomorrow at 3pm", [("tomorrow at 3pm", "callback", "Thu 12 Nov 15:30")]),
        ("A reply within 48 hours", [("within 48 hours", "reply", "Fri 13 Nov 16:30")]),
        ("Should arrive by Friday", [("by friday", "replacement", "Sat 14 Nov 09:00")]),
        ("money back within two weeks", [("within two weeks", "refund", "Thu 26 Nov 09:00")]),
        ("callback at 5pm", [("at 5pm", "callback", "Wed 11 Nov 17:30")]),
        ("She said end of the week.", [("end of the week", "other", "Sat 14 Nov 09:00")]),
        ("They'll email by 2026-12-01", [("by 2026-12-01", "reply", "Wed 2 Dec 09:00")]),
        (
            "A callback tomorrow afternoon and a refund in 5 business days",
            [
                ("tomorrow afternoon", "callback", "Thu 12 Nov 17:30"),
                ("in 5 business days", "refund", "Thu 19 Nov 09:00"),
            ],
        ),
        ("I waited 3 days already", []),
        ("Ordered 3 days ago, on hold for 20 minutes", []),
        ("I was on the phone at 3pm", []),
        ("Order 112-3456789-0123456, they will look into it", []),
    ],
)  # fmt: skip
def test_promises_are_read_from_the_notes(notes: str, found: list[tuple[str, str, str]]) -> None:
    """The times a shop gives, in the ways people write them down; times gone are not promises."""
    promises = find_promises(notes, MADE, "US")
    assert [(p.words, p.about, f"{p.check_at('US'):%a %-d %b %H:%M}") for p in promises] == found
