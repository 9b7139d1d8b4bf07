"""The country of a case: where the customer bought, which decides the law that applies.

Told, in this order, by: the person's own answer (asked once, as a choice); the storefront
a paste or the shop's address named (amazon.co.uk); how the order number begins (an
Amazon order's first digit is its marketplace's, as the playbook's storefronts say); the currency of the amount paid; the end
of the shop's web address (currys.co.uk); a shop that sells in one country only. Nothing
telling, the case has no country and the person is asked where it matters (the ladder).

The answer is stored as the `country` fact, `{"code": "GB", "from": "currency"}`, so a case
file shows what the advice rested on and why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flows import jurisdiction
from flows.facts import storefront
from flows.playbook import GENERIC, Playbook

COUNTRY = "country"
ASKED = "asked"
SOURCES = {
    "storefront": "storefront",
    "order_number": "order number",
    "currency": "currency",
    "site": "shop's web address",
    "shop": "shop",
    ASKED: "answer you gave",
}
"""What told the country, as the review names it."""


def storefront_country(facts: Mapping[str, Any]) -> str | None:
    """The storefront's country, when a paste or the shop's address named the storefront.
    The one place that reads storefront data for the law."""
    front = storefront(dict(facts))
    return front.country if front else None


def order_number_country(facts: Mapping[str, Any], playbook: Playbook) -> str | None:
    """The country of the one storefront whose order numbers begin as this one does
    (the playbook's `order_prefixes`: an Amazon order's first digit)."""
    number = facts.get("order_number")
    if not isinstance(number, str):
        return None
    found = {
        front.country
        for front in playbook.storefronts.values()
        if any(number.startswith(prefix) for prefix in front.order_prefixes)
    }
    return found.pop() if len(found) == 1 else None


def currency_country(facts: Mapping[str, Any]) -> str | None:
    amount = facts.get("amount")
    return jurisdiction.by_currency(amount.get("currency")) if isinstance(amount, dict) else None


def site_country(facts: Mapping[str, Any]) -> str | None:
    """The end of the shop's web address, when the person typed one ('currys.co.uk')."""
    merchant = facts.get("merchant") or {}
    for said in (merchant.get("site"), merchant.get("name")):
        if isinstance(said, str) and "." in said and " " not in said.strip():
            found = jurisdiction.by_site(said)
            if found:
                return found
    return None


def shop_country(playbook: Playbook) -> str | None:
    """A shop with a playbook that sells in one country only (Walmart: the US); an
    operator's local shop without storefronts is in its playbook's country."""
    if playbook.id == GENERIC or len(playbook.storefronts) > 1:
        return None
    front = next(iter(playbook.storefronts.values()), None)
    return front.country if front else playbook.country


def inferred_country(facts: Mapping[str, Any], playbook: Playbook) -> tuple[str, str] | None:
    """The country the facts point to and what pointed there, or None."""
    tellers: tuple[tuple[str, Callable[[], str | None]], ...] = (
        ("storefront", lambda: storefront_country(facts)),
        ("order_number", lambda: order_number_country(facts, playbook)),
        ("currency", lambda: currency_country(facts)),
        ("site", lambda: site_country(facts)),
        ("shop", lambda: shop_country(playbook)),
    )
    for source, teller in tellers:
        code = teller()
        if code:
            return code, source
    return None


def case_country(facts: Mapping[str, Any], playbook: Playbook) -> str | None:
    """The case's country: the person's answer, else what the facts point to."""
    stored = facts.get(COUNTRY)
    if isinstance(stored, dict) and stored.get("from") == ASKED:
        return str(stored["code"])
    inferred = inferred_country(facts, playbook)
    return inferred[0] if inferred else None


def settle_country(facts: dict[str, Any], playbook: Playbook) -> None:
    """Store the country the facts point to (once they are confirmed), unless the person
    chose one; forget a guess the facts no longer support."""
    stored = facts.get(COUNTRY)
    if isinstance(stored, dict) and stored.get("from") == ASKED:
        return
    inferred = inferred_country(facts, playbook)
    if inferred is None:
        facts.pop(COUNTRY, None)
    else:
        facts[COUNTRY] = {"code": inferred[0], "from": inferred[1]}


def asked(code: str) -> dict[str, str]:
    """The fact as stored when the person chose the country."""
    return {"code": code, "from": ASKED}
