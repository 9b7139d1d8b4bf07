"""Records stored by an older Fair Shake still load, upgraded, and carry on.

tests/fixtures/person_schema1.json is a person's file exactly as schema version 1
wrote it (a case escalated with a promise and reminders, one resolved, two part-way
through the questions), with that folder's meta.json beside it."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from flows import machine
from flows.playbook import load_playbook
from flows.records import Case
from flows.text import Block, Snippet
from storage import SCHEMA_VERSION, DueEntry, PersonKey, PersonRecord, StoreError, TinyDBStore
from storage.migrations import MIGRATIONS, upgrade
from storage.postgres import PostgresStore, upgrade_database
from tests.chat import Chat
from tests.pings import Pings, scheduling

FIXTURES = Path(__file__).parent / "fixtures"
PERSON = PersonKey("test", "1001")


def version_1_folder(data: Path) -> Path:
    """A data folder as version 1 left it, holding the fixture person; their file's path."""
    digest = hashlib.sha256(str(PERSON).encode()).hexdigest()[:32]
    path = data / "people" / PERSON.platform / digest[:2] / f"{digest}.json"
    path.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / "person_schema1.json", path)
    shutil.copy(FIXTURES / "meta_schema1.json", data / "meta.json")
    return path


def test_every_version_has_a_migration_to_the_next() -> None:
    assert sorted(MIGRATIONS) == list(range(1, SCHEMA_VERSION))


async def test_a_version_1_record_loads_in_the_current_layout(tmp_path: Path) -> None:
    version_1_folder(tmp_path)

    store = TinyDBStore(tmp_path)
    record = await store.load(PERSON)
    await store.close()

    assert json.loads((tmp_path / "meta.json").read_text()) == {"schema_version": SCHEMA_VERSION}
    cases = {case_id: Case.from_json(doc) for case_id, doc in record.cases.items()}
    assert {c.id: c.state for c in cases.values()} == {
        "c1": machine.WRITTEN_COMPLAINT,
        "c2": machine.GATHERING,
        "c3": machine.RESOLVED,
        "c4": machine.GATHERING,
    }
    escalated, resolved = cases["c1"], cases["c3"]
    assert [(p.id, p.about, p.status, p.settled_at) for p in escalated.promises] == [
        ("p1", "refund", "open", None)
    ]
    assert [c.result for c in escalated.contacts] == ["waiting", "no_progress"]
    assert escalated.rungs_tried == [machine.SUPERVISOR, machine.WRITTEN_COMPLAINT]
    assert escalated.closed_at is None and resolved.closed_at is not None
    assert resolved.promises == []
    assert Case.from_json(escalated.to_json()) == escalated
    assert len(record.reminders) == 8 and record.profile["timezone"] == "Europe/Berlin"


async def test_a_version_1_record_is_saved_in_the_current_layout(tmp_path: Path) -> None:
    path = version_1_folder(tmp_path)
    store = TinyDBStore(tmp_path)
    loaded = await store.load(PERSON)
    await store.save(PERSON, loaded)
    await store.close()

    (meta,) = json.loads(path.read_text())["meta"].values()
    assert meta["schema_version"] == SCHEMA_VERSION
    reopened = TinyDBStore(tmp_path)
    assert await reopened.load(PERSON) == loaded
    await reopened.close()


async def test_the_conversation_carries_on_over_a_version_1_record(tmp_path: Path) -> None:
    """The person finds their cases where they left them, and the flow goes on."""
    version_1_folder(tmp_path)
    store = TinyDBStore(tmp_path)
    chat = Chat(store)

    await chat.say("/cases")
    assert all(f"case:c{n}" in chat.options() for n in (1, 2, 3))
    assert await chat.state() == machine.GATHERING
    damaged = next(p for p in load_playbook("amazon").problems if p.id == "damaged")
    await chat.say(damaged.label)  # the question's option, named
    assert (await chat.record())["facts"]["problem"] == "damaged"

    await chat.say("/cases")
    await chat.press_option("case:c1")
    assert await chat.state() == machine.WRITTEN_COMPLAINT
    export = await chat.export()
    case = await chat.record()
    (promise,) = case["promises"]
    assert f"“{promise['words']}” ({promise['about']})" in export
    assert [e["kind"] for e in case["timeline"]].count("escalation") == 3
    assert all(f": {entry['text']}\n" in export for entry in case["timeline"])
    await store.close()


async def test_a_version_1_row_in_postgres_loads_in_the_current_layout(database_url: str) -> None:
    """The database keeps each row's version too, and upgrades an old row the same way."""
    database = json.loads((FIXTURES / "person_schema1.json").read_text())
    parts = {
        "profile": database["profile"]["1"],
        **{
            part: {doc["id"]: doc["value"] for doc in database[part].values()}
            for part in ("conversations", "cases", "reminders")
        },
    }
    await upgrade_database(database_url)
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO people (platform, user_id, schema_version, record)"
            " VALUES (%s, %s, 1, %s::json)",
            (PERSON.platform, PERSON.user_id, json.dumps(parts)),
        )
    store = await PostgresStore.open(database_url)

    record = await store.load(PERSON)
    await store.close()

    cases = [Case.from_json(doc) for doc in record.cases.values()]
    assert [c.closed_at is not None for c in cases] == [False, False, True, False]
    assert [p.id for p in cases[0].promises] == ["p1"]


def test_a_record_from_a_newer_version_is_refused() -> None:
    with pytest.raises(StoreError, match="upgrade Fair Shake"):
        upgrade(PersonRecord(), SCHEMA_VERSION + 1)


def version_4_conversation() -> dict[str, Any]:
    """A conversation as version 4 stored it, two replies waiting in its outbox: one from
    before spans said their block (two values each, no snippets), one from after (a line
    to say as a third value, the snippet to copy)."""

    def reply(reply_id: str, seq: int, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": reply_id,
            "seq": seq,
            "messages": [{"buttons": [], "private": False, "prompt": None, **message}],
            "due": "2026-11-11T14:00:00+00:00",
            "status": "pending",
            "attempts": 1,
            "failures": 1,
            "resent": False,
            "error": "ConnectionError",
        }

    before = {"text": [["Your case ", "plain"], ["c1", "bold"]], "text_in_form": [["c1", "bold"]]}
    after = {
        "text": [["Say: ", "plain"], ["Hello.", "plain", "say"]],
        "snippets": [["Opening", "Hello."]],
    }
    return {
        "platform": "test",
        "outbox_seq": 2,
        "outbox": {"oold": reply("oold", 1, before), "onew": reply("onew", 2, after)},
    }


async def test_replies_waiting_in_a_version_4_outbox_load_and_go(tmp_path: Path) -> None:
    due = datetime(2026, 11, 11, 14, tzinfo=UTC)
    store = TinyDBStore(tmp_path)
    record = PersonRecord(conversations={PERSON.user_id: version_4_conversation()})
    await store.commit(
        PERSON, record, added=[DueEntry(due, PERSON, "oold"), DueEntry(due, PERSON, "onew")]
    )
    await store.close()
    (path,) = (tmp_path / "people").rglob("*.json")
    database = json.loads(path.read_text())
    database["meta"]["1"]["schema_version"] = 4
    path.write_text(json.dumps(database))
    (tmp_path / "meta.json").write_text(json.dumps({"schema_version": 4}))

    store = TinyDBStore(tmp_path)
    (conversation,) = (await store.load(PERSON)).conversations.values()
    messages = [reply["messages"][0] for reply in conversation["outbox"].values()]
    assert [[len(span) for span in m["text"]] for m in messages] == [[3, 3], [3, 3]]
    assert [m["snippets"] for m in messages] == [[], [["Opening", "Hello."]]]
    chat = Chat(store)
    pings = Pings()
    async with scheduling(chat, pings):
        pass
    await store.close()

    (old,), (new,) = (messages for _, messages in pings.sent)  # in order, one message each
    assert [(span.text, span.block) for span in old.text.spans] == [
        ("Your case ", Block.TEXT),
        ("c1", Block.TEXT),
    ]
    assert [span.block for span in old.text.in_form or ()] == [Block.TEXT]
    assert old.snippets == ()
    assert [(span.text, span.block) for span in new.text.spans] == [
        ("Say: ", Block.TEXT),
        ("Hello.", Block.SAY),
    ]
    assert new.snippets == (Snippet("Opening", "Hello."),)
    assert json.loads((tmp_path / "meta.json").read_text()) == {"schema_version": SCHEMA_VERSION}
