"""Neutral rich text: what the bot says, before any platform renders it.

Bot sentences are written as templates with a tiny markup (`**bold**`, `_italic_`,
`` `code` ``) and `{name}` placeholders. Values given for placeholders (anything a
person typed) are inserted verbatim as their own spans and never parsed as markup,
so an adapter only has to escape each span for its platform.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum


class Style(StrEnum):
    PLAIN = "plain"
    BOLD = "bold"
    ITALIC = "italic"
    CODE = "code"


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    style: Style = Style.PLAIN


@dataclass(frozen=True, slots=True)
class RichText:
    """A run of styled spans; newlines inside spans separate lines and paragraphs."""

    spans: tuple[Span, ...] = ()

    def plain(self) -> str:
        return "".join(span.text for span in self.spans)

    def lines(self) -> list[list[Span]]:
        """The spans cut at newlines, one list a line (so no style crosses a line)."""
        lines: list[list[Span]] = [[]]
        for span in self.spans:
            first, *rest = span.text.split("\n")
            if first:
                lines[-1].append(Span(first, span.style))
            for part in rest:
                lines.append([Span(part, span.style)] if part else [])
        return lines

    def __bool__(self) -> bool:
        return any(span.text for span in self.spans)


_MARKUP = re.compile(r"\*\*(.+?)\*\*|(?<!\w)_(.+?)_(?!\w)|`(.+?)`", re.DOTALL)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def rich(template: str, **values: str | RichText) -> RichText:
    """Render a bot-written template into spans, inserting `values` verbatim.

    Args:
        template: text written by us, with `**bold**`, `_italic_`, `` `code` `` and
            `{name}` placeholders.
        values: the placeholders' values; plain strings keep the style of the markup
            around them, `RichText` values keep their own spans.

    Raises:
        KeyError: a placeholder has no value (a bug in the template, not user input).
    """
    spans: list[Span] = []
    for piece in _pieces(template):
        if isinstance(piece, Span):
            spans.append(piece)
            continue
        name, style = piece
        value = values[name]
        if isinstance(value, RichText):
            spans.extend(value.spans)
        elif value:
            spans.append(Span(value, style))
    return RichText(tuple(spans))


@functools.lru_cache(maxsize=2048)
def _pieces(template: str) -> tuple[Span | tuple[str, Style], ...]:
    """A template parsed once: its literal spans, and (name, style) where a value goes.

    Templates are the bot's own few hundred sentences; parsing each on every turn was
    most of the time a turn spent rendering text.
    """
    pieces: list[Span | tuple[str, Style]] = []
    position = 0
    for match in _MARKUP.finditer(template):
        _split(template[position : match.start()], Style.PLAIN, pieces)
        bold, italic, code = match.groups()
        if bold is not None:
            _split(bold, Style.BOLD, pieces)
        elif italic is not None:
            _split(italic, Style.ITALIC, pieces)
        else:
            _split(code, Style.CODE, pieces)
        position = match.end()
    _split(template[position:], Style.PLAIN, pieces)
    return tuple(pieces)


def _split(chunk: str, style: Style, out: list[Span | tuple[str, Style]]) -> None:
    position = 0
    for match in _PLACEHOLDER.finditer(chunk):
        if match.start() > position:
            out.append(Span(chunk[position : match.start()], style))
        out.append((match.group(1), style))
        position = match.end()
    if position < len(chunk):
        out.append(Span(chunk[position:], style))


def plain(text: str) -> RichText:
    """Text shown exactly as given (a person's own words)."""
    return RichText((Span(text),))


def join(parts: list[RichText], separator: str = "\n") -> RichText:
    """Join rich texts with a plain separator, skipping empty parts."""
    spans: list[Span] = []
    for part in (p for p in parts if p):
        if spans:
            spans.append(Span(separator))
        spans.extend(part.spans)
    return RichText(tuple(spans))
