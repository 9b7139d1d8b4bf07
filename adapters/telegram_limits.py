"""Telegram's flood limits: each chat paced on its own, replies first in the bot's budget.

Telegram asks a bot to send about one message a second in a chat (it allows short
bursts), at most 20 a minute in a group, and about 30 a second in all; past them it
answers 429 with a `retry_after`. Here (adapters/telegram_pace.py for the arithmetic):

- a new message in a chat waits for its chat's pace: a burst of `CHAT_BURST`, then
  one every `Limits.chat_interval` (in a group, where edits count too, three times as
  long); "typing…" is not a message and is not paced;
- every request to a chat (edits too) then waits for the bot's overall pace, where a
  reply to someone who just wrote (`rate_limit_args=REPLY`) takes the next slot and a
  reminder ping only a slot no reply wants, so pings fill what replies leave and never
  hold one up;
- a 429 pauses only the chat it was for, for its `retry_after`, while every other chat
  keeps going; one for a call with no chat, or for a second chat within
  `GLOBAL_WINDOW` seconds of another's, is taken as the bot's overall limit and pauses
  all of them;
- a wait up to `Limits.wait_in_place` is waited and the request sent again; a longer
  one raises `RetryAfter` at once (nothing is sent meanwhile), so the reply waits in
  the outbox, which sends it once the time asked is over, no try counted
  (bot/reminders/outbox.py);
- the first message of a turn's reply (`rate_limit_args=FIRST_REPLY`) is never waited
  for: when its chat's slot is not free now (the person's earlier turns spent the
  burst, or a 429 paused the chat), it raises `RetryAfter` with the wait at once. The
  turn ends with its reply kept in the outbox, which sends it once the wait is over;
  that person's next turns queue theirs behind it at once. So no turn holds the
  polling offset (adapters/telegram_polling.py) while its chat waits, and one person's
  flood does not keep everyone else's updates waiting;
- so is the first message of a ping (`FIRST_PING`: a reminder, or a reply the outbox
  sends again): the outbox sends a person's replies under their delivery lock, which
  their next turn waits for, so a backlog of them paced in place would hold that turn,
  and the polling offset with it, for as long as the backlog; instead each goes when
  its slot is free, and a reminder is due again once the wait is over;
- a later message of the same reply (`REPLY`) waits for its slot, unless its chat has
  fallen `BEHIND_LIMIT` behind its pace: then it raises too, and the outbox sends the
  rest of the reply.

The paces are per process: instances sharing a database each keep their own.
How fast one person can make the bot reply is bounded by the engine's per-person rate
limit, not here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from adapters.telegram_pace import Pace
from bot.config import Settings

log = logging.getLogger(__name__)

os.environ.setdefault("PTB_TIMEDELTA", "true")
# PTB's durations as timedeltas, as its next major version will give them (PTB's own
# opt-in): without it, PTB warns of the change on every RetryAfter it makes, even in its
# constructor. What here reads a duration (`wait_asked`, the outbox's `asked_wait`) takes
# either form, so an operator who sets PTB_TIMEDELTA=false changes nothing but the warnings.

REPLY: Literal["reply"] = "reply"
"""`rate_limit_args` of a request answering a person who just wrote."""
FIRST_REPLY: Literal["first reply"] = "first reply"
"""`rate_limit_args` of the first new message of a turn's reply: a reply too, but not
waited for in place when its chat is busy (it raises `RetryAfter`, for the outbox)."""
FIRST_PING: Literal["first ping"] = "first ping"
"""`rate_limit_args` of the first new message of a ping (a reminder, or a reply the
outbox sends again): a ping (None) that, like FIRST_REPLY, is not waited for."""

Budget = Literal["reply", "first reply", "first ping"] | None

CHAT_BURST = 3
"""Messages one chat may get at once (a turn's edit and question, an export's file and
text) before its pace holds the next ones."""
GROUP_INTERVALS = 3
"""A group's interval in private chats' (3 s: 20 a minute)."""
BEHIND_LIMIT = 1.0
"""Seconds a chat may fall behind its pace before the rest of a turn's reply is left to
the outbox."""
GLOBAL_WINDOW = 1.0
"""Seconds within which 429s for two different chats are taken as the bot's overall limit."""
IDLE_PACES = 1024
"""Past this many chats' paces, those as good as new are dropped."""
NOT_MESSAGES = frozenset({"sendchataction"})
"""Requests to a chat that are not messages: not paced, but not sent during its pause."""
NEW_MESSAGES = ("send", "copy", "forward")
"""How the methods that put a new message in a chat begin: what a private chat's pace
counts (an edit there changes what is shown, and waits only for a pause)."""

JSONDict = dict[str, Any]
Result = bool | JSONDict | list[JSONDict]


@dataclass(frozen=True, slots=True)
class Limits:
    """The pace the bot keeps (TELEGRAM_CHAT_PACE, TELEGRAM_MESSAGES_PER_SECOND)."""

    chat_interval: float = 1.0
    """Seconds between messages to one private chat once its burst is spent (0: unpaced)."""
    per_second: float = 30.0
    """Messages a second the bot sends in all (0: no overall pace)."""
    wait_in_place: float = 10.0
    """The longest flood-control wait waited before sending again; longer ones raise."""
    max_retries: int = 3
    """Times a request refused with 429 is sent again after its wait."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            chat_interval=float(settings.get("TELEGRAM_CHAT_PACE") or 1),
            per_second=float(settings.get("TELEGRAM_MESSAGES_PER_SECOND") or 30),
        )


def wait_asked(error: RetryAfter) -> float:
    """The seconds a flood-control refusal asks to wait (a timedelta, as opted in above,
    or the number of seconds PTB gives without the opt-in)."""
    wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


class RepliesFirstRateLimiter(BaseRateLimiter[Budget]):
    """A PTB rate limiter: each chat's pace, then the bot's, replies first; 429s per chat.

    Args:
        limits: the paces kept.
        on_flood: told of each wait a 429 asks for (its seconds), for the metrics.
        clock: monotonic seconds (the paces' time).
        sleep: waits that many seconds.
    """

    def __init__(
        self,
        limits: Limits = Limits(),
        on_flood: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limits = limits
        self._on_flood = on_flood
        self._clock = clock
        self._sleep = sleep
        self._overall = Pace(1 / limits.per_second if limits.per_second > 0 else 0)
        self._chats: dict[int | str, Pace] = {}
        self._refused_at: dict[int | str, float] = {}
        """When a 429 last came for each chat (within `GLOBAL_WINDOW`)."""
        self._pings = asyncio.Lock()
        """Pings take overall slots one at a time, in the order they asked."""

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def pace_of(self, chat_id: int | str) -> Pace:
        """The chat's pace (made on its first message; idle ones dropped past `IDLE_PACES`)."""
        pace = self._chats.get(chat_id)
        if pace is None:
            if len(self._chats) > IDLE_PACES:
                now = self._clock()
                for known, old in list(self._chats.items()):
                    if old.idle(now):
                        del self._chats[known]
            interval = self.limits.chat_interval
            if _is_group(chat_id):
                interval *= GROUP_INTERVALS
            pace = self._chats[chat_id] = Pace(interval, CHAT_BURST)
        return pace

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Budget,
    ) -> Result:
        """Wait for the chat's turn and the bot's (unless it has no chat), then send; a 429
        pauses the chat (or all) and, if short, is waited out and the request sent again
        (a turn's first message raises instead, for the outbox)."""
        chat_id = _chat_of(data)
        for attempt in range(self.limits.max_retries + 1):
            if chat_id is not None:
                await self._turn(chat_id, endpoint.lower(), rate_limit_args)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                seconds = wait_asked(error)
                if self._on_flood is not None:
                    self._on_flood(seconds)
                self._refused(chat_id, seconds)
                if attempt == self.limits.max_retries or seconds > self.limits.wait_in_place:
                    raise
                log.info("telegram: flood control, waiting %.1f s", seconds)
                if chat_id is None:
                    await self._sleep(seconds)  # a chat's request waits for its pause
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _turn(self, chat_id: int | str, endpoint: str, budget: Budget) -> None:
        """Until the chat's slot and then the bot's have come, with no pause on either
        meanwhile; a pause longer than `wait_in_place`, or any wait for a turn's first
        message, raises at once."""
        pace = self.pace_of(chat_id)
        reply = budget in (REPLY, FIRST_REPLY)
        first = budget in (FIRST_REPLY, FIRST_PING)
        while True:
            now = self._clock()
            paused = max(pace.paused(now), self._overall.paused(now))
            if paused > self.limits.wait_in_place or (paused and endpoint in NOT_MESSAGES):
                raise RetryAfter(math.ceil(paused))
            if endpoint in NOT_MESSAGES:
                return
            counted = _counted(chat_id, endpoint)
            wait = pace.free_at(now) - now
            if first and (held := max(wait if counted else 0.0, paused)) > 0:
                raise RetryAfter(math.ceil(held))  # the outbox sends it then
            if reply and counted and wait > 0 and pace.behind(now) >= BEHIND_LIMIT:
                raise RetryAfter(math.ceil(wait))  # the outbox sends it, paced
            await self._until(pace.reserve(now) if counted else now + paused)
            await self._overall_slot(reply)
            now = self._clock()
            if not (pace.paused(now) or self._overall.paused(now)):
                return  # else a 429 came while it waited: wait for the pause

    async def _overall_slot(self, reply: bool) -> None:
        """A reply takes the bot's next slot; a ping waits until a slot is free now (no
        reply holds it), so replies asked later still go before it."""
        if reply:
            await self._until(self._overall.reserve(self._clock()))
            return
        async with self._pings:
            while (at := self._overall.free_at(now := self._clock())) > now:
                await self._until(at)
            self._overall.reserve(now)

    async def _until(self, at: float) -> None:
        if (wait := at - self._clock()) > 0:
            await self._sleep(wait)

    def _refused(self, chat_id: int | str | None, seconds: float) -> None:
        """A 429: the chat paused, or every chat when the limit is the bot's."""
        now = self._clock()
        for known, at in list(self._refused_at.items()):
            if now - at > GLOBAL_WINDOW:
                del self._refused_at[known]
        others = set(self._refused_at) - {chat_id}
        if chat_id is None or others:
            log.info("telegram: flood control for the whole bot, %.1f s", seconds)
            self._overall.pause(now + seconds)
        else:
            self.pace_of(chat_id).pause(now + seconds)
        if chat_id is not None:
            self._refused_at[chat_id] = now


def rest_of(budget: Budget) -> Budget:
    """The budget of a delivery's later messages once its first went with `budget`."""
    return REPLY if budget == FIRST_REPLY else None if budget == FIRST_PING else budget


def _chat_of(data: dict[str, Any]) -> int | str | None:
    chat_id = data.get("chat_id")
    with contextlib.suppress(ValueError, TypeError):
        chat_id = int(chat_id)  # type: ignore[arg-type]
    return chat_id if isinstance(chat_id, int | str) else None


def _counted(chat_id: int | str, endpoint: str) -> bool:
    """Whether the request counts towards its chat's pace: in a group every one (edits
    too are limited there), in a private chat a new message."""
    return _is_group(chat_id) or endpoint.startswith(NEW_MESSAGES)


def _is_group(chat_id: int | str) -> bool:
    """Groups and channels: a negative id, or a channel's @username."""
    return isinstance(chat_id, str) or chat_id < 0
