"""Deadlines from the playbook rules and the case's dates: warned a few days ahead, at
9:00 in the person's time zone, each citing its rule's source."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.events import Notice
from flows.case import CaseModel, new_case
from flows.deadlines import WARN_DAYS, Deadline, case_deadlines
from flows.playbook import load_playbook
from flows.records import Case
from tests.chat import GENERIC, Chat, Clock, Story, at_case_menu, confirmed
from tests.pings import Pings, scheduling

AMAZON = load_playbook("amazon")

RETURNS = "https://www.amazon.com/gp/help/customer/display.html?nodeId=GKM69DUUYKQWKWX7"
ATOZ = "https://www.amazon.com/gp/help/customer/display.html?nodeId=200783670"
VISA = "https://usa.visa.com/dam/VCOM/download/about-visa/visa-rules-public.pdf"


async def deadlines_of(chat: Chat) -> list[Deadline]:
    """The active case's deadlines as flows/deadlines.py works them out from the record."""
    return case_deadlines(CaseModel(Case.from_json(await chat.record()), chat.clock.now))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def warnings(chat: Chat) -> list[tuple[str, datetime, str]]:
    """(slot, due in UTC, source) of the pending deadline warnings, earliest first."""
    record = await chat.store.load(chat.key.person)
    return sorted(
        (
            (r["slot"], datetime.fromisoformat(r["due"]).astimezone(UTC), r["source"])
            for r in record.reminders.values()
            if r["kind"] == "deadline" and r["status"] == "pending"
        ),
        key=lambda warning: warning[1],
    )


async def test_confirming_the_facts_sets_a_warning_before_each_deadline() -> None:
    """A damaged item from a third-party seller on Amazon, delivered Mon 9 Nov: the return
    window (30 days), the A-to-z claim window (90 days) and the usual card dispute window
    (120 days) are each warned three days ahead at 9:00, and listed at once."""
    chat = Chat()  # Wed 11 Nov 2026, UTC

    await confirmed(chat)

    deadlines = await deadlines_of(chat)
    assert {d.id: d.day for d in deadlines} == {
        "return_window": date(2026, 12, 9),
        "guarantee_close": date(2027, 2, 7),
        "card_dispute": date(2027, 3, 9),
    }
    told = chat.last_text()
    assert all(d.sentence(chat.clock.now.date()) in told for d in deadlines)
    assert await warnings(chat) == [
        ("deadline:return_window", utc(2026, 12, 6, 9), RETURNS),
        ("deadline:guarantee_close", utc(2027, 2, 4, 9), ATOZ),
        ("deadline:card_dispute", utc(2027, 3, 6, 9), VISA),
    ]
    await chat.say("/reminders")
    assert chat.notices() == [Notice.REMINDERS]
    record = await chat.store.load(chat.key.person)
    for reminder in record.reminders.values():
        due = datetime.fromisoformat(reminder["due"])
        assert f"• {due:%a %-d %b %H:%M}: {reminder['text']} (c1)" in chat.last_text()


async def test_a_warning_pings_with_its_rule_and_source() -> None:
    """The warning, when it comes, says what closes when, the rule, and where it is from."""
    chat, pings = Chat(), Pings()
    await at_case_menu(chat)
    async with scheduling(chat, pings) as running:
        await running.at(days=24, hours=17, minutes=59)  # Sun 6 Dec 08:59 UTC
        assert pings.sent == []
        await running.at(minutes=1)
    [text] = pings.texts()
    assert "Wed 9 Dec 2026" in text, "what closes when"
    assert AMAZON.rules["return_window"].text in text
    assert f"Source: {RETURNS}" in text


async def test_a_late_package_is_told_when_the_a_to_z_claim_opens() -> None:
    """A late package from a third-party seller: the claim can be filed 3 days after the
    latest estimated delivery date; that morning, a ping says so."""
    chat, pings = Chat(), Pings()
    await at_case_menu(chat, Story(problem="pick:late", delivery_date="yesterday"))

    assert [slot for slot, _, _ in await warnings(chat)] == [
        "deadline:guarantee_open",
        "deadline:guarantee_close",
        "deadline:card_dispute",
    ]
    async with scheduling(chat, pings) as running:
        await running.at(days=2, hours=18)  # Fri 13 Nov 09:00
    assert "Fri 13 Nov 2026" in pings.texts()[0]
    assert f"Source: {ATOZ}" in pings.texts()[0]


@pytest.mark.parametrize(
    ("zone", "warned"),
    [
        # Delivered Tue 1 Dec 2026; the card window closes Wed 31 Mar 2027, warned Sun 28 Mar
        # at 9:00: in Berlin that is the morning summer time starts (CEST, UTC+2) ...
        ("Europe/Berlin", utc(2027, 3, 28, 7)),
        # ... in New York two weeks into summer time (EDT, UTC-4), though the case was
        # confirmed in winter (EST, UTC-5) ...
        ("America/New_York", utc(2027, 3, 28, 13)),
        # ... in Sydney still in its summer time (AEDT, UTC+11), a day earlier in UTC.
        ("Australia/Sydney", utc(2027, 3, 27, 22)),
    ],
)
async def test_warnings_fall_at_9_local_across_dst_changes_and_zones(
    zone: str, warned: datetime
) -> None:
    """A warning months ahead is at 9:00 on the day, by the clocks of then, not of now."""
    chat = Chat(clock=Clock(utc(2026, 12, 3, 12)))
    await chat.say(f"/timezone {zone}")

    await confirmed(chat, Story(delivery_date="2026-12-01", order_date="2026-11-28"))

    card = [due for slot, due, _ in await warnings(chat) if slot == "deadline:card_dispute"]
    assert card == [warned]


async def test_a_shop_without_a_marketplace_has_its_card_window_only() -> None:
    """A shop with the generic playbook: no return window figure, no A-to-z; the card
    dispute window still counts (from the delivery date)."""
    chat = Chat()

    await confirmed(chat, GENERIC)

    assert await warnings(chat) == [("deadline:card_dispute", utc(2027, 3, 6, 9), VISA)]


async def test_a_warning_already_due_is_not_set_but_the_deadline_is_listed() -> None:
    """Delivered 28 days ago: the return window closes in two days, too late to warn three
    days ahead; it is still listed, and the later deadlines are warned."""
    chat = Chat()

    await confirmed(chat, Story(order_date="30 days ago", delivery_date="28 days ago"))

    [closing] = [d for d in await deadlines_of(chat) if d.id == "return_window"]
    assert closing.day == date(2026, 11, 13)
    assert closing.sentence(chat.clock.now.date()) in chat.last_text()
    assert [slot for slot, _, _ in await warnings(chat)] == [
        "deadline:guarantee_close",
        "deadline:card_dispute",
    ]


async def test_confirming_again_keeps_the_warnings_and_a_changed_date_moves_them() -> None:
    """Back to the review and confirmed again: the same warnings, not new ones; a delivery
    date corrected there moves each warning, on the timeline."""
    chat = Chat()
    await confirmed(chat)
    before = await warnings(chat)

    await chat.press_option("do:back")
    await chat.press_option("do:confirm")
    assert await warnings(chat) == before

    await chat.press_option("do:back")
    await chat.press_option("edit:delivery_date")
    await chat.say("yesterday")
    await chat.press_option("do:confirm")
    assert [due for _, due, _ in await warnings(chat)] == [
        utc(2026, 12, 7, 9),
        utc(2027, 2, 5, 9),
        utc(2027, 3, 7, 9),
    ]
    record = await chat.store.load(chat.key.person)
    assert len(record.reminders) == 3
    assert {r["status"] for r in record.reminders.values()} == {"pending"}
    timeline = [e["text"] for e in record.cases["c1"]["timeline"] if e["kind"] == "reminder"]
    assert len(timeline) == 6, "each set, then moved once"
    assert all(any(t.endswith(r["text"]) for t in timeline) for r in record.reminders.values())


async def test_a_resolved_case_has_no_deadline_warnings_left() -> None:
    """Once the case is resolved, its deadlines stop mattering: the warnings are cancelled."""
    chat = Chat()
    await at_case_menu(chat)

    await chat.press_option("do:resolve")

    assert await warnings(chat) == []


def test_deadlines_come_from_the_rules_and_the_dates() -> None:
    """The deadlines of a case as data: days from the right date, by the playbook's rules."""
    now = datetime(2026, 11, 11, 12, tzinfo=UTC)
    case = Case.from_json(new_case("c1", now))
    case.facts = {
        "merchant": {"playbook": "amazon", "name": "Amazon"},
        "problem": "wrong_item",
        "seller": "third_party",
        "order_date": "2026-11-01",
        "delivery_date": "2026-11-05",
    }
    found = case_deadlines(CaseModel(case, now))
    assert [(d.id, d.day.isoformat(), d.rule.id) for d in found] == [
        ("return_window", "2026-12-05", "return_window"),
        ("guarantee_close", "2027-02-03", "atoz_claim_window"),
        ("card_dispute", "2027-03-05", "card_dispute_window"),
    ]
    assert found[0].warn_at(now) == datetime(2026, 12, 5, 9, tzinfo=UTC) - timedelta(WARN_DAYS)
    del case.facts["delivery_date"]
    assert [(d.id, d.day.isoformat()) for d in case_deadlines(CaseModel(case, now))] == [
        ("card_dispute", "2027-03-01")
    ]
