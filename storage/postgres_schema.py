"""The PostgreSQL schema, as numbered migrations applied in order by `fairshake db upgrade`.

A migration is applied once and recorded in `schema_migrations` in the same transaction
(one for the whole upgrade), so a failed upgrade leaves the database as it was. Upgrades take an advisory lock
first: instances started together, or an operator's upgrade while they run, apply each
migration once. A migration is never edited once released; a change is a new one.

Tables:

- `people`: one row per person, the whole `PersonRecord` as one JSON document (`json`,
  not `jsonb`, which would reorder keys: cases are listed in the order they were
  opened) with the record layout version it was written in. A turn reads and writes
  one row by its primary key, whatever the number of people.
- `due`: the due index, one row per pending reminder or reply, indexed by due time so
  the ones falling due are found without reading the rest. An instance about to
  deliver one claims it for a while (`claimed_by`, `claimed_until`, on the database's
  clock), so no other instance delivers it meanwhile; one that dies holding a claim
  leaves the entry to another once the claim runs out.
- `installation`: values the whole installation shares, by name: `log_secret`, the key
  of the digests that name people in every instance's logs.
- `rate_buckets`: the per-person rate limit's buckets, one row per person who wrote in
  the last minute or so, with the last few events each counted (storage/postgres_rate.py),
  so an event counts once however many instances receive it. Unlogged: nothing in it is worth
  the write-ahead log, and a crash of the database empties it, forgiving everyone.
- `event_claims`: which instance applies an inbound event several were given (a Discord
  interaction reaches every instance), by its person and name (`EventId.name`), for a lease
  (storage/postgres_claims.py). Unlogged, like `rate_buckets`: a claim matters for seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg.rows import TupleRow

from storage.base import StoreError


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


MIGRATIONS = (
    Migration(
        1,
        "people and the due index",
        """
        CREATE TABLE people (
            platform text NOT NULL,
            user_id text NOT NULL,
            schema_version integer NOT NULL,
            record json NOT NULL,
            saved_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (platform, user_id)
        );
        CREATE TABLE due (
            platform text NOT NULL,
            user_id text NOT NULL,
            reminder_id text NOT NULL,
            due timestamptz NOT NULL,
            PRIMARY KEY (platform, user_id, reminder_id, due)
        );
        CREATE INDEX due_by_time ON due (due);
        """,
    ),
    Migration(
        2,
        "claims on due entries",
        """
        ALTER TABLE due ADD COLUMN claimed_by text, ADD COLUMN claimed_until timestamptz;
        """,
    ),
    Migration(
        3,
        "values the installation shares",
        """
        CREATE TABLE installation (
            name text PRIMARY KEY,
            value text NOT NULL
        );
        """,
    ),
    Migration(
        4,
        "archived closed cases, apart from the record",
        """
        CREATE TABLE archive (
            platform text NOT NULL,
            user_id text NOT NULL,
            case_id text NOT NULL,
            archived bigserial NOT NULL,
            body json NOT NULL,
            PRIMARY KEY (platform, user_id, case_id)
        );
        """,
    ),
    Migration(
        5,
        "the per-person rate limit's buckets",
        """
        CREATE UNLOGGED TABLE rate_buckets (
            platform text NOT NULL,
            user_id text NOT NULL,
            tokens double precision NOT NULL,
            at timestamptz NOT NULL,
            refused integer NOT NULL,
            PRIMARY KEY (platform, user_id)
        );
        CREATE INDEX rate_buckets_by_time ON rate_buckets (at);
        """,
    ),
    Migration(
        6,
        "the events each rate bucket counted",
        """
        ALTER TABLE rate_buckets
            ADD COLUMN recent text[] NOT NULL DEFAULT '{}',
            ADD COLUMN verdict integer NOT NULL DEFAULT 0;
        """,
    ),
    Migration(
        7,
        "claims on inbound events, so one instance applies and answers each",
        """
        CREATE UNLOGGED TABLE event_claims (
            platform text NOT NULL,
            user_id text NOT NULL,
            event text NOT NULL,
            claimed_by text NOT NULL,
            claimed_until timestamptz NOT NULL,
            done boolean NOT NULL DEFAULT false,
            PRIMARY KEY (platform, user_id, event)
        );
        CREATE INDEX event_claims_by_time ON event_claims (claimed_until);
        """,
    ),
)

LATEST = MIGRATIONS[-1].version

UPGRADE_LOCK = 0x46530001
"""The advisory lock key upgrades hold ("FS" and 1), so two never run at once."""

_TRACKING = """
    CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
    )
"""


async def applied_version(conn: psycopg.AsyncConnection[TupleRow]) -> int:
    """The newest migration applied to the database; 0 for an empty database."""
    cursor = await conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
    exists = await cursor.fetchone()
    if not exists or not exists[0]:
        return 0
    cursor = await conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations")
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def upgrade(conn: psycopg.AsyncConnection[TupleRow]) -> list[Migration]:
    """Apply every migration the database lacks, in order; the ones applied (none when
    it was up to date).

    Raises:
        StoreError: the database has migrations newer than this Fair Shake knows.
    """
    applied: list[Migration] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (UPGRADE_LOCK,))
        await conn.execute(_TRACKING)
        current = await applied_version(conn)
        refuse_newer(current)
        for migration in MIGRATIONS:
            if migration.version <= current:
                continue
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                (migration.version, migration.name),
            )
            applied.append(migration)
    return applied


def refuse_newer(version: int) -> None:
    if version > LATEST:
        raise StoreError(
            f"the database has schema version {version}, but this Fair Shake knows up to "
            f"version {LATEST}: upgrade Fair Shake to use this database"
        )


async def check_current(conn: psycopg.AsyncConnection[TupleRow]) -> None:
    """Refuse a database that is behind or ahead of this Fair Shake's schema."""
    version = await applied_version(conn)
    refuse_newer(version)
    if version < LATEST:
        raise StoreError(
            f"the database has schema version {version} and this Fair Shake needs {LATEST}: "
            "run `fairshake db upgrade` first"
        )
