"""The storage contract every backend passes (see tests/test_storage_contract.py)."""

from __future__ import annotations

import json
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, ClassVar

from storage.event_claims import EventClaims, LocalEventClaims
from storage.keys import LOG_SECRET_BYTES, PersonKey
from storage.locks import Leadership, PersonLocks
from storage.rate_limits import LocalRateLimit, RateLimit

SCHEMA_VERSION = 5
"""Version of the record layout below. A backend that keeps records stores, with each,
the version it was written in, and upgrades an older one on load (storage/migrations.py);
it refuses a data folder written by a newer version."""

JSONDict = dict[str, Any]


class StoreError(Exception):
    """The store cannot be used as it is (a newer schema, an unreadable folder)."""


class LogSecretConflict(StoreError):
    """A copy of the data brings a log secret, and the target keeps a different one."""


class DamagedRecord(StoreError):
    """One person's stored record cannot be read (a corrupt or truncated file).

    Attributes:
        where: where the record is, for the operator and the log: never the person's id
            or its unkeyed digest (a data folder's path names the file by a pattern).
        cause: what reading it raised, by type (never the content).
    """

    def __init__(self, where: str, cause: str) -> None:
        super().__init__(f"the record in {where} cannot be read ({cause})")
        self.where = where
        self.cause = cause


CASE_IDS_TRIED = 100_000
"""A damaged archived case's id is looked for among the first this many case ids the bot
numbers (c1 on); past them it is not told (`DamagedCase.case_id` None)."""


@dataclass(frozen=True, slots=True)
class DamagedCase:
    """An archived case that cannot be read (a torn file), left where it is for the operator.

    Attributes:
        case_id: which case it was, when the store can tell (None otherwise: not among
            the first `CASE_IDS_TRIED`, or the store cannot say).
        where: where it is, for the log: never the person's id or its unkeyed digest.
        cause: what reading it raised, by type (never the content).
    """

    case_id: str | None
    where: str
    cause: str


@dataclass(frozen=True, slots=True)
class Archive:
    """A person's archive as far as it can be read: one damaged case hides no other."""

    cases: dict[str, JSONDict] = field(default_factory=dict)
    """By case id, oldest archived first, each in the current layout."""
    damaged: tuple[DamagedCase, ...] = ()


@dataclass
class PersonRecord:
    """Everything the bot holds on one person, loaded and saved as one unit.

    A conversation turn loads the record, changes it and saves it once, so that a
    crash never leaves a conversation state that disagrees with its case.

    Attributes:
        profile: settings such as the time zone and the active case id.
        conversations: per chat id, where the person talks to the bot (platform, last seen).
        cases: case documents per case id (facts, timeline, status).
        reminders: pending and past reminders per reminder id.
    """

    profile: JSONDict = field(default_factory=dict)
    conversations: dict[str, JSONDict] = field(default_factory=dict)
    cases: dict[str, JSONDict] = field(default_factory=dict)
    reminders: dict[str, JSONDict] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not (self.profile or self.conversations or self.cases or self.reminders)

    def to_json(self) -> str:
        """The record as JSON text, every part by name; refuses what JSON cannot hold
        (TypeError; ValueError for NaN), so a bad value fails before anything is written."""
        parts = {part.name: getattr(self, part.name) for part in fields(self)}
        return json.dumps(parts, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> PersonRecord:
        return cls(**json.loads(text))


@dataclass(frozen=True, slots=True, order=True)
class DueEntry:
    """One pending reminder in the store's due index: when it falls due, whose it is, which.

    The index lets the reminder scheduler start without reading every record, and stay
    asleep until the earliest entry. An entry is only a pointer: the reminder itself
    lives in the person's record, which decides whether the entry still means anything.
    `due` is kept in UTC.
    """

    due: datetime
    person: PersonKey
    reminder_id: str

    def __post_init__(self) -> None:
        if self.due.tzinfo is None:
            raise ValueError("a due time must be timezone-aware")
        object.__setattr__(self, "due", self.due.astimezone(UTC))


class Store(ABC):
    """Holds one `PersonRecord` per person.

    Values must be JSON-serialisable (str, int, float, bool, None, lists, dicts with
    str keys). The cost of `load`/`save` must not depend on how many people the store
    holds. A `save` that returned is durable: a crash at any later instant keeps it.

    Beside the records, a store keeps a due index of pending reminders (`DueEntry`):
    adding or removing one entry costs the same however many are held, and
    `due_entries` lists them all (read once, at start-up).
    """

    @abstractmethod
    async def load(self, person: PersonKey) -> PersonRecord:
        """The person's record; an empty one when the store holds nothing on them."""

    @abstractmethod
    async def save(self, person: PersonKey, record: PersonRecord) -> None:
        """Replace the person's record as a whole, atomically."""

    @abstractmethod
    async def delete(self, person: PersonKey) -> None:
        """Remove everything held on the person, their due entries included. Deleting an
        unknown person is a no-op."""

    @abstractmethod
    async def archive(self, person: PersonKey, cases: dict[str, JSONDict]) -> None:
        """Keep closed cases in the person's archive, apart from their record, durably:
        by case id, so archiving one twice keeps one (the latest, where the first was).
        Written before the record drops them, so a crash in between leaves a case in both
        places, never in neither (and the case, still in the record, may change before it
        is archived again). Its cost does not depend on how many the archive holds."""

    @abstractmethod
    async def archived(self, person: PersonKey) -> Archive:
        """The person's archived cases by case id, oldest archived first, upgraded to the
        current layout from the one each was archived in (for /export and a fresh start,
        not per turn); a case that cannot be read is skipped and named in `damaged`.
        `delete` removes them with the rest."""

    async def commit(
        self,
        person: PersonKey,
        record: PersonRecord | None,
        added: Collection[DueEntry] = (),
        removed: Collection[DueEntry] = (),
    ) -> None:
        """Save the record (None: leave it as it is) with its due-index changes.

        Entries `added` are written before the record and `removed` after it, so a crash
        can leave an entry too many, never a reminder without its entry; a backend that
        can write all of it at once (TinyDBStore) does, and a crash keeps all or none.
        """
        for entry in sorted(added):
            await self.add_due(entry)
        if record is not None:
            await self.save(person, record)
        for entry in sorted(removed):
            await self.remove_due(entry)

    @abstractmethod
    def people(self) -> Iterator[PersonKey]:
        """Every person with a record (for start-up scans and exports; not per turn)."""

    @abstractmethod
    async def add_due(self, entry: DueEntry) -> None:
        """Put an entry in the due index, durably; adding the same entry twice keeps one."""

    @abstractmethod
    async def remove_due(self, entry: DueEntry) -> None:
        """Take an entry out of the due index; a missing entry is fine."""

    @abstractmethod
    def due_entries(self) -> Iterator[DueEntry]:
        """Every entry of the due index, in no particular order (for start-up, not per turn)."""

    shared: ClassVar[bool] = False
    """Whether several processes may use the store at once. Their reminder schedulers
    then claim each due entry before delivering it (`claim_due`) and look for entries
    that another process added or left behind (`claim_overdue`)."""

    async def claim_due(self, entry: DueEntry) -> bool:
        """Claim a due entry for this process to deliver, for a while (a lease): False
        when another process holds it or it is gone. A process that dies holding one
        leaves it to another once the lease runs out. A store one process uses grants
        every claim."""
        return True

    async def claim_overdue(
        self, now: datetime, platforms: Collection[str] | None, limit: int
    ) -> list[DueEntry]:
        """Claim up to `limit` entries due by `now` that no process holds, of `platforms`
        (None: any): those another process added, or left when it died. None for a store
        one process uses, whose scheduler knows every entry."""
        return []

    def delivery_locks(self) -> PersonLocks:
        """The lock held while a person's replies are sent, so they go one delivery at a
        time and in order: across every process sharing the store."""
        return PersonLocks()

    def leadership(self, job: str) -> Leadership:
        """The lead in `job` among the processes sharing the store (this one, alone)."""
        return Leadership()

    def person_locks(self) -> PersonLocks:
        """The lock a turn holds on its person around load, change and save.

        Held, one person's turns run one at a time wherever they run: in this process for
        a store one process uses, in every process sharing the store otherwise.
        """
        return PersonLocks()

    def rate_limit(self, per_minute: int) -> RateLimit:
        """The per-person rate limit of `per_minute` events (0: none), counted for every
        process sharing the store: in this one's memory for a store one process uses."""
        return LocalRateLimit(per_minute, time.monotonic)

    def event_claims(self) -> EventClaims:
        """Who applies an inbound event several instances were given
        (storage/event_claims.py): in this process's memory for a store one process uses,
        one set of claims for every engine on the store."""
        if self._event_claims is None:
            self._event_claims = LocalEventClaims()
        return self._event_claims

    _event_claims: EventClaims | None = None

    async def writable(self) -> str | None:
        """Why the store cannot take a write now, or None when it can (for `/healthz`,
        asked every half minute or so: cheap, and never touching a person's record)."""
        return None

    async def log_secret(self) -> bytes:
        """The installation's secret that keys the digests naming people in logs
        (`storage.keys.use_log_secret`): made once and kept with the data, so every
        instance sharing the store, and every restart, names a person alike. A store
        that keeps nothing makes one for its own life."""
        kept = await self.kept_log_secret()
        if kept is None:
            kept = secrets.token_bytes(LOG_SECRET_BYTES)
            await self._put_log_secret(kept)
        return kept

    async def kept_log_secret(self) -> bytes | None:
        """The secret kept with the data; None while none has been made (never makes one)."""
        return self._log_secret

    async def keep_log_secret(self, secret: bytes, *, replace: bool = False) -> None:
        """Keep `secret` as the installation's, as a copy of the data from another store
        brings it (`fairshake db import`/`export`), so digests stay as they were.

        Raises:
            LogSecretConflict: a different secret is kept already, and not `replace`:
                changing it changes the digests of everyone the store held before.
        """
        kept = await self.kept_log_secret()
        if kept is not None and kept != secret and not replace:
            raise LogSecretConflict("a different log secret is kept already")
        if kept != secret:
            await self._put_log_secret(secret)

    async def _put_log_secret(self, secret: bytes) -> None:
        """Keep `secret`, in place of any kept before."""
        self._log_secret = secret

    _log_secret: bytes | None = None

    def shown(self, person: PersonKey, path: str) -> str:
        """A path of the store's, as a log may name it beside the person: as it is,
        unless it names them (a file store's paths carry their unkeyed digest, which a
        brute force over platform ids reverses, so it is shown as a wildcard)."""
        return path

    async def set_aside(self, person: PersonKey) -> str:
        """Move a damaged record out of the way, kept for the operator, so the person can
        start afresh; returns where it went. A backend whose records cannot be damaged
        so (a database) has nothing to set aside."""
        raise StoreError("this store has no damaged record to set aside")

    async def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing open
        """Release whatever the backend holds open."""
