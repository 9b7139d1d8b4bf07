"""The default backend: one small TinyDB file per person, made durable through a journal.

Layout::

    <data>/meta.json                                  {"schema_version": N}
    <data>/people/<platform>/<shard>/<digest>.json    one person's TinyDB database
    <data>/due/<shard>/<due>.<platform>.<user>.<reminder>.due   one empty file per entry
    <data>/journal/<n>.log                            changes not yet folded into the above
    <data>/archive/<platform>/<shard>/<digest>/<case>.json   one archived closed case each
    <data>/log-secret                                 the key of the digests in logs

`digest` is the first 32 hex digits of sha256("<platform>:<user_id>") and `shard` its
first two, so a folder never holds more than a small share of everyone and the cost of
a load or save does not grow with the number of people. The person files are TinyDB
databases (storage/tinydb_format.py); the due index is a spool folder of empty files
whose names say it all (storage/due_names.py), in the person's shard.

A save (or a change to the due index, or a forget) is durable once it is in the journal
(storage/journal.py): one writer thread appends whatever turns queued meanwhile and
syncs once for all of them, so concurrent turns share their fsyncs and the event loop
never waits on a disk. A record and its due-index changes go in as one journal entry,
so a crash keeps both or neither. When a segment of the journal fills up, a second
thread folds what it holds into the person files and the due folder (each person's
latest version once, however often they saved), makes them durable, and deletes the
segment. Until then loads are answered from those not-yet-folded changes, which are all
the memory the store holds: a segment's worth, whatever the number of people. Opening
the folder replays and folds whatever a crash left in the journal; so does `close`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections.abc import Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from storage import archive_files, due_names, tinydb_format
from storage.atomic import (
    TEMP_SUFFIX,
    AtomicJSONStorage,
    create_empty,
    folder_problem,
    fsync_dir,
    make_dirs,
    read_or_empty,
    read_secret,
    replace_file,
    write_secret,
)
from storage.base import (
    SCHEMA_VERSION,
    Archive,
    DamagedRecord,
    DueEntry,
    JSONDict,
    PersonRecord,
    Store,
    StoreError,
)
from storage.journal import Journal, frames, segments
from storage.keys import PersonKey

log = logging.getLogger(__name__)

SEGMENT_BYTES = 8 * 1024 * 1024
"""A journal segment is folded once it holds this much (a few thousand turns)."""

FOLD_WRITERS = 16
"""Person files a fold writes at once, each with its fsync."""

LOG_SECRET = "log-secret"
"""The file of the data folder that keeps the log secret (0600)."""

FOLD_RETRY_SECONDS = 1.0
"""After a fold fails (a full disk), how long to wait before trying it again."""


@dataclass(slots=True)
class Layer:
    """The changes one journal segment holds, as they stand after its last entry.

    Attributes:
        records: each changed person's file contents, or None when they were forgotten.
        wiped: people forgotten here: their due entries from before this layer are gone.
        due: due entries added (True) or removed (False) here.
        segment: the journal segment these came from (set when it is closed).
    """

    records: dict[PersonKey, bytes | None] = field(default_factory=dict)
    wiped: set[PersonKey] = field(default_factory=set)
    due: dict[DueEntry, bool] = field(default_factory=dict)
    segment: int = 0

    def commit(
        self,
        person: PersonKey,
        data: bytes | None,
        added: Collection[DueEntry],
        removed: Collection[DueEntry],
    ) -> None:
        if data is not None:
            self.records[person] = data
        for entry in added:
            self.due[entry] = True
        for entry in removed:
            self.due[entry] = False

    def forget(self, person: PersonKey) -> None:
        self.records[person] = None
        self.wiped.add(person)
        for entry in [entry for entry in self.due if entry.person == person]:
            del self.due[entry]

    def __bool__(self) -> bool:
        return bool(self.records or self.wiped or self.due)


class TinyDBStore(Store):
    """Keeps each person's record in their own TinyDB file; saves are journaled first.

    One store at a time may use a data folder (the bot is one process).

    Args:
        data_dir: the data folder; created if missing.
        segment_bytes: how much the journal holds before it is folded into the files.

    Raises:
        StoreError: the folder was written by a newer Fair Shake, or is not a data folder.
    """

    def __init__(self, data_dir: Path, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.data_dir = data_dir
        self._people_dir = data_dir / "people"
        self._due_dir = data_dir / "due"
        self._journal_dir = data_dir / "journal"
        make_dirs(data_dir)
        self._check_schema(AtomicJSONStorage(data_dir / "meta.json"))
        self._lock = threading.Lock()
        """Guards the layers, shared by the event loop, the writer and the folder."""
        self._active = Layer()
        self._frozen: list[Layer] = []
        """Closed segments' layers waiting to be folded, oldest first."""
        self._fold_lock = threading.Lock()
        self._folder: threading.Thread | None = None
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="fairshake-read")
        self._writers = ThreadPoolExecutor(FOLD_WRITERS, thread_name_prefix="fairshake-fold")
        last = self._recover()
        self._journal = Journal(self._journal_dir, last + 1, segment_bytes, self._rotated)

    async def writable(self) -> str | None:
        """The journal still taking saves, and a small file written, synced and removed in
        the data folder, off the loop. A journal that failed once (a full disk) refuses
        every save until a restart, however much room there is again: say so, so the
        health check gets the process restarted."""
        if (failure := self._journal.broken) is not None:
            return (
                f"the journal in {self._journal_dir} failed a write ({failure}); restart to recover"
            )
        return await asyncio.to_thread(folder_problem, self.data_dir)

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
        if not isinstance(version, int) or version < 1:
            raise StoreError(f"{meta.path} has no schema version Fair Shake knows: {version!r}")
        if version < SCHEMA_VERSION:
            # Records upgrade one by one as they load (storage/migrations.py); from now
            # on the folder may hold the new layout, which an older Fair Shake must refuse.
            meta.write({"schema_version": SCHEMA_VERSION})

    @staticmethod
    def _digest(person: PersonKey) -> str:
        if not due_names.PLATFORM.fullmatch(person.platform):
            raise ValueError(f"platform {person.platform!r} is not a plain name")
        return person.file_digest

    def _path(self, person: PersonKey) -> Path:
        digest = self._digest(person)
        return self._people_dir / person.platform / digest[:2] / f"{digest}.json"

    def shown(self, person: PersonKey, path: str) -> str:
        """Their unkeyed digest as a wildcard: the pattern still finds the file (the
        shard narrows it) and names nobody."""
        return path.replace(self._digest(person), "*")

    def _archive_folder(self, person: PersonKey) -> Path:
        digest = self._digest(person)
        return self.data_dir / "archive" / person.platform / digest[:2] / digest

    def _due_shard(self, person: PersonKey) -> Path:
        return self._due_dir / self._digest(person)[:2]

    # -- the Store interface ---------------------------------------------------------------

    async def load(self, person: PersonKey) -> PersonRecord:
        self._digest(person)
        with self._lock:
            for layer in (self._active, *reversed(self._frozen)):
                if person in layer.records:
                    return tinydb_format.decode(layer.records[person] or b"")
        loop = asyncio.get_running_loop()
        path = self._path(person)
        data = await loop.run_in_executor(self._reader, read_or_empty, path)
        try:
            return tinydb_format.decode(data)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise DamagedRecord(self.shown(person, str(path)), type(error).__name__) from error

    async def kept_log_secret(self) -> bytes | None:
        path = self.data_dir / LOG_SECRET
        try:
            return read_secret(path)
        except (ValueError, UnicodeDecodeError):
            raise StoreError(f"{path} holds no secret: delete it and a new one is made") from None

    async def _put_log_secret(self, secret: bytes) -> None:
        write_secret(self.data_dir / LOG_SECRET, secret)

    async def set_aside(self, person: PersonKey) -> str:
        """The damaged file, renamed beside itself (`<digest>.json.damaged-<UTC time>`:
        not a record any more, so nothing reads it again)."""
        path = self._path(person)
        aside = path.with_name(
            f"{path.name}.damaged-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
        )
        os.replace(path, aside)
        fsync_dir(path.parent)
        return self.shown(person, str(aside))

    async def save(self, person: PersonKey, record: PersonRecord) -> None:
        await self.commit(person, record)

    async def commit(
        self,
        person: PersonKey,
        record: PersonRecord | None,
        added: Collection[DueEntry] = (),
        removed: Collection[DueEntry] = (),
    ) -> None:
        """One journal entry for the record and its due-index changes: all or nothing."""
        if removed:
            removed = await self._held(removed)
        if record is None and not added and not removed:
            return
        data = None if record is None else tinydb_format.encode(person, record)
        header = {
            "op": "commit",
            "platform": person.platform,
            "user_id": person.user_id,
            "add": [due_names.name_of(entry) for entry in added],
            "remove": [due_names.name_of(entry) for entry in removed],
        }
        self._digest(person)
        payload = json.dumps(header).encode() + b"\n" + (data or b"")

        def apply() -> None:
            with self._lock:
                self._active.commit(person, data, added, removed)

        await self._journal.append(payload, apply)

    async def _held(self, entries: Collection[DueEntry]) -> list[DueEntry]:
        """Those of `entries` the index holds: removing the others would write a journal
        entry naming someone for nothing (after /forget, no file may name them)."""
        unknown: list[DueEntry] = []
        held: list[DueEntry] = []
        with self._lock:
            for entry in entries:
                for layer in (self._active, *reversed(self._frozen)):
                    if entry.person in layer.wiped or entry in layer.due:
                        if layer.due.get(entry):
                            held.append(entry)
                        break
                else:
                    unknown.append(entry)
        if unknown:
            paths = [self._due_shard(e.person) / due_names.name_of(e) for e in unknown]
            found = await asyncio.get_running_loop().run_in_executor(
                self._reader, lambda: [path.exists() for path in paths]
            )
            held += [entry for entry, exists in zip(unknown, found, strict=True) if exists]
        return held

    async def delete(self, person: PersonKey) -> None:
        """Forget the person, and fold the journal at once: it holds their earlier saves,
        and after a forget no file may hold anything of theirs."""
        # The archive goes first: a crash before the forget below leaves the record,
        # and /forget again finishes it; never an archive outliving its forget.
        await asyncio.to_thread(archive_files.remove, self._archive_folder(person))
        header = {"op": "forget", "platform": person.platform, "user_id": person.user_id}
        segment = 0

        def apply() -> None:
            nonlocal segment
            segment = self._journal.segment
            with self._lock:
                self._active.forget(person)

        await self._journal.append(json.dumps(header).encode() + b"\n", apply, rotate=True)
        await asyncio.to_thread(self._fold_through, segment)

    async def archive(self, person: PersonKey, cases: dict[str, JSONDict]) -> None:
        await asyncio.to_thread(archive_files.add, self._archive_folder(person), cases)

    async def archived(self, person: PersonKey) -> Archive:
        return await asyncio.to_thread(archive_files.read, self._archive_folder(person))

    async def add_due(self, entry: DueEntry) -> None:
        await self.commit(entry.person, None, added=(entry,))

    async def remove_due(self, entry: DueEntry) -> None:
        await self.commit(entry.person, None, removed=(entry,))

    def people(self) -> Iterator[PersonKey]:
        with self._lock:
            changes = [dict(layer.records) for layer in (*self._frozen, self._active)]
        found: set[PersonKey] = set()
        for path in self._people_dir.glob("*/*/*.json"):
            person = tinydb_format.owner(read_or_empty(path))
            if person is not None:  # empty when the person was forgotten meanwhile
                found.add(person)
        for records in changes:
            for person, data in records.items():
                if data is None:
                    found.discard(person)
                else:
                    found.add(person)
        return iter(sorted(found))

    def due_entries(self) -> Iterator[DueEntry]:
        wiped: set[PersonKey] = set()
        overlay: dict[DueEntry, bool] = {}
        with self._lock:
            for layer in (*self._frozen, self._active):
                if layer.wiped:
                    wiped |= layer.wiped
                    overlay = {e: v for e, v in overlay.items() if e.person not in layer.wiped}
                overlay.update(layer.due)
        for entry in self._spooled():
            if entry.person not in wiped and entry not in overlay:
                yield entry
        yield from (entry for entry, present in overlay.items() if present)

    async def close(self) -> None:
        """Fold everything journaled into the files, so the folder holds it all as TinyDB.

        A journal that failed is left as it is: the next open replays what it holds intact."""
        if self._journal.broken is not None:
            return
        segment = 0

        def apply() -> None:
            nonlocal segment
            segment = self._journal.segment

        await self._journal.append(None, apply, rotate=True)
        await asyncio.to_thread(self._fold_through, segment)

    # -- folding the journal into the files ------------------------------------------------

    def _spooled(self) -> Iterator[DueEntry]:
        try:
            shards = [shard.path for shard in os.scandir(self._due_dir) if shard.is_dir()]
        except FileNotFoundError:
            return
        for shard in shards:
            for name in due_names.listed(Path(shard)):
                entry = due_names.parse(name)
                if entry is not None:
                    yield entry

    def _rotated(self, closed: int) -> None:
        """On the writer thread: segment `closed` is full; hand its layer to the folder."""
        with self._lock:
            layer, self._active = self._active, Layer()
            layer.segment = closed
            self._frozen.append(layer)
            if self._folder is None:
                self._folder = threading.Thread(
                    target=self._fold_in_background, name="fairshake-fold", daemon=True
                )
                self._folder.start()

    def _fold_in_background(self) -> None:
        while True:
            with self._lock:
                if not self._frozen:
                    self._folder = None
                    return
            try:
                self._fold_oldest()
            except OSError as error:
                log.warning("could not fold the journal yet (%s); retrying", type(error).__name__)
                time.sleep(FOLD_RETRY_SECONDS)

    def _fold_oldest(self) -> None:
        with self._fold_lock:
            with self._lock:
                if not self._frozen:
                    return
                layer = self._frozen[0]
            self._fold(layer)
            with self._lock:
                self._frozen.pop(0)

    def _fold_through(self, segment: int) -> None:
        """Fold until no layer of `segment` or before it is left."""
        while True:
            with self._lock:
                if not any(layer.segment <= segment for layer in self._frozen):
                    return
            self._fold_oldest()

    def _fold(self, layer: Layer) -> None:
        """Write a layer into the person files and due folder durably, then drop its segment."""
        touched: set[Path] = set()
        for person in layer.wiped:
            shard = self._due_shard(person)
            for name in list(due_names.listed(shard)):
                if due_names.names_of_person(name, person):
                    (shard / name).unlink(missing_ok=True)
                    touched.add(shard)
        written: list[tuple[Path, bytes]] = []
        for person, data in layer.records.items():
            path = self._path(person)
            if data is None:
                path.with_name(path.name + TEMP_SUFFIX).unlink(missing_ok=True)
                path.unlink(missing_ok=True)
            else:
                written.append((path, data))
            touched.add(path.parent)
        # Each file's own fsync, several at once: the file system commits syncs that
        # wait together in one go (a /forget folds a whole segment while its person waits).
        for _ in self._writers.map(lambda write: replace_file(*write), written):
            pass
        for entry, present in layer.due.items():
            path = self._due_shard(entry.person) / due_names.name_of(entry)
            if present:
                create_empty(path)
            else:
                path.unlink(missing_ok=True)
            touched.add(path.parent)
        for folder in touched:
            if folder.is_dir():
                fsync_dir(folder)
        folded = [seg for seg in segments(self._journal_dir) if int(seg.stem) <= layer.segment]
        for segment in folded:  # oldest first, each gone durably before the next goes:
            segment.unlink()  # a power cut never brings an older one back without the newer
            fsync_dir(self._journal_dir)

    def _recover(self) -> int:
        """Replay and fold what the journal holds; the number of its last segment (or 0)."""
        found = segments(self._journal_dir)
        if not found:
            return 0
        layer = Layer(segment=int(found[-1].stem))
        for segment in found:
            for payload in frames(segment):
                _replay(layer, payload)
        self._fold(layer)
        return layer.segment


def _replay(layer: Layer, payload: bytes) -> None:
    head, _, data = payload.partition(b"\n")
    header = json.loads(head)
    person = PersonKey(header["platform"], header["user_id"])
    if header["op"] == "forget":
        layer.forget(person)
        return
    added = [entry for name in header["add"] if (entry := due_names.parse(name))]
    removed = [entry for name in header["remove"] if (entry := due_names.parse(name))]
    layer.commit(person, data or None, added, removed)
