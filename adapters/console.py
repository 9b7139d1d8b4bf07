"""The terminal chat: the whole flow with no account and no token.

Run it with `fairshake` (or `python -m bot`) when no platform token is set. The bot's
messages are wrapped to the terminal's width, a list of facts (the review) shows as a
table, and colour is used on a terminal unless NO_COLOR is set (adapters/console_view.py).
Options to press are numbered: type the number, or the option's name ("skip", "back",
"a refund"). Where the question wants a date, an amount or words, a number typed is the
answer and the options are pressed by name. Commands are typed as in a chat (`/status`,
`/help`), and `/copy N` prints what a script offers to copy whole (its key lines, the
email) bare, to select and copy. On a terminal the input line can be edited and earlier
lines recalled with the arrow keys (adapters/console_input.py). Ctrl-D or Ctrl-C leaves; your case is kept in
the data folder, so the next start picks up where you were.
"""

from __future__ import annotations

import getpass
import os
import shutil
import sys
import time
import unicodedata
from pathlib import Path
from typing import ClassVar, TextIO

from adapters.console_input import LineReader, reader_for
from adapters.console_view import COPY, NONE, Options, Screen, wants_colour
from bot.config import Setting, Settings
from bot.engine import Engine
from bot.events import (
    BACK_ID,
    SKIP_ID,
    Attachment,
    Button,
    ButtonPress,
    EventId,
    Inbound,
    Outbound,
    Snippet,
    TextMessage,
    Word,
    parse_command,
    words,
)
from storage import ConversationKey, PersonKey

PLATFORM = "console"


class ConsoleAdapter:
    """Reads lines from a terminal and prints the engine's answers.

    Args:
        engine: the shared engine.
        settings: where exported files go (the data folder).
        stdin, stdout: the terminal (default: the process's; tests pass pipes).
        reader: where lines come from (default: the line editor on a terminal, plain
            lines otherwise; tests pass prompt_toolkit over a pipe).
        width: columns to wrap to (default: the terminal's).
    """

    name: ClassVar[str] = PLATFORM
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
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        reader: LineReader | None = None,
        width: int | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        colour = wants_colour(stdout or sys.stdout)
        self.reader = reader or reader_for(stdin or sys.stdin, stdout or sys.stdout, colour)
        # The process's own stdout (None) is looked up at each write: the line editor
        # swaps in its own while it draws the input line.
        self.screen = Screen(stdout, colour, width=width)
        self.key = ConversationKey(PLATFORM, getpass.getuser(), "terminal")
        self.options = NONE
        self.snippets: tuple[Snippet, ...] = ()
        """What `/copy N` prints: the last message's that offered any."""
        self._session = f"console:{time.time_ns()}"
        self.lines_read = 0
        self._running = False
        engine.on_forget.append(self._forget)

    @property
    def exports(self) -> Path:
        """Where /export writes its files: the data folder is one person's."""
        return self.settings.data_dir / "exports"

    def stop(self) -> None:
        self.reader.stop()

    def ready(self) -> bool:
        return self._running

    async def run(self) -> None:
        with self.reader.drawing():
            self._running = True
            self.screen.say(words(Word.CONSOLE_HELLO))
            await self.engine.answer(self.event_for("/start"), self.send)
            while (line := await self.reader.read(self.hint)) is not None:
                self.lines_read += 1
                if not self.copied(line.strip()):
                    await self.engine.answer(self.event_for(line.strip()), self.send)
            self._running = False
            self.screen.say(words(Word.CONSOLE_BYE))

    def hint(self) -> str:
        """The input line's start: which numbers press an option now."""
        return self.options.hint()

    def event_for(self, line: str) -> Inbound:
        """A command; else an option's number (where numbers press) or its name presses
        it; else typed words."""
        event_id = EventId(self._session, self.lines_read)
        command = parse_command(self.key, line, event_id)
        if command is not None:
            return command
        button = self.chosen(line)
        if button is not None:
            return ButtonPress(self.key, button.data, event_id)
        return TextMessage(self.key, line, event_id)

    def copied(self, line: str) -> bool:
        """`/copy N` printed snippet N bare (a bare `/copy` lists them): the terminal's
        own command, which the bot never sees."""
        command = parse_command(self.key, line)
        if command is None or command.name != COPY:
            return False
        number = int(command.args) if command.args.isdigit() else 0
        if 0 < number <= len(self.snippets):
            self.screen.copy(self.snippets[number - 1])
        else:
            self.screen.copies(self.snippets)
        return True

    def chosen(self, line: str) -> Button | None:
        buttons = self.options.buttons
        if self.options.numbered and line.isdigit() and 0 < int(line) <= len(buttons):
            return buttons[int(line) - 1]
        typed = _words(line)
        named = [button for button in buttons if typed and typed in _names(button)]
        return named[0] if len(named) == 1 else None

    async def send(self, key: ConversationKey, messages: list[Outbound]) -> None:
        for message in messages:
            offered = Options.of(message) if message.buttons else NONE
            if message.prompt is not None and not message.prompt.retires:
                offered = self.options.beside(offered)
            if message.buttons:
                self.options = offered
            if message.snippets:
                self.snippets = message.snippets
            if message.text or message.buttons:
                self.screen.show(message, offered)
            if message.attachment:
                self.screen.saved(str(self._save(message.attachment)))

    def _save(self, attachment: Attachment) -> Path:
        """An export in the data folder, readable by its owner only (it holds the case)."""
        self.exports.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.exports / attachment.filename
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(attachment.content)
        return path

    def _forget(self, person: PersonKey) -> None:
        """/forget deletes the exported case files too: they hold the whole case."""
        if person.platform == PLATFORM:
            shutil.rmtree(self.exports, ignore_errors=True)
            self.options = NONE
            self.snippets = ()


_ID_NAMES = {SKIP_ID: "skip", BACK_ID: "back"}


def _names(button: Button) -> set[str]:
    """What an option may be typed as: its label, or its id's last part (`pick:refund`:
    "refund"; skip and back by those words)."""
    plain_id = _ID_NAMES.get(button.option, button.option.rpartition(":")[2].replace("_", " "))
    return {_words(button.label), _words(plain_id)} - {""}


def _words(text: str) -> str:
    """Letters and digits only, case-folded, one space between words ("⬅ Back": "back")."""
    kept = "".join(
        char if unicodedata.category(char)[0] in "LN" else " " for char in text.casefold()
    )
    return " ".join(kept.split())
