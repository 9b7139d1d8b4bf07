"""The default backend: one small TinyDB file per person under a data folder.

Layout::

    <data>/meta.json                                  {"schema_version": N}
    <data>/people/<platform>/<shard>/<digest>.json    one person's TinyDB database
    <data>/due/<shard>/<due>.<platform>.<user>.<reminder>.due   one empty file per entry

`digest` is the first 32 hex digits of sha256("<platform>:<user_id>") and `shard` its
first two, so a folder never holds more than a small share of everyone and the cost of
a load or save does not grow with the number of people. Nothing is kept open or cached
between calls: memory does not grow with the people held either.

Inside a person's file, the TinyDB tables are `meta` (platform and user id, so that
`people()` needs no reverse of the hash), `profile` (one document), and
`conversations`, `cases` and `reminders` (one document `{"id": ..., "value": ...}` each).

The due index is a spool folder: an entry is an empty file whose name says it all, the
due time in UTC (`20261113T090000000000Z`, so names sort by time), the platform, the
user id in unpadded URL-safe base64 (any id, no path tricks) and the reminder id, in
the person's shard (the same as their record's). Creating a name is atomic and adding
or removing one costs the same however many the folder holds. Start-up (`due_entries`)
lists every shard, reading names and no file; forgetting a person lists their shard
only (a 256th of the entries).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from tinydb import TinyDB
from tinydb.middlewares import CachingMiddleware

from storage.atomic import AtomicJSONStorage, fsync_dir, make_dirs
from storage.base import SCHEMA_VERSION, DueEntry, JSONDict, PersonRecord, Store, StoreError
from storage.keys import PersonKey

_PLATFORM = re.compile(r"[A-Za-z0-9_-]+")
"""A platform names a folder, so it may not hold a path separator, a dot or a colon."""

_KEYED_PARTS = ("conversations", "cases", "reminders")
"""The record's parts held as one TinyDB document per id."""

_DUE_STAMP = "%Y%m%dT%H%M%S%fZ"
_STAMP = re.compile(r"\d{8}T\d{12}Z", re.ASCII)
_STAMP_FIELDS = ((0, 4), (4, 6), (6, 8), (9, 11), (11, 13), (13, 15), (15, 21))
"""Where year, month, day, hour, minute, second and microsecond sit in a stamp."""
_DUE_SUFFIX = ".due"
_REMINDER_ID = re.compile(r"[A-Za-z0-9_-]+")


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
        self._due_dir = data_dir / "due"
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

    @staticmethod
    def _digest(person: PersonKey) -> str:
        if not _PLATFORM.fullmatch(person.platform):
            raise ValueError(f"platform {person.platform!r} is not a plain name")
        return hashlib.sha256(str(person).encode()).hexdigest()[:32]

    def _path(self, person: PersonKey) -> Path:
        digest = self._digest(person)
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
        shard = self._due_shard(person)
        whose = [person.platform, _encoded(person.user_id)]
        theirs = [name for name in _due_files(shard) if name.split(".")[1:3] == whose]
        for name in theirs:
            (shard / name).unlink(missing_ok=True)
        if theirs:
            fsync_dir(shard)

    # -- the due index ---------------------------------------------------------------------

    def _due_shard(self, person: PersonKey) -> Path:
        return self._due_dir / self._digest(person)[:2]

    def _due_path(self, entry: DueEntry) -> Path:
        person = entry.person
        shard = self._due_shard(person)
        if not _REMINDER_ID.fullmatch(entry.reminder_id):
            raise ValueError(f"reminder id {entry.reminder_id!r} is not a plain name")
        user = _encoded(person.user_id)
        name = f"{entry.due:{_DUE_STAMP}}.{person.platform}.{user}.{entry.reminder_id}"
        if len(name) > 250:
            raise ValueError("user id too long for the due index")
        return shard / (name + _DUE_SUFFIX)

    @staticmethod
    def _parse_due_name(name: str) -> DueEntry | None:
        parts = name.removesuffix(_DUE_SUFFIX).split(".")
        if not name.endswith(_DUE_SUFFIX) or len(parts) != 4:
            return None  # not an entry (a stray file someone left in the folder)
        stamp, platform, user, reminder_id = parts
        if not _STAMP.fullmatch(stamp):
            return None
        try:  # slicing: strptime would take most of the start-up with 100,000 entries
            year, month, day, hour, minute, second, micro = (
                int(stamp[a:b]) for a, b in _STAMP_FIELDS
            )
            due = datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
            user_id = base64.urlsafe_b64decode(user + "=" * (-len(user) % 4)).decode()
        except ValueError:
            return None
        return DueEntry(due, PersonKey(platform, user_id), reminder_id)

    async def add_due(self, entry: DueEntry) -> None:
        path = self._due_path(entry)
        flags = os.O_WRONLY | os.O_CREAT
        try:
            fd = os.open(path, flags, 0o600)
        except FileNotFoundError:
            make_dirs(path.parent)
            fd = os.open(path, flags, 0o600)
        os.close(fd)
        fsync_dir(path.parent)

    async def remove_due(self, entry: DueEntry) -> None:
        path = self._due_path(entry)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            fsync_dir(path.parent)

    def due_entries(self) -> Iterator[DueEntry]:
        with contextlib.suppress(FileNotFoundError), os.scandir(self._due_dir) as shards:
            for shard in shards:
                if not shard.is_dir():
                    continue
                for name in _due_files(Path(shard.path)):
                    entry = self._parse_due_name(name)
                    if entry is not None:
                        yield entry

    def people(self) -> Iterator[PersonKey]:
        for path in self._people_dir.glob("*/*/*.json"):
            meta = TinyDB(path, storage=AtomicJSONStorage).table("meta").all()
            if meta:  # empty when the person was deleted since the folder was listed
                yield PersonKey(meta[0]["platform"], meta[0]["user_id"])


def _encoded(user_id: str) -> str:
    """A user id as it appears in a due entry's name: unpadded URL-safe base64."""
    return base64.urlsafe_b64encode(user_id.encode()).rstrip(b"=").decode()


def _due_files(folder: Path) -> Iterator[str]:
    """The names of the due entries in a folder (none when it does not exist)."""
    with contextlib.suppress(FileNotFoundError), os.scandir(folder) as found:
        for item in found:
            if item.name.endswith(_DUE_SUFFIX):
                yield item.name
