"""Where the terminal chat's lines come from: a line editor on a terminal, plain lines
otherwise.

On a terminal (stdin and stdout both), prompt_toolkit draws the input line: the cursor
keys edit it, up and down walk this session's earlier lines, and what the bot sends
while the person types (a reminder) is printed above it. The history is kept in
memory only: typed lines hold case content, and /forget must leave none on disk.

With NO_COLOR set the editor writes no colour or style escape at all (`Uncoloured`):
only the cursor moves and erases that redrawing an edited line needs.

Piped input (a script, the tests, CI with no terminal) is read line by line, as is.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from typing import Protocol, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.output import ColorDepth, Output
from prompt_toolkit.output.vt100 import Vt100_Output
from prompt_toolkit.patch_stdout import patch_stdout
from prompt_toolkit.styles import Attrs


class LineReader(Protocol):
    async def read(self, prompt: Callable[[], str]) -> str | None:
        """The next line typed (without its newline), after the input line's start
        `prompt()` (asked again when it is redrawn: a reminder can change it); None at
        the end of input or once stopped."""

    def stop(self) -> None:
        """End the `read` under way, and every later one, with None."""

    def drawing(self) -> contextlib.AbstractContextManager[None]:
        """Around the whole chat: while it lasts, output is printed above the input line."""


class PlainLines:
    """Lines from a stream through a daemon thread, so Ctrl-C never waits on a blocked
    read. The prompt is written only when a person types at a terminal."""

    def __init__(self, stdin: TextIO, stdout: TextIO) -> None:
        self.stdin = stdin
        self.stdout = stdout
        self.visible = stdin.isatty()
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._pumping = False

    async def read(self, prompt: Callable[[], str]) -> str | None:
        if not self._pumping:
            self._pump()
        if self.visible:
            self.stdout.write(prompt())
            self.stdout.flush()
        line = await self._lines.get()
        if line is None:
            self._lines.put_nowait(None)  # every later read ends too
            return None
        return line.rstrip("\r\n")

    def stop(self) -> None:
        self._lines.put_nowait(None)

    @contextlib.contextmanager
    def drawing(self) -> Iterator[None]:
        yield

    def _pump(self) -> None:
        loop = asyncio.get_running_loop()
        queue = self._lines
        self._pumping = True

        def pump() -> None:
            try:
                for line in self.stdin:
                    loop.call_soon_threadsafe(queue.put_nowait, line)
                loop.call_soon_threadsafe(queue.put_nowait, None)
            except RuntimeError:
                return  # the loop closed: the chat was stopped while a line was awaited

        threading.Thread(target=pump, name="console-input", daemon=True).start()


class EditedLines:
    """Lines from prompt_toolkit's line editor, with this session's history.

    Args:
        input, output: prompt_toolkit's terminal; None for the process's own (tests pass
            a pipe input and a dummy output).
    """

    def __init__(self, input: Input | None = None, output: Output | None = None) -> None:
        self.session: PromptSession[str] = PromptSession(
            history=InMemoryHistory(), input=input, output=output
        )
        self._stopped = False

    async def read(self, prompt: Callable[[], str]) -> str | None:
        if self._stopped:
            return None
        try:
            return await self.session.prompt_async(prompt)
        except (EOFError, KeyboardInterrupt):  # Ctrl-D, Ctrl-C, or stopped
            self._stopped = True
            return None

    def stop(self) -> None:
        self._stopped = True
        if self.session.app.is_running:
            self.session.app.exit(exception=EOFError())

    def drawing(self) -> contextlib.AbstractContextManager[None]:
        return patch_stdout(raw=True)


class Uncoloured(Vt100_Output):
    """prompt_toolkit's terminal output for NO_COLOR: not one colour or style escape.

    prompt_toolkit's own NO_COLOR support (ColorDepth 1 bit) drops colours but still
    writes a style reset (SGR 0) around every redraw, and bold or reverse where a style
    asks. Here no attribute is ever set or reset, and the cursor is never hidden and
    shown again. What is left is what editing a line on a terminal cannot do without:
    moving the cursor over the line and erasing what it redraws (with wrapping off while
    it draws), bracketed paste (so a pasted email arrives as one answer) and the cursor
    keys' mode."""

    def set_attributes(self, attrs: Attrs, color_depth: ColorDepth) -> None:
        return

    def reset_attributes(self) -> None:
        return

    def hide_cursor(self) -> None:
        return

    def show_cursor(self) -> None:
        return


def reader_for(stdin: TextIO, stdout: TextIO, colour: bool = True) -> LineReader:
    """The line editor when a person sits at a terminal (without a single colour or
    style escape unless `colour`), plain lines otherwise."""
    if not (stdin.isatty() and stdout.isatty()):
        return PlainLines(stdin, stdout)
    if colour:
        return EditedLines()
    plain = Uncoloured.from_pty(
        stdout, term=os.environ.get("TERM"), default_color_depth=ColorDepth.DEPTH_1_BIT
    )
    return EditedLines(output=plain)
