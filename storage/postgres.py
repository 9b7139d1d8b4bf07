"""The PostgreSQL backend: every instance of the bot may share one database.

Chosen by `FAIRSHAKE_DATABASE_URL=postgresql://...`; the tables are described and
created by storage/postgres_schema.py (`fairshake db upgrade`). A person is one row
read and written by primary key and a due entry one row in a table indexed by due
time, so the cost of a turn does not grow with the number of people held. Calls run on
psycopg's async connections from a pool, so a turn waiting on the database holds no
other turn up. The start-up scans (`people`, `due_entries`) are plain iterators in the
`Store` contract: they stream from a server-side cursor on a connection of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable, Collection, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from storage import postgres_archive
from storage import postgres_installation as installation
from storage.base import (
    SCHEMA_VERSION,
    Archive,
    DueEntry,
    JSONDict,
    PersonRecord,
    Store,
    StoreError,
)
from storage.event_claims import EventClaims
from storage.keys import PersonKey
from storage.locks import Leadership, PersonLocks
from storage.migrations import upgrade as upgrade_record
from storage.postgres_claims import PostgresEventClaims
from storage.postgres_rate import PostgresRateLimit
from storage.postgres_schema import Migration, check_current, upgrade
from storage.rate_limits import RateLimit

URL_SCHEMES = ("postgresql://", "postgres://")
CONNECT_SECONDS = 10.0
"""How long opening the store waits for the database before giving up."""
SCAN_BATCH = 2000
"""Rows a start-up scan fetches per round trip."""

CLAIM_SECONDS = 90.0
"""How long a claim on a due entry lasts: longer than any delivery takes, and how long a
reminder or reply an instance was sending when it died waits before another sends it."""
LEAD_RETRY = 5.0
"""Seconds between a waiting instance's tries for a lead (so a takeover within 5 s)."""
LEAD_CHECK = 5.0
"""Seconds between the leader's checks that the database still answers."""
IDLE_MS = 60_000
"""A held person's transaction left idle this long is ended by the server (lock freed)."""

Connection = psycopg.AsyncConnection[TupleRow]
Pool = AsyncConnectionPool[Connection]


def safe_url(url: str) -> str:
    """The URL as it may be shown or logged: any password replaced by ***."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}:***@{host}"
    query = [(k, "***" if k == "password" else v) for k, v in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query, safe="/*")))


def check_url(url: str) -> None:
    """Raise StoreError saying what is wrong with a database URL (not whether it answers)."""
    if not url.startswith(URL_SCHEMES):
        raise StoreError(
            "the database URL must start with postgresql:// (postgresql://USER@HOST/DB)"
        )
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        # Not psycopg's message: it quotes the part it could not read, the password too.
        raise StoreError(
            "the database URL cannot be read (postgresql://USER:PASSWORD@HOST:PORT/DB; "
            "percent-encode a space, @, : or / in the password)"
        ) from None
    if not parts.get("dbname"):
        raise StoreError("the database URL names no database (postgresql://USER@HOST/DB)")


async def connect(url: str) -> Connection:
    """One autocommit connection, or StoreError saying why there is none."""
    check_url(url)
    try:
        return await psycopg.AsyncConnection.connect(
            url, autocommit=True, connect_timeout=int(CONNECT_SECONDS)
        )
    except psycopg.OperationalError as error:
        reason = " ".join(line.strip() for line in str(error).splitlines()) or type(error).__name__
        raise StoreError(f"cannot reach the database at {safe_url(url)}: {reason}") from None


async def reach(url: str) -> None:
    """Raise StoreError unless the database answers and has this Fair Shake's schema."""
    async with await connect(url) as conn:
        await check_current(conn)


async def upgrade_database(url: str) -> list[Migration]:
    """Apply the schema migrations the database lacks (`fairshake db upgrade`)."""
    async with await connect(url) as conn:
        return await upgrade(conn)


class PostgresStore(Store):
    """Holds the records and the due index in PostgreSQL; open it with `PostgresStore.open`.

    Args:
        url: the database's `postgresql://` URL.
        pool: an open pool of autocommit connections to it.
    """

    shared = True

    def __init__(self, url: str, pool: Pool, claim_seconds: float = CLAIM_SECONDS) -> None:
        self.url = url
        self.claim_seconds = claim_seconds
        self.instance = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        """Who holds a claim (this instance's claims are its own to renew)."""
        self._pool = pool
        self._locker: Connection | None = None
        self._locker_ready = asyncio.Lock()

    @classmethod
    async def open(
        cls, url: str, max_connections: int = 10, claim_seconds: float = CLAIM_SECONDS
    ) -> PostgresStore:
        """Connect, and check the database has this Fair Shake's schema.

        Raises:
            StoreError: the URL is wrong, the database does not answer, or its schema is
                behind (`fairshake db upgrade`) or ahead of this Fair Shake.
        """
        await reach(url)
        pool: Pool = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            kwargs={"autocommit": True},
            open=False,
            name="fairshake",
        )
        try:
            await pool.open(wait=True, timeout=CONNECT_SECONDS)
        except PoolTimeout:
            await pool.close()
            raise StoreError(
                f"cannot reach the database at {safe_url(url)} within {CONNECT_SECONDS:.0f} s"
            ) from None
        except asyncio.CancelledError:  # a stop while it opens: no pool left retrying,
            await pool.close(timeout=1)  # which would hold the process's exit up
            raise
        return cls(url, pool, claim_seconds)

    async def close(self) -> None:
        if self._locker is not None:
            await self._locker.close()
        await self._pool.close()

    def person_locks(self) -> PersonLocks:
        return _DatabasePersonLocks(self.holding)

    def leadership(self, job: str) -> Leadership:
        return _DatabaseLeadership(self.url, _advisory_key(f"lead:{job}"))

    def delivery_locks(self) -> PersonLocks:
        return _DatabasePersonLocks(self.delivering)

    def rate_limit(self, per_minute: int) -> RateLimit:
        return PostgresRateLimit(self._pool, per_minute)

    def event_claims(self) -> EventClaims:
        return PostgresEventClaims(self._pool, self.instance)

    @asynccontextmanager
    async def delivering(self, person: PersonKey) -> AsyncIterator[None]:
        """The person's delivery lock, held by this process's session across the
        transactions of a delivery; freed at once if the process dies."""
        key = lock_key("delivery", person)
        locker = await self._locker_connection()
        wait = 0.01
        while not await _scalar(locker, "SELECT pg_try_advisory_lock(%s)", (key,)):
            # Taken by another instance (this one's are kept apart in-process first):
            # try again shortly, leaving the shared connection free meanwhile.
            await asyncio.sleep(wait)
            wait = min(wait * 2, 0.25)
        try:
            yield
        finally:
            with contextlib.suppress(psycopg.Error):  # a lost session has freed it already
                await locker.execute("SELECT pg_advisory_unlock(%s)", (key,))

    async def _locker_connection(self) -> Connection:
        """The connection whose session holds this process's delivery locks."""
        async with self._locker_ready:
            if self._locker is None or self._locker.closed or self._locker.broken:
                self._locker = await connect(self.url)
            return self._locker

    async def claim_due(self, entry: DueEntry) -> bool:
        async with self._connection() as conn:
            cursor = await conn.execute(
                "UPDATE due SET claimed_by = %s, claimed_until = now() + %s * interval '1 s'"
                " WHERE platform = %s AND user_id = %s AND reminder_id = %s AND due = %s"
                " AND (claimed_until IS NULL OR claimed_until < now() OR claimed_by = %s)"
                " RETURNING 1",
                (self.instance, self.claim_seconds, *_due_row(entry), self.instance),
            )
            return await cursor.fetchone() is not None

    async def claim_overdue(
        self, now: datetime, platforms: Collection[str] | None, limit: int
    ) -> list[DueEntry]:
        async with self._connection() as conn:
            cursor = await conn.execute(
                "UPDATE due SET claimed_by = %s, claimed_until = now() + %s * interval '1 s'"
                " WHERE (platform, user_id, reminder_id, due) IN ("
                "  SELECT platform, user_id, reminder_id, due FROM due"
                "  WHERE due <= %s AND (claimed_until IS NULL OR claimed_until < now())"
                "  AND (%s OR platform = ANY(%s))"
                "  ORDER BY due LIMIT %s FOR UPDATE SKIP LOCKED)"
                " RETURNING platform, user_id, reminder_id, due",
                (
                    self.instance,
                    self.claim_seconds,
                    now,
                    platforms is None,
                    list(platforms or ()),
                    limit,
                ),
            )
            rows = await cursor.fetchall()
        return sorted(_due_entry(*row) for row in rows)

    @asynccontextmanager
    async def holding(self, person: PersonKey) -> AsyncIterator[None]:
        """A transaction holding the person's advisory lock, which the store's calls in
        this task join until it ends: committed when the block ends, rolled back when it
        raises. Another instance holding the same person waits for the commit."""
        async with self._pool.connection() as conn, conn.transaction():
            # A process that hangs mid-turn must not hold the person for ever; one that
            # dies closes its connection, which ends the transaction at once.
            await conn.execute(f"SET LOCAL idle_in_transaction_session_timeout = {IDLE_MS}")
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key("turn", person),))
            joined = _Joined(self, conn)
            token = _JOINED.set(joined)
            try:
                yield
            finally:
                joined.open = False
                _JOINED.reset(token)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        """The held person's transaction when this task is in one, else a pooled connection."""
        joined = _JOINED.get()
        if joined is not None and joined.open and joined.store is self:
            yield joined.conn
            return
        async with self._pool.connection() as conn:
            yield conn

    async def writable(self) -> str | None:
        """The database answers, and is a primary (a standby takes no writes)."""
        try:
            async with self._pool.connection(timeout=CONNECT_SECONDS) as conn:
                cursor = await conn.execute("SELECT pg_is_in_recovery()")
                row = await cursor.fetchone()
        except (PoolTimeout, psycopg.Error) as error:
            return f"the database does not answer ({type(error).__name__})"
        if row is not None and row[0]:
            return "the database is a read-only standby"
        return None

    async def log_secret(self) -> bytes:
        """Made by the first instance to ask, in the database, for every instance."""
        async with self._connection() as conn:
            return await installation.made_log_secret(conn)

    async def kept_log_secret(self) -> bytes | None:
        async with self._connection() as conn:
            return await installation.kept_log_secret(conn)

    async def _put_log_secret(self, secret: bytes) -> None:
        async with self._connection() as conn:
            await installation.put_log_secret(conn, secret)

    async def load(self, person: PersonKey) -> PersonRecord:
        async with self._connection() as conn:
            cursor = await conn.execute(
                "SELECT schema_version, record::text FROM people"
                " WHERE platform = %s AND user_id = %s",
                (person.platform, person.user_id),
            )
            row = await cursor.fetchone()
        if row is None:
            return PersonRecord()
        version, text = row
        # A record written by an older Fair Shake is upgraded in memory; the next save
        # writes it in the current layout.
        return upgrade_record(PersonRecord.from_json(text), version)

    async def save(self, person: PersonKey, record: PersonRecord) -> None:
        await self.commit(person, record)

    async def commit(
        self,
        person: PersonKey,
        record: PersonRecord | None,
        added: Collection[DueEntry] = (),
        removed: Collection[DueEntry] = (),
    ) -> None:
        """The record and its due-index changes in one transaction: all or nothing."""
        # Serialised before connecting: a value JSON cannot hold writes nothing.
        text = None if record is None else record.to_json()
        async with self._connection() as conn, conn.transaction(), conn.cursor() as cursor:
            if added:
                await cursor.executemany(_ADD_DUE, [_due_row(entry) for entry in sorted(added)])
            if text is not None:
                await cursor.execute(
                    "INSERT INTO people (platform, user_id, schema_version, record)"
                    " VALUES (%s, %s, %s, %s::json)"
                    " ON CONFLICT (platform, user_id) DO UPDATE SET"
                    " schema_version = excluded.schema_version, record = excluded.record,"
                    " saved_at = now()",
                    (person.platform, person.user_id, SCHEMA_VERSION, text),
                )
            if removed:
                await cursor.executemany(_REMOVE_DUE, [_due_row(e) for e in sorted(removed)])

    async def delete(self, person: PersonKey) -> None:
        whose = (person.platform, person.user_id)
        async with self._connection() as conn, conn.transaction():
            await conn.execute("DELETE FROM due WHERE platform = %s AND user_id = %s", whose)
            await conn.execute(
                "DELETE FROM rate_buckets WHERE platform = %s AND user_id = %s", whose
            )
            await conn.execute("DELETE FROM people WHERE platform = %s AND user_id = %s", whose)
            await conn.execute("DELETE FROM archive WHERE platform = %s AND user_id = %s", whose)

    async def archive(self, person: PersonKey, cases: dict[str, JSONDict]) -> None:
        if cases:
            async with self._connection() as conn, conn.transaction():
                await postgres_archive.add(conn, person, cases)

    async def archived(self, person: PersonKey) -> Archive:
        async with self._connection() as conn:
            return await postgres_archive.read(conn, person)

    async def add_due(self, entry: DueEntry) -> None:
        await self.commit(entry.person, None, added=[entry])

    async def remove_due(self, entry: DueEntry) -> None:
        await self.commit(entry.person, None, removed=[entry])

    def people(self) -> Iterator[PersonKey]:
        for platform, user_id in self._scan("SELECT platform, user_id FROM people"):
            yield PersonKey(platform, user_id)

    def due_entries(self) -> Iterator[DueEntry]:
        for row in self._scan("SELECT platform, user_id, reminder_id, due FROM due"):
            yield _due_entry(*row)

    def _scan(self, query: str) -> Iterator[TupleRow]:
        """Stream a query's rows from a server-side cursor, a batch per round trip."""
        with psycopg.connect(self.url) as conn, conn.cursor(name="scan") as cursor:
            cursor.itersize = SCAN_BATCH
            cursor.execute(query)
            yield from cursor


_ADD_DUE = (
    "INSERT INTO due (platform, user_id, reminder_id, due) VALUES (%s, %s, %s, %s)"
    " ON CONFLICT DO NOTHING"
)
_REMOVE_DUE = (
    "DELETE FROM due WHERE platform = %s AND user_id = %s AND reminder_id = %s AND due = %s"
)


def _due_row(entry: DueEntry) -> tuple[str, str, str, datetime]:
    return (entry.person.platform, entry.person.user_id, entry.reminder_id, entry.due)


def _due_entry(platform: str, user_id: str, reminder_id: str, due: datetime) -> DueEntry:
    return DueEntry(due.astimezone(UTC), PersonKey(platform, user_id), reminder_id)


async def _scalar(conn: Connection, query: str, params: tuple[object, ...]) -> object:
    row = await (await conn.execute(query, params)).fetchone()
    return None if row is None else row[0]


def lock_key(kind: str, person: PersonKey) -> int:
    """An advisory lock on the person ("turn" or "delivery"); two people sharing one
    would only queue behind each other."""
    return _advisory_key(f"{kind}:{person}")


def _advisory_key(name: str) -> int:
    """64 bits of a hash of the name, as PostgreSQL's signed bigint."""
    digest = hashlib.sha256(name.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@dataclass
class _Joined:
    """A held person's transaction, which the store's calls in the holding task join."""

    store: PostgresStore
    conn: Connection
    open: bool = True
    """False once the hold has ended (a task started inside it may outlive it)."""


_JOINED: ContextVar[_Joined | None] = ContextVar("fairshake_postgres_joined", default=None)


class _DatabasePersonLocks(PersonLocks):
    """The in-process lock, then the person's lock in the database."""

    def __init__(self, shared: Callable[[PersonKey], AbstractAsyncContextManager[None]]) -> None:
        super().__init__()
        self._shared = shared

    def shared(self, person: PersonKey) -> AbstractAsyncContextManager[None]:
        return self._shared(person)


class _DatabaseLeadership(Leadership):
    """The lead held as a session advisory lock on a connection of its own: the
    database frees it the moment the leader's process dies and its connection closes.
    Waiting instances try for it every `retry_seconds`; the leader checks its session
    every `check_seconds` and gives up the job when the database no longer answers."""

    def __init__(
        self,
        url: str,
        key: int,
        retry_seconds: float = LEAD_RETRY,
        check_seconds: float = LEAD_CHECK,
    ) -> None:
        self._url = url
        self._key = key
        self.retry_seconds = retry_seconds
        self.check_seconds = check_seconds
        self._conn: Connection | None = None

    async def acquire(self) -> None:
        while True:
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = await connect(self._url)
                if await _scalar(self._conn, "SELECT pg_try_advisory_lock(%s)", (self._key,)):
                    return
            except (psycopg.Error, StoreError):
                await self.release()  # try again on a new connection
            await asyncio.sleep(self.retry_seconds)

    async def lost(self) -> None:
        while self._conn is not None:
            await asyncio.sleep(self.check_seconds)
            try:
                async with asyncio.timeout(self.check_seconds):
                    await self._conn.execute("SELECT 1")
            except (psycopg.Error, TimeoutError):
                break
        await self.release()

    async def release(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(psycopg.Error):
                await conn.close()  # the session ends, and its lock with it
