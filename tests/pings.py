"""A fake reminder delivery and a running scheduler, for tests about reminders.

`Pings` stands where the adapters' `send` would be (the `deliver` seam of
`bot.reminders.Scheduler`): it keeps every ping, and can fail for some users or make the
process "die" right after a ping went out. `scheduling(chat, pings)` runs a scheduler over
the chat's engine and clock; `await running.at(hours=2)` moves the clock and waits until
every delivery that fell due is done. Nothing sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from bot.events import Button, Outbound
from bot.reminders import Deliver, Scheduler
from bot.reminders.scheduler import Records
from storage import ConversationKey
from tests.chat import Chat, said


class Crash(BaseException):
    """The process dying between sending a ping and recording that it went."""


class FloodControl(Exception):
    """A platform's flood-control refusal (a 429) as the outbox and the scheduler see
    it: a wait asked (`retry_after`, in seconds), not a failure."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"retry after {seconds}")
        self.retry_after = seconds


@dataclass
class Pings:
    """A fake `deliver`: records each ping sent; fails for the users in `failing`; with
    `crashes` above zero, sends and then "dies" (that many times); with `held_back` above
    zero, is first refused by flood control that many times, each asking `held_for` s."""

    sent: list[tuple[ConversationKey, list[Outbound]]] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)
    crashes: int = 0
    tries: int = 0
    held_back: int = 0
    held_for: int = 1

    async def __call__(self, key: ConversationKey, messages: list[Outbound]) -> None:
        self.tries += 1
        if self.held_back:
            self.held_back -= 1
            raise FloodControl(self.held_for)
        if key.user_id in self.failing:
            raise ConnectionError("the platform refused: bot blocked")
        self.sent.append((key, messages))
        if self.crashes:
            self.crashes -= 1
            raise Crash

    def texts(self, user: str | None = None) -> list[str]:
        return [
            "\n".join(m.text.plain() for m in messages)
            for key, messages in self.sent
            if user is None or key.user_id == user
        ]

    def said(self, user: str | None = None) -> list[list[str]]:
        """What each delivery asked or told, by id (tests/chat.py `said`)."""
        return [said(messages) for key, messages in self.sent if user in (None, key.user_id)]

    def button(self, action: str, index: int = -1) -> Button:
        """The button for `action` (`done`, `1h`, `yes`: its data after the reminder's id)
        on a ping (the last by default)."""
        _, messages = self.sent[index]
        found = [
            b
            for m in messages
            for row in m.buttons
            for b in row
            if b.option.rpartition("|")[2] == action
        ]
        assert len(found) == 1, f"no single {action!r} on {messages}"
        return found[0]


@dataclass
class Running:
    scheduler: Scheduler
    chat: Chat
    task: asyncio.Task[None]

    async def at(self, **delta: float) -> None:
        """Move the clock on and wait until the scheduler has done what fell due."""
        self.chat.clock.advance(**delta)
        await self.scheduler.idle()


@contextlib.asynccontextmanager
async def scheduling(
    chat: Chat, pings: Deliver, records: Records | None = None, **options: Any
) -> AsyncIterator[Running]:
    """A scheduler over the chat's engine (or `records` standing for it) and clock,
    running for the block."""
    scheduler = Scheduler(records or chat.engine, pings, chat.clock, **options)
    task = asyncio.create_task(scheduler.run())
    running = Running(scheduler, chat, task)
    try:
        await scheduler.idle()
        yield running
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Crash):
            await task
