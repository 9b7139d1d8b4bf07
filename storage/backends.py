"""Which backend a run uses: PostgreSQL when a database URL is given, else the data folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from storage.base import Store
from storage.postgres import CLAIM_SECONDS, PostgresStore
from storage.tinydb_store import TinyDBStore


async def open_store(
    database_url: str, data_dir: Path, claim_seconds: float = CLAIM_SECONDS
) -> Store:
    """The store to run on: PostgreSQL at `database_url` (its claims on due entries
    lasting `claim_seconds`), or TinyDB in `data_dir` when the URL is empty.

    Raises:
        StoreError: the store cannot be used as it is (unreachable, a schema to upgrade).
    """
    if database_url:
        return await PostgresStore.open(database_url, claim_seconds=claim_seconds)
    return TinyDBStore(data_dir)


@dataclass(frozen=True, slots=True)
class Copied:
    people: int
    due_entries: int
    log_secret: bool
    """Whether the source kept a log secret, now the target's."""
    unreadable: tuple[str, ...] = ()
    """Where each archived case the source could not read is (not copied, left there)."""


async def copy_store(source: Store, target: Store, *, replace_secret: bool = False) -> Copied:
    """Copy every record, archive and due entry of `source` into `target` (import and
    export), and the log secret first, so a person's digest in the logs is the same
    after the move.

    Each person's record replaces theirs in the target and entries already there are kept
    once, so copying again gives the same target; nothing only the target holds is removed.
    Archived cases go over in the current layout (upgraded as they are read, written with
    their version); one that cannot be read is named in `unreadable` and the rest go.

    Raises:
        LogSecretConflict: the target keeps a different log secret, and not
            `replace_secret`; nothing is copied.
    """
    secret = await source.kept_log_secret()
    if secret is not None:
        await target.keep_log_secret(secret, replace=replace_secret)
    people = entries = 0
    unreadable: list[str] = []
    for person in source.people():
        archived = await source.archived(person)
        await target.archive(person, archived.cases)
        unreadable += [case.where for case in archived.damaged]
        await target.save(person, await source.load(person))
        people += 1
    for entry in source.due_entries():
        await target.add_due(entry)
        entries += 1
    return Copied(people, entries, secret is not None, tuple(unreadable))
