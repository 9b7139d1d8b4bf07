"""The PostgreSQL store as an operator meets it: the schema, `fairshake check`, `fairshake db`,
and the bot running on it. Against a real server (tests/postgres_cluster.py); the store's
contract itself is in test_storage_contract.py."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest
from layouts import later_layout

from storage import (
    SCHEMA_VERSION,
    DueEntry,
    PersonKey,
    PersonRecord,
    StoreError,
    TinyDBStore,
    archive_layout,
)
from storage.backends import copy_store
from storage.postgres import PostgresStore, lock_key, safe_url, upgrade_database
from storage.postgres_schema import LATEST
from tests.chat import Chat
from tests.test_cli import fairshake

ALICE = PersonKey("telegram", "1001")
ZOE = PersonKey("discord", "Zoë 😀")
WHEN = dt.datetime(2026, 11, 13, 9, 0, tzinfo=dt.UTC)


def tables(url: str) -> dict[str, int]:
    """How many rows each of the store's tables holds."""
    with psycopg.connect(url) as conn:
        return {
            name: conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]  # type: ignore[index]
            for name in ("people", "due")
        }


def test_upgrade_creates_the_schema_once(database_url: str, tmp_path: Path) -> None:
    env = {"FAIRSHAKE_DATABASE_URL": database_url}

    first = fairshake("db", "upgrade", env=env, cwd=tmp_path)
    again = fairshake("db", "upgrade", env=env, cwd=tmp_path)

    assert first.returncode == 0, first.stdout
    assert "applied 1" in first.stdout
    assert again.returncode == 0, again.stdout
    assert "up to date" in again.stdout
    assert tables(database_url) == {"people": 0, "due": 0}


async def test_a_database_not_upgraded_is_refused_with_the_step_to_take(
    database_url: str,
) -> None:
    with pytest.raises(StoreError, match="fairshake db upgrade"):
        await PostgresStore.open(database_url)


async def test_a_database_from_a_newer_fair_shake_is_refused(database_url: str) -> None:
    await upgrade_database(database_url)
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (%s, 'x')", (LATEST + 1,)
        )

    with pytest.raises(StoreError, match="upgrade Fair Shake"):
        await PostgresStore.open(database_url)
    with pytest.raises(StoreError, match="upgrade Fair Shake"):
        await upgrade_database(database_url)


def test_a_password_in_the_url_is_never_shown() -> None:
    shown = safe_url("postgresql://bot:s3cret-pw@db.example:5433/fairshake")

    assert "s3cret-pw" not in shown
    assert "db.example" in shown and "fairshake" in shown


def test_check_reaches_the_database(database_url: str, tmp_path: Path) -> None:
    env = {"FAIRSHAKE_DATABASE_URL": database_url}
    behind = fairshake("check", env=env, cwd=tmp_path)
    assert fairshake("db", "upgrade", env=env, cwd=tmp_path).returncode == 0

    good = fairshake("check", env=env, cwd=tmp_path)

    assert behind.returncode == 1
    assert "FAIRSHAKE_DATABASE_URL" in behind.stdout and "db upgrade" in behind.stdout
    assert good.returncode == 0, good.stdout
    assert "configuration OK" in good.stdout


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://bot@localhost/fairshake", "postgresql://"),
        ("postgresql://bot:s3cret-pw@/fairshake?host=/nonexistent", "cannot reach"),
        ("postgresql://bot@localhost:5432", "names no database"),
        ("postgresql://bot:s3cret-pw x@localhost/fairshake", "cannot be read"),
        ("postgresql://bot:s3cret-pw@[::1/fairshake", "cannot be read"),
    ],
    ids=["not postgresql", "unreachable", "no database", "a space", "a torn host"],
)
def test_check_says_what_is_wrong_with_the_url(url: str, says: str, tmp_path: Path) -> None:
    done = fairshake("check", env={"FAIRSHAKE_DATABASE_URL": url}, cwd=tmp_path)

    assert done.returncode == 1
    assert "FAIRSHAKE_DATABASE_URL" in done.stdout and says in done.stdout
    assert "s3cret-pw" not in done.stdout + done.stderr


def test_db_steps_need_the_url(tmp_path: Path) -> None:
    done = fairshake("db", "upgrade", env={}, cwd=tmp_path)

    assert done.returncode == 1
    assert "FAIRSHAKE_DATABASE_URL" in done.stdout


async def a_data_folder(folder: Path) -> dict[PersonKey, PersonRecord]:
    """A TinyDB folder with two people, a pending reminder each; their records."""
    store = TinyDBStore(folder)
    records = {
        ALICE: PersonRecord(profile={"tz": "Europe/Berlin"}, cases={"c2": {"n": 2}, "c1": {}}),
        ZOE: PersonRecord(reminders={"r1": {"text": "日本語"}}),
    }
    for person, record in records.items():
        await store.save(person, record)
        await store.add_due(DueEntry(WHEN, person, "r1"))
    await store.archive(ALICE, ARCHIVED)
    await store.close()
    return records


ARCHIVED = {"c0": {"state": "dropped", "n": 0}}
"""Alice's archived case (bot/archive.py), which import and export carry too."""


@pytest.fixture
async def upgraded(database_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment of a `fairshake db` step on an upgraded database."""
    env = {"FAIRSHAKE_DATABASE_URL": database_url}
    assert fairshake("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    return env


async def test_import_copies_a_data_folder_and_again_changes_nothing(
    upgraded: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    records, env = await a_data_folder(tmp_path / "data"), upgraded

    first = fairshake("db", "import", str(tmp_path / "data"), env=env, cwd=tmp_path)
    again = fairshake("db", "import", str(tmp_path / "data"), env=env, cwd=tmp_path)

    assert first.returncode == 0, first.stdout
    assert "2 people and 2 pending reminders" in first.stdout
    assert again.returncode == 0, again.stdout
    assert tables(database_url) == {"people": 2, "due": 2}
    store = await PostgresStore.open(database_url)
    for person, record in records.items():
        assert await store.load(person) == record
    assert set(store.due_entries()) == {DueEntry(WHEN, p, "r1") for p in records}
    assert (await store.archived(ALICE)).cases == ARCHIVED
    assert (await store.archived(ZOE)).cases == {}
    await store.close()


async def test_export_gives_back_the_folder_that_was_imported(
    upgraded: dict[str, str], tmp_path: Path
) -> None:
    records, env = await a_data_folder(tmp_path / "data"), upgraded
    fairshake("db", "import", str(tmp_path / "data"), env=env, cwd=tmp_path)

    done = fairshake("db", "export", str(tmp_path / "copy"), env=env, cwd=tmp_path)

    assert done.returncode == 0, done.stdout
    copy = TinyDBStore(tmp_path / "copy")
    assert set(copy.people()) == set(records)
    for person, record in records.items():
        assert await copy.load(person) == record
    assert set(copy.due_entries()) == {DueEntry(WHEN, p, "r1") for p in records}
    assert (await copy.archived(ALICE)).cases == ARCHIVED


async def test_import_and_export_carry_archived_cases_upgraded_with_their_version(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await upgrade_database(database_url)
    await a_data_folder(tmp_path / "data")

    later_layout(monkeypatch)  # a later Fair Shake imports the folder, and exports it again
    database = await PostgresStore.open(database_url)
    await copy_store(TinyDBStore(tmp_path / "data"), database)
    await copy_store(database, copy := TinyDBStore(tmp_path / "copy"))

    with psycopg.connect(database_url) as conn:
        (body,) = conn.execute("SELECT body FROM archive").fetchone()  # type: ignore[misc]
    assert body == {
        archive_layout.VERSION: SCHEMA_VERSION + 1,
        "case": {**ARCHIVED["c0"], "tags": []},
    }
    (exported,) = (tmp_path / "copy" / "archive").rglob("*.json")
    assert json.loads(exported.read_bytes())[archive_layout.VERSION] == SCHEMA_VERSION + 1
    assert (await copy.archived(ALICE)).cases == {"c0": {**ARCHIVED["c0"], "tags": []}}
    await database.close()
    await copy.close()


async def test_import_leaves_out_a_damaged_archived_case_names_it_and_copies_the_rest(
    upgraded: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    await a_data_folder(tmp_path / "data")
    folder = TinyDBStore(tmp_path / "data")
    await folder.archive(ALICE, {"c9": {"state": "dropped", "n": 9}})
    await folder.close()
    torn = next(
        path
        for path in (tmp_path / "data" / "archive").rglob("*.json")
        if json.loads(path.read_bytes())["case_id"] == "c9"
    )
    torn.write_bytes(b"{torn")

    done = fairshake("db", "import", str(tmp_path / "data"), env=upgraded, cwd=tmp_path)

    assert done.returncode == 0, done.stdout
    assert str(torn.relative_to(torn.parent.parent)) not in done.stdout  # no unkeyed digest
    assert str(torn.parent.parent / "*" / torn.name) in done.stdout
    store = await PostgresStore.open(database_url)
    assert (await store.archived(ALICE)).cases == ARCHIVED
    await store.close()


def test_import_refuses_a_folder_that_is_not_a_data_folder(
    upgraded: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    done = fairshake("db", "import", str(tmp_path / "nothing-here"), env=upgraded, cwd=tmp_path)

    assert done.returncode == 1
    assert "not a Fair Shake data folder" in done.stdout
    assert tables(database_url) == {"people": 0, "due": 0}


async def test_forget_deletes_every_row_of_the_person(database_url: str) -> None:
    await upgrade_database(database_url)
    store = await PostgresStore.open(database_url)
    for person in (ALICE, ZOE):
        await store.save(person, PersonRecord(profile={"tz": "UTC"}))
        await store.add_due(DueEntry(WHEN, person, "r1"))
        await store.add_due(DueEntry(WHEN, person, "r2"))

    await store.delete(ZOE)

    with psycopg.connect(database_url) as conn:
        left = conn.execute("SELECT DISTINCT user_id FROM people UNION SELECT user_id FROM due")
        assert [row[0] for row in left] == [ALICE.user_id]
    await store.close()


def test_the_bot_keeps_a_conversation_in_the_database(database_url: str, tmp_path: Path) -> None:
    """The terminal chat on FAIRSHAKE_DATABASE_URL: the cases opened are in PostgreSQL and
    nothing is written to the data folder."""
    env = {"FAIRSHAKE_DATABASE_URL": database_url, "FAIRSHAKE_DATA_DIR": str(tmp_path / "data")}
    fairshake("db", "upgrade", env=env, cwd=tmp_path)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FAIRSHAKE_", "TELEGRAM_"))}

    done = subprocess.run(
        [sys.executable, "-m", "bot"],
        env={**clean, **env, "DISCORD_BOT_TOKEN": ""},
        cwd=tmp_path,
        input="/new\n/new\n/new\n",
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    with psycopg.connect(database_url) as conn:
        people = conn.execute(
            "SELECT platform, (SELECT count(*) FROM json_object_keys(record->'cases')) FROM people"
        ).fetchall()
    assert people == [("console", 3)]
    assert not (tmp_path / "data" / "people").exists()


@pytest.fixture
async def instances(database_url: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    """Two stores on one upgraded database, as two instances of the bot would hold."""
    await upgrade_database(database_url)
    first, second = await PostgresStore.open(database_url), await PostgresStore.open(database_url)
    yield first, second
    await first.close()
    await second.close()


async def test_a_reopened_database_holds_everything(
    instances: tuple[PostgresStore, PostgresStore], database_url: str
) -> None:
    store, _ = instances
    for person in (ALICE, ZOE):
        await store.save(person, PersonRecord(profile={"who": person.user_id}))
    await store.add_due(DueEntry(WHEN, ZOE, "r1"))
    await store.close()

    reopened = await PostgresStore.open(database_url)

    assert set(reopened.people()) == {ALICE, ZOE}
    assert await reopened.load(ZOE) == PersonRecord(profile={"who": ZOE.user_id})
    assert list(reopened.due_entries()) == [DueEntry(WHEN, ZOE, "r1")]
    await reopened.close()


async def test_one_persons_turns_on_two_instances_lose_no_update(
    instances: tuple[PostgresStore, PostgresStore],
) -> None:
    """Each instance has its own in-process locks; only the database's keeps them apart."""

    async def turn(store: PostgresStore) -> None:
        async with store.person_locks().hold(ALICE):
            record = await store.load(ALICE)
            await asyncio.sleep(0.001)  # where the other instance's turn would slip in
            record.profile["turns"] = record.profile.get("turns", 0) + 1
            await store.save(ALICE, record)

    await asyncio.gather(*(turn(instances[n % 2]) for n in range(30)))

    assert (await instances[0].load(ALICE)).profile["turns"] == 30


async def test_the_person_is_locked_in_the_database_while_held(
    instances: tuple[PostgresStore, PostgresStore], database_url: str
) -> None:
    store, _ = instances

    def others_may_take(person: PersonKey) -> bool:
        with psycopg.connect(database_url) as conn:
            row = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (lock_key("turn", person),))
            return bool(row.fetchone()[0])  # type: ignore[index]

    async with store.person_locks().hold(ALICE):
        assert not await asyncio.to_thread(others_may_take, ALICE)
        assert await asyncio.to_thread(others_may_take, ZOE)
    assert await asyncio.to_thread(others_may_take, ALICE)


async def test_a_turn_that_fails_under_the_lock_writes_nothing(
    instances: tuple[PostgresStore, PostgresStore],
) -> None:
    store, other = instances
    await store.save(ALICE, PersonRecord(profile={"tz": "UTC"}))

    with pytest.raises(RuntimeError):
        async with store.person_locks().hold(ALICE):
            await store.commit(ALICE, PersonRecord(), added=[DueEntry(WHEN, ALICE, "r1")])
            await store.delete(ZOE)
            raise RuntimeError("the turn failed")

    assert await other.load(ALICE) == PersonRecord(profile={"tz": "UTC"})
    assert list(other.due_entries()) == []


async def test_a_conversation_alternating_between_two_instances_keeps_every_answer(
    instances: tuple[PostgresStore, PostgresStore],
) -> None:
    """A load balancer may send each of one person's messages to another instance."""
    on_first, on_second = Chat(instances[0]), Chat(instances[1])
    on_second.key = on_first.key
    chats = [on_first, on_second]

    await asyncio.gather(*(chats[n % 2].say("/new") for n in range(12)))

    record = await instances[0].load(on_first.key.person)
    assert len(record.cases) == 12


async def test_a_record_from_a_newer_layout_is_refused(
    instances: tuple[PostgresStore, PostgresStore], database_url: str
) -> None:
    """(An older one is upgraded on load: tests/test_migrations.py.)"""
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO people (platform, user_id, schema_version, record)"
            " VALUES ('telegram', '1001', 999, '{}')"
        )

    with pytest.raises(StoreError, match="upgrade Fair Shake"):
        await instances[0].load(ALICE)


def test_check_wants_one_webhook_secret_for_every_instance(
    upgraded: dict[str, str], tmp_path: Path
) -> None:
    """Instances behind one webhook URL must share its secret: one generated at each start
    would leave all but the last instance refusing the updates sent to them."""
    webhook = {
        **upgraded,
        "TELEGRAM_BOT_TOKEN": "123456789:AAH-abcdefghijklmnopqrstuvwxyz_012345",
        "TELEGRAM_WEBHOOK_URL": "https://bot.example.com/hook",
    }

    without = fairshake("check", env=webhook, cwd=tmp_path)
    shared = fairshake("check", env={**webhook, "TELEGRAM_WEBHOOK_SECRET": "s3cret"}, cwd=tmp_path)

    assert without.returncode == 1
    assert "TELEGRAM_WEBHOOK_SECRET" in without.stdout
    assert shared.returncode == 0, shared.stdout


@pytest.mark.parametrize("seconds", ["soon", "0", "-5", "inf"])
def test_check_wants_claim_seconds_to_be_a_number_of_seconds(
    upgraded: dict[str, str], seconds: str, tmp_path: Path
) -> None:
    done = fairshake("check", env={**upgraded, "FAIRSHAKE_CLAIM_SECONDS": seconds}, cwd=tmp_path)

    assert done.returncode == 1
    assert "FAIRSHAKE_CLAIM_SECONDS" in done.stdout
