"""Sending to the Bot API: what is retried (network errors, 5xx) and what is not."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

log = logging.getLogger(__name__)

SEND_ATTEMPTS = 4


async def retrying(send: Callable[[], Awaitable[Any]], strict: bool = False) -> Any:
    """Send, retrying network errors and 5xx with backoff.

    Flood control (429) is the rate limiter's (telegram_limits): it waits a short wait out
    and sends again; what it still raises (`RetryAfter`: a longer wait, or a turn's reply
    to a chat that is busy) is a wait, not a refusal, and is raised as it is, strict or
    not, so the caller sends the message once the time asked is over (a reply from the
    outbox). A refusal (403: the person blocked the bot; 400) is not retried either. A
    turn's reply or a reminder ping (`strict`) raises when it cannot go, so the scheduler
    retries it later (backoff over minutes) and records it if it never goes; a courtesy
    note (`strict` false: "I can only read text") is logged and dropped.
    What Telegram returned (the message sent) when it went, else None.
    """
    for attempt in range(SEND_ATTEMPTS):
        try:
            return await send()
        except RetryAfter:
            raise
        except (Forbidden, BadRequest) as error:
            log.warning("telegram: message refused: %s", type(error).__name__)
            if strict:
                raise
            return None
        except NetworkError as error:
            if attempt == SEND_ATTEMPTS - 1:
                log.warning(
                    "telegram: a message failed %d times: %s", SEND_ATTEMPTS, type(error).__name__
                )
                if strict:
                    raise
                break
            await asyncio.sleep(0.5 * 2**attempt)
    return None
