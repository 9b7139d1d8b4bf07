"""How fast a conversation turn is, and whether its cost grows with the people held.

This benchmark prints figures; it passes or fails nothing. For each population (by
default 1,000, 10,000 and 100,000 people) it:

1. fills a TinyDB data folder under /tmp with that many people, each with a realistic
   record: one case part-way through the facts, as left by real turns through the
   engine. Records are written through `TinyDBStore.save`; the next population adds
   people to the same folder instead of starting over;
2. starts a fresh process (`--worker`) that drives a few thousand turns through
   `Engine.handle` on one event loop, one turn at a time, each for a random person:
   a typed answer to the question they were last asked, a press of one of the buttons
   the engine last gave them, or `/status`;
3. measures each turn's latency (`time.perf_counter` around `handle`): turns per
   second of time spent in `handle`, p50, p99 and max; the process's peak resident
   memory (it never goes down, hence one process per population); and, in a second
   pass of as many turns with `tracemalloc` on (it slows allocation, so it is kept out
   of the timed pass), the peak of Python allocations and what one turn allocates.

It also times, once, the design choice in flows/machine.py: firing an event on the
shared `transitions` machine with a plain model, against building a machine per turn.
It ends with the ratios of the largest population to the smallest.

Usage (from the project folder)::

    .venv/bin/python -m bench.turns                      # 1k, 10k, 100k people; 3,000 turns
    .venv/bin/python -m bench.turns --sizes 1000,10000 --turns 1000
    .venv/bin/python -m bench.turns --sizes 1000 --profile   # cProfile of the timed turns

The default run takes a few minutes on a 2-core machine; most of it is writing 100,000
files, each made durable with fsync. The data folder is removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

import transitions

from bench.people import POPULATE_THREADS, Driver, Prompts, build_templates, populate
from bot.engine import Engine
from flows import machine
from storage import TinyDBStore

ROOT = Path(__file__).resolve().parent.parent
"""The project folder: workers run there so that `-m bench.turns` imports."""

DEFAULT_SIZES = (1_000, 10_000, 100_000)
DEFAULT_TURNS = 3_000
WARMUP_TURNS = 100
"""Turns run before timing (imports done lazily, caches filled); not measured."""

DATA = "data"
"""Inside the temporary folder: the data folder (bench/people.py keeps what each person
was last shown beside it)."""

FIRE_CALLS = 100_000
MACHINE_BUILDS = 200


def peak_rss_mib() -> float:
    """This process's peak resident memory so far, in MiB.

    On Linux, `VmHWM` from /proc: `ru_maxrss` there keeps the parent's peak across fork
    and exec, so a worker would report at least the parent's size. Elsewhere ru_maxrss.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / 2**20 if sys.platform == "darwin" else maxrss / 1024  # bytes vs KiB


async def measure(
    work_dir: Path, people: int, turns: int, seed: int, profile: bool
) -> dict[str, Any]:
    """The worker's figures for one population, as JSON-ready values."""
    rss_start = peak_rss_mib()
    engine = Engine(TinyDBStore(work_dir / DATA))
    prompts = Prompts([template.prompt for template in await build_templates()], people)
    prompts.load(work_dir)
    driver = Driver(engine, people, random.Random(seed), prompts)
    await driver.run(WARMUP_TURNS)

    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    latencies = await driver.run(turns)
    if profiler:
        profiler.disable()
        for order in ("tottime", "cumulative"):
            stats = pstats.Stats(profiler, stream=sys.stderr)
            stats.sort_stats(order).print_stats(20)
    rss_peak = peak_rss_mib()

    tracemalloc.start()
    driver.traced = True
    await driver.run(turns)
    tracemalloc.stop()
    prompts.save(work_dir)

    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "people": people,
        "turns": turns,
        "turns_per_s": turns / sum(latencies),
        "p50_ms": cuts[49] * 1000,
        "p99_ms": cuts[98] * 1000,
        "max_ms": max(latencies) * 1000,
        "rss_start_mib": rss_start,
        "rss_peak_mib": rss_peak,
        "py_peak_mib": driver.traced_peak / 2**20,
        "turn_peak_p50_kib": statistics.median(driver.turn_peaks) / 1024,
        "turn_peak_max_kib": max(driver.turn_peaks) / 1024,
        "kinds": dict(driver.kinds),
        "stale": driver.stale,
        "profiled": profile,
    }


# -- the shared machine against a machine per turn -----------------------------------------


class PlainModel:
    """A bare model for the machine: a state and the guards of the edges timed."""

    def __init__(self) -> None:
        self.state = machine.GATHERING

    def facts_complete(self) -> bool:
        return False

    def facts_confirmed(self) -> bool:
        return False

    def resume_questions(self) -> None:
        """The effect the machine runs on `resume` into the questions (nothing to do here)."""


def machine_costs() -> dict[str, float]:
    """µs per `fire` (an internal edge; a state change) and per machine built."""
    model = PlainModel()
    started = time.perf_counter()
    for _ in range(FIRE_CALLS):
        machine.fire(model, "answer")  # gathering → gathering: the most common event
    fire_internal = (time.perf_counter() - started) / FIRE_CALLS * 1e6

    started = time.perf_counter()
    for _ in range(FIRE_CALLS // 2):
        machine.fire(model, "cancel")  # gathering → case menu
        machine.fire(model, "resume")  # case menu → gathering
    fire_change = (time.perf_counter() - started) / FIRE_CALLS * 1e6
    if model.state != machine.GATHERING:
        raise RuntimeError("the timed events did not move the model as planned")

    started = time.perf_counter()
    for _ in range(MACHINE_BUILDS):
        transitions.Machine(model=PlainModel(), **machine.DEFINITION)
    build = (time.perf_counter() - started) / MACHINE_BUILDS * 1e6
    return {"fire_internal_us": fire_internal, "fire_change_us": fire_change, "build_us": build}


# -- the parent: populations, workers, the table -------------------------------------------


def run_worker(work_dir: Path, people: int, turns: int, seed: int, profile: bool) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.turns", "--worker", "--people", str(people)]
    command += ["--turns", str(turns), "--seed", str(seed), "--work-dir", str(work_dir)]
    if profile:
        command.append("--profile")
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


TABLE_NOTES = f"""\
save ms   mean time of one TinyDBStore.save while adding the population ({POPULATE_THREADS} threads)
turns/s   turns per second spent inside Engine.handle (one turn at a time, one loop)
RSS       the worker's peak resident memory after its imports, then after the timed turns
py peak   tracemalloc peak over the traced pass, less what the bench itself keeps
turn KiB  one turn's allocation peak above what was allocated when it began: median/max"""


def print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'people':>8} {'save ms':>8} │ {'turns/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
        f" │ {'RSS MiB start→peak':>18} │ {'py peak MiB':>11} {'turn KiB p50/max':>16}"
    )
    print(header)
    print("─" * len(header))
    for r in rows:
        rss = f"{r['rss_start_mib']:.1f}→{r['rss_peak_mib']:.1f}"
        turn_kib = f"{r['turn_peak_p50_kib']:.0f}/{r['turn_peak_max_kib']:.0f}"
        print(
            f"{r['people']:>8,} {r['save_ms']:>8.2f} │ {r['turns_per_s']:>8.0f} {r['p50_ms']:>7.2f}"
            f" {r['p99_ms']:>7.2f} {r['max_ms']:>7.1f} │ {rss:>18} │ {r['py_peak_mib']:>11.2f}"
            f" {turn_kib:>16}"
        )
    print(TABLE_NOTES)


def print_ratios(rows: list[dict[str, Any]]) -> None:
    small, large = rows[0], rows[-1]
    if small is large:
        return
    label = f"{large['people']:,} vs {small['people']:,} people"
    print(f"\nRatios, {label}:")
    print(f"  turns/s         {large['turns_per_s'] / small['turns_per_s']:.2f}x")
    print(f"  p50 latency     {large['p50_ms'] / small['p50_ms']:.2f}x")
    print(f"  p99 latency     {large['p99_ms'] / small['p99_ms']:.2f}x")
    print(f"  peak RSS        {large['rss_peak_mib'] / small['rss_peak_mib']:.2f}x")
    print(f"  tracemalloc pk  {large['py_peak_mib'] / small['py_peak_mib']:.2f}x")


def print_machine(costs: dict[str, float]) -> None:
    print("\nThe flow machine (flows/machine.py): one shared machine, or one per turn?")
    lines = [
        ("flows.machine.fire, internal edge ('answer')", costs["fire_internal_us"], "call"),
        ("flows.machine.fire, state change ('cancel', 'resume')", costs["fire_change_us"], "call"),
        ("transitions.Machine(model=..., **DEFINITION)", costs["build_us"], "build"),
    ]
    for label, micros, unit in lines:
        print(f"  {label:<54} {micros:8.2f} µs/{unit}")
    print(
        f"  ({FIRE_CALLS:,} calls, {MACHINE_BUILDS} builds, plain model.)  A build costs"
        f" {costs['build_us'] / costs['fire_internal_us']:.0f} fires."
    )


def parent(sizes: list[int], turns: int, seed: int, profile: bool) -> int:
    started = time.perf_counter()
    templates = asyncio.run(build_templates())
    work_dir = Path(tempfile.mkdtemp(prefix="fairshake-bench-", dir="/tmp"))
    rows = []
    try:
        held = 0
        for size in sizes:
            print(f"adding people {held:,}..{size - 1:,} to {work_dir / DATA} ...", flush=True)
            seconds = populate(work_dir / DATA, held, size, templates)
            save_ms = seconds / (size - held) * 1000
            print(f"  {size - held:,} saves in {seconds:.1f} s ({save_ms:.2f} ms each)", flush=True)
            held = size
            os.sync()  # let the disk settle, so writeback of the new files stays out of the turns
            print(f"  {WARMUP_TURNS} + {turns:,} timed + {turns:,} traced turns ...", flush=True)
            row = run_worker(work_dir, size, turns, seed, profile)
            rows.append({**row, "save_ms": save_ms})
    finally:
        print(f"removing {work_dir} ...", flush=True)
        shutil.rmtree(work_dir, ignore_errors=True)
    costs = machine_costs()

    print(f"\nTurns through Engine.handle over a TinyDB store ({turns:,} per population)\n")
    print_table(rows)
    mix = Counter(rows[-1]["kinds"])
    stale = ", ".join(str(row["stale"]) for row in rows)
    print(
        f"Turn mix (last population, all passes): {mix['text']:,} typed, {mix['press']:,} presses,"
        f" {mix['status']:,} /status.  Stale presses per population: {stale} (0: all valid)."
    )
    if profile:
        print("Profiled: cProfile slows the timed turns; latencies above are not comparable.")
    print_ratios(rows)
    print_machine(costs)
    print(f"\nTotal {time.perf_counter() - started:.0f} s.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.turns", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="populations, comma-separated (default: %(default)s)",
    )
    parser.add_argument(
        "--turns", type=int, default=DEFAULT_TURNS, help="timed turns per population"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed for people and choices")
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of the timed turns"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--people", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--work-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.turns < 100:
        parser.error("--turns must be at least 100 (for a p99)")
    if args.worker:
        row = asyncio.run(measure(args.work_dir, args.people, args.turns, args.seed, args.profile))
        print(json.dumps(row))
        return 0
    try:
        sizes = sorted({int(size) for size in args.sizes.split(",")})
    except ValueError:
        sizes = []
    if not sizes or sizes[0] < 1:
        parser.error("--sizes takes positive numbers, e.g. 1000,10000")
    return parent(sizes, args.turns, args.seed, args.profile)


if __name__ == "__main__":
    sys.exit(main())
