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
from storage.rate_limits import RECENT_EVENTS, RateLimit, Verdict

log = logging.getLogger(__name__)

TAKEN, FIRST_REFUSAL, LATER_REFUSAL, TAKEN_BEFORE, REFUSED_BEFORE = range(5)
"""A verdict as the database stores it (`rate_buckets.verdict`)."""
VERDICTS = (Verdict.TAKE, Verdict.SLOW_DOWN, Verdict.DROP, Verdict.TAKE, Verdict.REFUSED_BEFORE)

SWEEP_SECONDS = 60.0
"""How often an instance deletes the buckets that have refilled (a minute untouched)."""

_REFILLED = "least(%(cap)s, b.tokens + extract(epoch FROM now() - b.at)::float8 * %(cap)s / 60)"
_VERDICT = f"""CASE
    WHEN 't' || %(event)s::text = ANY(b.recent) THEN {TAKEN_BEFORE}
    WHEN 'r' || %(event)s::text = ANY(b.recent) THEN {REFUSED_BEFORE}
    WHEN {_REFILLED} >= 1 THEN {TAKEN}
    WHEN b.refused = {TAKEN} THEN {FIRST_REFUSAL}
    ELSE {LATER_REFUSAL}
END"""
"""This event's verdict, from the bucket as it was (a NULL event is never seen before)."""
_TAKE = f"""
    INSERT INTO rate_buckets AS b (platform, user_id, tokens, at, refused, verdict, recent)
    VALUES (
        %(platform)s, %(user_id)s, %(cap)s - 1, now(), {TAKEN}, {TAKEN},
        CASE WHEN %(event)s::text IS NULL THEN '{{}}' ELSE ARRAY['t' || %(event)s::text] END
    )
    ON CONFLICT (platform, user_id) DO UPDATE SET
        verdict = {_VERDICT},
        tokens = CASE {_VERDICT}
            WHEN {TAKEN} THEN {_REFILLED} - 1
            WHEN {FIRST_REFUSAL} THEN {_REFILLED}
            WHEN {LATER_REFUSAL} THEN {_REFILLED}
            ELSE b.tokens
        END,
        refused = CASE WHEN {_VERDICT} <= {LATER_REFUSAL} THEN {_VERDICT} ELSE b.refused END,
        at = CASE WHEN {_VERDICT} <= {LATER_REFUSAL} THEN now() ELSE b.at END,
        recent = CASE WHEN %(event)s::text IS NULL OR {_VERDICT} > {LATER_REFUSAL} THEN b.recent
            ELSE (b.recent || (CASE WHEN {_VERDICT} = {TAKEN} THEN 't' ELSE 'r' END || %(event)s::text))
                [greatest(1, cardinality(b.recent) + 2 - {RECENT_EVENTS}):]
        END
    RETURNING verdict
"""
"""Refill the bucket up to now and take a token if it has one, unless it counted this
event already; remember the event among its last `RECENT_EVENTS` (as `t` taken or `r`
refused, then its name). `refused` is the flood so far (the last counted verdict),
`verdict` this event's."""

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

    async def _take(self, person: PersonKey, event: str | None) -> Verdict:
        values = {
            "platform": person.platform,
            "user_id": person.user_id,
            "cap": self.per_minute,
            "event": event,
        }
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
        return VERDICTS[row[0]] if row else Verdict.TAKE
