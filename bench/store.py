"""Times one person's load and save as the data folder fills up.

The store promises that these costs do not grow with the number of people held; this
prints the figures at each size so that a change to the layout can be checked.

Usage: python -m bench.store [--people 1000 10000] [--repeat 300] [--data DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from storage import PersonKey, PersonRecord, TinyDBStore


def small_record(n: int) -> PersonRecord:
    """About what one person with one open case holds (under 1 kB of JSON)."""
    return PersonRecord(
        profile={"tz": "Europe/Berlin", "active_case": "case-1"},
        conversations={"chat": {"state": "asking", "pending": "order_number", "step": n}},
        cases={"case-1": {"merchant": "Example GmbH", "facts": [f"fact {n}"], "status": "open"}},
        reminders={"r-1": {"due": "2025-02-01T09:00:00+01:00", "sent": False}},
    )


async def per_call_ms(call: Callable[[int], Awaitable[object]], repeat: int) -> str:
    """Median and 95th percentile of `repeat` calls, in milliseconds."""
    times = []
    for n in range(repeat):
        start = time.perf_counter()
        await call(n)
        times.append((time.perf_counter() - start) * 1000)
    p95 = statistics.quantiles(times, n=20)[-1]
    return f"median {statistics.median(times):.3f} ms, p95 {p95:.3f} ms"


async def run(data_dir: Path, sizes: list[int], repeat: int) -> None:
    store = TinyDBStore(data_dir)
    probe = PersonKey("bench", "probe")
    held = 0
    for size in sorted(sizes):
        for n in range(held, size):
            await store.save(PersonKey("bench", f"user-{n}"), small_record(n))
        held = size
        save = await per_call_ms(lambda n: store.save(probe, small_record(n)), repeat)
        load = await per_call_ms(lambda _n: store.load(probe), repeat)
        print(f"{size:>7} people held: save {save}; load {load}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument(
        "--data",
        type=Path,
        help="the folder to fill (default: a temporary one, which may be in RAM)",
    )
    args = parser.parse_args()
    if args.data:
        asyncio.run(run(args.data, args.people, args.repeat))
        return
    with tempfile.TemporaryDirectory() as data_dir:
        asyncio.run(run(Path(data_dir), args.people, args.repeat))


if __name__ == "__main__":
    main()
