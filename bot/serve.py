"""`fairshake` (run): every enabled adapter over one engine and store, until a stop signal.

SIGTERM or SIGINT stops taking new events, lets the turns in flight finish, closes the
store and exits 0. One while the store is still opening gives the opening up and exits 0
with nothing started.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

from bot import checks, logs
from bot.adapter import adapters_to_run, route
from bot.config import Settings
from bot.engine import Engine
from bot.folder import FolderLock
from bot.health import HEARTBEAT_EVERY, heartbeat_path
from bot.probes import for_bot as probes_for
from bot.reminders import Scheduler
from flows.jurisdiction import use_jurisdictions_dir
from flows.playbook import use_playbooks_dir
from storage import Store, StoreError
from storage.backends import open_store
from storage.keys import use_log_secret

log = logging.getLogger("fairshake")

STOP_GRACE = 8.0
"""Seconds the adapters and the turns in flight get to finish after a stop signal."""


async def beat(path: Path) -> None:
    """Touch the heartbeat file while the loop runs, for `fairshake health`. With a
    database the data folder holds only this file, and may not exist yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        path.touch()
        await asyncio.sleep(HEARTBEAT_EVERY)


async def serve(settings: Settings) -> None:
    """Run the adapters over one engine and store until they end or a stop signal comes."""
    if settings.database_url:  # several processes on one database: the database's job
        await _serve(settings)
        return
    folder = FolderLock(settings.data_dir)  # before the store: a second process stops here
    try:
        await _serve(settings)
    finally:
        folder.release()


async def _serve(settings: Settings) -> None:
    # First of all, so that a stop signal while the store opens (a slow database) ends
    # the run cleanly instead of killing the process.
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    store = await _open_unless_stopped(settings, stopping)
    if store is None:
        log.info("stopped before the store opened")
        return
    use_log_secret(settings.log_secret.encode() or await store.log_secret())
    # The terminal chat is one person at the keyboard (the operator): no limit there.
    rate_limit = 0 if _terminal_only(settings) else settings.rate_limit
    engine = Engine(
        store,
        default_timezone=settings.timezone,
        rate_limit=rate_limit,
        closed_kept=settings.closed_kept,
    )
    engine.observers.add(logs.EventLog())
    adapters = [cls(engine, settings) for cls in adapters_to_run(settings)]
    runs = [asyncio.create_task(adapter.run(), name=adapter.name) for adapter in adapters]
    scheduler = Scheduler(engine, route(adapters), platforms=[a.name for a in adapters])
    pinging = asyncio.create_task(scheduler.run(), name="reminders")
    probes = probes_for(engine, adapters, scheduler) if settings.http_port else None
    heart = asyncio.create_task(beat(heartbeat_path(settings)))
    stop_wait = asyncio.create_task(stopping.wait())
    log.info("started: %s", ", ".join(adapter.name for adapter in adapters))
    try:
        if probes is not None:
            await probes.start(settings.http_listen, int(settings.http_port))
        await asyncio.wait([*runs, stop_wait], return_when=asyncio.FIRST_COMPLETED)
    finally:
        # Pings in flight go out while the adapters are still up; then the adapters stop
        # taking events and answer the turns in flight.
        await scheduler.stop(timeout=STOP_GRACE)
        for adapter in adapters:
            adapter.stop()
        _, late = await asyncio.wait(runs, timeout=STOP_GRACE)
        if not await engine.drain(timeout=STOP_GRACE):
            log.warning("stopped with turns still in flight")
        for task in (heart, stop_wait, pinging, *late):
            task.cancel()
        await asyncio.gather(heart, stop_wait, pinging, *late, return_exceptions=True)
        if probes is not None:
            await probes.stop()
        await store.close()
        log.info("stopped")
    failed = [error for task in runs if not task.cancelled() and (error := task.exception())]
    if failed:
        raise failed[0]


async def _open_unless_stopped(settings: Settings, stopping: asyncio.Event) -> Store | None:
    """The store, or None when a stop signal comes first. Then nothing starts (no
    webhook set, no gateway login only to stop at once), and a database that does not
    answer is not waited for: its opening is given up."""
    opening = asyncio.create_task(
        open_store(settings.database_url, settings.data_dir, float(settings.claim_seconds))
    )
    stop_wait = asyncio.create_task(stopping.wait())
    try:
        await asyncio.wait([opening, stop_wait], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop_wait.cancel()
    if not stopping.is_set():
        return opening.result()
    opening.cancel()
    try:
        store = await opening
    except (asyncio.CancelledError, StoreError):
        return None
    await store.close()  # it opened as the stop came
    return None


def run(settings: Settings) -> int:
    level = settings.log_level if settings.log_level in logs.LEVELS else "INFO"
    if "FAIRSHAKE_LOG_LEVEL" not in settings.values and _terminal_only(settings):
        level = "WARNING"  # the log shares the screen with the terminal chat
    logs.configure(level, settings.log_format)
    found = checks.problems(settings)
    if found:
        for problem in found:
            log.error("configuration: %s", problem)
        return 1
    use_playbooks_dir(settings.playbooks_dir)
    use_jurisdictions_dir(settings.jurisdictions_dir)
    try:
        asyncio.run(serve(settings))
    except StoreError as error:
        log.error("%s", error)
        return 1
    except Exception as error:
        # Only the type at INFO: a library's message can quote the token (PTB's
        # InvalidToken does) or what a person typed.
        log.error(
            "stopped by an error: %s (FAIRSHAKE_LOG_LEVEL=DEBUG shows it)", type(error).__name__
        )
        log.debug("the error", exc_info=error)
        return 1
    return 0


def _terminal_only(settings: Settings) -> bool:
    return [adapter.name for adapter in adapters_to_run(settings)] == ["console"]
