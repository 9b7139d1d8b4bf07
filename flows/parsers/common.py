"""What every parser shares: the refusal (`ParseError`), the limits on input, and the
folding of look-alike input into the plain form the small grammars read."""

from __future__ import annotations

import re
import unicodedata

MAX_TEXT = 1000
"""Characters kept for a free-text fact."""

_MAX_SHORT = 200
"""No date, amount or order number is longer; longer input is refused before any regex runs."""


class ParseError(ValueError):
    """What the person typed cannot be used; str(err) / err.message is the reply to show,
    `reason` why as an id that stays when the words change (`date.future`)."""

    message: str
    reason: str

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


def _tidy(text: str, refusal: str, reason: str) -> str:
    """Fold look-alike input into the plain form the small, strict grammars below expect.

    NFKC turns fullwidth characters into ASCII, invisible format characters (zero-width
    spaces, direction marks) go, digits of any script become 0-9 and whitespace runs
    become one space.
    """
    if len(text) > _MAX_SHORT:
        raise ParseError(refusal, reason)
    kept = (
        str(unicodedata.decimal(char)) if char.isdecimal() else char
        for char in unicodedata.normalize("NFKC", text)
        if unicodedata.category(char) != "Cf"
    )
    return " ".join("".join(kept).split())


def _words(text: str, refusal: str, reason: str) -> str:
    """`_tidy`, case-folded and without closing punctuation: the form keyword grammars read."""
    words = _tidy(text, refusal, reason).casefold().rstrip(".!?,;: ")
    if not words:
        raise ParseError(refusal, reason)
    return words


def _without_lead(lead: re.Pattern[str], words: str) -> str:
    """`words` after the optional lead-in `lead` matches at their start ('order #', 'on the')."""
    found = lead.match(words)
    return words[found.end() :] if found else words
