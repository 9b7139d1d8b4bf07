"""What the Discord adapter tells the engine's observers that discord.py keeps to itself."""

from __future__ import annotations

import aiohttp

from adapters.discord_bot.commands import PLATFORM
from bot.observe import Observer


def rate_limits(observers: Observer) -> aiohttp.TraceConfig:
    """An aiohttp trace for discord.py's HTTP client (`http_trace`) that tells the
    observers of each 429 Discord answers; discord.py waits them out itself, unseen."""
    trace = aiohttp.TraceConfig()

    async def answered(_: object, __: object, request: aiohttp.TraceRequestEndParams) -> None:
        if request.response.status == 429:
            wait = request.response.headers.get("Retry-After", "0")
            seconds = float(wait) if wait.replace(".", "", 1).isdigit() else 0.0
            observers.rate_limited(PLATFORM, seconds)

    trace.on_request_end.append(answered)
    return trace
