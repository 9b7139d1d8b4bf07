"""The per-person rate limit, kept by the store so that every instance sharing it counts
one budget per person.

Each person has a bucket of `per_minute` events that refills continuously. An event
that finds the bucket empty is not applied: the first such event of a flood is told to
slow down (`Verdict.SLOW_DOWN`), the rest are dropped silently (`Verdict.DROP`), until
the bucket has room again. A check never waits for the person's lock and never reads
their record, so a flood of a thousand messages costs almost nothing beside the turns
of other people.

A store one process uses counts in memory (`LocalRateLimit`: a restart forgives
everyone); a full bucket is dropped, so memory holds only people who wrote in the last
minute or so. A store several processes share counts in one place for all of them
(PostgreSQL: storage/postgres_rate.py), so a person writing to three instances still
gets one budget, not three.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from storage.keys import PersonKey


class Verdict(Enum):
    TAKE = "take"
    SLOW_DOWN = "slow_down"
    """Refused, and the person is told (once per flood)."""
    DROP = "drop"
    """Refused silently: they were told already."""


class RateLimit(ABC):
    """Events per person per minute, with a burst of the same size.

    Args:
        per_minute: events a person may send in a minute; 0 turns the limit off.
    """

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute

    async def check(self, person: PersonKey) -> Verdict:
        """Count one event of the person's, and say whether to take it."""
        if self.per_minute <= 0:
            return Verdict.TAKE
        return await self._take(person)

    @abstractmethod
    async def _take(self, person: PersonKey) -> Verdict:
        """Take a token from the person's bucket, refilled up to now, if it holds one."""


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float
    told: bool = False


class LocalRateLimit(RateLimit):
    """The buckets in this process's memory.

    Args:
        per_minute: events a person may send in a minute; 0 turns the limit off.
        clock: seconds, monotonic (tests pass their own).
    """

    def __init__(self, per_minute: int, clock: Callable[[], float]) -> None:
        super().__init__(per_minute)
        self.clock = clock
        self._buckets: dict[PersonKey, _Bucket] = {}
        self._sweep_at = 1024

    async def _take(self, person: PersonKey) -> Verdict:
        now = self.clock()
        bucket = self._buckets.get(person) or _Bucket(float(self.per_minute), now)
        bucket.tokens = min(
            float(self.per_minute), bucket.tokens + (now - bucket.at) * self.per_minute / 60
        )
        bucket.at = now
        self._buckets[person] = bucket
        self._forget_full(now)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.told = False
            return Verdict.TAKE
        if bucket.told:
            return Verdict.DROP
        bucket.told = True
        return Verdict.SLOW_DOWN

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have had a minute to refill: whenever the table has doubled
        since the last sweep, so the sweeps cost O(1) per event on average."""
        if len(self._buckets) < self._sweep_at:
            return
        self._buckets = {
            person: bucket for person, bucket in self._buckets.items() if now - bucket.at < 60
        }
        self._sweep_at = max(1024, 2 * len(self._buckets))
