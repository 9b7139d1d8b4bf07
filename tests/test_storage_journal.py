"""The TinyDB store's journal: group commit, replay after a crash, torn tails, readable files."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from tinydb import TinyDB

from storage import SCHEMA_VERSION, DueEntry, PersonKey, PersonRecord, TinyDBStore
from storage.journal import segments

PEOPLE = [PersonKey("telegram", str(n)) for n in range(64)]


def record(n: int) -> PersonRecord:
    return PersonRecord(
        profile={"seq": n, "tz": "Europe/Berlin"},
        conversations={"chat": {"last_seen": "2026-12-01T10:00:00+00:00"}},
        cases={"c1": {"merchant": "Amazon", "facts": {"amount": "€49.99"}, "seq": n}},
        reminders={"r1": {"due": "2026-12-02T09:00:00+00:00", "seq": n}},
    )


def entry(person: PersonKey, n: int) -> DueEntry:
    return DueEntry(dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC), person, f"r{n}")


def journal(data: Path) -> list[Path]:
    return segments(data / "journal")


async def test_saves_at_once_share_their_syncs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = TinyDBStore(tmp_path)
    syncs = 0
    real_fdatasync = os.fdatasync

    def counting_fdatasync(fd: int) -> None:
        nonlocal syncs
        syncs += 1
        real_fdatasync(fd)

    monkeypatch.setattr(os, "fdatasync", counting_fdatasync)

    await asyncio.gather(*(store.save(person, record(1)) for person in PEOPLE))

    assert 1 <= syncs < len(PEOPLE) // 2
    for person in PEOPLE:
        assert await store.load(person) == record(1)


async def test_a_store_never_closed_is_replayed_whole_on_the_next_open(tmp_path: Path) -> None:
    """What a crash leaves: saves in the journal only. The next open folds them into files."""
    store = TinyDBStore(tmp_path)
    for n, person in enumerate(PEOPLE[:5]):
        await store.commit(person, record(n), added=[entry(person, n)])
    await store.delete(PEOPLE[4])
    await store.save(PEOPLE[0], record(99))
    await store.remove_due(entry(PEOPLE[1], 1))
    assert journal(tmp_path), "the saves are in the journal, not yet folded"

    reopened = TinyDBStore(tmp_path)

    assert journal(tmp_path) == []
    assert set(reopened.people()) == set(PEOPLE[:4])
    assert await reopened.load(PEOPLE[0]) == record(99)
    assert await reopened.load(PEOPLE[3]) == record(3)
    assert await reopened.load(PEOPLE[4]) == PersonRecord()
    assert set(reopened.due_entries()) == {
        entry(PEOPLE[0], 0),
        entry(PEOPLE[2], 2),
        entry(PEOPLE[3], 3),
    }


async def test_a_closed_folder_is_plain_tinydb_databases(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    await store.save(PEOPLE[0], record(7))
    await store.close()

    assert journal(tmp_path) == []
    (path,) = (tmp_path / "people").rglob("*.json")
    database = TinyDB(path)
    assert database.table("meta").all() == [
        {"platform": "telegram", "user_id": "0", "schema_version": SCHEMA_VERSION}
    ]
    assert database.table("profile").all() == [record(7).profile]
    assert database.table("cases").all() == [{"id": "c1", "value": record(7).cases["c1"]}]
    database.close()


def copy_with_last_segment_cut(source: Path, target: Path, keep: int) -> None:
    shutil.copytree(source, target)
    (last,) = journal(target)
    with last.open("r+b") as segment:
        segment.truncate(keep)


async def test_a_journal_cut_inside_its_last_entry_keeps_every_entry_before_it(
    tmp_path: Path,
) -> None:
    """A writer killed mid-write leaves a torn last frame: it was never acknowledged."""
    data = tmp_path / "data"
    store = TinyDBStore(data)
    await store.save(PEOPLE[0], record(1))
    await store.save(PEOPLE[1], record(1))
    (segment,) = journal(data)
    before_last = segment.stat().st_size
    await store.save(PEOPLE[0], record(2))
    whole = segment.stat().st_size

    for n, keep in enumerate(sorted({*range(before_last, whole, 97), before_last + 1, whole - 1})):
        cut = tmp_path / f"cut-{n}"
        copy_with_last_segment_cut(data, cut, keep)

        reopened = TinyDBStore(cut)

        assert await reopened.load(PEOPLE[0]) == record(1), keep
        assert await reopened.load(PEOPLE[1]) == record(1), keep
        assert journal(cut) == []
        await reopened.save(PEOPLE[0], record(3))  # and it carries on, in a new segment
        assert await TinyDBStore(cut).load(PEOPLE[0]) == record(3)


async def test_a_damaged_last_entry_is_dropped_not_applied(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    await store.save(PEOPLE[0], record(1))
    await store.save(PEOPLE[0], record(2))
    (segment,) = journal(tmp_path)
    damaged = bytearray(segment.read_bytes())
    damaged[-3] ^= 0xFF  # a bit flip in the last entry's payload: its CRC no longer matches
    segment.write_bytes(bytes(damaged))

    assert await TinyDBStore(tmp_path).load(PEOPLE[0]) == record(1)


async def test_a_forget_leaves_nothing_of_the_person_in_the_journal(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path)
    forgotten = PersonKey("telegram", "forget-me-7")
    await store.commit(forgotten, record(1), added=[entry(forgotten, 1)])
    await store.save(PEOPLE[0], record(1))

    await store.delete(forgotten)
    await store.remove_due(entry(forgotten, 1))  # the scheduler, late: nothing to write

    encoded = base64.urlsafe_b64encode(b"forget-me-7").rstrip(b"=").decode()
    for path in tmp_path.rglob("*"):
        assert encoded not in path.name
        if path.is_file():
            assert b"forget-me-7" not in path.read_bytes(), path
    assert await store.load(PEOPLE[0]) == record(1)


async def test_a_journal_that_failed_a_sync_says_so_until_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk for a moment stops the journal for good (what it holds on disk is no
    longer known): the health check must keep saying so after room is made again, so the
    process gets restarted, and the restart keeps every save acknowledged before."""
    store = TinyDBStore(tmp_path)
    await store.save(PEOPLE[0], record(1))
    assert await store.writable() is None
    real_fdatasync = os.fdatasync

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fdatasync", disk_full)
    with pytest.raises(OSError):
        await store.save(PEOPLE[0], record(2))
    monkeypatch.setattr(os, "fdatasync", real_fdatasync)

    assert await store.writable() is not None
    with pytest.raises(OSError):
        await store.save(PEOPLE[1], record(3))
    assert await store.writable() is not None
    await store.close()

    restarted = TinyDBStore(tmp_path)
    assert await restarted.writable() is None
    # The save told it failed did not happen after all: its frame was cut off again.
    assert (await restarted.load(PEOPLE[0])).profile["seq"] == 1
    await restarted.save(PEOPLE[1], record(3))
    assert (await restarted.load(PEOPLE[1])).profile["seq"] == 3
    await restarted.close()


async def test_every_folder_the_store_makes_is_private(tmp_path: Path) -> None:
    """File names carry people's digests and due times: no other user may list them."""
    data = tmp_path / "new" / "data"
    store = TinyDBStore(data)
    ann = PersonKey("telegram", "ann")
    await store.commit(ann, record(1), [entry(ann, 1)])
    await store.close()  # folds the journal into people/ and due/
    folders = [data, *(path for path in data.rglob("*") if path.is_dir())]
    assert {"people", "due", "journal"} <= {folder.name for folder in folders}
    assert {folder: folder.stat().st_mode & 0o777 for folder in folders} == dict.fromkeys(
        folders, 0o700
    )
