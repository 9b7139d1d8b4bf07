"""Neutral rich text: what the bot says, before any platform renders it.

Bot sentences are written as templates with a tiny markup (`**bold**`, `_italic_`,
`` `code` ``) and `{name}` placeholders. Values given for placeholders (anything a
person typed) are inserted verbatim as their own spans and never parsed as markup,
so an adapter only has to escape each span for its platform.

Where the words must differ by how typed answers reach the bot (`Typing`: typed in the
chat, or only through a form, as on Discord without the message-content intent), a text
carries both: its `spans` say it for the chat, `in_form` for a form. The adapter picks
by id (`RichText.typed_in`), never by reading the words; `rich` and `join` keep both.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from itertools import groupby


class Typing(StrEnum):
    """How a person's typed words reach the bot, which the wording follows."""

    CHAT = "chat"
    """Typed in the chat (Telegram, the terminal)."""
    FORM = "form"
    """Only through a form the bot opens (Discord: ✍️ Answer, 🧾 for a paste)."""


class Style(StrEnum):
    PLAIN = "plain"
    BOLD = "bold"
    ITALIC = "italic"
    CODE = "code"


class Block(StrEnum):
    """What a line is for besides its words, for platforms that can set such lines apart."""

    TEXT = "text"
    SAY = "say"
    """Words to say or send as they stand (a script's lines, an email to paste): a quote."""
    SPARE = "spare"
    """Words kept for when they are needed ("if it gets tense"): a quote, shown folded."""


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    style: Style = Style.PLAIN
    block: Block = Block.TEXT
    """The kind of line it is on (`quote` sets it)."""


@dataclass(frozen=True, slots=True)
class Snippet:
    """Words offered whole to copy (an email's body, a line to say): `label` names them on
    the button that copies them."""

    label: str
    text: str


@dataclass(frozen=True, slots=True)
class RichText:
    """A run of styled spans; newlines inside spans separate lines and paragraphs."""

    spans: tuple[Span, ...] = ()
    in_form: tuple[Span, ...] | None = None
    """The same said where typing arrives only through a form; None: no different."""

    def plain(self) -> str:
        return "".join(span.text for span in self.spans)

    def lines(self) -> list[list[Span]]:
        """The spans cut at newlines, one list a line (so no style crosses a line)."""
        lines: list[list[Span]] = [[]]
        for span in self.spans:
            first, *rest = span.text.split("\n")
            if first:
                lines[-1].append(Span(first, span.style, span.block))
            for part in rest:
                lines.append([Span(part, span.style, span.block)] if part else [])
        return lines

    def typed_in(self, typing: Typing) -> RichText:
        """The text as worded where typing arrives this way."""
        if typing is Typing.FORM and self.in_form is not None:
            return RichText(self.in_form)
        return RichText(self.spans) if self.in_form is not None else self

    def _form_spans(self) -> tuple[Span, ...]:
        return self.spans if self.in_form is None else self.in_form

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
    form: list[Span] = []
    varies = False
    for piece in _pieces(template):
        if isinstance(piece, Span):
            spans.append(piece)
            form.append(piece)
            continue
        name, style = piece
        value = values[name]
        if isinstance(value, RichText):
            spans.extend(value.spans)
            form.extend(value._form_spans())
            varies = varies or value.in_form is not None
        elif value:
            spans.append(Span(value, style))
            form.append(Span(value, style))
    return RichText(tuple(spans), tuple(form) if varies else None)


def by_typing(chat: str, form: str, **values: str | RichText) -> RichText:
    """Bot words said one way where typing reaches the bot in the chat, another where
    it arrives only through a form (templates and values as for `rich`)."""
    return RichText(
        rich(chat, **values).typed_in(Typing.CHAT).spans,
        rich(form, **values).typed_in(Typing.FORM).spans,
    )


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


def quote(text: RichText, block: Block = Block.SAY) -> RichText:
    """`text` as lines of `block`, separators and all: one run of lines set apart."""

    def marked(spans: tuple[Span, ...]) -> tuple[Span, ...]:
        return tuple(Span(span.text, span.style, block) for span in spans)

    return RichText(marked(text.spans), None if text.in_form is None else marked(text.in_form))


Line = list[Span]


def line_blocks(lines: list[Line]) -> list[Block]:
    """Each line's block (lines as `RichText.lines` cuts them): its words', and for an
    empty line the block it sits inside, so the blank line between two paragraphs of one
    email stays in its quote while one between a quote and a heading does not."""
    own = [next((span.block for span in line if span.text), None) for line in lines]
    after: list[Block | None] = []
    upcoming = None
    for block in reversed(own):
        after.append(upcoming)
        upcoming = block if block is not None else upcoming
    after.reverse()
    blocks = []
    before = None
    for block, next_block in zip(own, after, strict=True):
        if block is None:
            block = before if before is not None and before == next_block else Block.TEXT
        else:
            before = block
        blocks.append(block)
    return blocks


def runs(lines: list[Line]) -> Iterator[tuple[Block, list[Line]]]:
    """The lines in runs of one block each, in order: what a platform sets apart whole
    (one quote for the lines to say, blank lines between their paragraphs included)."""
    for block, run in groupby(zip(line_blocks(lines), lines, strict=True), key=lambda p: p[0]):
        yield block, [line for _, line in run]


def join(parts: list[RichText], separator: str = "\n") -> RichText:
    """Join rich texts with a plain separator, skipping empty parts."""
    spans: list[Span] = []
    form: list[Span] = []
    for part in (p for p in parts if p):
        if spans:
            spans.append(Span(separator))
            form.append(Span(separator))
        spans.extend(part.spans)
        form.extend(part._form_spans())
    varies = any(part.in_form is not None for part in parts if part)
    return RichText(tuple(spans), tuple(form) if varies else None)
