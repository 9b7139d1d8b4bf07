"""Closes cases as a person would until a turn archives one, and stops there: the subject
of test_archive_crash.py, which SIGKILLs it at that moment.

Usage: python tests/archive_crash.py DATA_DIR|DATABASE_URL KEEP

A real engine on the store (a TinyDB data folder, or PostgreSQL at a URL) keeps KEEP
closed cases. The store's `archive` is wrapped so that, once the archive is written (it
has returned: durable), it prints "archived <case ids>" and waits forever, before the
turn's save that drops those cases from the record: the kill lands exactly between them.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from chat import Chat

from bot.events import Notice
from storage import PersonKey, Store
from storage.backends import open_store
from storage.base import JSONDict


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def pause_after_archiving(store: Store) -> None:
    written = store.archive

    async def archive(person: PersonKey, cases: dict[str, JSONDict]) -> None:
        await written(person, cases)
        say("archived " + " ".join(cases))
        await asyncio.Event().wait()

    store.archive = archive  # type: ignore[method-assign]


async def close_cases(where: str, keep: int) -> None:
    url, folder = (where, Path()) if where.startswith("postgresql://") else ("", Path(where))
    store = await open_store(url, folder)
    pause_after_archiving(store)
    chat = Chat(store)
    chat.engine.closed_kept = keep
    while True:
        await chat.say("/new")
        case_id = chat.told(Notice.CASE_OPENED)["case_id"]
        await chat.say("/cancel")
        await chat.press_option("do:drop")
        await chat.press_option("do:confirm")
        say(f"closed {case_id}")


if __name__ == "__main__":
    asyncio.run(close_cases(sys.argv[1], int(sys.argv[2])))
