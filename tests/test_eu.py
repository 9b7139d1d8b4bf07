"""Bought anywhere in the EU: an order on amazon.fr, amazon.it, amazon.es or amazon.nl is
placed in its country (FR, IT, ES, NL), which the EU's file serves (flows/jurisdictions/
eu.toml): the EU's 14 days to withdraw and 2-year guarantee as deadlines, its money-back
routes and the European Consumer Centres, and none of Germany's own bodies (de.toml adds
those, within the EU) nor a US rule. A € amount alone points to the EU, not to Germany.

Checked by structure: the stored country fact, reminder slots, rule sources in what the
person reads, the review's country value."""

from __future__ import annotations

import pytest

from flows.country import inferred_country
from flows.facts import FACTS, display
from flows.jurisdiction import by_site, country_name, jurisdiction_for, jurisdictions
from flows.playbook import load_playbook
from tests.chat import Chat, Story
from tests.test_law_flow import at_the_ladder, climb, facts, pending_slots, said, sources

EU_STOREFRONTS = {"amazon.fr": "FR", "amazon.it": "IT", "amazon.es": "ES", "amazon.nl": "NL"}


@pytest.mark.parametrize(("site", "code"), EU_STOREFRONTS.items())
async def test_an_order_on_an_eu_storefront_gets_the_eu_s_rules(site: str, code: str) -> None:
    chat = Chat()
    await at_the_ladder(chat, Story(merchant=site, amount="49,99 €", payment="pick:debit_card"))
    stored = await facts(chat)
    assert stored["merchant"]["storefront"] == site
    assert stored["country"] == {"code": code, "from": "storefront"}
    assert {"deadline:law_withdrawal", "deadline:law_legal_guarantee"} <= await pending_slots(chat)

    eu = jurisdictions()["EU"].rules
    money_back = await climb(chat, "card_dispute")
    assert eu["chargeback_eu"].source in money_back
    last = await climb(chat, "agency")
    for rule_id in ("ecc_net", "eu_small_claims"):
        assert eu[rule_id].source in last, rule_id
    germany = jurisdictions()["DE"].rules["schlichtung_de"].source
    everything = said(chat)
    assert germany not in everything, "Germany's arbitration board is Germany's"
    assert not {source for source in sources("US") if source in everything}


async def test_an_order_on_amazon_de_gets_the_eu_s_rules_and_germany_s_own() -> None:
    chat = Chat()
    await at_the_ladder(
        chat, Story(merchant="amazon.de", amount="49,99 €", payment="pick:debit_card")
    )
    assert (await facts(chat))["country"] == {"code": "DE", "from": "storefront"}
    assert {"deadline:law_withdrawal", "deadline:law_legal_guarantee"} <= await pending_slots(chat)
    last = await climb(chat, "agency")
    de = jurisdictions()["DE"].rules
    for rule_id in ("ecc_net", "schlichtung_de", "eu_small_claims"):
        assert de[rule_id].source in last, rule_id


def test_germany_s_file_adds_to_the_eu_s() -> None:
    eu, de = jurisdictions()["EU"], jurisdictions()["DE"]
    assert de.country.within == "EU" and de.country.currency == eu.country.currency
    assert set(eu.rules) < set(de.rules) and set(eu.rights) == set(de.rights)
    assert set(de.last_rungs) == {*eu.last_rungs, "arbitration"}
    assert "schlichtung_de" not in eu.rules
    for code in EU_STOREFRONTS.values():
        assert jurisdiction_for(code) == eu, code
    assert jurisdiction_for("DE") == de
    assert jurisdiction_for("CH") is None, "not a member"


def test_a_euro_amount_or_an_eu_address_points_to_the_eu() -> None:
    amazon = load_playbook("amazon")
    euros = {
        "merchant": {"playbook": "amazon", "name": "Amazon"},
        "amount": {"amount": "20", "currency": "EUR"},
    }
    assert inferred_country(euros, amazon) == ("EU", "currency")
    assert by_site("fnac.fr") == "EU" and by_site("bol.nl") == "EU"
    assert by_site("otto.de") == "DE"


def test_the_review_names_a_member_state_by_its_name() -> None:
    country = next(fact for fact in FACTS if fact.id == "country")
    amazon = load_playbook("amazon")
    for code in EU_STOREFRONTS.values():
        shown = display(country, {"code": code, "from": "storefront"}, amazon, "en_US").plain()
        assert shown == country_name(code) != code
    assert country_name("DE") == jurisdictions()["DE"].country.name
