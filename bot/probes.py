"""`/healthz`, `/readyz` and `/metrics` over HTTP (aiohttp), when `FAIRSHAKE_HTTP_PORT` is set.

- `/healthz`: 200 while the process answers and its store takes a write
  (`Store.writable`: for the data folder, a small file written, synced and removed off
  the event loop; for PostgreSQL, the database answering as a primary); 503 with the
  reason otherwise.
  What a container's health check or a watchdog restarts on.
- `/readyz`: 200 when every enabled adapter is connected to its platform and the
  reminder scheduler runs; 503 naming what is not. What monitoring pages on: a restart
  does not fix Telegram being unreachable.
- `/metrics`: the Prometheus text format (bot/metrics.py).

It listens on `FAIRSHAKE_HTTP_LISTEN`, 127.0.0.1 unless told otherwise: the metrics say
how busy the bot is, which is nobody else's business. Port 0 takes any free port (the
log says which).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from aiohttp import web

from bot.adapter import Adapter
from bot.engine import Engine
from bot.metrics import CONTENT_TYPE, Metrics
from bot.reminders import Scheduler
from storage import Store

log = logging.getLogger(__name__)

NotReady = Callable[[], list[str]]
"""What is not ready (each a short phrase: "telegram not connected"); empty when all is."""


class Probes:
    """The HTTP server of the three endpoints; `start` it, `stop` it at shutdown."""

    def __init__(self, store: Store, not_ready: NotReady, metrics: Metrics) -> None:
        self.store = store
        self.not_ready = not_ready
        self.metrics = metrics
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        self.port = 0
        """The port it listens on, once started (the one asked for, or the free one taken)."""
        self._lag: asyncio.Task[None] | None = None

    async def start(self, listen: str, port: int) -> None:
        """Listen, and start measuring the event loop's lag."""
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, listen, port).start()
        except OSError as error:
            log.error("http: cannot listen on %s port %d: %s", listen, port, error.strerror)
            raise
        self.port = self._runner.addresses[0][1]
        self._lag = asyncio.create_task(self.metrics.watch_loop(), name="loop lag")
        log.info("http: /healthz /readyz /metrics on %s port %d", listen, self.port)

    async def stop(self) -> None:
        if self._lag is not None:
            self._lag.cancel()
        await self._runner.cleanup()

    async def _healthz(self, request: web.Request) -> web.Response:
        problem = await self.store.writable()
        if problem is not None:
            return web.Response(status=503, text=f"unhealthy: {problem}\n")
        return web.Response(text="ok\n")

    async def _readyz(self, request: web.Request) -> web.Response:
        missing = self.not_ready()
        if missing:
            return web.Response(status=503, text="not ready: " + "; ".join(missing) + "\n")
        return web.Response(text="ready\n")

    async def _metrics(self, request: web.Request) -> web.Response:
        body = self.metrics.render()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def for_bot(engine: Engine, adapters: Sequence[Adapter], scheduler: Scheduler) -> Probes:
    """The endpoints of a running bot: its metrics hooked to the engine, ready when each
    adapter is connected and the scheduler runs."""
    metrics = Metrics()
    engine.observers.add(metrics)
    metrics.watch_pending(lambda: len(scheduler))
    for adapter in adapters:
        metrics.watch_connected(adapter.name, adapter.ready)

    def not_ready() -> list[str]:
        missing = [f"{adapter.name} not connected" for adapter in adapters if not adapter.ready()]
        return missing if scheduler.running else [*missing, "reminder scheduler not running"]

    return Probes(engine.store, not_ready, metrics)
