"""The Telegram rate limiter: replies never wait for the broadcast budget, pings do."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram.error import RetryAfter

from adapters.telegram_limits import REPLY, RepliesFirstRateLimiter


async def sent(limiter: RepliesFirstRateLimiter, log: list[str], name: str, **request: Any) -> Any:
    async def call() -> str:
        log.append(name)
        return name

    return await limiter.process_request(
        call, (), {}, "sendMessage", request, request.pop("budget", None)
    )


async def test_replies_go_while_a_ping_waits_for_the_broadcast_budget() -> None:
    limiter = RepliesFirstRateLimiter(broadcasts=1, seconds=100)
    log: list[str] = []
    await sent(limiter, log, "ping 1", chat_id=1)
    waiting = asyncio.create_task(sent(limiter, log, "ping 2", chat_id=2))

    replies = [sent(limiter, log, f"reply {n}", chat_id=10 + n, budget=REPLY) for n in range(20)]
    await asyncio.wait_for(asyncio.gather(*replies), timeout=30)

    assert log == ["ping 1"] + [f"reply {n}" for n in range(20)]
    assert not waiting.done(), "the second ping waits for the broadcast budget"
    waiting.cancel()


async def test_a_call_without_a_chat_is_not_paced() -> None:
    limiter = RepliesFirstRateLimiter(broadcasts=1, seconds=100)
    log: list[str] = []
    await sent(limiter, log, "ping", chat_id=1)

    await asyncio.wait_for(sent(limiter, log, "answerCallbackQuery", callback_query_id="7"), 30)

    assert log == ["ping", "answerCallbackQuery"]


async def test_flood_control_is_waited_out_then_the_request_sent_again() -> None:
    limiter = RepliesFirstRateLimiter()
    tries: list[int] = []

    async def call() -> str:
        tries.append(len(tries))
        if len(tries) == 1:
            raise RetryAfter(0)
        return "sent"

    result = await limiter.process_request(call, (), {}, "sendMessage", {"chat_id": 5}, REPLY)

    assert result == "sent"
    assert tries == [0, 1]
