"""Crash safety for real: a writer process SIGKILLed at random moments loses no saved record."""

from __future__ import annotations

import asyncio
import os
import random
import sys
from pathlib import Path

from storage import PersonKey, TinyDBStore
from storage.atomic import AtomicJSONStorage

WRITER = Path(__file__).with_name("crash_writer.py")
ROOT = WRITER.parent.parent
KILLS = 50
PEOPLE = 5


async def run_until_killed(data_dir: Path, delay: float) -> list[str]:
    """Start the writer, let it save for `delay` seconds once it is saving, SIGKILL it.

    Returns:
        Every whole line it printed: the saves it acknowledged.
    """
    writer = await asyncio.create_subprocess_exec(
        sys.executable,
        str(WRITER),
        str(data_dir),
        str(PEOPLE),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert writer.stdout is not None
    assert writer.stderr is not None
    first = await writer.stdout.readline()  # from here on it is saving
    await asyncio.sleep(delay)
    writer.kill()
    rest = await writer.stdout.read()
    error = await writer.stderr.read()
    await writer.wait()
    assert first, f"the writer failed before its first save:\n{error.decode()}"
    *lines, _unfinished = (first + rest).decode().split("\n")
    return lines


async def test_a_writer_killed_at_random_moments_keeps_every_acknowledged_save(
    tmp_path: Path,
) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    acknowledged: dict[PersonKey, int] = {}
    for kill in range(KILLS):
        for line in await run_until_killed(tmp_path, rng.uniform(0.002, 0.05)):
            platform, user_id, seq = line.split()
            person = PersonKey(platform, user_id)
            acknowledged[person] = max(acknowledged.get(person, 0), int(seq))

        store = TinyDBStore(tmp_path)
        where = f"after kill {kill + 1} (random seed {seed})"
        assert set(store.people()) == set(acknowledged), where
        for person, acked in acknowledged.items():
            record = await store.load(person)
            stored = record.profile["seq"]
            assert stored >= acked, f"{person}: saved {acked}, found {stored} {where}"
            stamps = [record.conversations["chat"]["seq"], record.reminders["reminder"]["seq"]]
            stamps += [case["seq"] for case in record.cases.values()]
            assert set(stamps) == {stored}, f"{person}: parts of different saves {where}"


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
