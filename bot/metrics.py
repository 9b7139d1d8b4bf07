"""The bot's metrics, in the Prometheus text format (prometheus-client), for `/metrics`.

An `Observer` of the engine (bot/observe.py) counts what happens; the reminders
pending, whether each adapter is connected and the event loop's lag are read or
measured as they are. Each `Metrics` has its own registry, so two engines in one
process (tests) never share counts. The process's own CPU, memory and open files come
from prometheus-client's process collector.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

from bot.observe import Observer, ReminderDone, TurnDone

PREFIX = "fairshake"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LAG_EVERY = 0.5
"""Seconds between two measures of the event loop's lag."""
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics(Observer):
    """Every metric the bot exports, and the observer that keeps them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)

        def counter(name: str, doc: str, labels: tuple[str, ...]) -> Counter:
            return Counter(f"{PREFIX}_{name}", doc, labels, registry=self.registry)

        def histogram(name: str, doc: str, labels: tuple[str, ...] = ()) -> Histogram:
            return Histogram(
                f"{PREFIX}_{name}", doc, labels, registry=self.registry, buckets=LATENCY_BUCKETS
            )

        self.turns = counter(
            "turns", "Conversation turns, by platform, kind of event and outcome.",
            ("platform", "kind", "outcome"),
        )  # fmt: skip
        self.turn_seconds = histogram(
            "turn_seconds", "Time from an event to its answer, store included.", ("platform",)
        )
        self.replies_sent = counter("replies_sent", "Messages sent to people.", ("platform",))
        self.reply_refusals = counter(
            "reply_refusals", "Tries of a message the platform refused, or that failed every quick retry (the outbox tries again later).", ("platform",)
        )  # fmt: skip
        self.replies_failed = counter(
            "replies_failed", "Replies given up: out of tries, or cut short twice, and recorded as failed (one per reply).", ("platform",)
        )  # fmt: skip
        self.rate_limit_waits = counter(
            "rate_limit_waits", "Times a platform said to wait before sending more (HTTP 429).",
            ("platform",),
        )  # fmt: skip
        self.rate_limit_seconds = counter(
            "rate_limit_wait_seconds", "Seconds the platforms asked the bot to wait.", ("platform",)
        )
        self.reminders = counter(
            "reminders", "Reminder pings by outcome: sent, retry (refused, due again), failed.",
            ("platform", "outcome"),
        )  # fmt: skip
        self.save_seconds = histogram("store_save_seconds", "Time to save one person's record.")
        self.loop_lag = histogram(
            "event_loop_lag_seconds", "How late the event loop ran a timer: time it was stuck."
        )
        self.pending = Gauge(
            f"{PREFIX}_reminders_pending", "Reminders waiting for their time.",
            registry=self.registry,
        )  # fmt: skip
        self.connected = Gauge(
            f"{PREFIX}_adapter_connected", "1 while the adapter is connected to its platform.",
            ("platform",), registry=self.registry,
        )  # fmt: skip

    def render(self) -> bytes:
        """The text exposition of every metric, as Prometheus scrapes it."""
        return generate_latest(self.registry)

    def watch_pending(self, count: Callable[[], int]) -> None:
        self.pending.set_function(count)

    def watch_connected(self, platform: str, connected: Callable[[], bool]) -> None:
        self.connected.labels(platform).set_function(lambda: float(connected()))

    async def watch_loop(self, every: float = LAG_EVERY) -> None:
        """Sleep `every` seconds again and again; what the wake-up is late by is lag (a
        blocking call on the loop, a CPU-bound turn). Runs until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(every)
            self.loop_lag.observe(max(0.0, loop.time() - started - every))

    # -- the observer ------------------------------------------------------------------------

    def turn(self, done: TurnDone) -> None:
        self.turns.labels(done.platform, done.kind, done.outcome).inc()
        self.turn_seconds.labels(done.platform).observe(done.seconds)

    def saved(self, seconds: float) -> None:
        self.save_seconds.observe(seconds)

    def reminder(self, done: ReminderDone) -> None:
        self.reminders.labels(done.platform, done.outcome).inc()

    def reply(self, platform: str, *, sent: bool) -> None:
        (self.replies_sent if sent else self.reply_refusals).labels(platform).inc()

    def reply_failed(self, platform: str) -> None:
        self.replies_failed.labels(platform).inc()

    def rate_limited(self, platform: str, seconds: float) -> None:
        self.rate_limit_waits.labels(platform).inc()
        self.rate_limit_seconds.labels(platform).inc(seconds)
