"""How the reminder scheduler behaves with many reminders pending.

This benchmark prints figures; it passes or fails nothing. For each number of pending
reminders (by default 10 and 100,000), in a fresh process (`--worker`) over a fresh
TinyDB data folder under /tmp, it:

1. fills the due index with that many pending reminders, through `TinyDBStore.add_due`
   (durable, one fsync each), due months ahead, one per person. Their people's records
   are not written: the scheduler reads a record only when its reminder falls due, so
   they would cost disk and time here and change no figure;
2. times the **start-up**: building the `Scheduler`, which lists the index once into a
   heap; and, in a second build under `tracemalloc`, the Python memory that heap takes;
3. times **scheduling one more**: a `/remind in 3 days …` turn through `Engine.handle`
   (load, session, index entry written, record saved, heap push), each by a different
   person with an open case, p50/p99; and the heap push alone;
4. measures the **wake-up delay** on the real clock: reminders are scheduled through
   `Engine.update` (as a turn would) to fall due over the next few seconds, and the
   delay from each due time to its ping reaching `deliver` is recorded, p50/p99/max;
5. times **forgetting** a person (`TinyDBStore.delete`, which lists their shard of the
   index, a 256th of it, to remove their entries), and reports the process's resident
   memory after start-up and at its peak (the latter includes tracemalloc's own).

It ends with the ratios of the largest size to the smallest. The goal from the issue:
wake-up within 1 second of the due time, and a scheduling cost independent of the
number pending.

Usage (from the project folder)::

    .venv/bin/python -m bench.reminders                       # 10 and 100,000 pending
    .venv/bin/python -m bench.reminders --sizes 10,10000 --wakes 100 --turns 100

The default run takes about a minute on a 2-core machine, most of it filling the index.
The data folders are removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.engine import Engine
from bot.events import Command, Outbound
from bot.reminders import Scheduler, WallClock, apply
from flows.reminders import CUSTOM, ReminderRequest
from storage import ConversationKey, DueEntry, PersonKey, PersonRecord, TinyDBStore

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (10, 100_000)
DEFAULT_WAKES = 200
DEFAULT_TURNS = 300
WAKE_SPREAD = 4.0
"""Seconds over which the timed reminders fall due, starting a second from now."""
FAR = datetime(2030, 1, 1, 9, tzinfo=UTC)
"""When the filling reminders fall due: never during the run."""


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    cut = (
        statistics.quantiles(ordered, n=100, method="inclusive")
        if len(ordered) > 1
        else ordered * 99
    )
    return {"p50": statistics.median(ordered), "p99": cut[98], "max": ordered[-1]}


async def fill(store: TinyDBStore, size: int) -> float:
    started = time.perf_counter()
    for i in range(size):
        entry = DueEntry(FAR + timedelta(seconds=i), PersonKey("bench", f"filler-{i}"), "r1")
        await store.add_due(entry)
    return time.perf_counter() - started


async def open_cases(engine: Engine, prefix: str, count: int) -> list[ConversationKey]:
    keys = [ConversationKey("bench", f"{prefix}-{i}", f"{prefix}-{i}") for i in range(count)]
    for key in keys:
        await engine.handle(Command(key, "new"))
    return keys


async def worker(size: int, data: Path, wakes: int, turns: int) -> dict[str, Any]:
    store = TinyDBStore(data)
    figures: dict[str, Any] = {"pending": size, "fill_s": await fill(store, size)}
    delivered: dict[str, float] = {}
    all_in = asyncio.Event()

    async def deliver(key: ConversationKey, messages: list[Outbound]) -> None:
        delivered[key.user_id] = time.time()
        if len(delivered) == wakes:
            all_in.set()

    engine = Engine(store)
    started = time.perf_counter()
    Scheduler(engine, deliver, WallClock())
    figures["startup_ms"] = (time.perf_counter() - started) * 1000
    figures["startup_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    scheduler = Scheduler(engine, deliver, WallClock())
    figures["heap_mb"] = (tracemalloc.get_traced_memory()[0] - before) / 2**20
    tracemalloc.stop()
    assert len(scheduler) >= size
    running = asyncio.create_task(scheduler.run())

    talkers = await open_cases(engine, "talker", turns)
    times = []
    for i, key in enumerate(talkers):
        begin = time.perf_counter()
        await engine.handle(Command(key, "remind", f"in 3 days note {i}"))
        times.append((time.perf_counter() - begin) * 1000)
    figures["schedule_turn_ms"] = percentiles(times)

    pushes = []
    for i in range(1000):  # due after everything else: they never wake the scheduler
        entry = DueEntry(FAR + timedelta(days=1, seconds=i), PersonKey("bench", "x"), f"r{i}")
        begin = time.perf_counter_ns()
        scheduler.schedule(entry)
        pushes.append((time.perf_counter_ns() - begin) / 1000)
    figures["heap_push_us"] = percentiles(pushes)

    sleepers = await open_cases(engine, "sleeper", wakes)
    first = datetime.now(UTC) + timedelta(seconds=1)
    due_at: dict[str, float] = {}
    for i, key in enumerate(sleepers):
        due = first + timedelta(seconds=WAKE_SPREAD * i / wakes)
        due_at[key.user_id] = due.timestamp()
        request = ReminderRequest("c1", due, CUSTOM, "wake up")

        def add(record: PersonRecord, key: ConversationKey = key, request: Any = request) -> None:
            apply(record, key, datetime.now(UTC), [], [request])

        await engine.update(key.person, add)
    await asyncio.wait_for(all_in.wait(), timeout=WAKE_SPREAD + 30)
    delays = [(delivered[user] - due) * 1000 for user, due in due_at.items()]
    figures["wake_delay_ms"] = percentiles(delays)

    running.cancel()
    forgets = []
    for key in talkers[:50]:
        begin = time.perf_counter()
        await store.delete(key.person)
        forgets.append((time.perf_counter() - begin) * 1000)
    figures["forget_ms"] = percentiles(forgets)
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def run_worker(size: int, wakes: int, turns: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix=f"fairshake-bench-reminders-{size}-"))
    try:
        command = [
            sys.executable,
            "-m",
            "bench.reminders",
            "--worker",
            str(size),
            "--data",
            str(folder / "data"),
            "--wakes",
            str(wakes),
            "--turns",
            str(turns),
        ]
        output = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
        return json.loads(output.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def show(rows: list[dict[str, Any]]) -> None:
    def spread(figure: dict[str, float], unit: str) -> str:
        return f"p50 {figure['p50']:.3f} {unit}, p99 {figure['p99']:.3f} {unit}"

    for row in rows:
        print(f"\n{row['pending']:,} reminders pending (index filled in {row['fill_s']:.1f} s)")
        print(f"  start-up (read the index into the heap): {row['startup_ms']:.1f} ms")
        print(
            f"  memory: heap {row['heap_mb']:.1f} MiB (tracemalloc); process RSS after start-up"
            f" {row['startup_rss_mb']:.0f} MiB, peak {row['peak_rss_mb']:.0f} MiB"
        )
        print(f"  schedule one more (/remind turn): {spread(row['schedule_turn_ms'], 'ms')}")
        print(f"  Scheduler.schedule alone (heap push): {spread(row['heap_push_us'], 'µs')}")
        wake = row["wake_delay_ms"]
        print(f"  wake-up delay: {spread(wake, 'ms')}, max {wake['max']:.3f} ms")
        print(f"  forget one person (lists their shard): {spread(row['forget_ms'], 'ms')}")
    if len(rows) > 1:
        small, large = rows[0], rows[-1]
        print(f"\nratios, {large['pending']:,} pending to {small['pending']:,}:")
        for name in ("schedule_turn_ms", "heap_push_us", "wake_delay_ms", "forget_ms"):
            ratio = large[name]["p50"] / small[name]["p50"]
            print(f"  {name} p50: x{ratio:.2f}")
        print(f"  startup: x{large['startup_ms'] / small['startup_ms']:.0f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--wakes", type=int, default=DEFAULT_WAKES)
    parser.add_argument("--turns", type=int, default=DEFAULT_TURNS)
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(asyncio.run(worker(args.worker, args.data, args.wakes, args.turns))))
        return
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"measuring with {size:,} pending…", flush=True)
        rows.append(run_worker(size, args.wakes, args.turns))
    show(rows)


if __name__ == "__main__":
    main()
