"""Order numbers: Amazon's three groups of digits, or any shop's reference."""

from __future__ import annotations

import re

from flows.parsers.common import ParseError, _tidy, _without_lead, _words

_AMAZON_EXAMPLE = "in three groups, like 112-3456789-0123456."
_AMAZON_UNREAD = (
    f"That doesn't look like an Amazon order number. It has 17 digits {_AMAZON_EXAMPLE}"
)
_ORDER_UNREAD = (
    "That doesn't look like an order number. It's 3 to 40 letters or digits "
    "(dashes, dots and slashes are fine), like W123-4567."
)
_ORDER_LABEL = re.compile(r"(?:(?:amazon )?order(?: ?(?:number|no|nr|id))?\.?:? ?)?#? ?")
_DASHES = r"[ .\-\u2010-\u2015\u2212]+"
_AMAZON_ORDER = re.compile(rf"(\d{{3}}){_DASHES}(\d{{7}}){_DASHES}(\d{{7}})|(\d{{17}})", re.ASCII)
_ORDER_PUNCTUATION = frozenset("-_#/. ")


def parse_order_number(text: str, amazon: bool) -> str:
    """An Amazon order number in its canonical form, or another shop's as the person wrote it.

    Amazon numbers arrive with spaces, dots or typographic dashes from copy-paste and
    phone keyboards; they are stored one way so that cases can be matched.
    """
    if not amazon:
        number = _tidy(text, _ORDER_UNREAD)
        if (
            3 <= len(number) <= 40
            and any(char.isalnum() for char in number)
            and all(char.isalnum() or char in _ORDER_PUNCTUATION for char in number)
        ):
            return number
        raise ParseError(_ORDER_UNREAD)
    words = _words(text, _AMAZON_UNREAD)
    number = _without_lead(_ORDER_LABEL, words)
    found = _AMAZON_ORDER.fullmatch(number)
    if found:
        digits = found[4] or "".join(found.group(1, 2, 3))
        return f"{digits[:3]}-{digits[3:10]}-{digits[10:]}"
    count = sum(char.isdigit() for char in number)
    if count in (0, 17):
        raise ParseError(_AMAZON_UNREAD)
    raise ParseError(
        f"I count {count} digit{'' if count == 1 else 's'} there, but an Amazon order number "
        f"has 17, {_AMAZON_EXAMPLE}"
    )
