"""Closed cases beyond the bound leave the record a turn rewrites (bot/archive.py), on every
backend: the record holds the bound, /status says how many are kept apart, /export still
has every case once, and /forget leaves nothing of them anywhere."""

from __future__ import annotations

import glob
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest
from chat import Chat

from bot import damaged
from bot.config import CLOSED_CASES_KEPT
from bot.events import Notice
from bot.notices import said
from flows.machine import CLOSED_STATES
from storage import MemoryStore, PersonRecord, Store, TinyDBStore
from storage.postgres import PostgresStore, upgrade_database

BACKENDS = ("memory", "tinydb", "postgres")


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    opened: Store
    if request.param == "memory":
        opened = MemoryStore()
    elif request.param == "tinydb":
        opened = TinyDBStore(tmp_path / "data")
    else:
        url = request.getfixturevalue("database_url")
        await upgrade_database(url)
        opened = await PostgresStore.open(url)
    yield opened
    await opened.close()


async def close_a_case(chat: Chat) -> str:
    """Open a case and drop it, as a person would (/new, /cancel, Drop, confirm)."""
    await chat.say("/new")
    case_id = chat.told(Notice.CASE_OPENED)["case_id"]
    await chat.say("/cancel")
    await chat.press_option("do:drop")
    await chat.press_option("do:confirm")
    assert chat.step() in CLOSED_STATES
    return case_id


def closed_in(record: PersonRecord) -> list[str]:
    return [case_id for case_id, case in record.cases.items() if case["state"] in CLOSED_STATES]


def exported_cases(chat: Chat) -> list[str]:
    return list(json.loads(chat.attachments()["fairshake-my-data.json"])["cases"])


async def test_the_record_holds_the_bound_and_export_shows_every_case(store: Store) -> None:
    chat = Chat(store)
    closed = [await close_a_case(chat) for _ in range(CLOSED_CASES_KEPT + 5)]
    await chat.say("/new")
    still_open = chat.told(Notice.CASE_OPENED)["case_id"]

    record = await store.load(chat.key.person)
    assert closed_in(record) == closed[5:]
    assert list(record.cases) == [*closed[5:], still_open]
    assert list((await store.archived(chat.key.person)).cases) == closed[:5]

    await chat.say("/status")
    assert chat.told(Notice.ARCHIVED_CASES) == {"count": "5"}
    await chat.say("/cases")
    assert chat.told(Notice.ARCHIVED_CASES) == {"count": "5"}
    await chat.say("/export")
    assert exported_cases(chat) == [*closed, still_open]


def test_one_archived_case_is_not_said_as_many() -> None:
    """The count's words follow it: one case is not "1 older closed cases"."""
    one, two = (said(Notice.ARCHIVED_CASES, count=count).plain() for count in ("1", "2"))
    assert "1" in one and "2" in two
    assert one != two.replace("2", "1")


async def test_forget_leaves_nothing_of_the_archive(store: Store, tmp_path: Path) -> None:
    chat = Chat(store)
    for _ in range(CLOSED_CASES_KEPT + 5):
        await close_a_case(chat)
    assert len((await store.archived(chat.key.person)).cases) == 5

    await chat.say("/forget")
    await chat.press_option("forget:yes")

    assert (await store.archived(chat.key.person)).cases == {}
    assert (await store.load(chat.key.person)).is_empty()
    assert list(store.people()) == []
    if isinstance(store, TinyDBStore):
        await store.close()
        assert [p for p in (tmp_path / "data" / "archive").rglob("*") if p.is_file()] == []
    if isinstance(store, PostgresStore):
        async with await psycopg.AsyncConnection.connect(store.url) as conn:
            for table in ("archive", "people", "due"):
                cursor = await conn.execute(f"SELECT count(*) FROM {table}")
                assert await cursor.fetchone() == (0,), table


async def test_the_bound_is_a_setting(store: Store) -> None:
    chat = Chat(store)
    chat.engine.closed_kept = 0
    first = await close_a_case(chat)
    second = await close_a_case(chat)

    record = await store.load(chat.key.person)
    assert list(record.cases) == [second]  # the active one stays, closed or not
    assert list((await store.archived(chat.key.person)).cases) == [first]


async def test_a_case_a_pending_reminder_needs_stays_in_the_record() -> None:
    store = MemoryStore()
    chat = Chat(store)
    waiting = await close_a_case(chat)
    await chat.say("/new")
    await chat.say("/remind in 2 days call back")
    record = await store.load(chat.key.person)
    (reminder,) = record.reminders.values()
    # A reminder still pending on a closed case (as a case resolved on a promise has its check-in).
    reminder["case_id"] = waiting
    await store.save(chat.key.person, record)
    chat.engine.closed_kept = 0
    await chat.say("/cancel")
    await chat.press_option("do:drop")
    await chat.press_option("do:confirm")
    await close_a_case(chat)

    record = await store.load(chat.key.person)
    assert waiting in record.cases
    assert waiting not in (await store.archived(chat.key.person)).cases
    assert list((await store.archived(chat.key.person)).cases) == ["c2"]


async def test_a_record_started_afresh_keeps_its_archive_and_takes_no_archived_id() -> None:
    store = MemoryStore()
    chat = Chat(store)
    chat.engine.closed_kept = 0
    for _ in range(3):
        await close_a_case(chat)
    store._records[chat.key.person] = '{"profile": {"active_case": "c3"}, "cases": {"c3": '  # torn

    await chat.say("hello")
    await chat.press_data(damaged.START_FRESH)
    await chat.say("/status")
    assert chat.told(Notice.ARCHIVED_CASES) == {"count": "2"}
    await chat.say("/new")

    assert chat.told(Notice.CASE_OPENED) == {"case_id": "c3"}
    assert list((await store.archived(chat.key.person)).cases) == ["c1", "c2"]


async def test_a_damaged_archive_still_exports_the_record_and_names_the_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = TinyDBStore(tmp_path / "data")
    chat = Chat(store)
    chat.engine.closed_kept = 0
    first, second = await close_a_case(chat), await close_a_case(chat)
    (archived,) = (tmp_path / "data" / "archive").rglob("*.json")
    archived.write_bytes(b"{torn")

    with caplog.at_level(logging.ERROR):
        await chat.say("/export")

    assert exported_cases(chat) == [second]
    assert Notice.EXPORTED in chat.notices()
    (logged,) = [r.args for r in caplog.records if r.levelno == logging.ERROR and r.args]
    digest, where, _ = logged
    assert digest == chat.key.person.digest
    assert glob.glob(str(where)) == [str(archived)]  # a pattern that finds the file
    assert chat.key.person.file_digest not in str(where)  # and not the unkeyed digest
    assert archived.read_bytes() == b"{torn"  # left for the operator
    assert first not in (await store.load(chat.key.person)).cases
    await store.close()


def archive_file_of(data: Path, case_id: str) -> Path:
    """The file of the data folder's archive holding `case_id`."""
    return next(
        path
        for path in (data / "archive").rglob("*.json")
        if json.loads(path.read_bytes())["case_id"] == case_id
    )


@pytest.mark.parametrize("torn", ["c2", "c3"])
async def test_a_fresh_start_after_damage_overwrites_no_archived_case(
    tmp_path: Path, torn: str
) -> None:
    """A damaged record and a damaged archived case (the middle one, or the newest, whose
    id only its file's name still tells): the person starts afresh, opens and closes more
    cases than the record keeps, and every archived case is still there as it was."""
    data = tmp_path / "data"
    chat = Chat(TinyDBStore(data))
    chat.engine.closed_kept = 0
    assert [await close_a_case(chat) for _ in range(4)] == ["c1", "c2", "c3", "c4"]
    assert list((await chat.store.archived(chat.key.person)).cases) == ["c1", "c2", "c3"]
    await chat.store.close()
    files = {case_id: archive_file_of(data, case_id) for case_id in ("c1", "c2", "c3")}
    kept = {case_id: path.read_bytes() for case_id, path in files.items()}
    files[torn].write_bytes(b'{"at": [1, 0], "case_id": "' + torn.encode())
    (record,) = (data / "people").rglob("*.json")
    record.write_bytes(b'{"profile": {"1": {"active_')

    chat = chat.restarted(TinyDBStore(data))
    await chat.say("hello")
    await chat.press_data(damaged.START_FRESH)
    opened = [await close_a_case(chat) for _ in range(CLOSED_CASES_KEPT + 1)]

    assert all(int(case_id[1:]) > 3 for case_id in opened), opened
    archived = await chat.store.archived(chat.key.person)
    assert [case.case_id for case in archived.damaged] == [torn]
    for case_id in {"c1", "c2", "c3"} - {torn}:
        assert files[case_id].read_bytes() == kept[case_id]  # not replaced
    assert [case_id for case_id in archived.cases if case_id in opened] == opened[:1]
    await chat.store.close()
