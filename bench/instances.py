"""Turns and reminders per second with several instances on one PostgreSQL database.

Each instance is a process of its own with its own store, engine and scheduler, as
`fairshake` processes sharing FAIRSHAKE_DATABASE_URL are. First every instance runs
conversation turns for people of its own (each turn under the person's database lock,
in one transaction), once with no per-person rate limit and once with `--rate-limit`
(counted in the database, one round trip a turn; no bench person reaches it, so the
difference is what counting costs); then reminders set for `--reminders` people fall
due at once and every instance's scheduler claims and delivers them (to a counting
stand-in for the platform) until none is left.

Usage: FAIRSHAKE_DATABASE_URL=postgresql://... python -m bench.instances
       [--instances 3] [--people 300] [--turns 4] [--rate-limit 30] [--reminders 600]
The database must be upgraded (`fairshake db upgrade`); the bench adds people to it.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import secrets
import time
from datetime import UTC, datetime, timedelta

from bot.engine import Engine
from bot.events import Outbound, TextMessage, parse_command
from bot.reminders import Scheduler
from storage import ConversationKey
from storage.postgres import PostgresStore

TURNS = ("/new", "Amazon", "/status", "/cases")


async def _turns(url: str, people: list[str], turns: int, rate_limit: int) -> tuple[int, float]:
    store = await PostgresStore.open(url)
    engine = Engine(store, rate_limit=rate_limit)
    started = time.perf_counter()

    async def talk(user: str) -> None:
        key = ConversationKey("bench", user, user)
        for line in TURNS[:turns]:
            await engine.handle(parse_command(key, line) or TextMessage(key, line))

    await asyncio.gather(*(talk(user) for user in people))
    took = time.perf_counter() - started
    await store.close()
    return len(people) * turns, took


async def _set_reminders(url: str, people: list[str]) -> None:
    """A reminder per person, set "an hour ago" for one hour later: due now."""
    store = await PostgresStore.open(url)
    earlier = datetime.now(UTC) - timedelta(hours=1)
    engine = Engine(store, clock=lambda: earlier)
    for user in people:
        key = ConversationKey("bench", user, user)
        await engine.handle(parse_command(key, "/new"))  # type: ignore[arg-type]
        await engine.handle(parse_command(key, "/remind in 1 hour call the shop"))  # type: ignore[arg-type]
    await store.close()


async def _deliver_all(url: str, deadline: float) -> tuple[int, float]:
    store = await PostgresStore.open(url)
    engine = Engine(store)
    delivered = 0

    async def deliver(key: ConversationKey, messages: list[Outbound]) -> None:
        nonlocal delivered
        delivered += 1

    scheduler = Scheduler(engine, deliver, poll_seconds=0.05, concurrency=32)
    started = time.perf_counter()
    running = asyncio.create_task(scheduler.run())
    while time.time() < deadline:
        await asyncio.sleep(0.05)
        if not list(store.due_entries()) and not scheduler._tasks:
            break
    took = time.perf_counter() - started
    await scheduler.stop(timeout=5)
    running.cancel()
    await store.close()
    return delivered, took


def _turns_worker(args: tuple[str, list[str], int, int]) -> tuple[int, float]:
    return asyncio.run(_turns(*args))


def _deliver_worker(args: tuple[str, float]) -> tuple[int, float]:
    return asyncio.run(_deliver_all(*args))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--turns", type=int, default=4, choices=range(1, len(TURNS) + 1))
    parser.add_argument("--rate-limit", type=int, default=30, help="messages a person a minute")
    parser.add_argument("--reminders", type=int, default=600)
    args = parser.parse_args()
    url = os.environ.get("FAIRSHAKE_DATABASE_URL", "")
    if not url:
        parser.error("set FAIRSHAKE_DATABASE_URL to an upgraded database")
    run = secrets.token_hex(3)
    n = args.instances
    with multiprocessing.get_context("spawn").Pool(n) as pool:
        for rate_limit in (0, args.rate_limit):
            people = [f"{run}-t{rate_limit}-{i}" for i in range(args.people)]
            shares = [(url, people[i::n], args.turns, rate_limit) for i in range(n)]
            done = pool.map(_turns_worker, shares)
            turns, slowest = sum(t for t, _ in done), max(s for _, s in done)
            limit = f"rate limit {rate_limit}/min" if rate_limit else "no rate limit"
            print(
                f"{n} instances, {limit}: {turns} turns in {slowest:.2f} s"
                f" = {turns / slowest:.0f} turns/s"
            )

        due = [f"{run}-r{i}" for i in range(args.reminders)]
        pool.map(_set_reminders_worker, [(url, due[i::n]) for i in range(n)])
        deadline = time.time() + 300
        done = pool.map(_deliver_worker, [(url, deadline)] * n)
        sent, slowest = sum(d for d, _ in done), max(s for _, s in done)
        shares_sent = ", ".join(str(d) for d, _ in done)
        print(
            f"{n} instances: {sent} reminders ({args.reminders} due; {shares_sent} by instance)"
            f" in {slowest:.2f} s = {sent / slowest:.0f} reminders/s"
        )


def _set_reminders_worker(args: tuple[str, list[str]]) -> None:
    asyncio.run(_set_reminders(*args))


if __name__ == "__main__":
    main()
