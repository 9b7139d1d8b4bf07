"""A stop signal while the store is still opening ends the run without starting anything.

The real entry point (`bot.serve.serve`) is pointed at a database that accepts the
connection and never answers (as a PostgreSQL stuck at start-up or behind a dead link
does) and at the fake Telegram. The stop comes while it waits for the database: the run
ends at once, cleanly, and Telegram never hears from it (no getMe, no webhook set-up).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.config import load_settings
from bot.serve import serve
from tests.fakes.telegram import FakeTelegram


@asynccontextmanager
async def stalling_database() -> AsyncIterator[tuple[int, asyncio.Event]]:
    """A socket on 127.0.0.1 that accepts connections and never says a word; yields its
    port and an event set once a client has connected."""
    connected = asyncio.Event()
    held: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # kept open, unanswered, until the test ends
        connected.set()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], connected
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_stop_while_the_database_stalls_starts_no_adapter(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    async with FakeTelegram() as telegram, stalling_database() as (port, connected):
        settings = load_settings(
            {
                "FAIRSHAKE_DATA_DIR": str(tmp_path / "data"),
                "FAIRSHAKE_DATABASE_URL": f"postgresql://fairshake@127.0.0.1:{port}/fairshake",
                "TELEGRAM_BOT_TOKEN": telegram.token,
                "TELEGRAM_API_BASE_URL": telegram.base_url,
            },
            env_file=tmp_path / "absent.env",
        )
        running = asyncio.create_task(serve(settings))
        # Connected: the run is opening its store, its stop handlers in place.
        await asyncio.wait_for(connected.wait(), 30)
        assert not running.done()
        os.kill(os.getpid(), signal.SIGTERM)
        # Waiting out the database instead ends in a StoreError after its connect timeout.
        done, _ = await asyncio.wait([running], timeout=60)
        assert done, "the run went on after the stop"
        assert running.exception() is None

    assert telegram.calls == []
    assert not (tmp_path / "data" / "heartbeat").exists()
    started = [r for r in caplog.records if r.getMessage().startswith("started")]
    assert started == []
