"""The default backend: one small TinyDB file per person under a data folder.

Layout::

    <data>/meta.json                                  {"schema_version": N}
    <data>/people/<platform>/<shard>/<digest>.json    one person's TinyDB database

`digest` is the first 32 hex digits of sha256("<platform>:<user_id>") and `shard` its
first two, so a folder never holds more than a small share of everyone and the cost of
a load or save does not grow with the number of people. Nothing is kept open or cached
between calls: memory does not grow with the people held either.

Inside a person's file, the TinyDB tables are `meta` (platform and user id, so that
`people()` needs no reverse of the hash), `profile` (one document), and
`conversations`, `cases` and `reminders` (one document `{"id": ..., "value": ...}` each).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

from tinydb import TinyDB
from tinydb.middlewares import CachingMiddleware

from storage.atomic import AtomicJSONStorage, make_dirs
from storage.base import SCHEMA_VERSION, JSONDict, PersonRecord, Store, StoreError
from storage.keys import PersonKey

_PLATFORM = re.compile(r"[A-Za-z0-9_-]+")
"""A platform names a folder, so it may not hold a path separator, a dot or a colon."""

_KEYED_PARTS = ("conversations", "cases", "reminders")
"""The record's parts held as one TinyDB document per id."""


class TinyDBStore(Store):
    """Keeps each person's record in their own TinyDB file, replaced atomically on save.

    One process at a time may use a data folder (the bot is one process).

    Args:
        data_dir: the data folder; created if missing.

    Raises:
        StoreError: the folder was written by a newer Fair Shake, or is not a data folder.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._people_dir = data_dir / "people"
        make_dirs(data_dir)
        self._check_schema(AtomicJSONStorage(data_dir / "meta.json"))

    def _check_schema(self, meta: AtomicJSONStorage) -> None:
        stored = meta.read()
        if stored is None:
            meta.write({"schema_version": SCHEMA_VERSION})
            return
        version = stored.get("schema_version")
        if isinstance(version, int) and version > SCHEMA_VERSION:
            raise StoreError(
                f"{meta.path} has schema version {version}, but this Fair Shake reads up to "
                f"version {SCHEMA_VERSION}: upgrade Fair Shake to use this data folder"
            )
        if version != SCHEMA_VERSION:
            raise StoreError(f"{meta.path} has no schema version Fair Shake knows: {version!r}")

    def _path(self, person: PersonKey) -> Path:
        if not _PLATFORM.fullmatch(person.platform):
            raise ValueError(f"platform {person.platform!r} is not a plain name")
        digest = hashlib.sha256(str(person).encode()).hexdigest()[:32]
        return self._people_dir / person.platform / digest[:2] / f"{digest}.json"

    async def load(self, person: PersonKey) -> PersonRecord:
        # The cache makes the five table reads one read of the file; closing it writes
        # nothing, as nothing was changed.
        db = TinyDB(self._path(person), storage=CachingMiddleware(AtomicJSONStorage))
        profile = db.table("profile").all()
        record = PersonRecord(profile=dict(profile[0]) if profile else {})
        for part in _KEYED_PARTS:
            setattr(record, part, {doc["id"]: doc["value"] for doc in db.table(part).all()})
        db.close()
        return record

    async def save(self, person: PersonKey, record: PersonRecord) -> None:
        # Every table change goes to the cache and `close` flushes them as one atomic
        # write. Not `with TinyDB(...)`: its exit would flush a half-built record if
        # building failed. Six cached writes stay far below CachingMiddleware's
        # WRITE_CACHE_SIZE, past which it would flush on its own.
        db = TinyDB(self._path(person), storage=CachingMiddleware(AtomicJSONStorage))
        db.drop_tables()  # the record is replaced whole: start empty, never read the old file
        db.table("meta").insert({"platform": person.platform, "user_id": person.user_id})
        db.table("profile").insert(record.profile)
        for part in _KEYED_PARTS:
            values: dict[str, JSONDict] = getattr(record, part)
            db.table(part).insert_multiple({"id": k, "value": v} for k, v in values.items())
        db.close()

    async def delete(self, person: PersonKey) -> None:
        AtomicJSONStorage(self._path(person)).remove()

    def people(self) -> Iterator[PersonKey]:
        for path in self._people_dir.glob("*/*/*.json"):
            meta = TinyDB(path, storage=AtomicJSONStorage).table("meta").all()
            if meta:  # empty when the person was deleted since the folder was listed
                yield PersonKey(meta[0]["platform"], meta[0]["user_id"])
