"""A damaged record: the person is told plainly and offered a way on; the operator finds
the file named in the log and the damaged copy set aside; a store that cannot be written
says so, naming the path and what was not saved."""

from __future__ import annotations

import errno
import glob
import logging
from collections.abc import Collection

import pytest

from bot import damaged
from bot.engine import Engine
from bot.events import ButtonPress, Command, TextMessage
from storage import (
    ConversationKey,
    DamagedRecord,
    DueEntry,
    MemoryStore,
    PersonKey,
    PersonRecord,
    TinyDBStore,
)

KEY = ConversationKey("test", "ann", "ann")
PERSON = KEY.person


def buttons(replies) -> list[str]:
    return [button.data for message in replies for row in message.buttons for button in row]


async def damaged_engine() -> Engine:
    store = MemoryStore()
    engine = Engine(store)
    await engine.handle(Command(KEY, "new"))
    await store.save(PERSON, PersonRecord())
    store._records[PERSON] = '{"profile": {"active_case": "c1"}, "cases": {"c1": '  # torn
    return engine


async def test_a_damaged_record_is_said_plainly_with_a_way_forward(caplog) -> None:
    engine = await damaged_engine()
    with caplog.at_level(logging.ERROR):
        replies = await engine.handle(TextMessage(KEY, "hello"))
    assert replies == damaged.offer()
    assert buttons(replies) == [damaged.START_FRESH, damaged.DELETE_ALL]
    logged = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    assert PERSON.digest in logged and "memory:" in logged


async def test_starting_fresh_sets_the_damaged_copy_aside_and_welcomes() -> None:
    engine = await damaged_engine()
    store = engine.store
    assert isinstance(store, MemoryStore)
    replies = await engine.handle(ButtonPress(KEY, damaged.START_FRESH))
    assert replies[0].text == damaged.FRESH
    assert any(
        button.label == "Start a case" for m in replies for row in m.buttons for button in row
    )
    assert store.set_aside_records[PERSON].startswith('{"profile"')
    assert (await store.load(PERSON)).cases == {}


async def test_deleting_everything_is_the_other_way() -> None:
    engine = await damaged_engine()
    replies = await engine.handle(ButtonPress(KEY, damaged.DELETE_ALL))
    assert replies[0].text == damaged.DELETED
    assert (await engine.store.load(PERSON)).is_empty()


class FullDisk(MemoryStore):
    async def commit(
        self,
        person: PersonKey,
        record: PersonRecord | None,
        added: Collection[DueEntry] = (),
        removed: Collection[DueEntry] = (),
    ) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "/data/journal/00000001.log")


async def test_a_full_disk_is_named_with_what_was_not_saved(caplog) -> None:
    engine = Engine(FullDisk())
    with caplog.at_level(logging.ERROR):
        replies = await engine.handle(Command(KEY, "new"))
    assert [m.text for m in replies] == [damaged.NOT_SAVED]
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "/data/journal/00000001.log" in logged and "No space left" in logged
    assert PERSON.digest in logged and "not saved" in logged.replace("was saved", "not saved")


async def test_the_folder_store_names_a_damaged_file_and_sets_it_aside(tmp_path) -> None:
    store = TinyDBStore(tmp_path)
    await store.save(PERSON, PersonRecord(profile={"timezone": "UTC"}))
    await store.close()
    [path] = list((tmp_path / "people").rglob("*.json"))
    path.write_bytes(b'{"profile": {"1": {"time')

    store = TinyDBStore(tmp_path)
    with pytest.raises(DamagedRecord) as damage:
        await store.load(PERSON)
    # Named by a pattern that finds the file, without the person's unkeyed digest.
    assert glob.glob(damage.value.where) == [str(path)]
    assert PERSON.file_digest not in damage.value.where
    aside = await store.set_aside(PERSON)
    assert PERSON.file_digest not in aside
    (kept,) = path.parent.glob(path.name + ".damaged-*")
    assert glob.glob(aside) == [str(kept)]
    assert (await store.load(PERSON)).is_empty()
    assert list(store.people()) == []
    await store.close()


async def test_a_file_that_cannot_be_read_is_named_by_a_pattern_that_names_nobody(
    tmp_path, caplog
) -> None:
    """An OSError on the person's own file (here: a folder where their file should be,
    which fails to read even as root) is logged with the path as a pattern, not with the
    person's unkeyed digest, which a brute force over platform ids would reverse."""
    store = TinyDBStore(tmp_path)
    await store.save(PERSON, PersonRecord(profile={"timezone": "UTC"}))
    await store.close()
    [path] = list((tmp_path / "people").rglob("*.json"))
    path.unlink()
    path.mkdir()

    store = TinyDBStore(tmp_path)
    with caplog.at_level(logging.ERROR):
        replies = await Engine(store).handle(TextMessage(KEY, "hello"))
    await store.close()
    assert [m.text for m in replies] == [damaged.NOT_SAVED]
    [logged] = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert PERSON.digest in logged and PERSON.file_digest not in logged
    [pattern] = [word for word in logged.split() if word.endswith(".json:")]
    assert glob.glob(pattern.removesuffix(":")) == [str(path)]
