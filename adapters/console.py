"""The terminal chat: the whole flow with no account and no token.

Run it with `fairshake` (or `python -m bot`) when no platform token is set. Buttons
show as lettered options: type the letter to press one, or the option's name. A number
is always an answer (an amount, a day), never a press. Commands are typed as in a
chat (`/status`, `/help`). Ctrl-D or Ctrl-C leaves; your case is kept in the data
folder, so the next start picks up where you were.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
import threading
import time
from pathlib import Path
from typing import ClassVar, TextIO

from bot.config import Setting, Settings
from bot.engine import Engine
from bot.events import (
    Attachment,
    Button,
    ButtonPress,
    Command,
    EventId,
    Inbound,
    Outbound,
    TextMessage,
    parse_command,
)
from flows.text import RichText, Style
from storage import ConversationKey

LETTERS = "abcdefghijklmnopqrstuvwxyz"
"""Option marks: letters, so that a number typed is always an answer and never a press."""

_ANSI = {
    Style.BOLD: ("\033[1m", "\033[0m"),
    Style.ITALIC: ("\033[3m", "\033[0m"),
    Style.CODE: ("\033[36m", "\033[0m"),
}


def render(text: RichText, ansi: bool) -> str:
    """Rich text for a terminal: ANSI styles on a tty, plain text otherwise."""
    if not ansi:
        return text.plain()
    parts = []
    for span in text.spans:
        start, end = _ANSI.get(span.style, ("", ""))
        parts.append(f"{start}{span.text}{end}")
    return "".join(parts)


class ConsoleAdapter:
    """Reads lines from a terminal and prints the engine's answers.

    Args:
        engine: the shared engine.
        settings: where exported files go (the data folder).
        stdin, stdout: the terminal (tests pass pipes).
    """

    name: ClassVar[str] = "console"
    SETTINGS: ClassVar[tuple[Setting, ...]] = ()

    @classmethod
    def enabled(cls, settings: Settings) -> bool:
        return True

    @classmethod
    def problems(cls, settings: Settings) -> list[str]:
        return []

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.stdin = stdin
        self.stdout = stdout
        self.ansi = stdout.isatty()
        self.key = ConversationKey("console", getpass.getuser(), "terminal")
        self.lettered: list[Button] = []
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._session = f"console:{time.time_ns()}"
        self._line_number = 0
        self._running = False

    def stop(self) -> None:
        self._lines.put_nowait(None)

    def ready(self) -> bool:
        return self._running

    async def run(self) -> None:
        lines = self._read_lines()
        self._running = True
        self.write("Fair Shake: type /start to begin, /help for commands, Ctrl-D to leave.")
        await self.engine.answer(Command(self.key, "start"), self.send)
        while (line := await lines.get()) is not None:
            self._line_number += 1
            await self.engine.answer(self.event_for(line.strip()), self.send)
        self._running = False
        self.write("Bye for now. Your case is saved; run fairshake again to carry on.")

    def event_for(self, line: str) -> Inbound:
        """A letter alone presses its option; anything else, a bare number too, is typed."""
        event_id = EventId(self._session, self._line_number)
        index = LETTERS.find(line.casefold()) if len(line) == 1 else -1
        if 0 <= index < len(self.lettered):
            return ButtonPress(self.key, self.lettered[index].data, event_id)
        return parse_command(self.key, line, event_id) or TextMessage(self.key, line, event_id)

    async def send(self, key: ConversationKey, messages: list[Outbound]) -> None:
        for message in messages:
            if message.text:
                self.write(render(message.text, self.ansi))
            if message.buttons:
                self.lettered = [button for row in message.buttons for button in row]
                options = (
                    f"  {letter}) {button.label}"
                    for letter, button in zip(LETTERS, self.lettered, strict=False)
                )
                self.write("\n".join(options))
            if message.attachment:
                self.write(f"[saved {self._save(message.attachment)}]")

    def _save(self, attachment: Attachment) -> Path:
        """An export in the data folder, readable by its owner only (it holds the case)."""
        folder = self.settings.data_dir / "exports"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = folder / attachment.filename
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(attachment.content)
        return path

    def write(self, text: str) -> None:
        self.stdout.write(text + "\n\n")
        self.stdout.flush()

    def _read_lines(self) -> asyncio.Queue[str | None]:
        """Lines from stdin via a daemon thread, so Ctrl-C never waits on a blocked read."""
        loop = asyncio.get_running_loop()
        queue = self._lines

        def pump() -> None:
            try:
                for line in self.stdin:
                    loop.call_soon_threadsafe(queue.put_nowait, line)
                loop.call_soon_threadsafe(queue.put_nowait, None)
            except RuntimeError:
                return  # the loop closed: the chat was stopped while a line was awaited

        threading.Thread(target=pump, name="console-input", daemon=True).start()
        return queue
