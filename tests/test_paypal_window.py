"""PayPal Buyer Protection's window as a reminder: a case paid with PayPal gets a deadline
180 days after the order (the payment), warned like every other window, citing the country's
PayPal rule; a card payment or an unknown order date gets none, and saying PayPal on the
money-back rung sets it then. The ping comes when it falls due.

Checked by structure: the reminder's slot, due time, source and status; the deadline's day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from flows import law
from flows.case import CaseModel
from flows.deadlines import WARN_DAYS, case_deadlines
from flows.jurisdiction import jurisdictions
from flows.records import Case
from tests.chat import Chat, Story, confirmed
from tests.pings import Pings, scheduling
from tests.test_law_flow import at_the_ladder, facts

SLOT = "deadline:law_paypal"
ORDERED = date(2026, 11, 6)
"""'5 days ago' from Wed 11 Nov 2026, the stories' order date."""
PAID_WITH_PAYPAL = {
    "US": Story(payment="pick:paypal"),
    "GB": Story(merchant="amazon.co.uk", amount="£40", payment="pick:paypal"),
    "DE": Story(merchant="amazon.de", amount="40 €", payment="pick:paypal"),
    "FR": Story(merchant="amazon.fr", amount="40 €", payment="pick:paypal"),
    "CA": Story(merchant="amazon.ca", amount="C$40", payment="pick:paypal"),
}
RULES = {
    "US": "paypal_us",
    "GB": "paypal_uk",
    "DE": "paypal_eu",
    "FR": "paypal_eu",
    "CA": "paypal_ca",
}


async def reminders(chat: Chat) -> dict[str, dict[str, str]]:
    person = await chat.store.load(chat.key.person)
    return {r["slot"]: r for r in person.reminders.values() if r["status"] == "pending"}


async def model(chat: Chat) -> CaseModel:
    return CaseModel(Case.from_json(await chat.record()), chat.clock())


@pytest.mark.parametrize("code", list(PAID_WITH_PAYPAL))
async def test_paying_with_paypal_sets_its_180_days_as_a_reminder(code: str) -> None:
    chat = Chat()
    await confirmed(chat, PAID_WITH_PAYPAL[code])
    case = await model(chat)
    assert case.jurisdiction is not None
    rule = case.jurisdiction.rules[RULES[code]]
    assert rule.days == 180
    [deadline] = [d for d in case_deadlines(case) if d.id == "law_paypal"]
    assert deadline.day == ORDERED + timedelta(days=180)
    assert deadline.rule == rule
    reminder = (await reminders(chat))[SLOT]
    assert reminder["source"] == rule.source
    warned = deadline.warn_at(case.now)
    assert warned.date() == deadline.day - timedelta(days=WARN_DAYS)


async def test_no_paypal_reminder_for_a_card_or_without_an_order_date() -> None:
    card = Chat()
    await confirmed(card, PAID_WITH_PAYPAL["GB"].but(payment="pick:credit_card"))
    assert SLOT not in await reminders(card)
    undated = Chat()
    await confirmed(undated, PAID_WITH_PAYPAL["GB"].but(order_date=""))
    assert (await facts(undated))["payment"] == "paypal"
    assert SLOT not in await reminders(undated), "180 days from a day not known"


async def test_saying_paypal_on_the_money_back_rung_sets_the_reminder() -> None:
    chat = Chat()
    await at_the_ladder(chat, PAID_WITH_PAYPAL["GB"].but(payment=""))
    assert SLOT not in await reminders(chat)
    await chat.press_option("do:climb_card_dispute")
    await chat.press_option(f"pay:{'paypal'}")
    assert (await facts(chat))[law.PAYMENT] == "paypal"
    assert (await reminders(chat))[SLOT]["source"] == jurisdictions()["GB"].rules[
        "paypal_uk"
    ].source


async def test_the_paypal_reminder_pings_when_it_falls_due() -> None:
    chat = Chat()
    await confirmed(chat, PAID_WITH_PAYPAL["GB"])
    due = (await reminders(chat))[SLOT]["due"]
    pings = Pings()
    async with scheduling(chat, pings) as running:
        before = len(pings.sent)
        await running.at(days=(date.fromisoformat(due[:10]) - chat.clock.now.date()).days + 1)
        assert len(pings.sent) > before
    person = await chat.store.load(chat.key.person)
    [sent] = [r for r in person.reminders.values() if r["slot"] == SLOT]
    assert sent["status"] == "sent"
