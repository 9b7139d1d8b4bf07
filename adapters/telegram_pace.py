"""One stream of messages paced: a short burst, then one every `interval` seconds.

Telegram asks a bot to send about one message a second in a chat (allowing short
bursts over it), 20 a minute in a group and about 30 a second in all. A `Pace` keeps
one such rule as a single number, the time the next message would be due were every
message sent exactly on the beat (the generic cell rate algorithm, GCRA): a message may
go as soon as that time is no more than `burst - 1` beats ahead. Each message reserves
its slot when it asks, so messages of one stream go in the order they asked, and the
wait for a slot is known at once, without a timer per stream.

A flood-control answer (429) pauses a stream until the time Telegram named; after it
the stream starts again one message at a time, its burst spent.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Pace:
    """The pace of one stream (a chat, or everything the bot sends), on a monotonic clock.

    Args:
        interval: seconds between messages once the burst is spent; 0 paces nothing
            (a pause still holds).
        burst: messages that may go at once after a quiet spell.
    """

    interval: float
    burst: int = 1
    next_due: float = 0.0
    """When the next message would be due, were all sent on the beat."""
    paused_until: float = 0.0
    """Nothing of the stream goes before this (a flood-control wait)."""
    behind_since: float | None = None
    """Since when every message reserved has had to wait (None: the last went at once)."""

    def free_at(self, now: float) -> float:
        """When a message asking now could go, without reserving the slot."""
        return max(now, self.next_due - (self.burst - 1) * self.interval, self.paused_until)

    def reserve(self, now: float) -> float:
        """Take the next slot: the time (now or later) this message may go."""
        at = self.free_at(now)
        self.next_due = max(self.next_due, at) + self.interval
        if at <= now:
            self.behind_since = None
        elif self.behind_since is None:
            self.behind_since = now
        return at

    def behind(self, now: float) -> float:
        """Seconds the stream has been sending slower than asked (0 when it keeps up)."""
        return 0.0 if self.behind_since is None else now - self.behind_since

    def pause(self, until: float) -> None:
        """Hold everything until `until`, then go one message a beat (the burst spent)."""
        self.paused_until = max(self.paused_until, until)
        self.next_due = max(self.next_due, until + (self.burst - 1) * self.interval)

    def paused(self, now: float) -> float:
        """Seconds of flood-control wait left (0 when none)."""
        return max(0.0, self.paused_until - now)

    def idle(self, now: float) -> bool:
        """Whether the stream is as if new (its beat and pause past): it can be dropped."""
        return self.next_due <= now and self.paused_until <= now
