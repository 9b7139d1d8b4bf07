"""What the terminal chat shows: the bot's messages word-wrapped to the terminal's width,
a run of "label: value" lines (the review, /status) as a table, the lines to say as a
quote (a bar down their left), the part kept for when it is needed ("if it gets tense")
as a quote of its own, dimmed, and the options.

What a message offers to copy whole (a script's key lines, its email) is listed under it
as `/copy N`, which prints that text bare: its own line breaks only, no wrapping, no bar,
no indent, blank lines around it, so selecting it copies exactly the text.

A reminder's ping (its prompt's step) comes in unasked, so it is set apart by a rule, and
its options are laid out in its prompt's rows (act on it; put it off), each row on one
line where the width allows.

Everything goes through one rich `Console`, which wraps between words (a word longer
than the whole line is the only thing ever cut) and knows the terminal's width. Colour
and styles are used only on a terminal and never when NO_COLOR is set to anything
(https://no-color.org): then not one ANSI escape is written.

Options on a question answered by a press (a choice, a confirm, a reminder's ping) are
numbered, and the number presses one; on a question answered by typing (a date, an
amount, words) a number is the answer, so the options there are listed by name only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import TextIO

from rich import box
from rich.columns import Columns
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.padding import Padding
from rich.rule import Rule
from rich.segment import Segment
from rich.style import Style as Look
from rich.table import Table
from rich.text import Text

from bot.events import PING, Button, ButtonStyle, Outbound, Snippet, Word, words
from flows.text import Block, Line, RichText, Style, runs

SPAN_STYLES = {Style.BOLD: "bold", Style.ITALIC: "italic", Style.CODE: "cyan"}
OPTION_STYLES = {
    ButtonStyle.DEFAULT: "",
    ButtonStyle.PRIMARY: "bold blue",
    ButtonStyle.SUCCESS: "bold green",
    ButtonStyle.DANGER: "bold red",
}
QUOTES = {Block.SAY: ("┃ ", "green", ""), Block.SPARE: ("┆ ", "dim", "dim")}
"""Each kind of quote's bar, the bar's style and the words' style."""
BULLET = "• "
COPY = "copy"
"""The terminal's own command that prints a snippet bare (`/copy 2`)."""
MANY = 7
"""More options than this are laid out in columns (the review's fourteen)."""
ROW_GAP = "   "
"""Between two options on one line (a ping's rows)."""
PROMPT_MARK = "> "
"""What the input line starts with, after the numbers it takes (`1-5 > `)."""


def wants_colour(stdout: TextIO, environ: Mapping[str, str] = os.environ) -> bool:
    """Styles on a terminal, unless NO_COLOR is set to anything non-empty."""
    return stdout.isatty() and not environ.get("NO_COLOR")


@dataclass(frozen=True, slots=True)
class Options:
    """The options a message offers, as the person can answer them."""

    buttons: tuple[Button, ...]
    numbered: bool
    """A number presses an option (else a number typed is an answer)."""
    shown_from: int = 0
    """The first of `buttons` the message shows; those before are the open question's."""
    rows: tuple[int, ...] = ()
    """How many of the shown options each line holds, in order, where the prompt's rows
    are kept (a ping's); empty: one a line."""

    @classmethod
    def of(cls, message: Outbound) -> Options:
        """The prompt's options, in its order, labelled and styled as it says, each sent
        back as its button's data; a message asking nothing offers its buttons as they are."""
        buttons = tuple(button for row in message.buttons for button in row)
        prompt = message.prompt
        if prompt is None:
            return cls(buttons, numbered=True)
        data = {button.option: button.data for button in buttons}
        in_rows = [[choice for choice in row if choice.value in data] for row in prompt.options]
        offered = tuple(
            Button(choice.label, data[choice.value], choice.value, choice.style)
            for row in in_rows
            for choice in row
        )
        rows = tuple(len(row) for row in in_rows if row) if prompt.step == PING else ()
        return cls(offered, numbered=not prompt.typed, rows=rows)

    def beside(self, later: Options) -> Options:
        """These and, after them, the options of a prompt that leaves them open (a
        reminder's ping, while a question waits): numbered on from these."""
        numbered = self.numbered if self.buttons else later.numbered
        return Options(self.buttons + later.buttons, numbered, len(self.buttons), later.rows)

    def hint(self) -> str:
        """The input line's start: the numbers that press an option, if any do."""
        if self.numbered and self.buttons:
            return f"1-{len(self.buttons)} {PROMPT_MARK}"
        return PROMPT_MARK


NONE = Options((), numbered=False)


class Screen:
    """The terminal's output.

    Args:
        stdout: where to write; None for whatever `sys.stdout` is at each write (the
            line editor swaps in its own while it draws the input line).
        colour: whether to use styles and colours at all.
        width: columns to wrap to (None: the terminal's, or 80 when not a terminal).
    """

    def __init__(self, stdout: TextIO | None, colour: bool, width: int | None = None) -> None:
        self.console = Console(
            file=stdout,
            color_system="auto" if colour else None,
            force_terminal=colour or None,
            no_color=not colour,
            highlight=False,
            emoji=False,
            markup=False,
            width=width,
            soft_wrap=False,
        )

    def say(self, text: str) -> None:
        """A line of the terminal chat's own (the greeting, the goodbye)."""
        self.console.print(Text(text))
        self.console.print()

    def show(self, message: Outbound, options: Options) -> None:
        if message.prompt is not None and message.prompt.step == PING:
            self.console.print(Rule(characters="─", style="dim"))
        for block in blocks(message.text):
            self.console.print(block)
        if message.snippets:
            self.console.print(copy_list(message.snippets))
        if options.buttons[options.shown_from :]:
            self.console.print(option_list(options))
        self.console.print()

    def copy(self, snippet: Snippet) -> None:
        """The snippet bare, between blank lines, to select and copy: no wrapping (the
        terminal folds a long line only on screen), no bar, no indent, no style."""
        self.console.print()
        self.console.print(Text(snippet.text), soft_wrap=True)
        self.console.print()

    def copies(self, snippets: tuple[Snippet, ...]) -> None:
        """What `/copy` takes now (or, with nothing to copy, a word on where it will)."""
        if snippets:
            self.console.print(copy_list(snippets))
        else:
            self.console.print(Text(words(Word.NOTHING_TO_COPY)))
        self.console.print()

    def saved(self, where: str) -> None:
        self.console.print(Text(f"[{words(Word.SAVED, path=where)}]", style="italic"))
        self.console.print()


def option_list(options: Options) -> RenderableType:
    """Numbered options in the prompt's rows where it keeps them, else one a line (in
    columns when there are many), or named ones on one wrapped line."""
    shown = options.buttons[options.shown_from :]
    if not options.numbered:
        named = (Text(f"[{b.label}]", style=OPTION_STYLES[b.style]) for b in shown)
        return Text("  ") + Text("  ").join(named)
    numbered = [
        Text.assemble((f"{number}) ", "bold"), (button.label, OPTION_STYLES[button.style]))
        for number, button in enumerate(shown, options.shown_from + 1)
    ]
    if options.rows:
        left = iter(numbered)
        rows = [list(islice(left, size)) for size in options.rows]
        return Padding(InRows(rows), (0, 0, 0, 2), expand=False)
    if len(numbered) <= MANY:
        return Padding(Group(*numbered), (0, 0, 0, 2), expand=False)
    return Padding(Columns(numbered, column_first=True, padding=(0, 3)), (0, 0, 0, 2), expand=False)


class InRows:
    """Options a row to a line, three spaces apart; a row wider than the line has its
    options one a line instead, so that no option is broken over two."""

    def __init__(self, rows: list[list[Text]]) -> None:
        self.rows = rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for row in self.rows:
            line = Text(ROW_GAP).join(row)
            if line.cell_len <= options.max_width:
                yield line
            else:
                yield from row


def copy_list(snippets: tuple[Snippet, ...]) -> RenderableType:
    """`📋 /copy 1 Opening   /copy 2 Your ask …`, no item broken over two lines."""
    items = [
        Text.assemble(("📋 ", ""), (f"/{COPY} {number}", "bold"), f" {snippet.label}")
        for number, snippet in enumerate(snippets, 1)
    ]
    return Padding(Columns(items, padding=(0, 3)), (0, 0, 0, 2), expand=False)


class Wrapped:
    """Lines wrapped between words, a bullet's wrapped lines indented under its words,
    each behind `bar` (a quote's, or none) within the width less the bar's."""

    def __init__(self, lines: list[Text], bar: str = "", bar_style: str = "") -> None:
        self.lines = lines
        self.bar = Segment(bar, Look.parse(bar_style)) if bar else None

    @classmethod
    def quote(cls, lines: list[Line], block: Block) -> Wrapped:
        """Lines set apart as a chat quotes them: a bar down their left."""
        bar, bar_style, words = QUOTES[block]
        shown = [_text(line) for line in lines]
        for line in shown:
            line.stylize(words)
        return cls(shown, bar, bar_style)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(options.max_width - (len(self.bar.text) if self.bar else 0), 1)
        for wrapped in (piece for line in self.lines for piece in _hanging(console, line, width)):
            wrapped.rstrip()
            if self.bar:
                yield self.bar
            yield from wrapped.render(console)
            yield Segment.line()


def _hanging(console: Console, line: Text, width: int) -> list[Text]:
    """`line` wrapped to `width`; a bullet's wrapped lines start under its first word."""
    if not line.plain.startswith(BULLET) or width <= 2 * len(BULLET):
        return list(line.wrap(console, width)) or [Text()]
    indent = len(BULLET)
    first, *rest = line[indent:].wrap(console, width - indent)
    return [line[:indent] + first, *(Text(" " * indent) + more for more in rest)]


def blocks(text: RichText) -> Iterator[RenderableType]:
    """The message's lines in order: each run of lines to say (or kept for when needed)
    as one quote (`Wrapped.quote`), each other run of two or more "label: value" lines as a two-column
    table."""
    for block, lines in runs(text.lines()):
        if block in QUOTES:
            yield Wrapped.quote(lines, block)
        else:
            yield from _unquoted(lines)


def _unquoted(lines: list[Line]) -> Iterator[RenderableType]:
    fields: list[tuple[Text, Text]] = []
    for line in lines:
        field = _field(line)
        if field is not None:
            fields.append(field)
            continue
        yield from _flush(fields)
        yield Wrapped([_text(line)])
    yield from _flush(fields)


def _flush(fields: list[tuple[Text, Text]]) -> Iterator[RenderableType]:
    if len(fields) == 1:
        label, value = fields[0]
        yield Text.assemble(label, ": ", value)
    elif fields:
        table = Table(box=box.ROUNDED, show_header=False)
        table.add_column(style="bold")
        table.add_column()
        for label, value in fields:
            table.add_row(label, value)
        yield table
    fields.clear()


def _field(line: Line) -> tuple[Text, Text] | None:
    """A line that starts in bold ending in a colon, with more after it."""
    bold = 0
    while bold < len(line) and line[bold].style == Style.BOLD:
        bold += 1
    label = "".join(span.text for span in line[:bold]).rstrip()
    value = _stripped(_text(line[bold:]))
    if not label.endswith(":") or not value.plain.strip():
        return None
    return Text(label.removesuffix(":"), style="bold"), value


def _stripped(text: Text) -> Text:
    """Without the blank the label's colon left before the value."""
    lead = len(text.plain) - len(text.plain.lstrip())
    return text[lead:] if lead else text


def _text(line: Line) -> Text:
    return Text.assemble(*((span.text, SPAN_STYLES.get(span.style, "")) for span in line))
