"""Amazon's own rules where the person bought: an order on amazon.co.uk, amazon.de or
amazon.ca is told that storefront's A-to-z Guarantee and return window, each citing that
storefront's own page, and no amazon.com page; amazon.ca's 48 hours with the seller are
counted as calendar days, amazon.com's 2 business days as business days.

Checked by structure: the source addresses in what the person reads, the stored reminders'
sources and slots, and the guarantee's blocker ids."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows.case import CaseModel
from flows.playbook import load_playbook
from flows.records import Case
from tests.chat import Chat, Story, at_case_menu, log_contact
from tests.test_law_flow import at_the_ladder, climb, said

AMAZON = load_playbook("amazon")
STORIES = {
    "amazon.co.uk": Story(merchant="amazon.co.uk", amount="£40"),
    "amazon.de": Story(merchant="amazon.de", amount="40 €", order_number="302-1234567-1234567"),
    "amazon.ca": Story(merchant="amazon.ca", amount="C$40", order_number="701-1234567-1234567"),
}
"""A damaged kettle from a third-party seller who shipped it, on each storefront."""


def amazon_com_sources(site: str) -> set[str]:
    """The amazon.com pages of the rules that storefront states for itself."""
    return {AMAZON.rules[rule_id].source for rule_id in AMAZON.storefronts[site].rules}


async def reminder_sources(chat: Chat) -> dict[str, str]:
    person = await chat.store.load(chat.key.person)
    return {r["slot"]: r["source"] for r in person.reminders.values() if r["status"] == "pending"}


@pytest.mark.parametrize("site", list(STORIES))
async def test_a_storefronts_case_cites_its_own_a_to_z_and_return_pages(site: str) -> None:
    own = AMAZON.storefronts[site].rules
    chat = Chat()
    await at_the_ladder(chat, STORIES[site])
    assert (await chat.record())["facts"]["merchant"]["storefront"] == site

    await chat.say("/escalate")  # the seller's wait is over: the claim can be climbed now
    claim = await climb(chat, "guarantee")
    for rule_id in ("atoz_scope", "atoz_seller_wait", "atoz_claim_window"):
        assert own[rule_id].source in claim, rule_id
    everything = said(chat)
    assert own["seller_first"].source in everything, "the contact step's rule"
    assert not {source for source in amazon_com_sources(site) if source in everything}
    assert "https://www.amazon.com/" not in everything

    # The warnings before the windows close cite the storefront's pages too.
    sources = await reminder_sources(chat)
    assert sources["deadline:return_window"] == own["return_window"].source
    assert sources["deadline:guarantee_close"] == own["atoz_claim_window"].source


@pytest.mark.parametrize("site", list(STORIES))
async def test_a_storefronts_figures_decide_its_windows(site: str) -> None:
    """The claim window and the return window are counted with the storefront's days."""
    chat = Chat()
    await at_the_ladder(chat, STORIES[site])
    model = CaseModel(Case.from_json(await chat.record()), chat.clock())
    own = AMAZON.storefronts[site].rules
    assert model.rules["atoz_claim_window"] == own["atoz_claim_window"]
    window = model.guarantee_window()
    delivered = model.fact_date("delivery_date")
    assert window is not None and delivered is not None
    assert (window[1] - delivered).days == own["atoz_claim_window"].days


async def case_blockers(chat: Chat) -> list[str]:
    model = CaseModel(Case.from_json(await chat.record()), chat.clock())
    return [blocker.id for blocker in model.guarantee_blockers()]


async def test_amazon_ca_counts_its_48_hours_with_the_seller_as_calendar_days() -> None:
    """A message to the seller on Fri 13 Nov: on amazon.ca the claim opens Sun 15 Nov (48
    hours), where amazon.com's 2 business days wait for Tue 17 Nov."""
    waits = {}
    for site, story in (("amazon.ca", STORIES["amazon.ca"]), ("amazon.com", Story())):
        chat = Chat()
        await at_case_menu(chat, story)
        chat.clock.advance(days=2)  # Fri 13 Nov
        await log_contact(chat, "pick:no_progress", channel="pick:seller_message")
        opened = None
        for day in range(1, 6):
            chat.clock.now = datetime(2026, 11, 13 + day, 15, tzinfo=UTC)
            if "seller_wait" not in await case_blockers(chat):
                opened = chat.clock.now.date().day
                break
        waits[site] = opened
    assert AMAZON.storefronts["amazon.ca"].rules["atoz_seller_wait"].business_days is False
    assert waits == {"amazon.ca": 15, "amazon.com": 17}
