"""The per-person rate limit, kept by the store so that every instance sharing it counts
one budget per person.

Each person has a bucket of `per_minute` events that refills continuously. An event
that finds the bucket empty is not applied: the first such event of a flood is told to
slow down (`Verdict.SLOW_DOWN`), the rest are dropped silently (`Verdict.DROP`), until
the bucket has room again. A check never waits for the person's lock and never reads
their record, so a flood of a thousand messages costs almost nothing beside the turns
of other people.

An event counts once, however often it arrives: the bucket remembers the last few
events it counted (`RECENT_EVENTS`), so the same event delivered again, or given to
every instance as Discord gives each interaction, is not charged twice. Its second
arrival goes on as the first went: taken (and the turn finds it applied), or refused
already (`Verdict.REFUSED_BEFORE`), so that only one instance says "slow down".

A store one process uses counts in memory (`LocalRateLimit`: a restart forgives
everyone); a full bucket is dropped, so memory holds only people who wrote in the last
minute or so. A store several processes share counts in one place for all of them
(PostgreSQL: storage/postgres_rate.py), so a person writing to three instances still
gets one budget, not three.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from storage.keys import PersonKey


class Verdict(Enum):
    TAKE = "take"
    SLOW_DOWN = "slow_down"
    """Refused, and the person is told (once per flood)."""
    DROP = "drop"
    """Refused silently: they were told already."""
    REFUSED_BEFORE = "refused_before"
    """This very event was refused already (delivered again, or to another instance):
    nothing to do, nothing to say."""


RECENT_EVENTS = 16
"""Events a bucket remembers: a redelivery, or the same event at another instance,
comes within seconds, a few events later at most."""


class RateLimit(ABC):
    """Events per person per minute, with a burst of the same size.

    Args:
        per_minute: events a person may send in a minute; 0 turns the limit off.
    """

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute

    async def check(self, person: PersonKey, event: str | None = None) -> Verdict:
        """Count one event of the person's, and say whether to take it; `event` names
        it (unique for the person), so that it counts once however often it arrives."""
        if self.per_minute <= 0:
            return Verdict.TAKE
        return await self._take(person, event)

    @abstractmethod
    async def _take(self, person: PersonKey, event: str | None) -> Verdict:
        """Take a token from the person's bucket, refilled up to now, if it holds one,
        unless the bucket counted `event` already."""


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float
    told: bool = False
    recent: dict[str, bool] = field(default_factory=dict)
    """The last events counted, oldest first, with whether each was taken."""


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

    async def _take(self, person: PersonKey, event: str | None) -> Verdict:
        now = self.clock()
        bucket = self._buckets.get(person) or _Bucket(float(self.per_minute), now)
        if event is not None and (taken := bucket.recent.get(event)) is not None:
            return Verdict.TAKE if taken else Verdict.REFUSED_BEFORE
        bucket.tokens = min(
            float(self.per_minute), bucket.tokens + (now - bucket.at) * self.per_minute / 60
        )
        bucket.at = now
        self._buckets[person] = bucket
        self._forget_full(now)
        verdict = self._spend(bucket)
        if event is not None:
            bucket.recent[event] = verdict is Verdict.TAKE
            if len(bucket.recent) > RECENT_EVENTS:
                del bucket.recent[next(iter(bucket.recent))]
        return verdict

    @staticmethod
    def _spend(bucket: _Bucket) -> Verdict:
        """Take a token if the bucket holds one; else say whether the person was told."""
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
