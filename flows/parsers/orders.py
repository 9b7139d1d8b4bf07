"""Order numbers: in the shape a shop's playbook gives (Amazon's three groups of digits,
Best Buy's BBY01-…), or any shop's reference as written."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from flows.parsers.common import ParseError, _tidy, _without_lead, _words

_ORDER_UNREAD = (
    "That doesn't look like an order number. It's 3 to 40 letters or digits "
    "(dashes, dots and slashes are fine), like W123-4567."
)
_ORDER_LABEL = re.compile(r"(?:(?:[a-z]+ )?order(?: ?(?:number|no|nr|id))?\.?:? ?)?#? ?")
_DASHES = r"[ .\-\u2010-\u2015\u2212]*"
_ORDER_PUNCTUATION = frozenset("-_#/. ")
_COUNTS = {2: "two", 3: "three", 4: "four"}


@dataclass(frozen=True, slots=True)
class OrderNumberShape:
    """How one shop writes its order numbers: a playbook's `[order_number]` table."""

    example: str
    """One made-up number in the shape, shown when a typed one does not fit."""
    groups: tuple[int, ...] = ()
    """Its digits in groups (Amazon: 3, 7, 7), typed with any separators or none and
    stored with dashes, so that cases can be matched."""
    pattern: str = ""
    """Otherwise a regular expression the whole number matches (letters in any case)."""
    labelled_only: bool = False
    """Its numbers are plain runs of digits a phone or tracking number could be: in a
    pasted text, taken only on a line with an 'Order' label."""

    def compiled(self) -> re.Pattern[str]:
        if self.groups:
            parts = _DASHES.join(rf"(\d{{{size}}})" for size in self.groups)
            return re.compile(parts, re.ASCII)
        return re.compile(self.pattern, re.IGNORECASE)

    def in_text(self) -> re.Pattern[str]:
        """Its numbers inside a longer text, written as the shop writes them (grouped digits
        with their dashes, so that a phone number is not taken for one)."""
        grouped = "-".join(rf"\d{{{size}}}" for size in self.groups)
        return _inside(grouped or self.pattern)


@cache
def _inside(whole: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-])(?:{whole})(?![\w-])", re.IGNORECASE)


@cache
def _compiled(shape: OrderNumberShape) -> re.Pattern[str]:
    """Each shape compiled once (a playbook's shape is frozen, so it can be a key)."""
    return shape.compiled()


def _article(word: str) -> str:
    return "an" if word[:1].casefold() in "aeiou" else "a"


def parse_order_number(text: str, shape: OrderNumberShape | None = None, shop: str = "") -> str:
    """An order number in the shop's shape (grouped digits stored one way), or, for a
    shop without one, as the person wrote it.

    Numbers arrive with spaces, dots or typographic dashes from copy-paste and phone
    keyboards, and after an "Order #" label.
    """
    if shape is None:
        number = _tidy(text, _ORDER_UNREAD, "order.unread")
        if (
            3 <= len(number) <= 40
            and any(char.isalnum() for char in number)
            and all(char.isalnum() or char in _ORDER_PUNCTUATION for char in number)
        ):
            return number
        raise ParseError(_ORDER_UNREAD, "order.unread")
    named = f"{_article(shop)} {shop} order number"
    digits = sum(shape.groups)
    groups = _COUNTS.get(len(shape.groups), str(len(shape.groups)))
    grouped = f"in {groups} groups, like {shape.example}."
    like = (
        f"It has {digits} digits {grouped}" if shape.groups else f"It looks like {shape.example}."
    )
    unread = f"That doesn't look like {named}. {like}"
    number = _without_lead(_ORDER_LABEL, _words(text, unread, "order.unread"))
    found = _compiled(shape).fullmatch(number)
    if found and shape.groups:
        return "-".join(found.groups())
    if found:
        return number.upper()
    count = sum(char.isdigit() for char in number)
    if not shape.groups or count in (0, sum(shape.groups)):
        raise ParseError(unread, "order.unread")
    raise ParseError(
        f"I count {count} digit{'' if count == 1 else 's'} there, but {named} has {digits}, {grouped}",
        "order.digits",
    )
