"""What the terminal chat shows: the bot's messages word-wrapped to the terminal's width,
a run of "label: value" lines (the review, /status) as a table, and the options.

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
from typing import TextIO

from rich import box
from rich.columns import Columns
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from bot.events import Button, ButtonStyle, Outbound
from flows.text import RichText, Span, Style

SPAN_STYLES = {Style.BOLD: "bold", Style.ITALIC: "italic", Style.CODE: "cyan"}
OPTION_STYLES = {
    ButtonStyle.DEFAULT: "",
    ButtonStyle.PRIMARY: "bold blue",
    ButtonStyle.SUCCESS: "bold green",
    ButtonStyle.DANGER: "bold red",
}
MANY = 7
"""More options than this are laid out in columns (the review's fourteen)."""
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

    @classmethod
    def of(cls, message: Outbound) -> Options:
        buttons = tuple(button for row in message.buttons for button in row)
        typed = message.prompt is not None and message.prompt.typed
        return cls(buttons, numbered=not typed)

    def beside(self, later: Options) -> Options:
        """These and, after them, the options of a prompt that leaves them open (a
        reminder's ping, while a question waits): numbered on from these."""
        numbered = self.numbered if self.buttons else later.numbered
        return Options(self.buttons + later.buttons, numbered, shown_from=len(self.buttons))

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
        for block in blocks(message.text):
            self.console.print(block)
        if options.buttons[options.shown_from :]:
            self.console.print(option_list(options))
        self.console.print()

    def saved(self, where: str) -> None:
        self.console.print(Text(f"[saved {where}]", style="italic"))
        self.console.print()


def option_list(options: Options) -> RenderableType:
    """Numbered options one a line (in columns when there are many), or named ones on
    one wrapped line."""
    shown = options.buttons[options.shown_from :]
    if not options.numbered:
        named = (Text(f"[{b.label}]", style=OPTION_STYLES[b.style]) for b in shown)
        return Text("  ") + Text("  ").join(named)
    numbered = [
        Text.assemble((f"{number}) ", "bold"), (button.label, OPTION_STYLES[button.style]))
        for number, button in enumerate(shown, options.shown_from + 1)
    ]
    if len(numbered) <= MANY:
        return Padding(Group(*numbered), (0, 0, 0, 2), expand=False)
    return Padding(Columns(numbered, column_first=True, padding=(0, 3)), (0, 0, 0, 2), expand=False)


def blocks(text: RichText) -> Iterator[RenderableType]:
    """The message's lines in order, each run of two or more "label: value" lines as a
    two-column table."""
    fields: list[tuple[Text, Text]] = []
    for line in text.lines():
        field = _field(line)
        if field is not None:
            fields.append(field)
            continue
        yield from _flush(fields)
        yield _text(line)
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


def _field(line: list[Span]) -> tuple[Text, Text] | None:
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


def _text(line: list[Span]) -> Text:
    return Text.assemble(*((span.text, SPAN_STYLES.get(span.style, "")) for span in line))
