"""Amounts of money as people write them, in any of the usual notations, and `Money`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency, format_decimal

from flows.parsers.common import ParseError, _words

_MONEY_UNREAD = "I couldn't read an amount there. Something like 49.99, $49.99 or 49,99 € works."
_MONEY_NEGATIVE = "That looks like a negative amount. Just the amount itself works, like 49.99."
_MONEY_ZERO = "That comes to zero. What was the amount? For example: 49.99."
_MONEY_TOO_LARGE = (
    "That's over 1,000,000, which is more than an order usually costs. "
    "Could you check the amount? For example: 1,299.00."
)
_MONEY_TWO_CURRENCIES = (
    "I see two different currencies there. One is enough, like $49.99 or 49.99 EUR."
)
_MONEY_CEILING = Decimal(1_000_000)
_CENT = Decimal("0.01")

_DOLLARS = ("USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN")
_ISO_CURRENCIES = (
    *_DOLLARS, "EUR", "GBP", "JPY", "CNY", "INR", "BRL", "CHF", "SEK", "NOK", "DKK",
    "PLN", "CZK", "HUF", "TRY", "AED", "SAR", "EGP", "ZAR", "ILS", "KRW",
)  # fmt: skip
_CURRENCY_MARKERS: dict[str, tuple[str, ...]] = {
    **{code.casefold(): (code,) for code in _ISO_CURRENCIES},
    **dict.fromkeys(("$", "dollar", "dollars", "bucks"), _DOLLARS),
    **dict.fromkeys(("€", "euro", "euros"), ("EUR",)),
    **dict.fromkeys(("£", "pound", "pounds"), ("GBP",)),
    **dict.fromkeys(("zł", "zl"), ("PLN",)),
    **dict.fromkeys(("₹", "rupee", "rupees"), ("INR",)),
    "us$": ("USD",), "c$": ("CAD",), "ca$": ("CAD",), "a$": ("AUD",), "au$": ("AUD",),
    "nz$": ("NZD",), "s$": ("SGD",), "hk$": ("HKD",), "mx$": ("MXN",), "r$": ("BRL",),
    "¥": ("JPY", "CNY"), "yen": ("JPY",), "kr": ("SEK", "NOK", "DKK"), "₺": ("TRY",),
    "₩": ("KRW",), "₪": ("ILS",),
}  # fmt: skip
"""What people write next to an amount, and the currencies each can mean (the first unless
the shop's own currency is among them, so '$' on amazon.ca is Canadian dollars)."""
DEFAULT_LOCALE = "en_US"
"""How amounts are written when nothing says where the person bought."""

_NUMBER = re.compile(r"\d(?:[\d.,' ]*\d)?", re.ASCII)
_GROUP_MARK = re.compile(r"[.,' ]")
_CENTS = re.compile(r"\d{1,2}", re.ASCII)
_FIRST_GROUP = re.compile(r"[1-9]\d{0,2}", re.ASCII)


@dataclass(frozen=True)
class Money:
    """An amount of money; `currency` is an ISO code, or None when nobody said which."""

    amount: Decimal
    currency: str | None

    def to_json(self) -> dict[str, str | None]:
        return {"amount": str(self.amount), "currency": self.currency}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Money:
        return cls(Decimal(str(data["amount"])), data.get("currency"))

    def formatted(self, locale: str = DEFAULT_LOCALE) -> str:
        """As `locale` writes an amount in its currency (CLDR, through Babel): ¥5,000 with
        no decimals, £12.50, 12,50 € in German; no currency, just the number."""
        if self.currency is None:
            return format_decimal(self.amount, format="#,##0.00", locale=locale)
        return format_currency(self.amount, self.currency, locale=locale)

    def __str__(self) -> str:
        return self.formatted()


def _amount(number: str) -> Decimal | None:
    """Read 1,299.00, 1.299,00, 1 299,00, 1'299 or 49,99 the way the writer meant it.

    The last mark is the decimal point unless it is the only kind of mark and it either
    repeats or has exactly three digits after it: then it groups thousands.
    """
    marks = [char for char in number if char in ".,"]
    point = marks[-1] if marks else ""
    if len(set(marks)) == 1 and (len(marks) > 1 or number[-4:-3] == point):
        point = ""
    whole, cents = number.rsplit(point, 1) if point else (number, "00")
    groups = _GROUP_MARK.split(whole)
    grouped = len(groups) == 1 or (
        _FIRST_GROUP.fullmatch(groups[0]) and all(len(group) == 3 for group in groups[1:])
    )
    if not grouped or len(set(_GROUP_MARK.findall(whole))) > 1 or not _CENTS.fullmatch(cents):
        return None
    return Decimal(f"{''.join(groups)}.{cents}")


def _currency(markers: tuple[str, str], default: str | None) -> str | None:
    """The currency the words around an amount agree on ('$ ... CAD' is Canadian), else the shop's."""
    options: tuple[str, ...] | None = None
    for marker in filter(str.strip, markers):
        these = _CURRENCY_MARKERS.get(marker.replace(" ", "").rstrip("."))
        if these is None:
            raise ParseError(_MONEY_UNREAD, "money.unread")
        options = these if options is None else tuple(code for code in options if code in these)
    if options is None:
        return default
    if not options:
        raise ParseError(_MONEY_TWO_CURRENCIES, "money.two_currencies")
    return default if default in options else options[0]


def parse_money(text: str, default_currency: str | None = None) -> Money:
    """An amount the person paid or is owed, in the currency they wrote or else the shop's."""
    words = _words(text, _MONEY_UNREAD, "money.unread")
    found = _NUMBER.search(words)
    if found is None:
        raise ParseError(_MONEY_UNREAD, "money.unread")
    before, after = words[: found.start()], words[found.end() :]
    if any(sign in before for sign in "-\u2212\u2013"):
        raise ParseError(_MONEY_NEGATIVE, "money.negative")
    amount = _amount(found[0])
    if amount is None:
        raise ParseError(_MONEY_UNREAD, "money.unread")
    currency = _currency((before, after), default_currency)
    if not amount:
        raise ParseError(_MONEY_ZERO, "money.zero")
    if amount > _MONEY_CEILING:  # before rounding: Decimal's 28 digits would overflow
        raise ParseError(_MONEY_TOO_LARGE, "money.too_large")
    return Money(amount.quantize(_CENT), currency)
