"""A long structured message as a Discord embed: the review, the ladder, a script.

The flow's rich text already has structure: a heading is a line all in bold, a labelled
line starts with its label in bold ("**Order number:** 113-…", "**Ask for a supervisor**:
why"). A message with at least `MIN_FIELDS` such lines after its first reads better as
an embed: the first line its title, each heading or label a field, the lines under it
the field's value. Decided from the spans' styles alone, never from the words; the
words are escaped as everywhere (render.markdown).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from adapters.discord_bot.render import (
    GRAVE,
    MAX_EMBEDS,
    MAX_TOTAL,
    Card,
    escape,
    markdown,
    split,
)
from flows.text import Block, RichText, Snippet, Span, Style, line_blocks

MIN_FIELDS = 2
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_NAME = 256
MAX_VALUE = 1024
MAX_FIELDS = 25
BLANK = "\u200b"
"""A field needs a name and a value: a continued or empty one shows this (nothing)."""
_PREFIX = 3
"""Characters before a bold label that still make it a label ("✓ ", "• ")."""
COPY_MARK = "📋 "
FENCE = "```"
_FENCE_LIKE = re.compile(r"`{3,}")
"""Backticks that would end a snippet's code block: each shown as a look-alike instead."""


@dataclass
class _Field:
    name: str
    lines: list[RichText] = field(default_factory=list)


def cards(text: RichText) -> list[Card] | None:
    """The embeds for `text` (several when it is long), or None when it has too little
    structure to be one, or more than a message's embeds can hold."""
    lines = _lines(text)
    while lines and not lines[0]:
        lines.pop(0)
    if not lines:
        return None
    head, *rest = lines
    kinds = [_label(line) for line in rest]
    if sum(kind is not None for kind in kinds) < MIN_FIELDS:
        return None
    title, lead = _label(head) or ("", head)
    description: list[RichText] = [lead] if lead else []
    fields: list[_Field] = []
    for line, found in zip(rest, kinds, strict=True):
        if found is not None:
            name, value = found
            fields.append(_Field(name, [value] if value else []))
        elif fields:
            fields[-1].lines.append(line)
        elif line or description:
            description.append(line)
    return _laid_out(title, _markdown_lines(description), fields)


def note(text: RichText) -> Card | None:
    """`text` as one card of its own (a reminder's ping): its first line the title where
    that is a heading, the rest the description; None when it does not fit one."""
    lines = _lines(text)
    while lines and not lines[0]:
        lines.pop(0)
    heading = _label(lines[0]) if lines else None
    title = ""
    if heading is not None and not heading[1] and len(heading[0]) <= MAX_TITLE:
        title, lines = heading[0], lines[1:]
    description = _markdown_lines(lines)
    if not (title or description) or len(description) > MAX_DESCRIPTION:
        return None
    return Card(title, description)


def copies(snippets: Iterable[Snippet]) -> list[Card]:
    """What a message offers to copy whole (a script's key lines, an email), each in a
    code block (copied as it stands: no quote marks, escapes or markdown in the way), a
    field each, named by its label; one over a field's 1,024 characters goes in numbered
    parts, cut between paragraphs where it can. Several cards where they are many."""
    room = MAX_VALUE - 2 * len(FENCE) - 2
    pairs = []
    for snippet in snippets:
        text = _FENCE_LIKE.sub(lambda run: GRAVE * len(run.group()), snippet.text.strip())
        parts = split(text, room)
        for number, part in enumerate(parts, 1):
            name = COPY_MARK + escape(snippet.label)
            if len(parts) > 1:
                name += f" {number}/{len(parts)}"
            pairs.append((name[:MAX_NAME], f"{FENCE}\n{part}\n{FENCE}"))
    return _filled([Card()], pairs) if pairs else []


def _laid_out(title: str, description: str, fields: list[_Field]) -> list[Card] | None:
    if len(title) > MAX_TITLE:
        title, description = "", f"**{title}**\n{description}"
    if len(description) > MAX_DESCRIPTION:
        return None
    out = _filled([Card(title, description)], [pair for one in fields for pair in _pairs(one)])
    if len(out) > MAX_EMBEDS or sum(card.size() for card in out) > MAX_TOTAL:
        return None
    return out


def _filled(out: list[Card], pairs: list[tuple[str, str]]) -> list[Card]:
    """`out` with the (name, value) fields added, going on in a new card where the last
    is full (25 fields, or a message's 6,000 characters)."""
    for name, value in pairs:
        card = out[-1]
        if len(card.fields) == MAX_FIELDS or card.size() + len(name) + len(value) > MAX_TOTAL:
            out.append(card := Card())
        card.fields.append((name, value))
    return out


def _pairs(one: _Field) -> list[tuple[str, str]]:
    """A field as (name, value) pairs: a value over Discord's 1,024 characters goes on in
    unnamed fields, cut at a line."""
    name = one.name[:MAX_NAME]
    chunks: list[str] = []
    for line in (shown for text in one.lines for shown in markdown(text).split("\n")):
        while len(line) > MAX_VALUE:
            cut = line.rfind(" ", 0, MAX_VALUE) if " " in line[:MAX_VALUE] else MAX_VALUE
            if line[cut - 1] == "\\":
                cut -= 1
            chunks.append(line[:cut])
            line = line[cut:].lstrip()
        chunks.append(line)
    values: list[str] = []
    for chunk in chunks:
        if values and len(values[-1]) + 1 + len(chunk) <= MAX_VALUE:
            values[-1] += "\n" + chunk
        else:
            values.append(chunk)
    values = [value.strip("\n") for value in values if value.strip()] or [BLANK]
    return [(name if n == 0 else BLANK, value) for n, value in enumerate(values)]


def _markdown_lines(lines: list[RichText]) -> str:
    return "\n".join(markdown(line) for line in lines).strip()


def _lines(text: RichText) -> list[RichText]:
    """The text's lines, each as its own rich text: a blank one empty, or a blank space
    where it sits inside a quote (between an email's paragraphs), to keep the quote whole."""
    lines = text.lines()
    return [
        RichText(tuple(line))
        if "".join(s.text for s in line).strip()
        else RichText((Span(" ", block=block),) if block != Block.TEXT else ())
        for line, block in zip(lines, line_blocks(lines), strict=True)
    ]


def _label(line: RichText) -> tuple[str, RichText] | None:
    """(name, the rest) for a heading or a labelled line; None for any other line."""
    spans = list(line.spans)
    prefix = ""
    while spans and spans[0].style != Style.BOLD and len(prefix + spans[0].text) <= _PREFIX:
        prefix += spans.pop(0).text
    if not spans or spans[0].style != Style.BOLD:
        return None
    bold = ""
    while spans and spans[0].style == Style.BOLD:
        bold += spans.pop(0).text
    name = escape((prefix + bold).strip().rstrip(":").strip())
    return (name, RichText(_without_lead(spans))) if name else None


def _without_lead(spans: list[Span]) -> tuple[Span, ...]:
    """The rest of a labelled line without the ": " that joined it to its label."""
    out = list(spans)
    while out and not out[0].text.lstrip(": "):
        out.pop(0)
    if out and out[0].style == Style.PLAIN:
        out[0] = Span(out[0].text.lstrip(": "), out[0].style)
    return tuple(out)
