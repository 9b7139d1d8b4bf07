"""Rich text to Telegram HTML: every span escaped, long text split where a person would.

Telegram refuses a message whose text, after entity parsing, runs past 4,096 UTF-16
code units, and any HTML that does not parse. Splitting happens on the neutral spans
before rendering, at line (and so paragraph) boundaries, so no chunk can cut a tag in
two; only a single line longer than the limit is cut inside, and then between spans'
characters, each piece wrapped in its own tags.
"""

from __future__ import annotations

import html

from flows.text import Block, Line, RichText, Span, Style, runs

LIMIT = 4096
_TAGS = {Style.BOLD: "b", Style.ITALIC: "i", Style.CODE: "code"}
_QUOTES = {Block.SAY: "<blockquote>", Block.SPARE: "<blockquote expandable>"}
"""Lines to say as a quote; lines kept for when needed as one folded to a few lines."""


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def render_span(span: Span) -> str:
    escaped = html.escape(span.text, quote=False)
    tag = _TAGS.get(span.style)
    return f"<{tag}>{escaped}</{tag}>" if tag and escaped else escaped


def render(text: RichText) -> str:
    return "".join(render_span(span) for span in text.spans)


def split(text: RichText, limit: int = LIMIT) -> list[str]:
    """HTML chunks, each under `limit` visible units, cut at line boundaries where possible."""
    chunks: list[list[Line]] = [[]]
    size = 0
    for line in _pieces(text.lines(), limit):
        width = sum(units(span.text) for span in line)
        joiner = 1 if chunks[-1] else 0
        if chunks[-1] and size + joiner + width > limit:
            chunks.append([])
            size, joiner = 0, 0
        chunks[-1].append(line)
        size += joiner + width
    rendered = (_render(chunk) for chunk in chunks)
    return [chunk for chunk in (c.strip("\n") for c in rendered) if chunk.strip()]


def _render(lines: list[Line]) -> str:
    """A chunk's lines as HTML, each run of lines to say in one blockquote."""
    out = []
    for block, run in runs(lines):
        body = "\n".join("".join(map(render_span, line)) for line in run)
        quote = _QUOTES.get(block)
        out.append(f"{quote}{body}</blockquote>" if quote and body.strip() else body)
    return "\n".join(out)


def _pieces(lines: list[Line], limit: int) -> list[Line]:
    """Lines as they are, except any longer than `limit`, cut into lines that fit."""
    out: list[Line] = []
    for line in lines:
        if sum(units(span.text) for span in line) <= limit:
            out.append(line)
            continue
        current: Line = []
        room = limit
        for span in line:
            text = span.text
            while text:
                take = fit(text, room)
                if take:
                    current.append(Span(text[:take], span.style, span.block))
                    text = text[take:]
                    room -= units(current[-1].text)
                if text:
                    out.append(current)
                    current, room = [], limit
        out.append(current)
    return out


def fit(text: str, room: int) -> int:
    """How many characters of `text` fit in `room` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > room:
            return index
    return len(text)
