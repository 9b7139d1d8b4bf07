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
from itertools import groupby

from discord.utils import escape_mentions

from bot.events import Attachment, ButtonStyle
from bot.menu import COMMANDS
from flows.text import RichText, Style

MAX_CONTENT = 2000
MAX_ROWS = 5
MAX_PER_ROW = 5
MAX_FILES = 10
MAX_LABEL = 80

SUBCOMMANDS = (*COMMANDS, "answer")
"""The `/dispute` subcommands; the engine's `/new` reads `/dispute new` on Discord."""

_COMMAND = re.compile(r"(?<![\w/])/(" + "|".join(SUBCOMMANDS) + r")(?![\w-])")
_URL = re.compile(r"https?://[^\s<>]*[^\s<>.,;:!?'\")\]]")
_INLINE = re.compile(r"([\\*_~|`\[\]<>])")
_LINE_START = re.compile(r"^(\s*)([#>-])")
_GRAVE = "\u02cb"
"""A backtick look-alike: a code span cannot escape a backtick inside it."""
_MARKERS = {Style.BOLD: "**", Style.ITALIC: "*", Style.CODE: "`"}


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


def markdown(text: RichText) -> str:
    """Discord markdown for rich text, every span escaped; styles never cross a line."""
    out = ""
    for style, spans in groupby(text.spans, key=lambda span: span.style):
        run = _COMMAND.sub(r"/dispute \1", "".join(span.text for span in spans))
        for number, line in enumerate(run.split("\n")):
            if number:
                out += "\n"
            if line:
                piece = _styled(line, style, at_line_start=not out or out.endswith("\n"))
                if out.endswith("*") and piece.startswith("*"):
                    out += "\u200b"  # `**a**` then `*b*` must not read as `***`
                out += piece
    return out


def _styled(line: str, style: Style, at_line_start: bool) -> str:
    core = line.strip()
    if style == Style.PLAIN or not core:
        return escape(line, at_line_start)
    lead, trail = line[: len(line) - len(line.lstrip())], line[len(line.rstrip()) :]
    marker = _MARKERS[style]
    inner = core.replace("`", _GRAVE) if style == Style.CODE else escape(core, at_line_start=False)
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
    before it.
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
        result.append(
            Post(chunks[-1], groups[0], files, piece.private, list(piece.embeds), done=done)
        )
        result.extend(Post(rows=group, private=piece.private, done=done) for group in groups[1:])
        result[-1].done = number
    return [post for post in result if post]


def label(text: str) -> str:
    """A button label within Discord's 80 characters."""
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"
