"""A stop signal while the store is still opening ends the run without starting anything.

The real entry point (`bot.serve.serve`) is pointed at a database on 127.0.0.1 that
accepts connections and never answers (as a PostgreSQL stuck at start-up or behind a dead
link does), or that answers the first connection (the schema check) from the real test
server and stalls the pool's, and at the fake Telegram. The stop comes while it waits for
the database: the run ends at once, cleanly, the pool is closed rather than left trying,
and Telegram never hears from it (no getMe, no webhook set-up).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from bot.config import load_settings
from bot.serve import serve
from storage.postgres import upgrade_database
from tests.fakes.telegram import FakeTelegram

POOL_TASKS = "fairshake-"
"""How the names of the tasks of the store's connection pool begin (psycopg_pool's, after
the pool's name)."""


@asynccontextmanager
async def stalling_database(
    passed_on: Path | None = None,
) -> AsyncIterator[tuple[int, asyncio.Event]]:
    """A socket on 127.0.0.1 that accepts connections and never says a word, except that
    the first is passed on to the PostgreSQL server listening at `passed_on` (its unix
    socket) when one is given. Yields its port and an event set once a connection is
    held unanswered."""
    stalled = asyncio.Event()
    held: list[asyncio.StreamWriter] = []
    piping: list[asyncio.Task[None]] = []

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(ConnectionError):
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        writer.close()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # closed when the test ends
        if passed_on is not None and len(held) == 1:
            server_reader, server_writer = await asyncio.open_unix_connection(passed_on)
            held.append(server_writer)
            piping.append(asyncio.create_task(pipe(reader, server_writer)))
            piping.append(asyncio.create_task(pipe(server_reader, writer)))
            return
        stalled.set()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], stalled
    finally:
        for writer in held:
            writer.close()
        for task in piping:
            task.cancel()
        await asyncio.gather(*piping, return_exceptions=True)
        server.close()
        await server.wait_closed()


async def stop_while_stalled(
    tmp_path: Path, telegram: FakeTelegram, database_url: str, stalled: asyncio.Event
) -> None:
    """`serve` on `database_url` and Telegram; SIGTERM once the database stalls it; the run
    must end without an error, before the connect timeout would have ended it."""
    settings = load_settings(
        {
            "FAIRSHAKE_DATA_DIR": str(tmp_path / "data"),
            "FAIRSHAKE_DATABASE_URL": database_url,
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_API_BASE_URL": telegram.base_url,
        },
        env_file=tmp_path / "absent.env",
    )
    running = asyncio.create_task(serve(settings))
    # Stalled: the run is opening its store, its stop handlers in place.
    await asyncio.wait_for(stalled.wait(), 30)
    assert not running.done()
    os.kill(os.getpid(), signal.SIGTERM)
    # Waiting out the database instead ends in a StoreError after its connect timeout.
    done, _ = await asyncio.wait([running], timeout=60)
    assert done, "the run went on after the stop"
    assert running.exception() is None


def left_running() -> list[str]:
    return [
        task.get_name()
        for task in asyncio.all_tasks()
        if task.get_name().startswith(POOL_TASKS) and not task.done()
    ]


async def test_a_stop_while_the_database_stalls_starts_no_adapter(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    async with FakeTelegram() as telegram, stalling_database() as (port, stalled):
        url = f"postgresql://fairshake@127.0.0.1:{port}/fairshake"
        await stop_while_stalled(tmp_path, telegram, url, stalled)

    assert telegram.calls == []
    assert not (tmp_path / "data" / "heartbeat").exists()
    assert [r for r in caplog.records if r.getMessage().startswith("started")] == []


async def test_a_stop_while_the_pool_opens_closes_the_pool(tmp_path, database_url):
    """The schema check is answered; the pool's first connection stalls."""
    await upgrade_database(database_url)
    real = conninfo_to_dict(database_url)
    server_socket = Path(str(real["host"])) / f".s.PGSQL.{real['port']}"
    async with (
        FakeTelegram() as telegram,
        stalling_database(passed_on=server_socket) as (port, stalled),
    ):
        url = f"postgresql://{real['user']}@127.0.0.1:{port}/{real['dbname']}"
        await stop_while_stalled(tmp_path, telegram, url, stalled)
    # The stalled connection is dropped now: a pool left open would try again and again
    # (and hold the process's exit up); a closed one's last attempt just ends.
    async with asyncio.timeout(30):
        while left_running():
            await asyncio.sleep(0.05)

    assert telegram.calls == []
