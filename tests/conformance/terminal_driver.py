"""The terminal's driver: the console adapter's own run loop, reading keys from
prompt_toolkit's pipe input (the real line editor) and writing to a stream that says it
is a terminal, so colours show which options are styled how. Quotes are read by the bar
down their left (adapters/console_view.py's QUOTES), and what can be copied by the
`/copy N` list under a message, each typed to see what it prints."""

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
from adapters.console_view import QUOTES
from bot.config import load_settings
from bot.events import Block, ButtonStyle, Outbound
from storage import ConversationKey, MemoryStore
from tests.conformance.driver import RecordingEngine, Shown, ShownCopy, ShownOption, one_turn

STYLES = {"1;31": ButtonStyle.DANGER, "1;32": ButtonStyle.SUCCESS, "1;34": ButtonStyle.PRIMARY}
"""The colours the terminal gives styled options (adapters/console_view.py)."""
SGR = r"\x1b\[([0-9;]*)m"
NUMBERED = re.compile(rf"\x1b\[1m(\d+)\) \x1b\[0m(?:{SGR})?(.+?)(?=\x1b\[0m|\s{{3}}|\s*\n|\s*$)")
NAMED = re.compile(rf"(?:{SGR})?\[([^\[\]\n\x1b]+)\]")
ESCAPES = re.compile(SGR)
COPIES = re.compile(r"📋 /copy (\d+) (.+?)(?=\s{3}|\s*\n|\s*$)")
BARS = {QUOTES[block][0]: block for block in (Block.SAY, Block.SPARE)}


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
        """Type the number last shown beside the option's label (a ping's are numbered
        on after the question's), or its name where it was last listed by name (a
        question answered by typing)."""
        label = self.engine.button(option).label
        seen = self.screen.getvalue()
        shown = [(m.start(), m[1]) for m in NUMBERED.finditer(seen) if m[3] == label]
        shown += [(m.start(), label) for m in NAMED.finditer(seen) if m[2] == label]
        await self._line(max(shown)[1] if shown else label)

    async def copies(self) -> tuple[ShownCopy, ...]:
        """`/copy N` typed for each N of the last list of them, and what each printed."""
        seen = ESCAPES.sub("", self.screen.getvalue())
        listings = [block for block in seen.split("\n\n") if COPIES.search(block)]
        copied = []
        for number, label in COPIES.findall(listings[-1]) if listings else ():
            printed = await self._typed_locally(f"/copy {number}")
            assert printed.startswith("\n") and printed.endswith("\n\n"), repr(printed)
            copied.append(ShownCopy(label, printed[1:-2]))
        return tuple(copied)

    def shown(self) -> Shown:
        """The last turn's output: its text, the options of its last list of them, and
        each run of lines behind a quote's bar."""
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
        seen = ESCAPES.sub("", raw)
        quotes = quoted(seen)
        return Shown(seen, options, quoted=quotes[Block.SAY], spare=quotes[Block.SPARE])

    async def _line(self, line: str) -> None:
        """A line typed once the editor waits for one, and the turn it causes answered."""
        await self._editing()
        self._mark = len(self.screen.getvalue())

        async def typed() -> None:
            self.keys.send_text(line + "\r")

        await one_turn(self.engine, typed)

    async def _typed_locally(self, line: str) -> str:
        """A line the terminal answers itself (no turn), and what it printed."""
        await self._editing()
        read, mark = self.adapter.lines_read, len(self.screen.getvalue())
        self.keys.send_text(line + "\r")
        async with asyncio.timeout(30):
            while self.adapter.lines_read == read:
                await asyncio.sleep(0.01)
        return ESCAPES.sub("", self.screen.getvalue()[mark:])

    async def _editing(self) -> None:
        """Until the line editor waits for a line."""
        reader = self.adapter.reader
        assert isinstance(reader, EditedLines)
        async with asyncio.timeout(30):
            while not reader.session.app.is_running:
                await asyncio.sleep(0.01)


def quoted(seen: str) -> dict[Block, tuple[str, ...]]:
    """Each run of lines behind one kind of quote's bar, without the bar, by its kind."""
    runs: dict[Block, list[list[str]]] = {block: [] for block in BARS.values()}
    last: Block | None = None
    for line in seen.split("\n"):
        block = next((b for bar, b in BARS.items() if line.startswith(bar.rstrip())), None)
        if block is not None:
            if block != last:
                runs[block].append([])
            runs[block][-1].append(line[len(QUOTES[block][0]) :])
        last = block
    return {block: tuple("\n".join(run) for run in found) for block, found in runs.items()}


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
