"""Notes said outside the outbox (the slow-down to a flood, "I can only read text"),
sent once their chat's flood-control wait is over rather than lost.

A turn's reply that meets its chat busy stays in the outbox, which sends it later
(adapters/telegram_limits.py). A note is kept nowhere: waiting for its chat in place
would hold the update it answers, and so Telegram's polling offset, for everyone. So
it waits in a task of its own, and the update's handler returns at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram.error import RetryAfter, TelegramError

from adapters.telegram_limits import wait_asked

log = logging.getLogger(__name__)

NOTE_TRIES = 5
"""Times a note is tried after the wait it met (each time the wait asked then), before
it is let go."""


class LaterNotes:
    """The notes waiting for their chats, at most one per chat: one more while it waits
    is let go (a flood of stickers gets one "text only", not one each)."""

    def __init__(self) -> None:
        self._waiting: dict[int, asyncio.Task[None]] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def add(self, chat_id: int, send: Callable[[], Awaitable[None]], wait: float) -> None:
        """Call `send` once `wait` seconds are over (and again after each wait it meets)."""
        if chat_id in self._waiting:
            log.info("telegram: a note to a busy chat let go (one waits already)")
            return
        task = asyncio.create_task(self._later(chat_id, send, wait), name="telegram note")
        self._waiting[chat_id] = task

    async def _later(self, chat_id: int, send: Callable[[], Awaitable[None]], wait: float) -> None:
        try:
            for _ in range(NOTE_TRIES):
                await asyncio.sleep(wait)
                try:
                    await send()
                    return
                except RetryAfter as error:
                    wait = wait_asked(error)
            log.warning("telegram: a note was let go: its chat stayed under flood control")
        except TelegramError as error:
            log.warning("telegram: a note could not go: %s", type(error).__name__)
        finally:
            del self._waiting[chat_id]

    def cancel(self) -> None:
        """At a stop: a note is a courtesy kept nowhere, not worth holding a stop for."""
        for task in list(self._waiting.values()):
            task.cancel()
