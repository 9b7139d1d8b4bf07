"""The driver protocol of the conformance suite, and the engine that records what
adapters hand it.

`RecordingEngine` is the real `Engine` (the real flow and store), that also keeps each
event an adapter passed to `handle` or `answer` and the messages it answered with: so a
test can say "that press came back as the option's data" and "this is the prompt the
platform was asked to show", without reading any English.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

from bot.adapter import Adapter, route
from bot.engine import Engine, Settled
from bot.events import Button, ButtonStyle, Inbound, Outbound, Prompt
from bot.reminders import Deliver, Scheduler
from storage import ConversationKey, Store
from tests.chat import Clock


class RecordingEngine(Engine):
    """The engine, keeping every event adapters hand it and every reply it gave."""

    def __init__(self, store: Store) -> None:
        self.clock = Clock()
        super().__init__(store, clock=self.clock)
        self.events: list[Inbound] = []
        self.replies: list[list[Outbound]] = []
        self.changed = asyncio.Condition()

    async def handle(self, event: Inbound) -> list[Outbound]:
        self.events.append(event)
        replies = await super().handle(event)
        await self.record(replies)
        return replies

    async def answer(
        self,
        event: Inbound,
        deliver: Deliver,
        settled: Settled | None = None,
        *,
        every: bool = False,
    ) -> bool:
        self.events.append(event)
        answered: list[Outbound] = []

        async def delivered(key: ConversationKey, messages: list[Outbound]) -> None:
            await deliver(key, messages)
            answered.extend(messages)

        applied = await super().answer(event, delivered, settled, every=every)
        await self.record(answered)
        return applied

    async def record(self, replies: list[Outbound]) -> None:
        """Keep what was sent (a turn's replies, a reminder's ping)."""
        async with self.changed:
            self.replies.append(replies)
            self.changed.notify_all()

    async def turns(self, count: int) -> None:
        """Until `count` turns have been answered (and delivered, for `answer`)."""
        async with asyncio.timeout(30), self.changed:
            await self.changed.wait_for(lambda: len(self.replies) >= count)

    def asked(self) -> Outbound:
        """The last message that asked something: the prompt open now."""
        for replies in reversed(self.replies):
            for message in reversed(replies):
                if message.prompt is not None and message.buttons:
                    return message
        raise AssertionError("nothing was asked yet")

    def button(self, option: str) -> Button:
        """The open prompt's option with this id, as the engine drew it; or, past the
        pings asked since (a ping's prompt retires none), the open question's."""
        asked = [m for replies in self.replies for m in replies if m.prompt and m.buttons]
        for message in reversed(asked):
            found = [b for row in message.buttons for b in row if b.option == option]
            assert len(found) <= 1, f"two options {option!r} in {message.buttons}"
            if found:
                return found[0]
            if prompt_of(message).retires:
                break
        raise AssertionError(f"no option {option!r} in {self.asked().buttons}")


@dataclass(frozen=True, slots=True)
class ShownOption:
    """Something the person can press, as the platform shows it."""

    label: str
    style: ButtonStyle | None = None
    """How it looks, where the platform styles options (None: it has no styles)."""


@dataclass(frozen=True, slots=True)
class ShownCopy:
    """Something the person can copy whole, as the platform offers it (a copy button, a
    command that prints it bare): what names it, and exactly what is copied."""

    label: str
    text: str


@dataclass(frozen=True, slots=True)
class Shown:
    """The open question as a person sees it."""

    text: str
    options: tuple[ShownOption, ...]
    answer_box: bool | None = None
    """Whether a way to type an answer is offered, on a platform where typing needs one
    (Discord's form); None where a person can always type (a chat, a terminal)."""
    quoted: tuple[str, ...] = ()
    """The text of each run of lines set apart as lines to say (a quote)."""
    spare: tuple[str, ...] = ()
    """The text of each run set apart as kept for when needed (on Telegram a folded
    quote), which must differ from how `quoted` is set apart."""


class Driver(Protocol):
    """A person on one platform, over a started adapter and a `RecordingEngine`."""

    engine: RecordingEngine
    adapter: Adapter

    @property
    def key(self) -> ConversationKey:
        """The person's conversation, as the adapter names it."""

    async def show(self, message: Outbound) -> None:
        """Have the adapter send `message` unprompted (its `send`, as pings go)."""

    async def command(self, name: str, args: str = "") -> None:
        """Use the command `/name args` as the platform offers commands."""

    async def type(self, text: str) -> None:
        """Answer the open question by typing `text`, the platform's way."""

    async def press(self, option: str) -> None:
        """Press what shows the open prompt's option with this id (found by its label)."""

    def shown(self) -> Shown:
        """The open question as shown now."""

    async def copies(self) -> tuple[ShownCopy, ...]:
        """What the message shown last offers to copy whole, each as the platform copies
        it (pressing or typing what it takes)."""


async def one_turn(engine: RecordingEngine, act: Callable[[], Awaitable[object]]) -> None:
    """Do `act` and wait until the engine has answered the turn it causes."""
    before = len(engine.replies)
    await act()
    await engine.turns(before + 1)


def prompt_of(message: Outbound) -> Prompt:
    assert message.prompt is not None
    return message.prompt


@asynccontextmanager
async def pinged(driver: Driver, **later: float) -> AsyncIterator[None]:
    """The reminder scheduler over the driver's adapter, the clock moved on by `later`,
    until the ping it sends is recorded; stopped on exit."""
    deliver = route([driver.adapter])
    engine = driver.engine

    async def delivered(key: ConversationKey, messages: list[Outbound]) -> None:
        await deliver(key, messages)
        await engine.record(messages)

    scheduler = Scheduler(engine, delivered, engine.clock, platforms=[driver.adapter.name])
    running = asyncio.create_task(scheduler.run())
    try:
        sent = len(engine.replies)
        engine.clock.advance(**later)
        await engine.turns(sent + 1)
        yield
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
