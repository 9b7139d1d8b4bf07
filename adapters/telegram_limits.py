"""Telegram's flood limits, with replies kept apart from broadcasts.

Telegram asks a bot to stay under about 30 messages a second when it notifies many
people at once and 20 a minute in a group; past its limits it answers 429 with a
`retry_after`. PTB's AIORateLimiter puts every message with a chat through the
30-a-second budget, so a reply to someone who just wrote waits behind everyone else's:
with 50 people chatting, replies queued for seconds (and turned on "typing…" while they
waited). Here a reply (sent with `rate_limit_args=REPLY`) is not counted against that
budget, which is kept for what the bot sends unasked, the reminder pings; group chats
keep their 20 a minute; and, as in PTB, a 429 halts every request for its `retry_after`
and the request is tried again. How fast one person can make the bot reply is bounded
by the engine's per-person rate limit, not here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Literal

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

REPLY: Literal["reply"] = "reply"
"""`rate_limit_args` of a request answering a person who just wrote."""

Budget = Literal["reply"] | None

BROADCAST_PER_SECOND = 30
GROUP_PER_MINUTE = 20
MAX_RETRIES = 3
IDLE_LIMITERS = 512
"""Past this many group limiters, those with their whole minute unused are dropped."""

JSONDict = dict[str, Any]
Result = bool | JSONDict | list[JSONDict]


class RepliesFirstRateLimiter(BaseRateLimiter[Budget]):
    """A PTB rate limiter: the overall budget for all but replies, 20 a minute per group.

    Args:
        broadcasts: the overall budget for messages that are not replies, per `seconds`.
        seconds: the period of that budget.
        max_retries: tries again after a 429 this many times.
        on_flood: told of each wait a 429 asks for (its seconds), for the metrics.
    """

    def __init__(
        self,
        broadcasts: int = BROADCAST_PER_SECOND,
        seconds: float = 1,
        max_retries: int = MAX_RETRIES,
        on_flood: Callable[[float], None] | None = None,
    ) -> None:
        self._on_flood = on_flood
        self._overall = AsyncLimiter(broadcasts, seconds)
        self._groups: dict[int | str, AsyncLimiter] = {}
        self._max_retries = max_retries
        self._clear = asyncio.Event()
        self._clear.set()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def _group_limiter(self, chat_id: int | str) -> AsyncLimiter:
        limiter = self._groups.get(chat_id)
        if limiter is None:
            if len(self._groups) > IDLE_LIMITERS:
                for known, old in list(self._groups.items()):
                    if old.has_capacity(old.max_rate):
                        del self._groups[known]
            limiter = self._groups[chat_id] = AsyncLimiter(GROUP_PER_MINUTE, 60)
        return limiter

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Budget,
    ) -> Result:
        """Wait for the group's pace and, unless it is a reply, the overall budget; send."""
        chat_id = data.get("chat_id")
        with contextlib.suppress(ValueError, TypeError):
            chat_id = int(chat_id)  # type: ignore[arg-type]
        for attempt in range(self._max_retries + 1):
            try:
                async with contextlib.AsyncExitStack() as paced:
                    if isinstance(chat_id, str) or (isinstance(chat_id, int) and chat_id < 0):
                        await paced.enter_async_context(self._group_limiter(chat_id))
                    if chat_id is not None and rate_limit_args != REPLY:
                        await paced.enter_async_context(self._overall)
                    await self._clear.wait()
                    return await callback(*args, **kwargs)
            except RetryAfter as error:
                wait = error.retry_after
                seconds = wait if isinstance(wait, int | float) else wait.total_seconds()
                if self._on_flood is not None:
                    self._on_flood(seconds)
                if attempt == self._max_retries:
                    raise
                log.info("telegram: flood control, waiting %.1f s", seconds)
                self._clear.clear()  # nothing goes to Telegram meanwhile
                try:
                    await asyncio.sleep(seconds + 0.1)
                finally:
                    self._clear.set()
        raise AssertionError("unreachable: the last attempt returns or raises")
