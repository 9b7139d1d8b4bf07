"""The per-person rate limit shared by every instance on one PostgreSQL database.

A person's bucket is one row of `rate_buckets` (storage/postgres_schema.py), refilled
and taken from in one statement on the database's clock: one round trip per event, and
two instances checking one person at once queue on the row, so neither counts a token
the other took. The table is unlogged (a bucket is worth nothing after a crash of the
database, which forgives everyone, as a restart of a lone bot does), and rows untouched
for a minute, full again, are swept now and then.
"""

from __future__ import annotations

import logging
import time

import psycopg
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from storage.keys import PersonKey
from storage.rate_limits import RateLimit, Verdict

log = logging.getLogger(__name__)

SWEEP_SECONDS = 60.0
"""How often an instance deletes the buckets that have refilled (a minute untouched)."""

_REFILLED = "least(%(cap)s, b.tokens + extract(epoch FROM now() - b.at)::float8 * %(cap)s / 60)"
_TAKE = f"""
    INSERT INTO rate_buckets AS b (platform, user_id, tokens, at, refused)
    VALUES (%(platform)s, %(user_id)s, %(cap)s - 1, now(), 0)
    ON CONFLICT (platform, user_id) DO UPDATE SET
        tokens = {_REFILLED} - CASE WHEN {_REFILLED} >= 1 THEN 1 ELSE 0 END,
        refused = CASE WHEN {_REFILLED} >= 1 THEN 0 ELSE least(b.refused + 1, 2) END,
        at = now()
    RETURNING refused
"""
"""Refill the bucket up to now and take a token if it has one; `refused` says how it
went: 0 taken, 1 the first refusal of a flood, 2 a later one."""

_SWEEP = "DELETE FROM rate_buckets WHERE at < now() - interval '1 minute'"

Pool = AsyncConnectionPool[psycopg.AsyncConnection[TupleRow]]


class PostgresRateLimit(RateLimit):
    """The buckets in the database, on the store's pool.

    Args:
        pool: the store's pool of autocommit connections.
        per_minute: events a person may send in a minute; 0 turns the limit off.
        sweep_seconds: how often this instance sweeps the refilled buckets.
    """

    def __init__(self, pool: Pool, per_minute: int, sweep_seconds: float = SWEEP_SECONDS) -> None:
        super().__init__(per_minute)
        self._pool = pool
        self.sweep_seconds = sweep_seconds
        self._swept = time.monotonic()

    async def _take(self, person: PersonKey) -> Verdict:
        values = {"platform": person.platform, "user_id": person.user_id, "cap": self.per_minute}
        try:
            async with self._pool.connection() as conn:
                row = await (await conn.execute(_TAKE, values)).fetchone()
                if time.monotonic() - self._swept >= self.sweep_seconds:
                    self._swept = time.monotonic()
                    await conn.execute(_SWEEP)
        except (PoolTimeout, psycopg.Error) as error:
            # The turn meets the same database next and says so kindly: nobody is refused
            # for a count that could not be kept.
            log.warning("the rate limit could not be counted: %s", type(error).__name__)
            return Verdict.TAKE
        refused = row[0] if row else 0
        return (Verdict.TAKE, Verdict.SLOW_DOWN, Verdict.DROP)[refused]
