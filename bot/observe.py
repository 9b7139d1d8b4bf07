"""What the bot reports as it works, for the log lines and the metrics.

One small interface, `Observer`, called at a few well-defined points and nowhere else:

- `turn`: the engine finished a conversation turn (`Engine.handle`);
- `saved`: the engine saved a record (`Engine.commit`), with how long the store took;
- `reminder`: the scheduler settled a ping (sent, to be retried, failed);
- `reply`: an adapter sent a message, or one try of it failed (refused, or failing
  every quick retry; the outbox tries it again later);
- `reply_failed`: the outbox gave a reply up (out of tries, or cut short twice) and
  recorded it as failed: once per reply;
- `rate_limited`: a platform asked the bot to wait (HTTP 429) before sending more.

The engine holds one `Observers` (`engine.observers`) that fans each call out to the
observers added at start (bot/logs.py writes a line, bot/metrics.py counts), so neither
the engine nor an adapter knows of log formats or of Prometheus. An observer must be
quick and must not block: it runs inside the turn.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.events import ButtonPress, Command, Inbound, TextMessage
from storage import PersonKey

log = logging.getLogger(__name__)

OK, FORGOT, DUPLICATE, ERROR = "ok", "forgot", "duplicate", "error"
"""How a turn ended: answered, the person deleted everything (/forget), an event the
platform delivered again (left alone), or it raised."""
SENT, RETRY, FAILED = "sent", "retry", "failed"
"""How a ping ended: delivered, refused and due again later, or given up on."""


@dataclass(frozen=True, slots=True)
class TurnDone:
    person: PersonKey
    kind: str
    """What came in: `text`, `command` or `press` (never what it said)."""
    step: str
    """Where the person is after the turn (`Session.step()`: case id, state, question)."""
    seconds: float
    outcome: str

    @property
    def platform(self) -> str:
        return self.person.platform


@dataclass(frozen=True, slots=True)
class ReminderDone:
    person: PersonKey
    kind: str
    """The reminder's kind (set by the person, a follow-up, a check-in, a deadline)."""
    case_id: str
    late: float
    """Seconds from the reminder's due time to this outcome."""
    attempts: int
    outcome: str

    @property
    def platform(self) -> str:
        return self.person.platform


def kind_of(event: Inbound) -> str:
    kinds: dict[type, str] = {TextMessage: "text", Command: "command", ButtonPress: "press"}
    return kinds[type(event)]


class Observer:
    """Every hook, doing nothing: an observer overrides the ones it cares about."""

    def turn(self, done: TurnDone) -> None:
        pass

    def saved(self, seconds: float) -> None:
        pass

    def reminder(self, done: ReminderDone) -> None:
        pass

    def reply(self, platform: str, *, sent: bool) -> None:
        pass

    def reply_failed(self, platform: str) -> None:
        pass

    def rate_limited(self, platform: str, seconds: float) -> None:
        pass


class Observers(Observer):
    """The observers added at start, each told of everything. One that raises is logged
    (its type only) and skipped: counting a turn must never break it."""

    def __init__(self) -> None:
        self._observers: list[Observer] = []

    def add(self, observer: Observer) -> None:
        self._observers.append(observer)

    def _each(self, call: Callable[[Observer], None]) -> None:
        for observer in self._observers:
            try:
                call(observer)
            except Exception as error:
                log.warning("%s failed: %s", type(observer).__name__, type(error).__name__)

    def turn(self, done: TurnDone) -> None:
        self._each(lambda observer: observer.turn(done))

    def saved(self, seconds: float) -> None:
        self._each(lambda observer: observer.saved(seconds))

    def reminder(self, done: ReminderDone) -> None:
        self._each(lambda observer: observer.reminder(done))

    def reply(self, platform: str, *, sent: bool) -> None:
        self._each(lambda observer: observer.reply(platform, sent=sent))

    def reply_failed(self, platform: str) -> None:
        self._each(lambda observer: observer.reply_failed(platform))

    def rate_limited(self, platform: str, seconds: float) -> None:
        self._each(lambda observer: observer.rate_limited(platform, seconds))
