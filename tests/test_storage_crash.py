"""Crash safety for real: a writer process SIGKILLed at random moments, while it commits (in
the middle of the journal's batches and of its folds) and while it replays the journal at
start, loses no acknowledged commit and never keeps a record without its due entry."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import sys
import time
from pathlib import Path

from storage import PersonKey, TinyDBStore
from storage.atomic import AtomicJSONStorage
from storage.journal import segments

WRITER = Path(__file__).with_name("crash_writer.py")
ROOT = WRITER.parent.parent
sys.path.insert(0, str(WRITER.parent))

from crash_writer import due  # noqa: E402 - the writer's own definition of an entry

KILLS = 40
PEOPLE = 16
SMALL_SEGMENT = 64 * 1024
"""Small enough that the journal is folded every few dozen batches, so kills land in folds."""
RECOVERY_KILLS = 15
RECOVERY_PEOPLE = 64
FILL_COMMITS = 2000
NEVER_FOLD = 1 << 40

Acked = dict[PersonKey, int]


async def run_writer(
    data_dir: Path, people: int, segment_bytes: int, stop_when: str, delay: float, acked: Acked
) -> bool:
    """Start the writer, let it run `delay` seconds after it prints `stop_when`, SIGKILL it.

    Every commit it acknowledged goes into `acked`. Returns whether it had opened the store
    (its replay of the journal was over) when it was killed.
    """
    writer = await asyncio.create_subprocess_exec(
        sys.executable,
        str(WRITER),
        str(data_dir),
        str(people),
        str(segment_bytes),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert writer.stdout is not None
    assert writer.stderr is not None
    seen = b""
    while stop_when.encode() + b"\n" not in seen:
        line = await writer.stdout.readline()
        if not line:
            break
        seen += line
    await asyncio.sleep(delay)
    writer.kill()
    rest = await writer.stdout.read()
    error = await writer.stderr.read()
    await writer.wait()
    *lines, _unfinished = (seen + rest).decode().split("\n")
    assert "recovering" in lines, f"the writer failed to start:\n{error.decode()}"
    for line in lines:
        if line.startswith("crash "):
            platform, user_id, seq = line.split()
            person = PersonKey(platform, user_id)
            acked[person] = max(acked.get(person, 0), int(seq))
    return "open" in lines


async def check(data_dir: Path, acked: Acked, people: int, where: str) -> None:
    """Open the folder (replaying its journal): every acknowledged commit is in it, and at
    most the one commit per person that was in flight when the kill came (done, but its
    acknowledgement line cut off) is there beyond it. That one then counts as acknowledged:
    the next check starts from what is stored."""
    store = TinyDBStore(data_dir)
    everyone = {PersonKey("crash", f"user-{i}") for i in range(people)}
    held = set(store.people())
    assert set(acked) <= held <= everyone, where
    entries = set(store.due_entries())
    for person in held:
        record = await store.load(person)
        stored = record.profile["seq"]
        last = acked.get(person, 0)
        assert stored in (last, last + 1), f"{person}: acked {last}, found {stored} {where}"
        stamps = [record.conversations["chat"]["seq"], record.reminders["reminder"]["seq"]]
        stamps += [case["seq"] for case in record.cases.values()]
        assert set(stamps) == {stored}, f"{person}: parts of different saves {where}"
        theirs = {entry for entry in entries if entry.person == person}
        assert theirs == {due(person, stored)}, f"{person}: due index out of step {where}"
        acked[person] = stored
    assert {entry.person for entry in entries} <= held, where


async def test_a_writer_killed_while_committing_keeps_every_acknowledged_commit(
    tmp_path: Path,
) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    acked: Acked = {}
    for kill in range(KILLS):
        delay = rng.uniform(0.002, 0.08)
        await run_writer(tmp_path, PEOPLE, SMALL_SEGMENT, "open", delay, acked)
        await check(tmp_path, acked, PEOPLE, f"after kill {kill + 1} (random seed {seed})")


async def test_a_writer_killed_while_replaying_the_journal_keeps_every_acknowledged_commit(
    tmp_path: Path,
) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    data = tmp_path / "data"
    acked: Acked = {}

    async def fill() -> None:
        """Commit until the journal holds a few thousand entries, without folding them."""
        before = sum(acked.values())
        while sum(acked.values()) - before < FILL_COMMITS:
            await run_writer(data, RECOVERY_PEOPLE, NEVER_FOLD, "open", 0.5, acked)

    await fill()
    calibration = tmp_path / "calibration"
    shutil.copytree(data, calibration)
    started = time.perf_counter()
    TinyDBStore(calibration)
    replay = time.perf_counter() - started
    assert segments(data / "journal"), "the fill left a journal to replay"

    for kill in range(RECOVERY_KILLS):
        delay = rng.uniform(0, replay * 1.5)
        opened = await run_writer(data, RECOVERY_PEOPLE, NEVER_FOLD, "recovering", delay, acked)
        copy = tmp_path / f"after-{kill}"
        shutil.copytree(data, copy)  # checked on a copy: opening it replays the copy's journal
        where = f"after kill {kill + 1}, {delay * 1000:.0f} ms into replay (random seed {seed})"
        await check(copy, acked, RECOVERY_PEOPLE, where)
        shutil.rmtree(copy)
        if opened:
            await fill()


def test_a_missing_or_empty_file_reads_as_no_database(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.touch()

    assert AtomicJSONStorage(tmp_path / "missing.json").read() is None
    assert AtomicJSONStorage(empty).read() is None
    assert not (tmp_path / "missing.json").exists()


def test_a_write_creates_its_folders_and_leaves_only_the_target(tmp_path: Path) -> None:
    storage = AtomicJSONStorage(tmp_path / "a" / "b" / "db.json")

    storage.write({"_default": {"1": {"x": "😀"}}})
    storage.write({"_default": {}})

    assert [p.name for p in (tmp_path / "a" / "b").iterdir()] == ["db.json"]
    assert AtomicJSONStorage(tmp_path / "a" / "b" / "db.json").read() == {"_default": {}}
