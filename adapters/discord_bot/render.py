"""The engine's messages as Discord messages: markdown, length limits, button rows.

Pure functions, no network: `markdown` turns neutral rich text into Discord markdown with
every span escaped (people's own words never become formatting, links, or mentions),
`split` keeps each message under Discord's 2,000 characters, and `posts` lays a turn's
messages out in what one Discord message may carry (5 rows of 5 buttons or one select
menu each, 10 files, embeds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import groupby, pairwise

from discord.utils import escape_mentions

from bot.events import Attachment, ButtonStyle
from bot.menu import COMMANDS
from flows.text import Block, RichText, Span, Style, line_blocks

MAX_CONTENT = 2000
MAX_ROWS = 5
MAX_PER_ROW = 5
MAX_FILES = 10
MAX_LABEL = 80
MAX_EMBEDS = 10
MAX_TOTAL = 6000
"""Characters all of a message's embeds may hold together."""

SUBCOMMANDS = (*COMMANDS, "answer")
"""The `/dispute` subcommands; the engine's `/new` reads `/dispute new` on Discord."""

_COMMAND = re.compile(r"(?<![\w/])/(" + "|".join(SUBCOMMANDS) + r")(?![\w-])")
_URL = re.compile(r"https?://[^\s<>]*[^\s<>.,;:!?'\")\]]")
_INLINE = re.compile(r"([\\*_~|`\[\]<>])")
_LINE_START = re.compile(r"^(\s*)([#>-])")
GRAVE = "\u02cb"
"""A backtick look-alike: a code span cannot escape a backtick inside it."""
_MARKERS = {Style.BOLD: "**", Style.ITALIC: "*", Style.CODE: "`"}
_QUOTED = {Block.SAY: ("> ", ""), Block.SPARE: ("> ||", "||")}
"""What goes before and after a line to say (a quote), and one kept for when it is
needed (a quote, hidden as a spoiler until tapped)."""
MAX_QUOTED = 450
"""Characters of a quoted line; a longer one goes on in the next. Escaped and marked, it
stays within an embed field's 1,024 characters."""


@dataclass(frozen=True, slots=True)
class ButtonSpec:
    """A button to draw: what it says and the custom id that comes back on a press."""

    label: str
    custom_id: str
    style: ButtonStyle = ButtonStyle.DEFAULT


@dataclass(frozen=True, slots=True)
class SelectSpec:
    """A select menu to draw (a row of its own): (label, engine data) per option."""

    custom_id: str
    options: tuple[tuple[str, str], ...]


Row = tuple[ButtonSpec, ...] | SelectSpec


@dataclass
class Card:
    """One embed: a title, a description, and (name, value) fields, all markdown."""

    title: str = ""
    description: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)

    def size(self) -> int:
        return (
            len(self.title) + len(self.description) + sum(len(n) + len(v) for n, v in self.fields)
        )


@dataclass
class Post:
    """One Discord message: content or embeds, up to 5 rows (buttons or a select), files.

    `done` is how many of the turn's messages have gone once this one has, so a send
    cut short says how far it got (`bot.events.PartlySent`)."""

    content: str = ""
    rows: list[Row] = field(default_factory=list)
    files: list[Attachment] = field(default_factory=list)
    private: bool = True
    embeds: list[Card] = field(default_factory=list)
    done: int = 0

    def __bool__(self) -> bool:
        return bool(self.content or self.rows or self.files or self.embeds)


@dataclass(frozen=True, slots=True)
class Piece:
    """An engine message before layout: its rendered text (or embeds), its rows, its file."""

    content: str
    rows: tuple[Row, ...] = ()
    attachment: Attachment | None = None
    private: bool = True
    embeds: tuple[Card, ...] = ()
    count: int = 1
    """How many of the turn's messages this piece is (a few short texts joined make one)."""
    copies: tuple[Card, ...] = ()
    """What it offers to copy whole, as embeds of code blocks (cards.copies)."""


def markdown(text: RichText) -> str:
    """Discord markdown for rich text, every span escaped; styles never cross a line.

    Lines to say are quoted (`> `), lines kept for when they are needed quoted and
    hidden as spoilers until tapped (`> ||…||`); a quoted line longer than `MAX_QUOTED`
    goes on in further quoted lines, so a cut for Discord's limits never parts a line
    from its quote mark."""
    lines = text.lines()
    out = []
    for block, line in zip(line_blocks(lines), lines, strict=True):
        if block == Block.TEXT:
            out.append(_line(line))
            continue
        lead, tail = _QUOTED[block]
        pieces = [_line(piece) for piece in _cut(line, MAX_QUOTED)] if line else [""]
        out.extend(f"{lead}{piece}{tail}" if piece.strip() else "> " for piece in pieces)
    return "\n".join(out)


def _line(spans: list[Span]) -> str:
    """One line's spans as markdown, each run of a style marked once."""
    out = ""
    for style, run in groupby(spans, key=lambda span: span.style):
        words = _COMMAND.sub(r"/dispute \1", "".join(span.text for span in run))
        piece = _styled(words, style, at_line_start=not out)
        if out.endswith("*") and piece.startswith("*"):
            out += "\u200b"  # `**a**` then `*b*` must not read as `***`
        out += piece
    return out


def _cut(line: list[Span], limit: int) -> list[list[Span]]:
    """The line in pieces of at most `limit` characters, cut after a space where there is one."""
    text = "".join(span.text for span in line)
    bounds = [0]
    while len(text) - bounds[-1] > limit:
        start = bounds[-1]
        space = text.rfind(" ", start + 1, start + limit)
        bounds.append(space + 1 if space > start else start + limit)
    bounds.append(len(text))
    pieces = []
    for start, end in pairwise(bounds):
        piece, position = [], 0
        for span in line:
            first, last = max(start, position), min(end, position + len(span.text))
            if first < last:
                part = span.text[first - position : last - position]
                piece.append(Span(part, span.style, span.block))
            position += len(span.text)
        pieces.append(piece)
    return pieces


def _styled(line: str, style: Style, at_line_start: bool) -> str:
    core = line.strip()
    if style == Style.PLAIN or not core:
        return escape(line, at_line_start)
    lead, trail = line[: len(line) - len(line.lstrip())], line[len(line.rstrip()) :]
    marker = _MARKERS[style]
    inner = core.replace("`", GRAVE) if style == Style.CODE else escape(core, at_line_start=False)
    return f"{lead}{marker}{inner}{marker}{trail}"


def escape(text: str, at_line_start: bool = False) -> str:
    """Text shown as typed: markdown characters escaped, links delimited, mentions defused."""
    out, position = [], 0
    for match in _URL.finditer(text):
        out.append(_escape_words(text[position : match.start()]))
        out.append(f"<{match.group()}>")
        position = match.end()
    out.append(_escape_words(text[position:]))
    escaped = "".join(out)
    if at_line_start:
        escaped = _LINE_START.sub(r"\1\\\2", escaped)
    return escaped


def _escape_words(text: str) -> str:
    return escape_mentions(_INLINE.sub(r"\\\1", text))


def split(text: str, limit: int = MAX_CONTENT) -> list[str]:
    """Chunks under `limit`, cut at a paragraph, else a line, else a space."""
    chunks = []
    while len(text) > limit:
        cut = next(
            (at for sep in ("\n\n", "\n", " ") if (at := text.rfind(sep, 0, limit + 1)) > 0),
            limit,
        )
        if text[cut - 1] == "\\":  # never part an escape from what it escapes
            cut -= 1
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n ")
    chunks.append(text)
    return [chunk for chunk in chunks if chunk.strip()]


def posts(pieces: list[Piece]) -> list[Post]:
    """Lay pieces out as Discord messages within every per-message limit.

    Long text becomes several messages (the buttons go under the last); more than five
    rows, or rows wider than five, continue in a further message of buttons alone (no
    words the flow did not write); a file with no text of its own rides on the message
    before it. What a piece offers to copy goes in embeds after its own, and its buttons
    then in a message of their own after them: a press moves that message on, and the
    script it answered stays, to read and copy from while the contact goes on.
    """
    result: list[Post] = []
    number = 0
    for piece in pieces:
        number += piece.count
        if piece.attachment and not piece.content and not piece.rows and not piece.embeds:
            if result and len(result[-1].files) < MAX_FILES:
                result[-1].files.append(piece.attachment)
            else:
                result.append(Post(files=[piece.attachment], private=piece.private))
            result[-1].done = number
            continue
        rows: list[Row] = [
            row if isinstance(row, SelectSpec) else row[i : i + MAX_PER_ROW]
            for row in piece.rows
            for i in range(0, 1 if isinstance(row, SelectSpec) else len(row), MAX_PER_ROW)
        ]
        groups = [rows[i : i + MAX_ROWS] for i in range(0, len(rows), MAX_ROWS)] or [[]]
        chunks = [""] if piece.embeds else split(piece.content) or [""]
        done = number - piece.count
        result.extend(Post(chunk, private=piece.private, done=done) for chunk in chunks[:-1])
        files = [piece.attachment] if piece.attachment else []
        cards = _packed(list(piece.embeds), piece.copies)
        result.append(Post(chunks[-1], [], files, piece.private, cards[0], done=done))
        result.extend(Post(private=piece.private, embeds=more, done=done) for more in cards[1:])
        # A press moves its buttons' message on: what to copy stays put.
        if piece.copies and groups[0]:
            result.append(Post(rows=groups[0], private=piece.private, done=done))
        else:
            result[-1].rows = groups[0]
        result.extend(Post(rows=group, private=piece.private, done=done) for group in groups[1:])
        result[-1].done = number
    return [post for post in result if post]


def _packed(first: list[Card], more: tuple[Card, ...]) -> list[list[Card]]:
    """`first` (a message's own embeds) and then `more` as each message's embeds: as
    many of `more` go with `first` as Discord's per-message limits allow, the rest on."""
    groups = [first]
    for card in more:
        room = MAX_TOTAL - sum(one.size() for one in groups[-1])
        if len(groups[-1]) < MAX_EMBEDS and card.size() <= room:
            groups[-1].append(card)
        else:
            groups.append([card])
    return groups


def label(text: str) -> str:
    """A button label within Discord's 80 characters."""
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"
