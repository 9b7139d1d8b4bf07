"""A shop's storefront as its playbook describes it, the links a playbook's texts take
from it, and the checks a type cannot make (addresses, ISO codes, CLDR locales)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from babel import Locale, UnknownLocaleError
from babel.numbers import is_currency

from flows.rules import Rule
from flows.schema import SchemaError

LINKS = ("site", "help", "contact")
"""What a channel's `how` or a problem's self-service link may name as `{site}`, `{help}`
or `{contact}`: filled from the storefront the person bought on (amazon.co.uk's pages for
an order there), else the playbook's first."""
_LINK = re.compile(r"\{(\w*)\}")
_ADDRESS = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_CODE = {"country": re.compile(r"[A-Z]{2}"), "currency": re.compile(r"[A-Z]{3}")}


@dataclass(frozen=True, slots=True)
class Storefront:
    """One shop's site in one country: where the person bought (amazon.co.uk, not just
    Amazon). It decides the currency a bare '$' or '€' means, how amounts are written, the
    help pages linked and, with its country, which country's rules apply."""

    id: str
    """Its address without 'www.' (amazon.co.uk), as a link or a sender names it."""
    country: str
    """ISO 3166 code of its country."""
    currency: str
    """ISO 4217 code of what it charges in."""
    locale: str
    """How amounts are written there, as a CLDR locale (en_GB, de_DE)."""
    checked: date
    """When its links were last checked."""
    help: str = ""
    """Its customer help pages."""
    contact: str = ""
    """Its contact page, where chat, a call or an email is asked for."""
    unconfirmed: str = ""
    """Empty when its links were found among stored public pages on `checked`; else which
    could not be, and where they come from."""
    order_prefixes: tuple[str, ...] = ()
    """How its order numbers begin, where that tells the storefront (an Amazon order's
    first digit): a hint for the country of a case (flows/country.py), never a stated rule."""
    rules: Mapping[str, Rule] = field(default_factory=dict, compare=False)
    """The shop's own rules as this storefront states them, each with its own page, in
    place of the playbook's of the same id for an order bought here (amazon.de's A-to-z
    page and its figures, not amazon.com's)."""
    shop: str = field(default="", compare=False, metadata={"derived": True})
    """The playbook's id (filled in by the loader)."""
    name: str = field(default="", compare=False, metadata={"derived": True})
    """The shop's name (filled in by the loader)."""

    def link(self, name: str) -> str:
        return self.id if name == "site" else str(getattr(self, name))


def fill_links(text: str, front: Storefront) -> str:
    """`text` with each `{site}`, `{help}` or `{contact}` filled from `front`."""
    return _LINK.sub(lambda found: front.link(found[1]), text)


def check_storefront(front: Storefront, where: str) -> None:
    """Named by its address, with ISO country and currency codes and a locale CLDR knows."""
    key = f"storefronts.{front.id}"
    if not _ADDRESS.fullmatch(front.id):
        raise SchemaError(where, key, "name it by its address, like shop.co.uk")
    for part, shape in _CODE.items():
        if not shape.fullmatch(getattr(front, part)):
            raise SchemaError(where, f"{key}.{part}", f"expected an ISO {part} code")
    if not is_currency(front.currency):
        raise SchemaError(where, f"{key}.currency", "not a known currency")
    try:
        Locale.parse(front.locale)
    except (ValueError, UnknownLocaleError):
        raise SchemaError(
            where, f"{key}.locale", "not a known locale (like en_GB, de_DE)"
        ) from None


def check_links(texts: Sequence[tuple[str, str]], fronts: Sequence[Storefront], where: str) -> None:
    """Every `{link}` in the (key, text) pairs is one of `LINKS`, and each storefront has it."""
    for key, text in texts:
        for name in _LINK.findall(text):
            if name not in LINKS:
                raise SchemaError(where, key, f"'{{{name}}}' is not one of {', '.join(LINKS)}")
            if not fronts:
                raise SchemaError(where, key, f"'{{{name}}}' needs [storefronts]")
            for front in fronts:
                if not front.link(name):
                    raise SchemaError(
                        where, f"storefronts.{front.id}.{name}", f"missing ({key} links it)"
                    )
