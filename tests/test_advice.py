"""The right advice for each Amazon case (issue 12): who to contact first, which rungs
apply, which windows have closed, a parcel not late yet, impossible dates, an unknown
seller, earlier contacts on record, another shop's return policy up front, business days
with public holidays, and the agent's name asked for.

Every conversation starts on Wed 11 Nov 2026, 15:00 UTC (tests/chat.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.events import SKIP_ID
from flows import advice, machine
from flows.case import CaseModel
from flows.deadlines import case_windows
from flows.earlier import read_earlier
from flows.playbook import MERCHANT, SELLER, load_playbook
from flows.records import Case
from storage.migrations import upgrade
from tests.chat import (
    GENERIC,
    Chat,
    Story,
    at_case_menu,
    confirmed,
    current_fact,
    log_contact,
    tell,
)

AMAZON = load_playbook("amazon")
ATOZ_PAGE = AMAZON.rules["atoz_chargeback"].source
SELLER_CHANNEL = "channel:seller_message"
SKIP = SKIP_ID
NOT_LATE_YET = Story(problem="pick:late", delivery_date="Nov 14", outcome="pick:refund")
"""Ordered Fri 6 Nov, due by Sat 14 Nov at the latest."""


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def case_of(chat: Chat) -> CaseModel:
    return CaseModel(Case.from_json(await chat.record()), chat.clock())


async def pending(chat: Chat) -> dict[str, datetime]:
    """The pending reminders by slot, with when each is due (UTC)."""
    person = await chat.store.load(chat.key.person)
    return {
        r["slot"]: datetime.fromisoformat(r["due"]).astimezone(UTC)
        for r in person.reminders.values()
        if r["status"] == "pending"
    }


def data(chat: Chat) -> list[str]:
    return [button.data.split("|")[-1] for button in chat.buttons()]


async def blockers(chat: Chat) -> list[str]:
    return [blocker.id for blocker in (await case_of(chat)).guarantee_blockers()]


# -- 1. A third-party seller is contacted first ------------------------------------------------


async def test_a_third_party_seller_is_contacted_first_through_the_order() -> None:
    """Damaged item from a seller who ships it: the only channel offered is the message to
    the seller, its script opens as a message to the seller, and the rule is cited."""
    chat = Chat()
    await confirmed(chat)
    await chat.press_option("do:need_help")

    assert chat.labels() == ["Message the seller", "⬅ Back"]
    assert AMAZON.rules["seller_first"].source in chat.prompt()
    await chat.press_option("channel:seller_message")

    record = await chat.record()
    assert (record["state"], record["channel"]) == ("preparing", "seller_message")
    script = chat.prompt()
    assert AMAZON.channels["seller_message"].how in script
    opening = AMAZON.script.seller_opening.format(
        merchant="Amazon", order_number="112-3456789-0123456", order_date="Fri 6 Nov 2026"
    )
    assert opening in script
    assert AMAZON.channels["seller_message"].label in script


async def test_only_a_contact_with_the_seller_starts_the_a_to_z_wait() -> None:
    """A chat with Amazon on Wed 11 Nov is on record as with Amazon and starts nothing; a
    message to the seller on Fri 13 Nov starts the 2 business days: claim from Tue 17 Nov."""
    chat = Chat()
    await at_case_menu(chat)
    await log_contact(chat, "pick:no_progress", channel="pick:chat")

    assert (await chat.record())["contacts"][-1]["party"] == MERCHANT
    assert "seller_not_contacted" in await blockers(chat)
    assert "1. With Amazon; " in await chat.export()

    chat.clock.advance(days=2)  # Fri 13 Nov
    await log_contact(chat, "pick:no_progress", channel="pick:seller_message")
    assert (await chat.record())["contacts"][-1]["party"] == SELLER
    assert "seller_wait" in await blockers(chat)

    chat.clock.advance(days=3)  # Mon 16 Nov
    assert "seller_wait" in await blockers(chat)
    chat.clock.advance(days=1)  # Tue 17 Nov
    assert await blockers(chat) == []


async def test_a_seller_item_shipped_by_amazon_has_delivery_problems_go_to_amazon() -> None:
    """Fulfilled by Amazon: a late parcel goes to Amazon's own channels first (the seller's
    message last); a damaged one still to the seller first."""
    late = Story(seller="pick:third_party_fba", problem="pick:late")
    chat = Chat()
    await confirmed(chat, late.but(delivery_date="yesterday"))
    await chat.press_option("do:need_help")
    assert data(chat)[:4] == ["channel:chat", "channel:phone", "channel:email", SELLER_CHANNEL]
    assert advice.first_party((await chat.record())["facts"], AMAZON) == MERCHANT

    chat = Chat()
    await confirmed(chat, Story(seller="pick:third_party_fba"))
    await chat.press_option("do:need_help")
    assert data(chat)[0] == SELLER_CHANNEL


async def test_an_item_sold_by_amazon_offers_no_seller_channel() -> None:
    chat = Chat()
    await confirmed(chat, Story(seller="pick:merchant"))
    await chat.press_option("do:need_help")
    assert SELLER_CHANNEL not in data(chat)
    assert data(chat)[0] == "channel:chat"


async def test_once_the_seller_was_contacted_amazon_can_be_reached_too() -> None:
    chat = Chat()
    await at_case_menu(chat)
    await log_contact(chat, "pick:waiting", channel="pick:seller_message")
    await chat.say("/cancel")
    await chat.press_option("do:plan")
    assert data(chat)[:2] == [SELLER_CHANNEL, "channel:chat"]


# -- 2. Only rungs that can apply; the chargeback warning only where it holds -----------------


async def test_an_item_sold_by_amazon_has_no_a_to_z_rung_and_no_chargeback_warning() -> None:
    chat = Chat()
    await at_case_menu(chat, Story(seller="pick:merchant"))
    await chat.say("/escalate")
    assert "do:climb_guarantee" not in data(chat)
    assert advice.applicable_rungs((await chat.record())["facts"], AMAZON) == (
        "supervisor",
        "switch_channel",
        "written_complaint",
        "card_dispute",
        "agency",
    )

    await chat.press_option("do:climb_card_dispute")
    assert ATOZ_PAGE not in chat.prompt()  # neither the A-to-z rule nor its page is cited


async def test_a_third_party_item_keeps_the_rung_and_the_chargeback_warning() -> None:
    chat = Chat()
    await at_case_menu(chat)
    facts = (await chat.record())["facts"]
    assert "guarantee" in advice.applicable_rungs(facts, AMAZON)
    assert "atoz_chargeback" in advice.rung_rules("card_dispute", facts, AMAZON)
    await chat.say("/escalate")
    await chat.press_option("do:climb_card_dispute")
    assert ATOZ_PAGE in chat.prompt()


# -- 3. Windows already closed are said to be closed, with what is still open ----------------


async def test_an_order_from_last_year_is_told_what_has_closed_and_what_is_left() -> None:
    """Ordered Wed 1 Oct 2025, delivered Sun 5 Oct 2025, damaged: the return window (4 Nov
    2025), the A-to-z window (3 Jan 2026) and the card window (2 Feb 2026) have all closed.
    No warning is set; the card issuer, the warranty and small claims are still open; the
    self-service step is not the return button, and the card rung gives no date to meet."""
    chat = Chat()
    story = Story(order_date="2025-10-01", delivery_date="2025-10-05")
    await confirmed(chat, story)

    windows = case_windows(await case_of(chat))
    assert [(d.id, d.day) for d in windows.closed] == [
        ("return_window", date(2025, 11, 4)),
        ("guarantee_close", date(2026, 1, 3)),
        ("card_dispute", date(2026, 2, 2)),
    ]
    assert windows.ahead == ()
    assert windows.still_open == ("card_issuer", "warranty", "small_claims")
    assert not [slot for slot in await pending(chat) if slot.startswith("deadline:")]
    said = chat.last_text()
    for text in (AMAZON.closed_windows.warranty, AMAZON.closed_windows.small_claims):
        assert text in said
    assert AMAZON.closed_windows.self_service.replace("**", "") in chat.prompt()
    assert AMAZON.problem("damaged").self_service.replace("**", "") not in chat.prompt()

    await chat.say("/escalate")
    assert "do:climb_guarantee" not in data(chat)  # closed, not climbable
    await chat.press_option("do:climb_card_dispute")
    assert AMAZON.closed_windows.card_issuer in chat.prompt()
    assert "card_issuer" not in [d.id for d in case_windows(await case_of(chat)).ahead]


# -- 4. A parcel not late yet -----------------------------------------------------------------


async def test_a_parcel_not_late_yet_is_told_when_it_will_be_and_checked_that_morning() -> None:
    """Latest estimate Sat 14 Nov: late from Sun 15 Nov, checked that day at 9:00; an A-to-z
    claim from Tue 17 Nov. The script asks where it is, not for the refund wanted."""
    chat = Chat()
    await confirmed(chat, NOT_LATE_YET)

    case = await case_of(chat)
    assert advice.late_from(case.facts, case.today) == date(2026, 11, 15)
    reminders = await pending(chat)
    assert reminders["deadline:late"] == utc(2026, 11, 15, 9)
    assert reminders["deadline:guarantee_open"] == utc(2026, 11, 17, 9)
    assert AMAZON.linked(AMAZON.problem("late").self_service_link) in chat.prompt()  # tracking

    await chat.press_option("do:need_help")
    await chat.press_option("channel:seller_message")
    assert AMAZON.script.not_late_ask in chat.prompt()
    assert AMAZON.script.asks["refund"].partition("{")[0] not in chat.prompt()


async def test_tracking_that_says_delivered_opens_the_claim_without_the_3_days() -> None:
    """Latest estimate Tue 10 Nov, seller messaged Fri 6 Nov: the claim would open Fri 13
    Nov; tracking says delivered though nothing came, so it opens today, Wed 11 Nov (the
    rule: 3 days or a delivery scan, whichever is first)."""
    chat = Chat()
    await at_case_menu(chat, Story(problem="pick:late", delivery_date="yesterday"))
    await log_contact(chat, "pick:no_progress", when="2026-11-06", channel="pick:seller_message")
    assert await blockers(chat) == ["not_late_yet"]
    assert "do:climb_guarantee" not in data(chat)

    await chat.press_option("tracked:delivered")

    assert await blockers(chat) == []
    assert "do:climb_guarantee" in data(chat)
    assert "deadline:guarantee_open" not in await pending(chat)


# -- 5. Impossible dates are asked again --------------------------------------------------------


@pytest.mark.parametrize(
    ("skipped", "edit", "impossible"),
    [
        # Ordered Fri 6 Nov; delivered "10 days ago" would be Sun 1 Nov, before it.
        (Story(order_date="5 days ago", delivery_date=SKIP), "delivery_date", "10 days ago"),
        # Delivered Mon 9 Nov; ordered "yesterday" would be Tue 10 Nov, after it.
        (Story(order_date=SKIP, delivery_date="2026-11-09"), "order_date", "yesterday"),
    ],
)
async def test_an_order_after_its_delivery_is_asked_again(
    skipped: Story, edit: str, impossible: str
) -> None:
    chat = Chat()
    await tell(chat, skipped)
    await chat.press_data(next(b.data for b in chat.buttons() if b.data.endswith(f"edit:{edit}")))
    await chat.say(impossible)

    assert current_fact(chat) == edit
    assert (await chat.record())["facts"][edit] is None


# -- 6. Seller unknown: the A-to-z dates on a condition, and the question -------------------------


async def test_an_unknown_seller_gets_the_a_to_z_dates_on_condition_and_is_asked() -> None:
    """Delivered Mon 9 Nov, seller skipped: the claim window would close Sun 7 Feb 2027 if
    a third-party seller sold it; the self-service step asks who sold it."""
    chat = Chat()
    await confirmed(chat, Story(seller="skip"))

    [atoz] = [d for d in case_windows(await case_of(chat)).ahead if d.id == "guarantee_close"]
    assert (atoz.day, atoz.conditional) == (date(2027, 2, 7), True)
    assert "edit:seller" in data(chat)

    await chat.press_option("edit:seller")
    assert current_fact(chat) == "seller"
    await chat.press_option("pick:third_party")
    assert chat.step() == machine.REVIEW
    await chat.press_option("do:confirm")
    [atoz] = [d for d in case_windows(await case_of(chat)).ahead if d.id == "guarantee_close"]
    assert not atoz.conditional


# -- 7. Earlier contacts become logged contacts ---------------------------------------------------


async def test_earlier_contacts_are_confirmed_in_the_review_and_logged() -> None:
    """ "Messaged the seller on Nov 6, ref 123": in the review, then on record as a contact
    with the seller on Fri 6 Nov, which started the wait (over by Tue 10 Nov): the A-to-z
    claim is open today. Told again as "not yet", it is taken off."""
    chat = Chat()
    await tell(chat, Story(earlier_contacts="Messaged the seller on Nov 6, ref 123"))
    assert "Fri 6 Nov 2026 · Message the seller · with the seller · ref 123" in chat.prompt()
    await chat.press_option("do:confirm")

    record = await chat.record()
    [contact] = record["contacts"]
    assert {k: contact[k] for k in ("when", "channel", "party", "reference", "source")} == {
        "when": "2026-11-06",
        "channel": "seller_message",
        "party": SELLER,
        "reference": "123",
        "source": "earlier",
    }
    assert [e["kind"] for e in record["timeline"]].count("contact") == 1
    assert await blockers(chat) == []
    assert "1. With the seller (told with the facts); When: 2026-11-06;" in await chat.export()
    await chat.say("/status")

    await chat.press_option("do:back")
    await chat.press_option("edit:earlier_contacts")
    await chat.press_option("pick:none")
    await chat.press_option("do:confirm")
    assert (await chat.record())["contacts"] == []
    assert "seller_not_contacted" in await blockers(chat)


def test_several_earlier_contacts_with_amazon_and_the_seller() -> None:
    found = read_earlier(
        "Called Amazon on Nov 2, spoke to Priya, case #A-77; then emailed the seller Nov 4",
        date(2026, 11, 11),
        AMAZON,
    )
    assert [(c.when, c.channel, c.party, c.rep, c.reference) for c in found] == [
        (date(2026, 11, 2), "phone", MERCHANT, "Priya", "A-77"),
        (date(2026, 11, 4), "seller_message", SELLER, None, None),
    ]


# -- 8. Another shop: its return policy up front -------------------------------------------------


async def test_another_shop_is_told_to_check_its_return_policy_with_the_deadlines() -> None:
    chat = Chat()
    await confirmed(chat, GENERIC)
    generic = load_playbook("generic")

    windows = case_windows(await case_of(chat))
    assert windows.check_policy is not None and windows.check_policy.id == "return_window"
    rule = generic.rules["return_window"].text
    lines = next(text for text in chat.texts() if rule in text).splitlines()
    assert lines[1] == f"• {generic.rules['return_window'].text}"


# -- 9. Business days skip public holidays -----------------------------------------------------


async def test_a_promise_over_thanksgiving_is_checked_after_the_holiday() -> None:
    """On Wed 25 Nov, "a refund within 3 business days": Thu 26 Nov is Thanksgiving, so the
    days are Fri 27, Mon 30 and Tue 1 Dec, and the check comes Wed 2 Dec at 9:00."""
    chat = Chat()
    await at_case_menu(chat)
    chat.clock.advance(days=14)  # Wed 25 Nov
    await log_contact(chat, "pick:waiting", notes="Refund within 3 business days.")

    assert (await pending(chat))["promise:p1"] == utc(2026, 12, 2, 9)


async def test_a_follow_up_and_the_seller_wait_skip_new_years_day() -> None:
    """Wed 30 Dec + 2 business days: Fri 1 Jan is a holiday, so Mon 4 Jan."""
    chat = Chat()
    chat.clock.advance(days=49)  # Wed 30 Dec
    await at_case_menu(chat, Story(order_date="2026-12-20", delivery_date="2026-12-28"))
    await log_contact(chat, "pick:waiting", channel="pick:seller_message", notes="Sent.")

    assert (await pending(chat))["follow_up"] == utc(2027, 1, 4, 9)
    chat.clock.advance(days=3)  # Sat 2 Jan
    assert "seller_wait" in await blockers(chat)
    chat.clock.advance(days=2)  # Mon 4 Jan
    assert "seller_wait" not in await blockers(chat)


# -- 10. The script asks for the agent's name as well as a reference -----------------------------


async def test_the_script_asks_for_the_name_and_a_reference() -> None:
    chat = Chat()
    await confirmed(chat, Story(seller="pick:merchant"))
    await chat.press_option("do:need_help")
    await chat.press_option("channel:chat")
    assert AMAZON.script.closing in chat.prompt()
    assert "your name" in AMAZON.script.closing and "reference number" in AMAZON.script.closing


# -- Records from before contacts said whom they were with --------------------------------------


async def test_a_contact_stored_before_version_3_counts_as_its_channel_reaches() -> None:
    """A version 2 record's contacts have no party: upgraded, they read as not known, and a
    chat counts as with Amazon, so it starts no A-to-z wait."""
    chat = Chat()
    await at_case_menu(chat)
    await log_contact(chat, "pick:no_progress", channel="pick:chat")
    person = await chat.store.load(chat.key.person)
    for case in person.cases.values():
        for contact in case["contacts"]:
            del contact["party"], contact["source"]

    upgrade(person, 2)

    [contact] = Case.from_json(person.cases["c1"]).contacts
    assert (contact.party, contact.source) == (None, None)
    assert advice.contact_party(contact, AMAZON) == MERCHANT
    assert advice.seller_contact_day([contact], AMAZON) is None
