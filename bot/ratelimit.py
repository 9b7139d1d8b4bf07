"""A per-person rate limit, so one person's flood never delays anyone else.

Each person has a bucket of `per_minute` events that refills continuously. An event
that finds the bucket empty is not applied: the first such event of a flood gets one
kind "slow down" reply, the rest nothing, until the bucket has room again. A refused
event costs no store access and never waits for the person's lock, so a flood of a
thousand messages costs almost nothing beside the turns of other people.

Buckets live in memory only (a restart forgives everyone); a full bucket is dropped,
so memory holds only people who wrote in the last minute or so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from flows.text import rich
from storage import PersonKey

SLOW_DOWN = rich(
    "That's a lot of messages at once, so I've set the last few aside. Give me a minute, then send what you still need, one message at a time."
)


class Verdict(Enum):
    TAKE = "take"
    SLOW_DOWN = "slow_down"
    """Refused, and the person is told (once per flood)."""
    DROP = "drop"
    """Refused silently: they were told already."""


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float
    told: bool = False


class RateLimit:
    """Events per person per minute, with a burst of the same size.

    Args:
        per_minute: events a person may send in a minute; 0 turns the limit off.
        clock: seconds, monotonic (tests pass their own).
    """

    def __init__(self, per_minute: int, clock: Callable[[], float]) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._buckets: dict[PersonKey, _Bucket] = {}
        self._sweep_at = 1024

    def __len__(self) -> int:
        return len(self._buckets)

    def check(self, person: PersonKey) -> Verdict:
        if self.per_minute <= 0:
            return Verdict.TAKE
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
