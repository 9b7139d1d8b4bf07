"""Where the customer bought decides the law, through a whole case: a £ order on
amazon.co.uk and a € order on amazon.de climb the ladder without one US-only rung or rule
(the FCBA letter, the FTC, the CFPB, state attorneys general), get their own country's
rights as deadlines, money-back routes for how they paid and last rungs; a case nothing
places is asked its country once, with buttons; a gift card has no money-back rung.

Everything is checked by ids: rung and button options, reminder slots, stored facts, and
the rules' source addresses in what the person reads."""

from __future__ import annotations

from datetime import date
from typing import Any

from flows import machine
from flows.case import CaseModel
from flows.deadlines import case_windows
from flows.intake import read_order_text
from flows.jurisdiction import jurisdictions
from flows.playbook import load_playbook
from flows.records import Case
from tests.chat import GENERIC, Chat, Story, log_contact, tell

UK = Story(merchant="amazon.co.uk", amount="£150", payment="pick:credit_card")
EU = Story(
    merchant="amazon.de",
    amount="49,99 €",
    payment="pick:paypal",
    order_number="302-1234567-1234567",
)


def sources(code: str) -> set[str]:
    return {rule.source for rule in jurisdictions()[code].rules.values()}


def said(chat: Chat) -> str:
    """Everything the bot said in the whole conversation."""
    return "\n".join(message.text.plain() for turn in chat.history for message in turn)


def options(chat: Chat) -> list[str]:
    return [button.option for button in chat.buttons()]


async def pending_slots(chat: Chat) -> set[str]:
    person = await chat.store.load(chat.key.person)
    return {r["slot"] for r in person.reminders.values() if r["status"] == "pending"}


async def facts(chat: Chat) -> dict[str, Any]:
    record: dict[str, Any] = (await chat.record())["facts"]
    return record


async def at_the_ladder(chat: Chat, story: Story) -> None:
    """Tell the story, confirm it, contact the first party offered: no progress."""
    await tell(chat, story)
    await chat.press_option("do:confirm")
    await chat.press_option("do:need_help")
    first = next(b for b in chat.buttons() if b.option.startswith("channel:"))
    await chat.press_option(first.option)
    await log_contact(chat, "pick:no_progress", channel=first.option.replace("channel:", "pick:"))
    chat.clock.advance(days=6)
    assert chat.replies[-1].prompt is not None
    assert chat.replies[-1].prompt.step == machine.ESCALATING


async def climb(chat: Chat, rung: str) -> str:
    """Climb a rung, keep what it said, log no progress (back on the ladder)."""
    await chat.press_option(f"do:climb_{rung}")
    assert chat.replies[-1].prompt is not None and chat.replies[-1].prompt.step == rung
    text = chat.prompt()
    await chat.press_option("do:log")
    await log_contact(chat, "pick:no_progress")
    return text


async def test_a_pound_case_never_shows_a_us_only_rung_or_rule() -> None:
    chat = Chat()
    await at_the_ladder(chat, UK)
    stored = await facts(chat)
    assert stored["country"] == {"code": "GB", "from": "storefront"}
    assert stored["payment"] == "credit_card"
    assert not any(option.startswith("country:") for option in options(chat)), "not asked"
    assert "do:climb_card_dispute" in options(chat)

    money_back = await climb(chat, "card_dispute")
    uk = jurisdictions()["GB"].rules
    assert uk["section_75"].source in money_back
    assert uk["chargeback_uk"].source in money_back
    last = await climb(chat, "agency")
    for rule_id in ("citizens_advice", "adr_uk", "small_claims_uk"):
        assert uk[rule_id].source in last, rule_id

    everything = said(chat)
    assert not {source for source in sources("US") if source in everything}
    # The UK's rights for a damaged item delivered two days ago, as reminders.
    assert {"deadline:law_short_term_reject", "deadline:law_cancel_online"} <= await pending_slots(
        chat
    )
    # The card dispute window's warning cites the UK's chargeback rule, not Visa's US pages.
    person = await chat.store.load(chat.key.person)
    card = next(r for r in person.reminders.values() if r["slot"] == "deadline:card_dispute")
    assert card["source"] == jurisdictions()["GB"].shop_rules["card_dispute_window"].source


async def test_section_75_is_left_out_under_100_pounds_and_for_a_debit_card() -> None:
    for story in (UK.but(amount="£80"), UK.but(payment="pick:debit_card")):
        chat = Chat()
        await at_the_ladder(chat, story)
        money_back = await climb(chat, "card_dispute")
        uk = jurisdictions()["GB"].rules
        assert uk["section_75"].source not in money_back, story
        assert uk["chargeback_uk"].source in money_back, story


async def test_a_euro_case_paid_with_paypal_gets_buyer_protection_and_the_eu_s_rights() -> None:
    chat = Chat()
    await at_the_ladder(chat, EU)
    assert (await facts(chat))["country"] == {"code": "DE", "from": "storefront"}
    money_back = await climb(chat, "card_dispute")
    eu = jurisdictions()["DE"].rules
    assert eu["paypal_eu"].source in money_back
    assert eu["chargeback_eu"].source not in money_back, "PayPal, not a card"
    last = await climb(chat, "agency")
    assert eu["ecc_net"].source in last
    everything = said(chat)
    assert not {source for source in sources("US") if source in everything}
    assert {"deadline:law_withdrawal", "deadline:law_legal_guarantee"} <= await pending_slots(chat)
    assert "deadline:card_dispute" not in await pending_slots(chat), "not paid by card"
    timeline = [entry["kind"] for entry in (await chat.record())["timeline"]]
    assert "escalation" in timeline


async def test_a_case_nothing_places_is_asked_its_country_once_with_buttons() -> None:
    chat = Chat()
    await at_the_ladder(chat, GENERIC.but(amount=""))
    assert "country" not in await facts(chat)
    asked = [option for option in options(chat) if option.startswith("country:")]
    assert asked == [f"country:{code}" for code in jurisdictions()]
    await chat.press_option("country:GB")
    assert (await facts(chat))["country"] == {"code": "GB", "from": "asked"}
    assert not any(option.startswith("country:") for option in options(chat))
    assert chat.replies[-1].prompt is not None
    assert chat.replies[-1].prompt.step == machine.ESCALATING
    # The money-back rung asks how they paid, with a button for each method.
    await chat.press_option("do:climb_card_dispute")
    assert {"pay:credit_card", "pay:debit_card", "pay:paypal", "pay:gift_card", "pay:bnpl"} <= set(
        options(chat)
    )
    await chat.press_option("pay:gift_card")
    assert (await facts(chat))["payment"] == "gift_card"
    assert not any(option.startswith("pay:") for option in options(chat))
    await chat.press_option("do:log")
    await log_contact(chat, "pick:no_progress")
    assert "do:climb_card_dispute" not in options(chat), "a gift card has no money-back rung"
    assert "do:climb_agency" in options(chat)


async def test_a_us_case_keeps_its_fcba_letter_and_agencies() -> None:
    chat = Chat()
    await at_the_ladder(chat, Story(payment="pick:credit_card"))
    assert (await facts(chat))["country"] == {"code": "US", "from": "order_number"}
    money_back = await climb(chat, "card_dispute")
    us = jurisdictions()["US"].rules
    assert us["fcba_letter"].source in money_back
    last = await climb(chat, "agency")
    for rule_id in ("state_ag", "ftc_report", "cfpb_complaint"):
        assert us[rule_id].source in last, rule_id


async def case_of(chat: Chat) -> CaseModel:
    return CaseModel(Case.from_json(await chat.record()), chat.clock())


async def test_a_shop_without_a_playbook_cites_the_country_s_law_not_the_ftc() -> None:
    """A UK corner shop: its late parcel and its returns rest on UK law, not the US pages
    the generic playbook cites for a US case."""
    chat = Chat()
    await tell(chat, GENERIC.but(problem="pick:late", delivery_date="Nov 14", amount="£40"))
    await chat.press_option("do:confirm")
    gb = jurisdictions()["GB"]
    person = await chat.store.load(chat.key.person)
    late = next(r for r in person.reminders.values() if r["slot"] == "deadline:late")
    assert late["source"] == gb.shop_rules["delivery_estimate"].source

    returns = Chat()
    await tell(returns, GENERIC.but(amount="£40"))
    await returns.press_option("do:confirm")
    policy = case_windows(await case_of(returns)).check_policy
    assert policy is not None and policy.source == gb.shop_rules["return_window"].source
    us = Chat()
    await tell(us, GENERIC)  # $49.99: a US case keeps the generic playbook's rule
    await us.press_option("do:confirm")
    policy = case_windows(await case_of(us)).check_policy
    assert (
        policy is not None
        and policy.source == load_playbook("generic").rules["return_window"].source
    )


async def test_the_review_shows_the_country_and_lets_the_person_change_it() -> None:
    chat = Chat()
    await tell(chat, UK)
    assert "edit:country" in options(chat)
    await chat.press_option("edit:country")
    assert {f"pick:{code}" for code in jurisdictions()} <= set(options(chat))
    await chat.press_option("pick:CA")
    assert (await facts(chat))["country"] == {"code": "CA", "from": "asked"}
    await chat.press_option("do:confirm")
    assert (await facts(chat))["country"] == {"code": "CA", "from": "asked"}, "kept"


async def test_an_order_over_30_days_late_in_canada_can_be_cancelled_from_then_on() -> None:
    chat = Chat()
    story = Story(
        merchant="amazon.ca",
        problem="pick:late",
        delivery_date="Oct 1",
        order_date="Sep 20",
        amount="$60",
    )
    await tell(chat, story)
    await chat.press_option("do:confirm")
    assert (await facts(chat))["country"] == {"code": "CA", "from": "storefront"}
    windows = case_windows(await case_of(chat))
    opened = [d for d in windows.ahead if d.id == "law_late_cancel"]
    assert [d.day for d in opened] == [date(2026, 10, 31)], "opened, and still open on Nov 11"
    assert not windows.closed or "law_late_cancel" not in {d.id for d in windows.closed}


def test_a_pasted_order_tells_how_it_was_paid_only_when_its_words_decide_it() -> None:
    order = "Your Amazon.co.uk order 204-5566778-8899001\nOrder total: £18.49\nPayment method: {}\n"
    for said, method in (
        ("PayPal", "paypal"),
        ("Visa Debit ending in 1234", "debit_card"),
        ("Klarna", "bnpl"),
    ):
        found = read_order_text(order.format(said), date(2026, 11, 11)).get("payment")
        assert found is not None and found.options == (method,), said
    assert (
        read_order_text(order.format("Visa ending in 4242"), date(2026, 11, 11)).get("payment")
        is None
    )
