"""Claims on inbound events: which instance answers an event several were given.

A Discord interaction reaches every instance connected to the gateway, and Discord takes
one acknowledgement of it: a second deferral or answer is refused, and the one that got
in first may be the instance that leaves the event alone. So the instances decide who
applies an event before any of them acknowledges it: the first to claim its id does,
the others leave it alone.

A claim lasts `lease` seconds unless it is marked done (its turn ran, whatever came of
it); the claimer renews it while it works, so only a dead claimer's claim runs out. An
instance that lost a claim not yet done waits for the lease to run out and tries again: if the claimer died before finishing, the event passes to a living instance
instead of being left unanswered (the engine's exactly-once check then tells whether the
dead one applied it). A claim is kept for a while after it ends, for a late copy of the
event to find it done, and then forgotten.

A store one process uses claims in memory (`LocalEventClaims`); a store several share
claims in the database (storage/postgres_claims.py).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from storage.keys import PersonKey

KEPT_SECONDS = 900.0
"""How long an ended claim is remembered: an interaction's token lasts 15 minutes, and no
copy of one comes later than that."""


@dataclass(frozen=True, slots=True)
class EventKey:
    """An event's identity: whose it is, and its name among theirs (`EventId.name`)."""

    person: PersonKey
    name: str


@dataclass(frozen=True, slots=True)
class Claim:
    """How a claim went.

    Attributes:
        won: this instance applies the event (and it alone may acknowledge it).
        done: lost to a claim whose turn has run: nothing is left to do.
        wait: lost to a claim still running: seconds until its lease runs out, when
            claiming again may take the event over.
    """

    won: bool
    done: bool = False
    wait: float = 0.0


WON = Claim(True)


class EventClaims(ABC):
    """The claims of every instance sharing a store."""

    @abstractmethod
    async def claim(self, event: EventKey, lease: float) -> Claim:
        """Claim `event` for `lease` seconds: won when no claim holds it (none was made,
        or one ran out before it was done)."""

    @abstractmethod
    async def renew(self, event: EventKey, lease: float) -> None:
        """Hold this instance's claim on `event` for `lease` seconds more from now (while
        its turn runs); nothing when the claim is no longer this instance's."""

    @abstractmethod
    async def done(self, event: EventKey) -> None:
        """The claimed event's turn has run: no other instance is to take it over."""


@dataclass(slots=True)
class _Held:
    until: float
    done: bool = False


class LocalEventClaims(EventClaims):
    """Claims in this process's memory, for a store one process uses: an event given to
    it twice (two adapters on one store, in tests) is applied by the first to claim it.

    Args:
        clock: seconds, monotonic (tests pass their own).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._held: OrderedDict[EventKey, _Held] = OrderedDict()

    async def claim(self, event: EventKey, lease: float) -> Claim:
        now = self.clock()
        self._forget_ended(now)
        held = self._held.get(event)
        if held is not None and (held.done or held.until > now):
            return Claim(False, held.done, 0.0 if held.done else held.until - now)
        self._held[event] = _Held(now + lease)
        self._held.move_to_end(event)
        return WON

    async def renew(self, event: EventKey, lease: float) -> None:
        held = self._held.get(event)
        if held is not None and not held.done:
            held.until = max(held.until, self.clock() + lease)

    async def done(self, event: EventKey) -> None:
        held = self._held.get(event)
        if held is not None:
            held.done = True

    def _forget_ended(self, now: float) -> None:
        """Drop the oldest claims once they ended `KEPT_SECONDS` ago (claims are made in
        about the order they end, so looking at the oldest is enough)."""
        while self._held:
            oldest = next(iter(self._held.values()))
            if oldest.until + KEPT_SECONDS > now:
                return
            self._held.popitem(last=False)
