"""Answers found inside ordinary sentences: an order number, a day, an amount.

People answer "Order #116-4408837-1190256 😀", "got it on the 3rd, I think" or "about $50".
The strict parsers in `flows.parsers` read a bare answer; the finders here look for one
inside a sentence when that fails. A finder never guesses between two readings: it
returns every reading it found ("$49.99 plus $5 shipping" gives $49.99, $5.00 and
$54.99), and the dialogue asks which one was meant.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from flows import parsers
from flows.facts import CaseFacts, Fact, storefront
from flows.parsers.orders import OrderNumberShape
from flows.storefronts import numbered_in

MAX_OPTIONS = 4
"""More readings than this are not offered as buttons: the person is asked again instead."""


@dataclass(frozen=True, slots=True)
class Reading:
    """What a text says for one fact: one value, or the values to choose between.

    Values are stored as the fact stores them: ISO dates, `Money.to_json()`, strings.
    """

    fact: str
    options: tuple[Any, ...]

    @property
    def certain(self) -> bool:
        return len(self.options) == 1

    @property
    def value(self) -> Any:
        if not self.certain:
            raise ValueError(f"{self.fact} has {len(self.options)} readings")
        return self.options[0]


def reading(fact: str, found: list[Any]) -> Reading | None:
    """A reading of the distinct values found, in the order found; None when none or too many."""
    distinct: list[Any] = []
    for value in found:
        if value not in distinct:
            distinct.append(value)
    if not distinct or len(distinct) > MAX_OPTIONS:
        return None
    return Reading(fact, tuple(distinct))


def fold(text: str) -> str:
    """Case-folded, look-alikes made plain (fullwidth digits, typographic dashes), invisible
    characters gone and each run of whitespace one space: the form the patterns below read."""
    kept = (
        "-" if unicodedata.category(char) == "Pd" or char == "\u2212" else char
        for char in unicodedata.normalize("NFKC", text)
        if unicodedata.category(char) != "Cf"
    )
    return " ".join("".join(kept).casefold().split())


# --- order numbers -------------------------------------------------------------------------

_LABEL = re.compile(
    r"(?:order|bestellung|bestellnummer)(?: ?(?:number|no\.?|nr\.?|id|#))?[:.]? ?#? ?"
    r"([a-z0-9][a-z0-9/._-]{1,38}[a-z0-9])|#([a-z0-9][a-z0-9/._-]{1,38}[a-z0-9])"
)
_TOKEN = re.compile(r"(?<![\w/.-])([a-z0-9][a-z0-9/._-]{1,38}[a-z0-9])(?![\w/-])")


def find_order_number(text: str, shape: OrderNumberShape | None = None) -> Reading | None:
    """An order number inside a message: in the shop's shape anywhere (Amazon's 3-7-7
    digits), or for a shop without one a known shop's shape, a number after an "order"
    label, or the only word with a digit in it."""
    words = fold(text)[:2000]
    if shape is not None:
        whole = shape.compiled()
        inside = re.compile(rf"(?<![\w-])(?:{whole.pattern})(?![\w-])", whole.flags)
        found = [
            "-".join(match.groups()) if shape.groups else match[0].upper()
            for match in inside.finditer(words)
        ]
        return reading("order_number", found)
    for shop in numbered_in(words):
        if shop.order_number:
            shaped = shop.order_number.in_text().finditer(words)
            return reading("order_number", [number[0].upper() for number in shaped])
    labelled = [a or b for a, b in _LABEL.findall(words) if any(c.isdigit() for c in a or b)]
    if labelled:
        return reading("order_number", [number.upper() for number in labelled])
    tokens = [t for t in _TOKEN.findall(words) if any(c.isdigit() for c in t)]
    return reading("order_number", [token.upper() for token in tokens])


# --- days ----------------------------------------------------------------------------------

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ORD = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:,? \d{4})?"
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_SHORT_WEEKDAY = r"(?:mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)\.?"
_COUNT = r"(?:\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|a couple of)"
_DAY_SPAN = re.compile(
    "(?<![\\w$€£])(?:"
    r"(?P<iso>\d{4}[-/.]\d{1,2}[-/.]\d{1,2})"
    r"|(?P<numeric>\d{1,2}[/-]\d{1,2}(?:[/-](?:\d{4}|\d{2}))?|\d{1,2}\.\d{1,2}\.(?:\d{4}|\d{2})?)"
    rf"|(?P<named>(?:the )?{_ORD} (?:of )?{_MONTH}{_YEAR}|{_MONTH} (?:the )?{_ORD}{_YEAR})"
    rf"|(?P<weekday>(?:(?:last|this|next|on) )?{_WEEKDAY}|(?:last|next) {_SHORT_WEEKDAY})"
    r"|(?P<relative>today|yesterday|tomorrow|(?:the )?day before yesterday)"
    rf"|(?P<ago>{_COUNT} (?:day|week|month)s? ago)"
    r"|(?P<ordinal>(?:the )?(?P<day>\d{1,2})(?:st|nd|rd|th))"
    ")(?![\\w])"
)
_NEAR = timedelta(days=10)
"""A day of the month said alone ('the 3rd') means the one within this of today."""


def _ordinal_days(day: int, today: date, allow_future: bool) -> list[date]:
    """'the 3rd': the latest such day up to today, or with `allow_future` the next one too."""
    if not 1 <= day <= 31:
        return []
    found: list[date] = []
    year, month = today.year, today.month
    for _ in range(3):  # this month, or the one before (or two, for the 31st)
        try:
            candidate = date(year, month, day)
        except ValueError:
            candidate = None
        if candidate and candidate <= today:
            found.append(candidate)
            break
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    if allow_future:
        year, month = today.year, today.month
        for _ in range(3):
            try:
                candidate = date(year, month, day)
            except ValueError:
                candidate = None
            if candidate and candidate > today:
                found.append(candidate)
                break
            year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    near = [candidate for candidate in found if abs(candidate - today) <= _NEAR]
    return near or found


def _numeric_days(span: str, today: date, allow_future: bool) -> list[date]:
    """02/11 is 2 November or February 11: both readings, when both are real days."""
    first, second, *rest = re.split(r"[/.-]", span.rstrip("."))
    readings = []
    for month, day in ((second, first), (first, second)) if "." not in span else ((second, first),):
        text = f"{rest[0] if rest and rest[0] else today.year}-{month}-{day}"
        if rest and len(rest[0]) == 2:
            text = f"20{text}"
        try:
            readings.append(parsers.parse_date(text, today, allow_future=allow_future))
        except parsers.ParseError:
            continue
    return readings


def find_date(text: str, today: date, *, allow_future: bool = False) -> Reading | None:
    """The day a sentence names ('got it on the 3rd', 'last Tuesday I think').

    Raises:
        ParseError: the only day named cannot be the answer (still to come, say).
    """
    words = fold(text)[:2000]
    found: list[date] = []
    refusal: parsers.ParseError | None = None
    for match in _DAY_SPAN.finditer(words):
        span = match[0].removeprefix("the ")
        if match["ordinal"]:
            found += _ordinal_days(int(match["day"]), today, allow_future)
            continue
        if match["numeric"]:
            found += _numeric_days(span, today, allow_future)
            continue
        span = span.replace("a couple of", "two").replace("day before yesterday", "2 days ago")
        try:
            found.append(parsers.parse_date(span, today, allow_future=allow_future))
        except parsers.ParseError as error:
            refusal = refusal or error
    if not found and refusal:
        raise refusal
    return reading("date", [day.isoformat() for day in found])


# --- amounts -------------------------------------------------------------------------------

_SIGN = r"(?:us ?\$|c\$|ca\$|a\$|au\$|\$|€|£|¥|₹)"
_CODE = r"(?:usd|eur|gbp|cad|aud|chf)"
_WORD = r"(?:euros?|dollars?|bucks|pounds?)"
_NUMBER = r"\d{1,3}(?:[,.' ]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_MONEY = re.compile(
    rf"(?<![\w.,])(?:(?P<before>{_SIGN}|{_CODE} ?) ?(?P<n1>{_NUMBER})(?: ?(?:{_CODE}|{_WORD}))?"
    rf"|(?P<n2>{_NUMBER}) ?(?P<after>{_SIGN}|{_CODE}|{_WORD}))(?![\w])"
)
"""An amount with its currency, before or after it, or both ('$5 EUR', refused as two)."""
_BARE = re.compile(rf"(?<![\w.,:/$€£-])(?:{_NUMBER})(?![\w,/:-]|\.\d)")
_JOINED = re.compile(r"^ ?(?:\+|plus|and|with|incl\.?|including)\b| ?\+ ?")
"""Words between two amounts that make their sum a reading too ('$49.99 plus $5 shipping')."""


def _money(span: str, default_currency: str | None) -> parsers.Money | None:
    try:
        return parsers.parse_money(span, default_currency)
    except parsers.ParseError:
        return None


def amounts_in(text: str, default_currency: str | None = None) -> list[parsers.Money]:
    """Every amount written with its currency ('$49.99', '49,99 €', 'EUR 12')."""
    return [money for money, _ in _marked(fold(text), default_currency) if money is not None]


def _marked(
    words: str, default_currency: str | None
) -> list[tuple[parsers.Money | None, tuple[int, int]]]:
    """Each amount written with a currency, None where it cannot be read ('$5 EUR')."""
    return [(_money(match[0], default_currency), match.span()) for match in _MONEY.finditer(words)]


def find_amount(text: str, default_currency: str | None = None) -> Reading | None:
    """An amount inside a sentence ('about $50', 'it was 49,99 € in the end'); several
    amounts give every one of them, and their sum where the words add them up."""
    words = fold(text)[:2000]
    marked = _marked(words, default_currency)
    if any(money is None for money, _ in marked):
        return None  # one of them cannot be read: the parser's reason is the answer
    amounts = [money for money, _ in marked if money is not None]
    ends = [span for _, span in marked]
    if not marked:
        bare = [_money(match[0], default_currency) for match in _BARE.finditer(words)]
        amounts = [money for money in bare if money is not None]
    options = [money.to_json() for money in amounts]
    joined = all(_JOINED.match(words[left[1] : right[0]]) for left, right in pairwise(ends))
    currencies = {money.currency for money in amounts}
    if len(amounts) > 1 and len(ends) == len(amounts) and joined and len(currencies) == 1:
        total = sum((money.amount for money in amounts), Decimal(0))
        options.append(parsers.Money(total, currencies.pop()).to_json())
    return reading("amount", options)


# --- for a question ------------------------------------------------------------------------


def as_text(fact: str, value: Any) -> str:
    """A found value written the way the fact's own parser reads it back (and checks it)."""
    if fact == "amount":
        return f"{value['amount']} {value['currency'] or ''}".strip()
    if fact == "merchant":
        return str(value.get("storefront") or value["name"])
    return str(value)


def found_inside(fact: Fact, text: str, facts: CaseFacts) -> list[tuple[str, Any]]:
    """The readings of an answer to `fact` found inside `text`, each as (text, stored value)
    once the fact's own parser has accepted it; empty when there is none to find."""
    front = storefront(facts.values)
    finders = {
        "order_number": lambda: find_order_number(text, facts.playbook.order_number),
        "order_date": lambda: find_date(text, facts.today),
        "when": lambda: find_date(text, facts.today),
        "delivery_date": lambda: find_date(text, facts.today, allow_future=True),
        "amount": lambda: find_amount(text, front.currency if front else None),
    }
    finder = finders.get(fact.id)
    try:
        found = finder() if finder else None
    except parsers.ParseError:  # the day named is still to come: the parser's reason stands
        return []
    return valid(
        fact, [as_text(fact.id, option) for option in found.options] if found else [], facts
    )


def valid(fact: Fact, texts: list[str], facts: CaseFacts) -> list[tuple[str, Any]]:
    """The texts the fact's parser accepts, with what it stores for each."""
    accepted = []
    for text in texts:
        try:
            accepted.append((text, fact.parse(text, facts)))
        except parsers.ParseError:
            continue
    return accepted
