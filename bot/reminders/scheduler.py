"""The scheduler: one heap of due entries, one task per delivery, retries with backoff.

At start it reads the store's due index once into a heap (O(pending), once); then it
sleeps until the earliest due time or until a turn schedules an earlier one (O(log n)
per entry scheduled, whatever the number pending). A due entry is delivered in its own
task, at most `concurrency` at a time. A reminder goes in three steps:

1. under the person's lock, load the record; a reminder that is gone, no longer
   pending, or due at another time drops the entry; else mark it `sending`
   (attempts + 1) and save;
2. outside the lock, ping the person through `deliver` (the adapter of its platform);
3. under the lock again: mark it `sent`, put it on the case's timeline, save, and drop
   the entry. A delivery that raised is retried after `RETRY_DELAYS` (1, 5 and 30
   minutes), then marked `failed` (listed by /reminders, on the timeline); one held
   back by flood control (an error with a `retry_after`) is due again once the wait
   asked is over, with no try counted.

A reply (bot/reminders/outbox.py) goes the same way, with its conversation's other
due replies, in order, under the person's `sending` lock.

The scheduler talks to the engine through `Records` (change a record under its lock,
the due index, the default time zone), not to the engine itself.

On a store several instances share (PostgreSQL), each delivery starts by claiming its
entry for a while (`Records.claim`): an entry another instance holds is left to it, so
each reminder and reply goes out once. Every `poll_seconds` the scheduler also claims
the overdue entries no instance holds (one another instance added, or one an instance
that died was delivering, once its claim ran out) and delivers them; one cut short
that way is found *sending* and sent once more, as after a restart.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bot.events import Outbound
from bot.observe import FAILED, RETRY, SENT, ReminderDone
from bot.reminders import outbox
from bot.reminders.lifecycle import INDEXED, Status, Step
from bot.reminders.outbox import Deliver
from bot.reminders.ping import ping
from bot.reminders.record import Reminder, note, put, zone_of
from storage import ConversationKey, DueEntry, PersonKey, PersonRecord

log = logging.getLogger(__name__)

RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
OVERDUE_POLL = 5.0
"""Seconds between looks, on a shared store, for due entries this instance was not told
of: added by another instance, or left by one that died."""


class Records(outbox.Records, Protocol):
    """What the scheduler needs of the engine."""

    default_timezone: str
    on_due: Callable[[DueEntry], None] | None

    def due_entries(self) -> Iterator[DueEntry]: ...

    @property
    def shared(self) -> bool: ...

    async def claim(self, entry: DueEntry) -> bool: ...

    async def claim_overdue(
        self, now: datetime, platforms: Collection[str] | None, limit: int
    ) -> list[DueEntry]: ...


class Clock(Protocol):
    """The time, and a way to wait for a moment (tests move a fake one)."""

    def __call__(self) -> datetime: ...

    async def sleep_until(self, when: datetime) -> None: ...


class WallClock:
    """The real time. Sleeps in steps of at most a minute, so a clock that jumps (a
    suspended laptop, a time sync) is noticed within a minute."""

    STEP = 60.0

    def __call__(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, when: datetime) -> None:
        seconds = (when - self()).total_seconds()
        await asyncio.sleep(min(max(seconds, 0.0), self.STEP))


class Scheduler:
    """Sends reminders and replies when they fall due (see bot/reminders/__init__.py for
    the guarantee).

    Built at start-up (it reads the due index then) and hooked to the engine, which
    tells it of every entry a turn schedules.

    Args:
        records: the engine (its store holds the reminders, its locks guard them).
        deliver: sends messages to a conversation (the adapter of its platform).
        clock: the time and a way to sleep until a moment.
        platforms: the platforms `deliver` reaches (None: all). Entries of the others
            are left in the index, untouched, for a run that has their adapter.
        concurrency: deliveries in flight at once.
        poll_seconds: on a store other instances share, how often to look for overdue
            entries no instance holds.
    """

    def __init__(
        self,
        records: Records,
        deliver: Deliver,
        clock: Clock | None = None,
        *,
        platforms: Collection[str] | None = None,
        retry_delays: tuple[timedelta, ...] = RETRY_DELAYS,
        reply_delays: tuple[timedelta, ...] = outbox.REPLY_DELAYS,
        concurrency: int = 16,
        poll_seconds: float = OVERDUE_POLL,
    ) -> None:
        self.records = records
        self.deliver = deliver
        self.clock = clock or WallClock()
        self.retry_delays = retry_delays
        self.reply_delays = reply_delays
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.platforms = None if platforms is None else frozenset(platforms)
        self._heap = [entry for entry in records.due_entries() if self._serves(entry)]
        heapq.heapify(self._heap)
        self._wake = asyncio.Event()
        self._sleeping_until: datetime | None = None
        self._asleep = False
        self._in_flight: dict[tuple[PersonKey, str], DueEntry] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._launched: dict[asyncio.Task[None], DueEntry] = {}
        self._retries: set[asyncio.Task[None]] = set()
        """Deliveries that raised, waiting to be scheduled again (`_retry_later`)."""
        self._stopping = False
        self._running = False
        records.on_due = self.schedule

    def __len__(self) -> int:
        """Entries waiting in the heap (not counting deliveries in flight)."""
        return len(self._heap)

    def _serves(self, entry: DueEntry) -> bool:
        return self.platforms is None or entry.person.platform in self.platforms

    def schedule(self, entry: DueEntry) -> None:
        """A new due entry (from a turn): O(log n), and an earlier wake-up if it is sooner."""
        if not self._serves(entry):
            return
        heapq.heappush(self._heap, entry)
        if self._sleeping_until is None or entry.due < self._sleeping_until:
            self._wake.set()

    @property
    def running(self) -> bool:
        """Between the start of `run` and its end (for `/readyz`)."""
        return self._running

    async def run(self) -> None:
        """Deliver due entries until cancelled."""
        polling = asyncio.create_task(self._poll()) if self.records.shared else None
        self._running = True
        try:
            while not self._stopping:
                self._launch_due()
                await self._sleep()
        finally:
            self._running = False
            if not self._stopping:  # cancelled: a stop lets the deliveries in flight finish
                for task in list(self._tasks):
                    task.cancel()
            for retry in list(self._retries):
                retry.cancel()
            if polling:
                polling.cancel()

    async def _poll(self) -> None:
        """On a shared store: deliver the overdue entries no instance holds, claimed for
        this one, as room allows (another instance's, or a dead one's once its claim ran
        out)."""
        while not self._stopping:
            room = self.concurrency - len(self._tasks)
            if room > 0:
                try:
                    found = await self.records.claim_overdue(self.clock(), self.platforms, room)
                except Exception as error:  # the database away for a moment: look again
                    log.warning("looking for overdue deliveries failed: %s", type(error).__name__)
                    found = []
                for entry in found:
                    self._launch(entry, claimed=True)
            await asyncio.sleep(self.poll_seconds)

    async def stop(self, timeout: float) -> None:
        """Launch no more deliveries, and give those in flight `timeout` seconds to go out
        (one cut short is sent again at the next start: see the guarantee)."""
        self._stopping = True
        self._wake.set()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in [*self._tasks, *self._retries]:
            task.cancel()

    def _launch_due(self) -> None:
        now = self.clock()
        while self._heap and self._heap[0].due <= now and len(self._tasks) < self.concurrency:
            self._launch(heapq.heappop(self._heap))

    def _launch(self, entry: DueEntry, claimed: bool = False) -> None:
        task = asyncio.create_task(
            self._deliver(entry, claimed), name=f"delivery {entry.reminder_id}"
        )
        self._tasks.add(task)
        self._launched[task] = entry
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        entry = self._launched.pop(task)
        self._wake.set()
        if not task.cancelled() and (error := task.exception()) is not None:
            # The type only: an exception's text may carry case content.
            log.error("a delivery crashed: %s; tried again later", type(error).__name__)
            log.debug("a delivery crashed", exc_info=error)
            self._retry_later(entry)

    def _retry_later(self, entry: DueEntry) -> None:
        """A delivery that raised (a record that could not be read or saved, a bug) left
        its entry out of the heap: it goes back in after the first retry delay, as no
        one else would look for it again before a restart on a store one process uses."""
        if self._stopping:
            return
        delay = self.retry_delays[0] if self.retry_delays else RETRY_DELAYS[0]

        async def later() -> None:
            await self.clock.sleep_until(self.clock() + delay)
            self.schedule(entry)

        retry = asyncio.create_task(later(), name=f"retry {entry.reminder_id}")
        self._retries.add(retry)
        retry.add_done_callback(self._retries.discard)

    async def _sleep(self) -> None:
        """Until the earliest entry is due, a sooner one is scheduled, or a task ends."""
        self._wake.clear()
        can_launch = self._heap and len(self._tasks) < self.concurrency
        self._sleeping_until = self._heap[0].due if can_launch else None
        waits: list[asyncio.Future[Any]] = [asyncio.ensure_future(self._wake.wait())]
        if self._sleeping_until is not None:
            waits.append(asyncio.ensure_future(self.clock.sleep_until(self._sleeping_until)))
        self._asleep = True
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._asleep = False
            self._sleeping_until = None
            for waiting in waits:
                waiting.cancel()

    async def idle(self, turns: int = 10_000) -> None:
        """Return once the running scheduler is asleep with nothing due and no delivery
        in flight (for tests, which move the clock and then wait for this)."""
        for _ in range(turns):
            if self._tasks:
                await asyncio.wait(set(self._tasks))
            await asyncio.sleep(0)
            due = self._heap and self._heap[0].due <= self.clock()
            if self._asleep and not self._wake.is_set() and not self._tasks and not due:
                return
        raise RuntimeError("the scheduler did not settle: is it running?")

    # -- one delivery ----------------------------------------------------------------------

    async def _deliver(self, entry: DueEntry, claimed: bool = False) -> None:
        marker = (entry.person, entry.reminder_id)
        if marker in self._in_flight:
            return  # the same entry is being delivered: that task drops it
        self._in_flight[marker] = entry
        try:
            if not claimed and not await self.records.claim(entry):
                return  # another instance delivers it, or has delivered it
            if outbox.is_reply(entry.reminder_id):
                await self._deliver_replies(entry)
            else:
                await self._deliver_reminder(entry)
        finally:
            del self._in_flight[marker]

    async def _deliver_replies(self, entry: DueEntry) -> None:
        async with self.records.sending.hold(entry.person):
            given_up: list[outbox.Reply] = []
            claim = outbox.claim(entry, self.clock(), given_up)
            claimed = await self.records.update(entry.person, claim, known=(entry,))
            outbox.report_given_up(self.records.observers, entry.person, given_up)
            if claimed is not None:
                key, replies = claimed
                await outbox.send(
                    self.records, key, replies, self.deliver, self.clock, self.reply_delays
                )

    async def _deliver_reminder(self, entry: DueEntry) -> None:
        claimed = await self.records.update(entry.person, self._claim(entry), known=(entry,))
        if claimed is None:
            return
        key, messages = claimed
        try:
            await self.deliver(key, messages)
        except Exception as error:
            if outbox.asked_wait(error):
                log.info("a reminder to %s waits for flood control", key.platform)
            else:
                log.warning(
                    "reminder delivery to %s failed: %s", key.platform, type(error).__name__
                )
            await self.records.update(entry.person, self._failed(entry, error), known=(entry,))
            return
        await self.records.update(entry.person, self._sent(entry), known=(entry,))

    def _reminder(
        self, record: PersonRecord, entry: DueEntry, statuses: Iterable[Status]
    ) -> Reminder | None:
        stored = record.reminders.get(entry.reminder_id)
        if stored is None:
            return None
        reminder = Reminder.from_json(stored)
        if reminder.status not in statuses or reminder.due != entry.due:
            return None
        return reminder

    def _now(self, record: PersonRecord) -> datetime:
        return self.clock().astimezone(zone_of(record, self.records.default_timezone))

    def _claim(
        self, entry: DueEntry
    ) -> Callable[[PersonRecord], tuple[ConversationKey, list[Outbound]] | None]:
        def claim(record: PersonRecord) -> tuple[ConversationKey, list[Outbound]] | None:
            reminder = self._reminder(record, entry, INDEXED)
            if reminder is None:
                return None  # gone, acted upon, or moved: the entry is dropped
            if reminder.status == Status.SENDING and reminder.resent:
                # a ping cut short by a crash twice: maybe sent twice already
                given_up = reminder.step(Step.GIVE_UP, error="interrupted twice while sending")
                put(record, given_up)
                note(record, given_up, self._now(record), "Reminder not sent a third time")
                self._report(entry, given_up, FAILED)
                return None
            claimed = reminder.step(
                Step.CLAIM,
                attempts=reminder.attempts + 1,
                resent=reminder.resent or reminder.status == Status.SENDING,
            )
            put(record, claimed)
            return claimed.address, ping(record, claimed)

        return claim

    def _sent(self, entry: DueEntry) -> Callable[[PersonRecord], None]:
        def sent(record: PersonRecord) -> None:
            reminder = self._reminder(record, entry, (Status.SENDING,))
            if reminder is not None:  # else the person acted on it already
                now = self._now(record)
                done = reminder.step(Step.SENT, sent_at=now.astimezone(UTC))
                put(record, done)
                note(record, done, now, "Reminder sent")
                self._report(entry, done, SENT)

        return sent

    def _failed(self, entry: DueEntry, error: Exception) -> Callable[[PersonRecord], None]:
        def failed(record: PersonRecord) -> None:
            reminder = self._reminder(record, entry, (Status.SENDING,))
            if reminder is None:
                return
            now = self._now(record)
            if asked := outbox.asked_wait(error):  # flood control: a wait, not a failure
                held = reminder.step(
                    Step.RETRY,
                    due=(now + asked).astimezone(UTC),
                    first_due=reminder.first_due or entry.due,
                )
                put(record, held)
                return
            failures = reminder.failures + 1
            if failures > len(self.retry_delays):
                given_up = reminder.step(
                    Step.GIVE_UP, failures=failures, error=type(error).__name__
                )
                put(record, given_up)
                note(record, given_up, now, f"Reminder could not be sent ({failures} tries)")
                self._report(entry, given_up, FAILED)
                return
            retry = reminder.step(
                Step.RETRY,
                failures=failures,
                error=type(error).__name__,
                due=(now + self.retry_delays[failures - 1]).astimezone(UTC),
                first_due=reminder.first_due or entry.due,
            )
            put(record, retry)
            self._report(entry, retry, RETRY)

        return failed

    def _report(self, entry: DueEntry, reminder: Reminder, outcome: str) -> None:
        """Tell the observers how a ping ended (a log line, the metrics), and how late it
        is on the time first set (retries included)."""
        first_due = reminder.first_due or entry.due
        done = ReminderDone(
            person=entry.person,
            kind=reminder.kind,
            case_id=reminder.case_id,
            late=(self.clock() - first_due).total_seconds(),
            attempts=reminder.attempts,
            outcome=outcome,
        )
        self.records.observers.reminder(done)
