"""A real process SIGKILLed between archiving closed cases and saving the record that drops
them (tests/archive_crash.py) loses no case and doubles none, on disk and in PostgreSQL
(where the turn is one transaction, so the kill undoes the archive with it): after the
restart the person's next turn finishes the move, and /export has every case once."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from chat import Chat

from bot.archive import ARCHIVED
from bot.events import Notice
from flows.machine import CLOSED_STATES
from storage import Store, TinyDBStore
from storage.postgres import PostgresStore, upgrade_database

SUBJECT = Path(__file__).with_name("archive_crash.py")
ROOT = SUBJECT.parent.parent
KEEP = 3


async def killed_after_archiving(where: str) -> tuple[list[str], list[str]]:
    """Run the subject until it says it archived, SIGKILL it: the cases it closed (saved)
    and the ones it archived (their record's save not made)."""
    subject = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SUBJECT),
        where,
        str(KEEP),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(SUBJECT.parent)])},
    )
    assert subject.stdout is not None and subject.stderr is not None
    closed: list[str] = []
    try:
        while True:
            line = (await asyncio.wait_for(subject.stdout.readline(), 120)).decode().split()
            assert line, (await subject.stderr.read()).decode()
            if line[0] == "archived":
                return closed, line[1:]
            closed.append(line[1])
    finally:
        subject.kill()
        await subject.wait()


@pytest.fixture(params=("tinydb", "postgres"))
async def where(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "tinydb":
        yield str(tmp_path / "data")
    else:
        url = request.getfixturevalue("database_url")
        await upgrade_database(url)
        yield url


async def reopened(where: str) -> Store:
    if where.startswith("postgresql://"):
        return await PostgresStore.open(where)
    return TinyDBStore(Path(where))


async def test_a_kill_between_the_archive_and_the_save_loses_and_doubles_nothing(
    where: str,
) -> None:
    closed, archived = await killed_after_archiving(where)
    assert closed == [f"c{n}" for n in range(1, KEEP + 1)]
    assert archived == ["c1"]  # closing c4 archived c1; the save that drops it never came

    store = await reopened(where)
    try:
        chat = Chat(store)
        chat.engine.closed_kept = KEEP  # the same setting after the restart
        person = chat.key.person
        record = await store.load(person)
        assert "c1" in record.cases
        # On disk the archive was written before the kill; in PostgreSQL it is in the
        # turn's transaction, which the kill rolled back with the rest of that turn.
        held = [] if isinstance(store, PostgresStore) else ["c1"]
        assert list((await store.archived(person)).cases) == held
        assert record.cases["c4"]["state"] not in CLOSED_STATES  # its turn was not saved

        await chat.say("/status")  # the person carries on where the restart left them
        await chat.press_option("do:confirm")
        assert chat.step() in CLOSED_STATES

        record = await store.load(person)
        assert list(record.cases) == ["c2", "c3", "c4"]
        assert list((await store.archived(person)).cases) == ["c1"]
        assert record.profile[ARCHIVED] == 1
        await chat.say("/status")
        assert chat.told(Notice.ARCHIVED_CASES) == {"count": "1"}
        await chat.say("/export")
        exported = json.loads(chat.attachments()["fairshake-my-data.json"])["cases"]
        assert list(exported) == ["c1", "c2", "c3", "c4"]
    finally:
        await store.close()


async def test_export_right_after_the_kill_has_each_case_once(where: str) -> None:
    await killed_after_archiving(where)
    store = await reopened(where)
    try:
        chat = Chat(store)
        await chat.say("/export")
        exported = json.loads(chat.attachments()["fairshake-my-data.json"])["cases"]
        assert list(exported) == ["c1", "c2", "c3", "c4"]
        assert exported["c1"]["state"] in CLOSED_STATES
    finally:
        await store.close()
