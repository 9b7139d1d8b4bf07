"""Free text: what a person wrote in their own words, kept safe to show and store."""

from __future__ import annotations

import re
import unicodedata

from flows.parsers.common import MAX_TEXT, ParseError

_TEXT_EMPTY = "I didn't catch any words there. Could you tell me in a sentence?"
_TEXT_SHORT = "Could you tell me a little more? A sentence or two is plenty."
_INVISIBLE = frozenset("\u200b\u2060\ufeff")  # zero-width space, word joiner, byte order mark
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Embeddings, overrides and isolates: U+202E can make a script read backwards. The
marks (U+200E, U+200F) are kept: they only hint the direction of Hebrew or Arabic text."""


def _kept(char: str) -> str:
    """Whitespace becomes a space; control characters and invisible spaces go."""
    if char.isspace():
        return " "
    if char in _INVISIBLE or char in _BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs"):
        return ""
    return char


def parse_text(text: str, *, max_len: int = MAX_TEXT, min_len: int = 1) -> str:
    """A free-text fact, tidied but otherwise as written: markup is escaped where it is shown."""
    lines = (" ".join("".join(map(_kept, line)).split()) for line in text.splitlines())
    tidy = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if all(char.isspace() or unicodedata.category(char) == "Cf" for char in tidy):
        raise ParseError(_TEXT_EMPTY, "text.empty")
    if len(tidy) < min_len:
        raise ParseError(_TEXT_SHORT, "text.short")
    if len(tidy) > max_len:
        raise ParseError(
            f"That's {len(tidy):,} characters, and I can keep up to {max_len:,}. "
            "Could you shorten it a little?",
            "text.too_long",
        )
    return tidy
