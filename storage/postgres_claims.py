"""Claims on inbound events shared by every instance on one PostgreSQL database
(storage/event_claims.py).

A claim is one row of `event_claims` (storage/postgres_schema.py), taken in one
statement on the database's clock: two instances claiming one event at once queue on the
row, and only one of them gets it. The table is unlogged (a claim matters for seconds;
a crash of the database empties it, and the engine's exactly-once check still keeps an
event from being applied twice), and rows ended a while ago are swept now and then.
"""

from __future__ import annotations

import logging
import time

import psycopg
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from storage.event_claims import KEPT_SECONDS, WON, Claim, EventClaims, EventKey

log = logging.getLogger(__name__)

SWEEP_SECONDS = 60.0
"""How often an instance deletes the claims that ended `KEPT_SECONDS` ago."""

_CLAIM = """
    INSERT INTO event_claims AS c (platform, user_id, event, claimed_by, claimed_until)
    VALUES (%(platform)s, %(user_id)s, %(event)s, %(me)s, now() + %(lease)s * interval '1 s')
    ON CONFLICT (platform, user_id, event) DO UPDATE SET
        claimed_by = excluded.claimed_by, claimed_until = excluded.claimed_until
        WHERE NOT c.done AND c.claimed_until < now()
    RETURNING true
"""
"""Claim the event unless a claim holds it (done, or not run out)."""

_HELD = """
    SELECT done, greatest(0, extract(epoch FROM claimed_until - now()))::float8
    FROM event_claims
    WHERE platform = %(platform)s AND user_id = %(user_id)s AND event = %(event)s
"""

_RENEW = """
    UPDATE event_claims SET claimed_until = now() + %(lease)s * interval '1 s'
    WHERE platform = %(platform)s AND user_id = %(user_id)s AND event = %(event)s
        AND claimed_by = %(me)s AND NOT done
"""

_DONE = """
    UPDATE event_claims SET done = true
    WHERE platform = %(platform)s AND user_id = %(user_id)s AND event = %(event)s
        AND claimed_by = %(me)s
"""

_SWEEP = "DELETE FROM event_claims WHERE claimed_until < now() - %s * interval '1 s'"

Pool = AsyncConnectionPool[psycopg.AsyncConnection[TupleRow]]


class PostgresEventClaims(EventClaims):
    """The claims in the database, on the store's pool.

    Args:
        pool: the store's pool of autocommit connections.
        instance: who claims (the store's instance name).
        sweep_seconds: how often this instance sweeps the ended claims.
    """

    def __init__(self, pool: Pool, instance: str, sweep_seconds: float = SWEEP_SECONDS) -> None:
        self._pool = pool
        self.instance = instance
        self.sweep_seconds = sweep_seconds
        self._swept = time.monotonic()

    async def claim(self, event: EventKey, lease: float) -> Claim:
        values = self._values(event)
        try:
            async with self._pool.connection() as conn:
                if await (await conn.execute(_CLAIM, {**values, "lease": lease})).fetchone():
                    await self._sweep(conn)
                    return WON
                held = await (await conn.execute(_HELD, values)).fetchone()
        except (PoolTimeout, psycopg.Error) as error:
            # The turn meets the same database next and says so kindly: an answer from
            # two instances beats one from none.
            log.warning("an event could not be claimed: %s", type(error).__name__)
            return WON
        if held is None:  # swept since: it ended long ago
            return Claim(False, done=True)
        done, wait = held
        return Claim(False, bool(done), 0.0 if done else float(wait))

    async def renew(self, event: EventKey, lease: float) -> None:
        try:
            async with self._pool.connection() as conn:
                await conn.execute(_RENEW, {**self._values(event), "lease": lease})
        except (PoolTimeout, psycopg.Error) as error:
            log.warning("an event's claim could not be renewed: %s", type(error).__name__)

    async def done(self, event: EventKey) -> None:
        values = self._values(event)
        try:
            async with self._pool.connection() as conn:
                await conn.execute(_DONE, values)
        except (PoolTimeout, psycopg.Error) as error:
            # Another instance takes the event over once the lease runs out, and finds
            # it applied already.
            log.warning("an event's claim could not be ended: %s", type(error).__name__)

    def _values(self, event: EventKey) -> dict[str, object]:
        return {
            "platform": event.person.platform,
            "user_id": event.person.user_id,
            "event": event.name,
            "me": self.instance,
        }

    async def _sweep(self, conn: psycopg.AsyncConnection[TupleRow]) -> None:
        if time.monotonic() - self._swept >= self.sweep_seconds:
            self._swept = time.monotonic()
            await conn.execute(_SWEEP, (KEPT_SECONDS,))
