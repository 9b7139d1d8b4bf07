"""The shops and storefronts a pasted order text can come from, and how each writes an order.

A storefront is where the person bought (amazon.co.uk, not just Amazon): it decides the
currency a bare "$" or "€" means and, later, which country's rules apply. Each shop's
order numbers have a shape of their own; a number in that shape anywhere in a text is
taken, while a shape that could be a phone or tracking number is taken only after an
"Order" label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Storefront:
    """One shop's site in one country."""

    id: str
    shop: str
    """The shop's id; the playbook of that name applies when there is one."""
    name: str
    country: str
    currency: str


@dataclass(frozen=True, slots=True)
class Shop:
    id: str
    name: str
    names: re.Pattern[str]
    """How the shop's name appears in an email (case matters for 'Target', a common word)."""
    storefronts: tuple[Storefront, ...]
    """The first is the one meant when nothing says which country."""
    order_number: re.Pattern[str]
    """Its order numbers, safe to find anywhere in a text."""
    labelled_only: bool = False
    """Its order numbers are plain digit runs: taken only after an 'Order' label."""


def _fronts(shop: str, name: str, *sites: tuple[str, str, str]) -> tuple[Storefront, ...]:
    return tuple(Storefront(site, shop, name, country, cur) for site, country, cur in sites)


SHOPS: tuple[Shop, ...] = (
    Shop(
        "amazon",
        "Amazon",
        re.compile(r"\bamazon\b", re.IGNORECASE),
        _fronts(
            "amazon",
            "Amazon",
            ("amazon.com", "US", "USD"),
            ("amazon.co.uk", "GB", "GBP"),
            ("amazon.de", "DE", "EUR"),
        ),
        re.compile(r"(?<![\d-])\d{3}-\d{7}-\d{7}(?![\d-])"),
    ),
    Shop(
        "ebay",
        "eBay",
        re.compile(r"\bebay\b", re.IGNORECASE),
        _fronts(
            "ebay",
            "eBay",
            ("ebay.com", "US", "USD"),
            ("ebay.co.uk", "GB", "GBP"),
            ("ebay.de", "DE", "EUR"),
        ),
        re.compile(r"(?<![\d-])\d{2}-\d{5}-\d{5}(?![\d-])"),
    ),
    Shop(
        "walmart",
        "Walmart",
        re.compile(r"\bwalmart\b", re.IGNORECASE),
        _fronts("walmart", "Walmart", ("walmart.com", "US", "USD")),
        re.compile(r"(?<![\d-])\d{7}-\d{8}(?![\d-])|(?<!\d)\d{13,15}(?!\d)"),
        labelled_only=True,
    ),
    Shop(
        "bestbuy",
        "Best Buy",
        re.compile(r"\bbest ?buy\b", re.IGNORECASE),
        _fronts("bestbuy", "Best Buy", ("bestbuy.com", "US", "USD")),
        re.compile(r"\bBBY01-\d{12}\b", re.IGNORECASE),
    ),
    Shop(
        "target",
        "Target",
        re.compile(r"\bTarget\b"),
        _fronts("target", "Target", ("target.com", "US", "USD")),
        re.compile(r"(?<!\d)\d{12,15}(?!\d)"),
        labelled_only=True,
    ),
)
SHOPS_BY_ID = {shop.id: shop for shop in SHOPS}
STOREFRONTS = {front.id: front for shop in SHOPS for front in shop.storefronts}

SITE = re.compile(
    r"\b(amazon|ebay|walmart|bestbuy|target)\.(com|co\.uk|de)\b(?!\.\w)", re.IGNORECASE
)
"""A storefront's address, in a link, a sender ('auto-confirm@amazon.co.uk') or a sign-off."""


def site(match: re.Match[str]) -> Storefront | None:
    """The storefront a `SITE` match names, if it is one we know."""
    return STOREFRONTS.get(f"{match[1].casefold()}.{match[2].casefold()}")


def by_currency(shop: Shop, currency: str) -> Storefront | None:
    """The shop's storefront that charges in `currency`, if exactly one does."""
    found = [front for front in shop.storefronts if front.currency == currency]
    return found[0] if len(found) == 1 else None
