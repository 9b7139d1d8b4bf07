"""Many people at once: durable turns/s on disk and on tmpfs, CPU per turn, event-loop lag.

This benchmark prints figures; it passes or fails nothing. Each measurement runs in a
fresh process (`--worker`) over a fresh TinyDB data folder:

1. **throughput**, once with the data folder on disk and once on tmpfs (/dev/shm):
   64 people (by default) play at once on one event loop, each sending their next
   message as soon as the last turn returned (a reply goes out only once its turn is
   durable, so every turn counted is durable). It prints durable turns/s for each, their
   ratio, the process's CPU time per turn (all threads: the store's writer and folder
   included) and what that makes per core;
2. **lag**: 50 people play the same way on disk while a probe sleeps 10 ms again and again
   and records how late it wakes (the event loop's lag: what a Discord heartbeat or a
   Telegram acknowledgement would wait), and the reminder scheduler pings people whose
   reminders fall due during the run: the delay from due time to ping.

The turns are bench/people.py's mix (typed answers, button presses, /status) over records
left by real turns. The machine may be shared: run it twice before trusting a figure.

Usage (from the project folder)::

    .venv/bin/python -m bench.concurrent
    .venv/bin/python -m bench.concurrent --seconds 5 --disk /var/tmp
    .venv/bin/python -m bench.concurrent --profile     # cProfile of the tmpfs run, to stderr
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.people import Driver, Prompts, build_templates, conversation, prompt_after
from bench.reminders import open_cases, percentiles
from bot.engine import Engine
from bot.events import Outbound
from bot.reminders import Scheduler, WallClock, apply
from flows.reminders import CUSTOM, ReminderRequest
from storage import ConversationKey, PersonRecord, TinyDBStore

ROOT = Path(__file__).resolve().parent.parent
TMPFS = Path("/dev/shm")
PEOPLE = 64
LAG_PEOPLE = 50
SECONDS = 8.0
WARMUP_SECONDS = 1.0
PROBE_INTERVAL = 0.010
WAKES = 100
"""Reminders falling due, spread over the lag run."""


async def players(engine: Engine, people: int, seconds: float, seed: int) -> tuple[int, float]:
    """`people` people play at once for `seconds`; (turns done, seconds taken)."""
    templates = await build_templates()
    for person in range(people):
        record = templates[person % len(templates)].record_for(person)
        await engine.store.save(conversation(person).person, record)
    driver = Driver(
        engine, people, random.Random(seed), Prompts([t.prompt for t in templates], people)
    )
    stop = time.perf_counter() + seconds
    turns = 0

    async def play(person: int) -> None:
        nonlocal turns
        while time.perf_counter() < stop:
            _kind, event = driver.event_for(person)
            messages = await engine.handle(event)
            driver.prompts[person] = prompt_after(messages, driver.prompts[person])
            turns += 1

    started = time.perf_counter()
    await asyncio.gather(*(play(person) for person in range(people)))
    return turns, time.perf_counter() - started


async def throughput(data: Path, people: int, seconds: float, profile: bool) -> dict[str, Any]:
    store = TinyDBStore(data)
    engine = Engine(store)
    await players(engine, people, WARMUP_SECONDS, seed=1)
    profiler = cProfile.Profile() if profile else None
    cpu = time.process_time()
    if profiler:
        profiler.enable()
    turns, wall = await players(engine, people, seconds, seed=2)
    if profiler:
        profiler.disable()
    cpu = time.process_time() - cpu
    await store.close()
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(25)
    return {"turns": turns, "turns_per_s": turns / wall, "cpu_ms_per_turn": cpu / turns * 1000}


async def lag(data: Path, people: int, seconds: float, wakes: int) -> dict[str, Any]:
    store = TinyDBStore(data)
    engine = Engine(store)
    delivered: dict[str, float] = {}

    async def deliver(key: ConversationKey, messages: list[Outbound]) -> None:
        delivered[key.user_id] = time.time()

    scheduler = Scheduler(engine, deliver, WallClock())
    pinging = asyncio.create_task(scheduler.run())
    sleepers = await open_cases(engine, "sleeper", wakes)
    first = datetime.now(UTC) + timedelta(seconds=WARMUP_SECONDS + 1)
    due_at: dict[str, float] = {}
    for i, key in enumerate(sleepers):
        due = first + timedelta(seconds=(seconds - 2) * i / wakes)
        due_at[key.user_id] = due.timestamp()
        request = ReminderRequest("c1", due, CUSTOM, "wake up")

        def add(record: PersonRecord, key: ConversationKey = key, request: Any = request) -> None:
            apply(record, key, datetime.now(UTC), [], [request])

        await engine.update(key.person, add)

    lags: list[float] = []
    playing = True

    async def probe() -> None:
        while playing:
            asked = time.perf_counter()
            await asyncio.sleep(PROBE_INTERVAL)
            lags.append((time.perf_counter() - asked - PROBE_INTERVAL) * 1000)

    probing = asyncio.create_task(probe())
    turns, wall = await players(engine, people, WARMUP_SECONDS + seconds, seed=3)
    playing = False
    await probing
    await asyncio.sleep(1)  # the last reminders' pings
    pinging.cancel()
    await store.close()
    delays = [(delivered[user] - due) * 1000 for user, due in due_at.items() if user in delivered]
    return {
        "turns_per_s": turns / wall,
        "lag_ms": percentiles(lags[int(len(lags) * WARMUP_SECONDS / seconds) :]),
        "wake_delay_ms": percentiles(delays) if delays else None,
        "wakes": len(delays),
        "wakes_due": wakes,
    }


def run_worker(mode: str, parent: Path, args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="fairshake-bench-", dir=parent))
    command = [sys.executable, "-m", "bench.concurrent", "--worker", mode, "--data", str(folder)]
    command += ["--people", str(args.people), "--seconds", str(args.seconds)]
    command += ["--lag-people", str(args.lag_people)] + (["--profile"] if args.profile else [])
    try:
        output = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if args.profile:
        sys.stderr.write(output.stderr)
    return json.loads(output.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--people", type=int, default=PEOPLE)
    parser.add_argument("--lag-people", type=int, default=LAG_PEOPLE)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--disk", type=Path, default=ROOT, help="a folder on disk (default: here)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--worker", choices=("disk", "tmpfs", "lag"), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker == "lag":
        print(json.dumps(asyncio.run(lag(args.data, args.lag_people, args.seconds, WAKES))))
        return
    if args.worker:
        profile = args.profile and args.worker == "tmpfs"
        figures = asyncio.run(throughput(args.data, args.people, args.seconds, profile))
        print(json.dumps(figures))
        return

    print(f"{args.people} people at once, {args.seconds:.0f} s each run…", flush=True)
    disk = run_worker("disk", args.disk, args)
    tmpfs = run_worker("tmpfs", TMPFS, args)
    for name, row in (("disk", disk), ("tmpfs", tmpfs)):
        per_core = 1000 / row["cpu_ms_per_turn"]
        print(
            f"  {name:<5} durable turns/s {row['turns_per_s']:7.0f}   CPU {row['cpu_ms_per_turn']:.3f}"
            f" ms/turn ({per_core:,.0f} turns/s per core)"
        )
    print(f"  disk / tmpfs: {disk['turns_per_s'] / tmpfs['turns_per_s']:.2f}x")
    print(
        f"{args.lag_people} people at once on disk, with {WAKES} reminders falling due…", flush=True
    )
    row = run_worker("lag", args.disk, args)
    spread = row["lag_ms"]
    print(
        f"  event-loop lag: p50 {spread['p50']:.1f} ms, p99 {spread['p99']:.1f} ms, max {spread['max']:.1f} ms"
    )
    wake = row["wake_delay_ms"]
    if wake:
        print(
            f"  reminder wake-up delay: p50 {wake['p50']:.1f} ms, p99 {wake['p99']:.1f} ms"
            f" ({row['wakes']} of {row['wakes_due']} pinged); {row['turns_per_s']:.0f} turns/s"
        )


if __name__ == "__main__":
    main()
