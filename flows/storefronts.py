"""The shops and storefronts a pasted order text can come from, as the playbooks in use
describe them (their `[storefronts]`, `in_emails` and `[order_number]`).

A storefront is where the person bought (amazon.co.uk, not just Amazon). A shop's
order numbers have a shape of their own; a number in that shape anywhere in a text is
taken, while a shape that could be a phone or tracking number (`labelled_only`) is taken
only after an "Order" label. An operator's own playbook takes part like a packaged one.
"""

from __future__ import annotations

import re
from functools import cache

from flows.playbook import GENERIC, Playbook, playbooks
from flows.sites import Storefront


def shops() -> tuple[Playbook, ...]:
    """The playbooks of named shops (not the generic one), in the order they are scanned."""
    return tuple(playbook for playbook in playbooks().values() if playbook.id != GENERIC)


def storefronts() -> dict[str, Storefront]:
    """Every shop's storefronts, by address."""
    return {front.id: front for shop in shops() for front in shop.storefronts.values()}


def sites(text: str) -> list[Storefront]:
    """The storefronts whose address a text holds: in a link, a sender
    ('auto-confirm@amazon.co.uk') or a sign-off, in the order they come."""
    known = storefronts()
    return [known[found[0].casefold()] for found in _sites(tuple(known)).finditer(text)]


@cache
def _sites(addresses: tuple[str, ...]) -> re.Pattern[str]:
    longest = sorted(addresses, key=len, reverse=True)  # amazon.com.au before amazon.com
    spelled = "|".join(map(re.escape, longest)) or r"(?!)"
    return re.compile(rf"(?<![\w-])(?:{spelled})(?![\w-])(?!\.\w)", re.IGNORECASE)


def by_currency(shop: Playbook, currency: str) -> Storefront | None:
    """The shop's storefront that charges in `currency`, if exactly one does."""
    found = [front for front in shop.storefronts.values() if front.currency == currency]
    return found[0] if len(found) == 1 else None


def by_language(shop: Playbook, language: str) -> Storefront | None:
    """The shop's storefront that writes in `language` ('de': amazon.de), if exactly one does."""
    found = [f for f in shop.storefronts.values() if f.locale.split("_")[0] == language]
    return found[0] if len(found) == 1 else None


def named_in(text: str) -> list[Playbook]:
    """The shops a text names, as their emails write their names."""
    return [shop for shop in shops() if shop.merchant.named_in(text)]


def numbered_in(text: str) -> list[Playbook]:
    """The shops with an order number in their own, unmistakable shape in a text."""
    return [
        shop
        for shop in shops()
        if shop.order_number
        and not shop.order_number.labelled_only
        and shop.order_number.in_text().search(text)
    ]


def fulfilled_by(text: str) -> bool:
    """Whether a text says a marketplace shipped a seller's item ('Fulfilled by Amazon')."""
    names = tuple(
        name
        for shop in shops()
        if "third_party_fba" in shop.sellers
        for name in (shop.merchant.in_emails or (shop.name,))
    )
    return bool(names) and bool(_fulfilled(names).search(text))


@cache
def _fulfilled(names: tuple[str, ...]) -> re.Pattern[str]:
    spelled = "|".join(map(re.escape, names))
    return re.compile(
        rf"\b(?:fulfilled by|ships from|shipped by|versand durch) ?:? ?(?:{spelled})\b",
        re.IGNORECASE,
    )
