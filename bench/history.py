"""What a person's history costs their turns: per-turn time with 0 and 500 closed cases.

This benchmark prints figures; it passes or fails nothing. In one TinyDB data folder
under /tmp it puts three people, each with one open case part-way through the facts:

- `new`: no other case;
- `long`: 500 closed cases besides (each a real case from the engine: facts told, then
  dropped), with the bound on (`FAIRSHAKE_CLOSED_CASES_KEPT`, bot/archive.py);
- `unbounded`: the same 500, with the bound off (every closed case kept in the record,
  as before the archive).

The first turn of `long` moves 490 of the cases into the archive; it is timed on its own.
Then each person takes the same turns in turn (`/status`, typed chatter, `/help`: each
loads the record, runs the session and saves it) through `Engine.handle`, and it prints
the mean and p50 per-turn time for each, and each long history's per-turn time over the
new person's (the ratio), with the record's size.

Usage (from the project folder)::

    .venv/bin/python -m bench.history               # 500 closed cases, 300 turns each
    .venv/bin/python -m bench.history --closed 2000 --turns 100
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from bench.people import prompt_after, typed_answer
from bot.config import CLOSED_CASES_KEPT
from bot.engine import Engine
from bot.events import ButtonPress, Command, Inbound, Outbound, TextMessage
from flows import machine
from storage import ConversationKey, MemoryStore, PersonRecord, TinyDBStore
from storage.base import JSONDict

PLATFORM = "telegram"
FACT_TURNS = 12
"""Typed answers a template case gets before it is dropped (its facts and timeline)."""
TURNS = ("/status", "ok", "/help")
"""What each person says, in turn: each turn loads, changes and saves their record."""
UNBOUNDED = 10**9


def key(name: str) -> ConversationKey:
    return ConversationKey(PLATFORM, name, name)


def press(key: ConversationKey, replies: list[Outbound], option: str) -> Inbound:
    (data,) = (b.data for m in replies for row in m.buttons for b in row if b.option == option)
    return ButtonPress(key, data)


async def template_record() -> PersonRecord:
    """A record made by real turns: one case told and dropped (c1), one open (c2)."""
    engine = Engine(MemoryStore())
    rng = random.Random(0)
    person = key("template")
    prompt = prompt_after(await engine.handle(Command(person, "new")), None)
    for number in range(FACT_TURNS):
        text = "Amazon" if number == 0 else typed_answer(prompt, rng)
        prompt = prompt_after(await engine.handle(TextMessage(person, text)), prompt)
    replies = await engine.handle(Command(person, "cancel"))
    replies = await engine.handle(press(person, replies, "do:drop"))
    await engine.handle(press(person, replies, "do:confirm"))
    prompt = prompt_after(await engine.handle(Command(person, "new")), None)
    for number in range(3):
        text = "Amazon" if number == 0 else typed_answer(prompt, rng)
        prompt = prompt_after(await engine.handle(TextMessage(person, text)), prompt)
    record = await engine.store.load(person.person)
    if record.cases["c1"]["state"] not in machine.CLOSED_STATES or len(record.cases) != 2:
        raise RuntimeError("the template cases did not come out as planned")
    return record


def with_history(template: PersonRecord, name: str, closed: int) -> PersonRecord:
    """The template's open case, after `closed` copies of its closed one (c1 … c<closed>)."""
    done: JSONDict = template.cases["c1"]
    opened: JSONDict = template.cases["c2"]
    closed_at = datetime.fromisoformat(done["closed_at"])
    cases: dict[str, JSONDict] = {}
    for number in range(1, closed + 1):
        case = copy.deepcopy(done)
        case["id"] = f"c{number}"
        case["closed_at"] = (closed_at - timedelta(hours=closed - number)).isoformat()
        cases[case["id"]] = case
    current = f"c{closed + 1}"
    cases[current] = {**copy.deepcopy(opened), "id": current}
    (chat,) = template.conversations.values()
    profile = {**copy.deepcopy(template.profile), "active_case": current}
    profile["cases_opened"] = closed + 1
    profile.pop("offered", None)
    return PersonRecord(profile, {name: copy.deepcopy(chat)}, cases, {})


async def timed(engine: Engine, event: Inbound) -> float:
    started = time.perf_counter()
    await engine.handle(event)
    return time.perf_counter() - started


async def run(closed: int, turns: int) -> None:
    template = await template_record()
    with tempfile.TemporaryDirectory(prefix="fairshake-history-") as folder:
        store = TinyDBStore(Path(folder) / "data")
        people = {"new": 0, "long": closed, "unbounded": closed}
        for name, count in people.items():
            await store.save(key(name).person, with_history(template, name, count))
        bounded = Engine(store, closed_kept=CLOSED_CASES_KEPT)
        engines = {
            "new": bounded,
            "long": bounded,
            "unbounded": Engine(store, closed_kept=UNBOUNDED),
        }
        sizes = {name: len((await store.load(key(name).person)).to_json()) for name in people}
        moving = await timed(bounded, Command(key("long"), "status"))
        for name in ("new", "unbounded"):
            await engines[name].handle(Command(key(name), "status"))  # the same warm-up turn
        times: dict[str, list[float]] = {name: [] for name in people}
        for number in range(turns):
            said = TURNS[number % len(TURNS)]
            for name in people:
                person = key(name)
                event: Inbound = (
                    Command(person, said.removeprefix("/"))
                    if said.startswith("/")
                    else TextMessage(person, said)
                )
                times[name].append(await timed(engines[name], event))
        after = {name: len((await store.load(key(name).person)).to_json()) for name in people}
        archived = len((await store.archived(key("long").person)).cases)
        await store.close()

    base = statistics.mean(times["new"])
    print(f"per-turn cost of {closed} closed cases ({turns} turns each, TinyDB, one at a time)")
    print(f"bound: {CLOSED_CASES_KEPT} closed cases kept in the record; {archived} archived")
    print(f"the turn that archived them: {moving * 1000:.1f} ms (once)")
    print(
        f"{'person':<10} {'closed':>6} {'record KiB':>16} {'mean ms':>8} {'p50 ms':>7} {'ratio':>6}"
    )
    for name, count in people.items():
        mean = statistics.mean(times[name])
        record = f"{sizes[name] / 1024:.0f} -> {after[name] / 1024:.0f}"
        print(
            f"{name:<10} {count:>6} {record:>16} {mean * 1000:>8.2f}"
            f" {statistics.median(times[name]) * 1000:>7.2f} {mean / base:>6.2f}"
        )
    ratio = statistics.mean(times["long"]) / base
    unbounded = statistics.mean(times["unbounded"]) / base
    print(
        f"ratio, {closed} closed cases vs none: {ratio:.2f} with the bound, {unbounded:.2f} without"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--closed", type=int, default=500, help="closed cases of the long history")
    parser.add_argument("--turns", type=int, default=300, help="timed turns per person")
    args = parser.parse_args()
    asyncio.run(run(args.closed, args.turns))


if __name__ == "__main__":
    main()
