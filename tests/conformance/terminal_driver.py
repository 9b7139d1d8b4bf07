"""The terminal's driver: the console adapter's own run loop, reading keys from
prompt_toolkit's pipe input (the real line editor) and writing to a stream that says it
is a terminal, so colours show which options are styled how."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput

from adapters.console import ConsoleAdapter
from adapters.console_input import EditedLines
from bot.config import load_settings
from bot.events import ButtonStyle, Outbound
from storage import ConversationKey, MemoryStore
from tests.conformance.driver import RecordingEngine, Shown, ShownOption, one_turn

STYLES = {"1;31": ButtonStyle.DANGER, "1;32": ButtonStyle.SUCCESS, "1;34": ButtonStyle.PRIMARY}
"""The colours the terminal gives styled options (adapters/console_view.py)."""
SGR = r"\x1b\[([0-9;]*)m"
NUMBERED = re.compile(rf"\x1b\[1m(\d+)\) \x1b\[0m(?:{SGR})?(.+?)(?=\x1b\[0m|\s{{3}}|\s*\n|\s*$)")
NAMED = re.compile(rf"(?:{SGR})?\[([^\[\]\n\x1b]+)\]")
ESCAPES = re.compile(SGR)


class Screen(io.StringIO):
    """What the terminal chat wrote, on a stream that is a terminal."""

    def isatty(self) -> bool:
        return True


class TerminalDriver:
    def __init__(
        self, adapter: ConsoleAdapter, engine: RecordingEngine, keys: PipeInput, screen: Screen
    ) -> None:
        self.adapter = adapter
        self.engine = engine
        self.keys = keys
        self.screen = screen
        self._mark = 0

    @property
    def key(self) -> ConversationKey:
        return self.adapter.key

    async def show(self, message: Outbound) -> None:
        self._mark = len(self.screen.getvalue())
        await self.adapter.send(self.key, [message])

    async def command(self, name: str, args: str = "") -> None:
        await self._line(f"/{name} {args}".strip())

    async def type(self, text: str) -> None:
        await self._line(text)

    async def press(self, option: str) -> None:
        """Type the number shown beside the option's label, or its name where the
        options are listed by name (questions answered by typing)."""
        label = self.engine.button(option).label
        raw = self.screen.getvalue()[self._mark :]
        numbered = {match[2]: match[0] for match in NUMBERED.findall(raw)}
        await self._line(numbered.get(label, label))

    def shown(self) -> Shown:
        """The last turn's output: its text, and the options of its last list of them."""
        raw = self.screen.getvalue()[self._mark :]
        blocks = [block.strip().split("\n") for block in raw.split("\n\n") if block.strip()]
        options: tuple[ShownOption, ...] = ()
        listing = [
            b for b in blocks if NUMBERED.search("\n".join(b)) or NAMED.match(b[-1].lstrip())
        ]
        if listing:
            last = listing[-1]
            found = [(style, label) for _, style, label in NUMBERED.findall("\n".join(last))]
            found = found or NAMED.findall(last[-1])
            options = tuple(
                ShownOption(label, STYLES.get(style, ButtonStyle.DEFAULT)) for style, label in found
            )
        return Shown(ESCAPES.sub("", raw), options)

    async def _line(self, line: str) -> None:
        """A line typed once the editor waits for one, and the turn it causes answered."""
        reader = self.adapter.reader
        assert isinstance(reader, EditedLines)
        async with asyncio.timeout(30):
            while not reader.session.app.is_running:
                await asyncio.sleep(0.01)
        self._mark = len(self.screen.getvalue())

        async def typed() -> None:
            self.keys.send_text(line + "\r")

        await one_turn(self.engine, typed)


@asynccontextmanager
async def terminal(data: Path) -> AsyncIterator[TerminalDriver]:
    settings = load_settings({"FAIRSHAKE_DATA_DIR": str(data)}, env_file=data / "absent.env")
    screen = Screen()
    with create_pipe_input() as keys:
        reader = EditedLines(input=keys, output=DummyOutput())
        engine = RecordingEngine(MemoryStore())
        adapter = ConsoleAdapter(engine, settings, io.StringIO(), screen, reader, width=100)
        running = asyncio.create_task(adapter.run())
        driver = TerminalDriver(adapter, engine, keys, screen)
        try:
            await driver.engine.turns(1)  # the greeting
            yield driver
        finally:
            adapter.stop()
            await asyncio.wait_for(running, 30)
