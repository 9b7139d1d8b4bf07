"""The behaviour every `Store` backend owes the bot, run against each backend."""

from __future__ import annotations

import asyncio
import datetime as dt
import glob
import json
import os
from pathlib import Path

import psycopg
import pytest
from layouts import later_layout

from storage import (
    SCHEMA_VERSION,
    DueEntry,
    MemoryStore,
    PersonKey,
    PersonRecord,
    Store,
    StoreError,
    TinyDBStore,
    archive_layout,
)
from storage.atomic import AtomicJSONStorage
from storage.base import JSONDict, LogSecretConflict
from storage.event_claims import EventKey
from storage.postgres import PostgresStore

ALICE = PersonKey("telegram", "1001")
BOB = PersonKey("telegram", "1002")
ALICE_ON_DISCORD = PersonKey("discord", "1001")
ODD_NAME = PersonKey("discord", "<b>Zoë</b> 😀 \"'; DROP TABLE--")


def rich_record(tag: str = "") -> PersonRecord:
    """A record using every part, with text a chat user may send and deep nesting."""
    return PersonRecord(
        profile={"tz": "Europe/Zürich", "active_case": f"case-1{tag}", "lang": None},
        conversations={
            "chat-1": {"state": "asking", "pending": "Order number? 📦", "step": 3},
            "-100200300": {"state": "idle", "history": [], "flags": {}},
        },
        cases={
            f"case-1{tag}": {
                "merchant": "Ünïcødé & <b>Co</b> *bold* _it_ `code` [link](http://x)",
                "facts": [{"text": "Paid 49.99 €", "amount": 49.99, "ok": True}, "\u202e\t\n"],
                "timeline": [[1, [2, [3, {"deep": {"deeper": ["😀", -0.5, 10**18]}}]]]],
                "status": "open",
            },
        },
        reminders={"r-1": {"due": "2025-01-31T09:00:00+01:00", "sent": False, "text": "日本語"}},
    )


INTERACTION = EventKey(ALICE_ON_DISCORD, "discord#1300000000000000001")
"""A Discord interaction of Alice's (its id a snowflake)."""
LEASE = 60.0

SECRET = bytes(range(32))
"""A log secret another store made."""

BERLIN = dt.timezone(dt.timedelta(hours=1))


def due(person: PersonKey, reminder_id: str, day: int = 13, minute: int = 0) -> DueEntry:
    return DueEntry(dt.datetime(2026, 11, day, 9, minute, 7, 123456, BERLIN), person, reminder_id)


class StoreContract:
    """Every behavioural test of `Store`; a subclass per backend provides a `store` fixture."""

    async def test_unknown_person_has_an_empty_record(self, store: Store) -> None:
        record = await store.load(ALICE)

        assert record == PersonRecord()
        assert record.is_empty()

    @pytest.mark.parametrize("person", [ALICE, ODD_NAME])
    async def test_save_then_load_gives_back_every_part(
        self, store: Store, person: PersonKey
    ) -> None:
        await store.save(person, rich_record())

        assert await store.load(person) == rich_record()

    async def test_save_replaces_the_whole_record(self, store: Store) -> None:
        await store.save(ALICE, rich_record())
        await store.save(ALICE, PersonRecord(cases={"case-9": {"status": "won"}}))

        assert await store.load(ALICE) == PersonRecord(cases={"case-9": {"status": "won"}})

    async def test_two_people_never_see_each_others_data(self, store: Store) -> None:
        await store.save(ALICE, rich_record("-alice"))
        await store.save(BOB, rich_record("-bob"))

        assert await store.load(ALICE) == rich_record("-alice")
        assert await store.load(BOB) == rich_record("-bob")

    async def test_same_user_id_on_another_platform_is_another_person(self, store: Store) -> None:
        await store.save(ALICE, rich_record())

        assert await store.load(ALICE_ON_DISCORD) == PersonRecord()
        await store.save(ALICE_ON_DISCORD, PersonRecord(profile={"tz": "UTC"}))
        assert await store.load(ALICE) == rich_record()

    async def test_delete_forgets_only_that_person(self, store: Store) -> None:
        await store.save(ALICE, rich_record())
        await store.save(BOB, rich_record())

        await store.delete(ALICE)

        assert await store.load(ALICE) == PersonRecord()
        assert await store.load(BOB) == rich_record()
        assert list(store.people()) == [BOB]

    async def test_deleting_an_unknown_person_does_nothing(self, store: Store) -> None:
        await store.save(BOB, rich_record())

        await store.delete(ALICE)

        assert list(store.people()) == [BOB]

    async def test_archived_cases_come_back_by_id_in_the_order_archived(self, store: Store) -> None:
        assert (await store.archived(ALICE)).cases == {}
        await store.archive(ALICE, {"c2": {"status": "closed", "n": 2}})
        await store.archive(ALICE, {"c1": {"status": "closed", "n": 1}})

        assert list(((await store.archived(ALICE)).cases).items()) == [
            ("c2", {"status": "closed", "n": 2}),
            ("c1", {"status": "closed", "n": 1}),
        ]
        assert (await store.archived(BOB)).cases == {}

    async def test_archiving_a_case_twice_keeps_one_the_latest_in_its_place(
        self, store: Store
    ) -> None:
        await store.archive(ALICE, {"c1": {"n": 1}, "c2": {"n": 2}})
        await store.archive(ALICE, {"c1": {"n": 3}})
        await store.archive(ALICE, {})

        assert list(((await store.archived(ALICE)).cases).items()) == [
            ("c1", {"n": 3}),
            ("c2", {"n": 2}),
        ]

    async def test_many_archived_cases_come_back_whole(self, store: Store) -> None:
        for number in range(1, 41):
            await store.archive(ALICE, {f"c{number}": {"n": number, "text": "é😀" * number}})

        archived = (await store.archived(ALICE)).cases
        assert list(archived) == [f"c{number}" for number in range(1, 41)]
        assert archived["c40"] == {"n": 40, "text": "é😀" * 40}

    async def test_an_archived_case_is_read_in_the_layout_of_the_fair_shake_reading_it(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        await store.archive(ALICE, {"c1": {"id": "c1", "n": 1}})

        later_layout(monkeypatch)
        await store.archive(ALICE, {"c2": {"id": "c2", "n": 2}})  # written in the later one

        assert (await store.archived(ALICE)).cases == {
            "c1": {"id": "c1", "n": 1, "tags": []},  # upgraded on read
            "c2": {"id": "c2", "n": 2},  # already in it: not upgraded again
        }

    async def test_an_archived_case_of_a_newer_fair_shake_is_refused_not_misread(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with monkeypatch.context() as later:
            later_layout(later)
            await store.archive(ALICE, {"c1": {"id": "c1", "n": 1}})

        with pytest.raises(StoreError, match="upgrade Fair Shake"):
            await store.archived(ALICE)

    async def spoil_archived(self, store: Store, case_id: str, body: JSONDict) -> None:
        """Put `body` where the store keeps ALICE's archived case `case_id`, in place of
        what it wrote (each backend's class says where that is)."""
        raise NotImplementedError(f"{type(self).__name__} says where an archived case is kept")

    async def test_an_archived_case_that_cannot_be_read_hides_no_other(self, store: Store) -> None:
        await store.archive(ALICE, {"c1": {"n": 1}, "c2": {"n": 2}, "c3": {"n": 3}})
        await self.spoil_archived(store, "c2", {archive_layout.VERSION: "?", "case": {"n": 2}})

        archived = await store.archived(ALICE)

        assert archived.cases == {"c1": {"n": 1}, "c3": {"n": 3}}
        [damaged] = archived.damaged
        assert (damaged.case_id, damaged.cause) == ("c2", "TypeError")
        assert ALICE.file_digest not in damaged.where

    async def test_the_archive_is_apart_from_the_record(self, store: Store) -> None:
        await store.save(ALICE, rich_record())
        await store.archive(ALICE, {"old": {"status": "closed"}})

        assert await store.load(ALICE) == rich_record()
        assert "old" not in (await store.load(ALICE)).cases

    async def test_delete_removes_the_archive_of_that_person_only(self, store: Store) -> None:
        for person in (ALICE, BOB):
            await store.save(person, rich_record())
            await store.archive(person, {"old": {"status": "closed"}})

        await store.delete(ALICE)

        assert (await store.archived(ALICE)).cases == {}
        assert (await store.archived(BOB)).cases == {"old": {"status": "closed"}}

    async def test_delete_removes_an_archive_without_a_record(self, store: Store) -> None:
        await store.archive(ALICE, {"old": {"status": "closed"}})

        await store.delete(ALICE)

        assert (await store.archived(ALICE)).cases == {}

    async def test_people_lists_everyone_with_a_record(self, store: Store) -> None:
        assert list(store.people()) == []
        for person in (ALICE, BOB, ALICE_ON_DISCORD, ODD_NAME):
            await store.save(person, rich_record())

        assert set(store.people()) == {ALICE, BOB, ALICE_ON_DISCORD, ODD_NAME}

    async def test_records_share_nothing_with_the_store(self, store: Store) -> None:
        saved = rich_record()
        await store.save(ALICE, saved)

        saved.cases["case-1"]["facts"].append("changed after save")
        loaded = await store.load(ALICE)
        loaded.cases["case-1"]["facts"].append("changed after load")
        loaded.profile["tz"] = "UTC"

        assert await store.load(ALICE) == rich_record()

    @pytest.mark.parametrize(
        ("value", "error"),
        [
            (dt.datetime(2025, 1, 31, 9, 0), TypeError),
            ({"a", "b"}, TypeError),
            (b"bytes", TypeError),
            (float("nan"), ValueError),
        ],
        ids=["datetime", "set", "bytes", "nan"],
    )
    async def test_a_value_json_cannot_hold_is_refused_and_the_old_record_kept(
        self, store: Store, value: object, error: type[Exception]
    ) -> None:
        await store.save(ALICE, rich_record())
        bad = rich_record()
        bad.cases["case-1"]["timeline"].append({"when": value})

        with pytest.raises(error):
            await store.save(ALICE, bad)

        assert await store.load(ALICE) == rich_record()

    # -- the due index ---------------------------------------------------------------------

    async def test_the_due_index_starts_empty(self, store: Store) -> None:
        assert list(store.due_entries()) == []

    async def test_due_entries_come_back_exactly_in_utc(self, store: Store) -> None:
        entries = {due(ALICE, "r1"), due(ODD_NAME, "r-2_x", day=14), due(ALICE_ON_DISCORD, "r1")}
        for entry in entries:
            await store.add_due(entry)

        listed = list(store.due_entries())

        assert set(listed) == entries
        assert len(listed) == 3
        assert {entry.due.tzinfo for entry in listed} == {dt.UTC}
        assert due(ALICE, "r1").due.hour == 8

    async def test_adding_an_entry_twice_keeps_one(self, store: Store) -> None:
        await store.add_due(due(ALICE, "r1"))
        await store.add_due(due(ALICE, "r1"))

        assert list(store.due_entries()) == [due(ALICE, "r1")]

    async def test_an_entry_differs_by_time_person_or_reminder(self, store: Store) -> None:
        entries = [due(ALICE, "r1"), due(ALICE, "r1", minute=1), due(BOB, "r1"), due(ALICE, "r2")]
        for entry in entries:
            await store.add_due(entry)

        await store.remove_due(due(ALICE, "r1"))

        assert sorted(store.due_entries()) == sorted(entries[1:])

    async def test_removing_a_missing_entry_does_nothing(self, store: Store) -> None:
        await store.add_due(due(BOB, "r1"))

        await store.remove_due(due(ALICE, "r1"))
        await store.remove_due(due(BOB, "r1"))
        await store.remove_due(due(BOB, "r1"))

        assert list(store.due_entries()) == []

    async def test_due_entries_are_apart_from_records(self, store: Store) -> None:
        await store.add_due(due(ALICE, "r1"))

        assert await store.load(ALICE) == PersonRecord()
        assert list(store.people()) == []

    async def test_delete_removes_that_persons_due_entries_only(self, store: Store) -> None:
        await store.save(ALICE, rich_record())
        for entry in (due(ALICE, "r1"), due(ALICE, "r2", day=20), due(BOB, "r1")):
            await store.add_due(entry)
        await store.add_due(due(ALICE_ON_DISCORD, "r1"))

        await store.delete(ALICE)

        assert set(store.due_entries()) == {due(BOB, "r1"), due(ALICE_ON_DISCORD, "r1")}

    async def test_delete_removes_due_entries_of_a_person_without_a_record(
        self, store: Store
    ) -> None:
        await store.add_due(due(ODD_NAME, "r1"))

        await store.delete(ODD_NAME)

        assert list(store.due_entries()) == []

    async def test_a_commit_saves_the_record_with_its_due_changes(self, store: Store) -> None:
        await store.commit(ALICE, rich_record(), added=[due(ALICE, "r1"), due(ALICE, "r2")])
        await store.commit(ALICE, PersonRecord(profile={"tz": "UTC"}), removed=[due(ALICE, "r1")])

        assert await store.load(ALICE) == PersonRecord(profile={"tz": "UTC"})
        assert list(store.due_entries()) == [due(ALICE, "r2")]

    async def test_a_commit_without_a_record_changes_only_the_index(self, store: Store) -> None:
        await store.save(ALICE, rich_record())

        await store.commit(ALICE, None, added=[due(ALICE, "r3")])

        assert await store.load(ALICE) == rich_record()
        assert list(store.due_entries()) == [due(ALICE, "r3")]

    async def test_saves_at_once_by_many_people_all_keep(self, store: Store) -> None:
        people = [PersonKey("telegram", str(n)) for n in range(64)]

        await asyncio.gather(
            *(store.save(person, rich_record(person.user_id)) for person in people)
        )

        for person in people:
            assert await store.load(person) == rich_record(person.user_id)
        assert set(store.people()) == set(people)

    async def test_a_record_keeps_the_order_of_its_cases(self, store: Store) -> None:
        await store.save(ALICE, PersonRecord(cases={f"case-{n}": {} for n in (3, 1, 2, 10)}))

        assert list((await store.load(ALICE)).cases) == ["case-3", "case-1", "case-2", "case-10"]

    # -- the person lock -------------------------------------------------------------------

    async def test_turns_of_one_person_under_their_lock_lose_no_update(self, store: Store) -> None:
        locks = store.person_locks()

        async def turn() -> None:
            async with locks.hold(ALICE):
                record = await store.load(ALICE)
                await asyncio.sleep(0)  # where another turn would slip in
                record.profile["turns"] = record.profile.get("turns", 0) + 1
                await store.save(ALICE, record)

        await asyncio.gather(*(turn() for _ in range(20)))

        assert (await store.load(ALICE)).profile["turns"] == 20
        assert len(locks) == 0

    async def test_holding_one_person_holds_up_nobody_else(self, store: Store) -> None:
        locks = store.person_locks()

        async def bobs_turn() -> None:
            async with locks.hold(BOB):
                await store.save(BOB, rich_record())

        async with locks.hold(ALICE):
            await asyncio.wait_for(bobs_turn(), timeout=60)
            await store.save(ALICE, rich_record("-alice"))

        assert await store.load(BOB) == rich_record()
        assert await store.load(ALICE) == rich_record("-alice")

    async def test_no_log_secret_is_kept_until_one_is_made(self, store: Store) -> None:
        assert await store.kept_log_secret() is None

        made = await store.log_secret()

        assert await store.kept_log_secret() == made == await store.log_secret()

    async def test_a_log_secret_brought_in_is_kept(self, store: Store) -> None:
        await store.keep_log_secret(SECRET)
        await store.keep_log_secret(SECRET)  # the same again: nothing to refuse

        assert await store.log_secret() == SECRET

    async def test_another_log_secret_is_refused_unless_replacing(self, store: Store) -> None:
        made = await store.log_secret()

        with pytest.raises(LogSecretConflict):
            await store.keep_log_secret(SECRET)
        assert await store.log_secret() == made
        await store.keep_log_secret(SECRET, replace=True)
        assert await store.log_secret() == SECRET

    async def test_the_first_claim_of_an_event_wins_and_a_copy_is_left_to_it(
        self, store: Store
    ) -> None:
        claims = store.event_claims()
        first = await claims.claim(INTERACTION, LEASE)
        copy = await store.event_claims().claim(INTERACTION, LEASE)

        assert first.won
        assert not copy.won and not copy.done, "the claimer's turn is still running"
        assert 0 < copy.wait <= LEASE, "tried again once the claim would run out"

    async def test_a_claim_done_is_never_taken_over(self, store: Store) -> None:
        claims = store.event_claims()
        assert (await claims.claim(INTERACTION, 0)).won
        await claims.done(INTERACTION)

        late = await store.event_claims().claim(INTERACTION, LEASE)
        assert not late.won and late.done

    async def test_a_claim_run_out_unfinished_passes_to_the_next_claimer(
        self, store: Store
    ) -> None:
        """Its claimer died mid-turn: the event is not left unanswered."""
        claims = store.event_claims()
        assert (await claims.claim(INTERACTION, 0)).won

        assert (await store.event_claims().claim(INTERACTION, LEASE)).won
        assert not (await claims.claim(INTERACTION, LEASE)).won, "the new claim holds"

    async def test_a_claim_renewed_holds_past_its_first_lease(self, store: Store) -> None:
        """Its claimer is alive and working: nobody takes the event over."""
        claims = store.event_claims()
        assert (await claims.claim(INTERACTION, 0)).won
        await claims.renew(INTERACTION, LEASE)

        copy = await store.event_claims().claim(INTERACTION, LEASE)
        assert not copy.won and not copy.done and 0 < copy.wait <= LEASE

    async def test_claims_of_other_events_or_people_are_apart(self, store: Store) -> None:
        claims = store.event_claims()
        assert (await claims.claim(INTERACTION, LEASE)).won
        for other in (
            EventKey(INTERACTION.person, "discord#1300000000000000002"),
            EventKey(ODD_NAME, INTERACTION.name),
        ):
            assert (await claims.claim(other, LEASE)).won


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self) -> Store:
        return MemoryStore()

    async def spoil_archived(self, store: Store, case_id: str, body: JSONDict) -> None:
        assert isinstance(store, MemoryStore)
        store._archives[ALICE][case_id] = json.dumps(body)


def person_files(data_dir: Path) -> list[Path]:
    """The person files in a TinyDBStore folder, ignoring leftover temporary files."""
    return sorted((data_dir / "people").rglob("*.json"))


def spoil_archived_file(data_dir: Path, case_id: str, body: JSONDict) -> None:
    """Put `body` in the archived case's file of a TinyDBStore folder, kept where it was."""
    for path in (data_dir / "archive").rglob("*.json"):
        stored = json.loads(path.read_bytes())
        if stored["case_id"] == case_id:
            path.write_text(json.dumps({"at": stored["at"], "case_id": case_id, **body}))
            return
    raise AssertionError(f"no archived file holds {case_id}")


def due_files(data_dir: Path) -> list[Path]:
    """The due-index entries in a TinyDBStore folder."""
    return sorted((data_dir / "due").rglob("*.due"))


class TestTinyDBStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Store:
        return TinyDBStore(tmp_path)

    async def spoil_archived(self, store: Store, case_id: str, body: JSONDict) -> None:
        assert isinstance(store, TinyDBStore)
        spoil_archived_file(store.data_dir, case_id, body)

    async def test_a_reopened_folder_holds_everything(self, store: Store, tmp_path: Path) -> None:
        for person in (ALICE, BOB, ODD_NAME):
            await store.save(person, rich_record(person.user_id))
        await store.keep_log_secret(SECRET)
        await store.close()

        reopened = TinyDBStore(tmp_path)

        assert await reopened.log_secret() == SECRET
        assert (tmp_path / "log-secret").stat().st_mode & 0o777 == 0o600
        assert set(reopened.people()) == {ALICE, BOB, ODD_NAME}
        for person in (ALICE, BOB, ODD_NAME):
            assert await reopened.load(person) == rich_record(person.user_id)

    async def test_a_reopened_folder_keeps_the_archive_and_the_record_apart(
        self, store: Store, tmp_path: Path
    ) -> None:
        await store.archive(ALICE, {"old": {"status": "closed"}})
        await store.save(ALICE, rich_record())
        await store.close()

        reopened = TinyDBStore(tmp_path)
        assert (await reopened.archived(ALICE)).cases == {"old": {"status": "closed"}}
        assert await reopened.load(ALICE) == rich_record()
        assert list(reopened.people()) == [ALICE]
        await reopened.close()

    async def test_an_archive_file_holds_its_case_with_its_layout_version(
        self, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        await store.archive(ALICE, {"c1": {"id": "c1", "n": 1}})
        (stored,) = (tmp_path / "archive").rglob("*.json")
        body = json.loads(stored.read_bytes())
        assert (body["case_id"], body["case"]) == ("c1", {"id": "c1", "n": 1})
        assert body[archive_layout.VERSION] == SCHEMA_VERSION

        # As the archive's first layout wrote it: no version, so that of BEFORE_VERSIONS.
        del body[archive_layout.VERSION]
        stored.write_text(json.dumps(body))
        later_layout(monkeypatch)
        upgraded = (await store.archived(ALICE)).cases["c1"]
        assert (upgraded["n"], upgraded["tags"]) == (1, [])

    async def test_a_damaged_archive_file_is_named_and_hides_no_other(
        self, store: Store, tmp_path: Path
    ) -> None:
        await store.archive(ALICE, {"c1": {"n": 1}, "c2": {"n": 2}, "c3": {"n": 3}})
        torn = next(
            path
            for path in (tmp_path / "archive").rglob("*.json")
            if json.loads(path.read_bytes())["case_id"] == "c2"
        )
        torn.write_bytes(b'{"at": [1, 0], "case_id": "c2", "ca')

        archived = await store.archived(ALICE)

        assert archived.cases == {"c1": {"n": 1}, "c3": {"n": 3}}
        ((damaged),) = archived.damaged
        assert damaged.case_id == "c2"
        assert glob.glob(damaged.where) == [str(torn)]  # a pattern that finds it
        assert ALICE.file_digest not in damaged.where and ALICE.user_id not in damaged.where
        assert torn.read_bytes() == b'{"at": [1, 0], "case_id": "c2", "ca'  # left as it was

    async def test_a_damaged_archive_file_of_an_unknown_case_says_so(
        self, store: Store, tmp_path: Path
    ) -> None:
        await store.archive(ALICE, {"no-number": {"n": 1}})
        (torn,) = (tmp_path / "archive").rglob("*.json")
        torn.write_bytes(b"{torn")

        archived = await store.archived(ALICE)

        assert archived.cases == {}
        assert [case.case_id for case in archived.damaged] == [None]

    def test_the_schema_version_is_stored_on_first_open(self, tmp_path: Path) -> None:
        TinyDBStore(tmp_path / "data")

        meta = json.loads((tmp_path / "data" / "meta.json").read_text())
        assert meta == {"schema_version": SCHEMA_VERSION}

    def test_a_folder_from_a_newer_version_is_refused(self, tmp_path: Path) -> None:
        (tmp_path / "meta.json").write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1}))

        with pytest.raises(StoreError, match="upgrade Fair Shake"):
            TinyDBStore(tmp_path)

    def test_a_folder_without_a_known_version_is_refused(self, tmp_path: Path) -> None:
        (tmp_path / "meta.json").write_text(json.dumps({"version": "1"}))

        with pytest.raises(StoreError, match="no schema version"):
            TinyDBStore(tmp_path)

    async def test_each_person_has_one_file(self, store: Store, tmp_path: Path) -> None:
        for person in (ALICE, BOB, ALICE_ON_DISCORD):
            await store.save(person, rich_record())
            await store.save(person, rich_record())
        await store.close()

        files = person_files(tmp_path)
        assert len(files) == 3
        assert {f.parent.parent.name for f in files} == {"telegram", "discord"}

    async def test_loading_an_unknown_person_creates_nothing(
        self, store: Store, tmp_path: Path
    ) -> None:
        await store.load(ALICE)

        assert [p.name for p in tmp_path.rglob("*")] == ["meta.json"]

    async def test_a_save_is_one_atomic_replace_of_that_persons_file_only(
        self, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        await store.save(BOB, rich_record())
        await store.close()
        bobs_file = person_files(tmp_path)[0]
        bobs_bytes = bobs_file.read_bytes()
        replaced: list[Path] = []
        real_replace = os.replace

        def counting_replace(src: str | Path, dst: str | Path) -> None:
            replaced.append(Path(dst))
            real_replace(src, dst)

        monkeypatch.setattr(os, "replace", counting_replace)
        big = rich_record()
        big.conversations = {f"chat-{i}": {"step": i} for i in range(3000)}

        await store.save(ALICE, big)
        await store.close()

        (alices_file,) = set(person_files(tmp_path)) - {bobs_file}
        assert replaced == [alices_file]
        assert bobs_file.read_bytes() == bobs_bytes
        assert await store.load(ALICE) == big

    async def test_a_failed_save_leaves_no_file_behind(self, store: Store, tmp_path: Path) -> None:
        bad = rich_record()
        bad.profile["since"] = dt.date(2025, 1, 1)

        with pytest.raises(TypeError):
            await store.save(ALICE, bad)

        assert [p.name for p in tmp_path.rglob("*")] == ["meta.json"]

    async def test_a_temp_file_left_by_a_killed_writer_is_ignored_then_replaced(
        self, store: Store, tmp_path: Path
    ) -> None:
        await store.save(ALICE, rich_record())
        await store.close()
        temp = AtomicJSONStorage(person_files(tmp_path)[0]).temp_path
        temp.write_text('{"meta": {"1": {"platform": "telegram", "user_id": "10')

        assert await store.load(ALICE) == rich_record()
        assert list(store.people()) == [ALICE]

        changed = rich_record()
        changed.profile["tz"] = "UTC"
        await store.save(ALICE, changed)
        await store.close()

        assert not temp.exists()
        assert await TinyDBStore(tmp_path).load(ALICE) == changed

    async def test_a_platform_that_is_not_a_plain_name_is_refused(self, store: Store) -> None:
        with pytest.raises(ValueError, match="plain name"):
            await store.save(PersonKey("../telegram", "1"), rich_record())
        with pytest.raises(ValueError, match="plain name"):
            await store.add_due(due(PersonKey("../telegram", "1"), "r1"))
        with pytest.raises(ValueError, match="plain name"):
            await store.add_due(due(ALICE, "../r1"))

    async def test_each_due_entry_is_one_empty_file_named_in_time_order(
        self, store: Store, tmp_path: Path
    ) -> None:
        for entry in (due(ODD_NAME, "r1", day=20), due(ALICE, "r1", day=13), due(BOB, "r9", 14)):
            await store.add_due(entry)
        await store.close()

        files = sorted(due_files(tmp_path), key=lambda f: f.name)

        assert [f.stat().st_size for f in files] == [0, 0, 0]
        assert [f.name[:8] for f in files] == ["20261113", "20261114", "20261120"]
        assert all("/" not in f.name and "Zo" not in f.name for f in files)
        # In each person's shard, the same as their record's.
        await store.save(ALICE, rich_record())
        await store.close()
        (alices_file,) = person_files(tmp_path)
        assert files[0].parent.name == alices_file.parent.name

    async def test_a_reopened_folder_lists_the_due_entries(
        self, store: Store, tmp_path: Path
    ) -> None:
        await store.add_due(due(ODD_NAME, "r1"))
        await store.add_due(due(ALICE, "r2"))
        await store.close()

        assert set(TinyDBStore(tmp_path).due_entries()) == {due(ODD_NAME, "r1"), due(ALICE, "r2")}

    async def test_stray_files_in_the_due_folder_are_ignored(
        self, store: Store, tmp_path: Path
    ) -> None:
        await store.add_due(due(ALICE, "r1"))
        await store.close()
        (shard,) = (tmp_path / "due").iterdir()
        strays = ("notes.txt", "x.due", "bad-stamp.telegram.MTAwMQ.r1.due", "a.b.c.d.e.due")
        for stray in strays:
            (shard / stray).write_text("")
            (tmp_path / "due" / stray).write_text("")

        assert list(store.due_entries()) == [due(ALICE, "r1")]
        await store.delete(ALICE)
        await store.close()
        # Forgetting Alice also removes the unreadable name that names her (MTAwMQ is 1001).
        assert sorted(p.name for p in shard.iterdir()) == ["a.b.c.d.e.due", "notes.txt", "x.due"]

    async def test_forgetting_a_person_leaves_no_file_of_theirs(
        self, store: Store, tmp_path: Path
    ) -> None:
        await store.save(ODD_NAME, rich_record())
        await store.archive(ODD_NAME, {"c1": {"n": 1}, "c2": {"n": 2}})
        await store.add_due(due(ODD_NAME, "r1"))
        await store.add_due(due(BOB, "r1"))

        await store.delete(ODD_NAME)
        await store.close()

        assert person_files(tmp_path) == []
        assert [path for path in (tmp_path / "archive").rglob("*") if path.is_file()] == []
        assert len(due_files(tmp_path)) == 1
        assert list(store.due_entries()) == [due(BOB, "r1")]


class TestTinyDBStoreFoldingEveryBatch(StoreContract):
    """The same contract while the journal is folded into the files after every batch, so
    loads and listings meet folds in flight."""

    @pytest.fixture
    def store(self, tmp_path: Path) -> Store:
        return TinyDBStore(tmp_path, segment_bytes=1)

    async def spoil_archived(self, store: Store, case_id: str, body: JSONDict) -> None:
        assert isinstance(store, TinyDBStore)
        spoil_archived_file(store.data_dir, case_id, body)


class TestPostgresStore(StoreContract):
    """Against a real PostgreSQL server (tests/postgres_cluster.py), a new database each test."""

    @pytest.fixture
    def store(self, postgres_store: PostgresStore) -> Store:
        return postgres_store

    async def spoil_archived(self, store: Store, case_id: str, body: JSONDict) -> None:
        assert isinstance(store, PostgresStore)
        async with await psycopg.AsyncConnection.connect(store.url) as conn:
            await conn.execute(
                "UPDATE archive SET body = %s::json WHERE case_id = %s", (json.dumps(body), case_id)
            )

    async def test_an_archive_row_holds_its_case_with_its_layout_version_in_the_body(
        self, store: PostgresStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        await store.archive(ALICE, {"c1": {"id": "c1", "n": 1}})
        async with await psycopg.AsyncConnection.connect(store.url) as conn:
            cursor = await conn.execute("SELECT body::text FROM archive")
            ((text,),) = await cursor.fetchall()
            assert json.loads(text) == {
                archive_layout.VERSION: SCHEMA_VERSION,
                "case": {"id": "c1", "n": 1},
            }
            # As the archive's first layout wrote it: the bare case, so of BEFORE_VERSIONS.
            await conn.execute("UPDATE archive SET body = (body::jsonb -> 'case')::json")
            await conn.commit()

        later_layout(monkeypatch)
        upgraded = (await store.archived(ALICE)).cases["c1"]
        assert (upgraded["n"], upgraded["tags"]) == (1, [])

    async def test_instances_claiming_one_event_at_once_give_it_to_one(
        self, store: PostgresStore
    ) -> None:
        others = [await PostgresStore.open(store.url) for _ in range(3)]
        try:
            claims = [s.event_claims() for s in (store, *others)]
            got = await asyncio.gather(*(c.claim(INTERACTION, LEASE) for c in claims))
        finally:
            for other in others:
                await other.close()
        assert sum(claim.won for claim in got) == 1

    async def test_a_claimer_whose_claim_was_taken_over_cannot_end_the_new_one(
        self, store: PostgresStore
    ) -> None:
        """It was thought dead: ending its old claim must not stop the taker's turn
        from being taken over in turn, should the taker die."""
        other = await PostgresStore.open(store.url)
        try:
            assert (await store.event_claims().claim(INTERACTION, 0)).won
            assert (await other.event_claims().claim(INTERACTION, LEASE)).won
            await store.event_claims().done(INTERACTION)
            still = await store.event_claims().claim(INTERACTION, LEASE)
        finally:
            await other.close()
        assert not still.won and not still.done
