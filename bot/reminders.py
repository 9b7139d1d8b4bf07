"""Reminders: kept in the person's record, indexed by due time, pinged by one scheduler.

**Where a reminder lives.** In the person's record (`PersonRecord.reminders[id]`): its
case, due time (UTC), kind, text, status, attempts and the address to ping (platform,
user, chat). The store's due index (`Store.add_due` …) holds one `DueEntry` per
reminder that is `pending` or `sending`, so that the scheduler never reads the whole
store. The engine keeps the index in step with the record on every save (see
`Engine.commit`): an entry is written *before* the record that needs it, and removed
*after* the record that no longer needs it, so a crash can leave an entry too many
(dropped when it wakes: the record decides) but never a reminder without one.

**The scheduler.** At start it reads the index once into a heap (O(pending), once);
then it sleeps until the earliest due time or until a turn schedules an earlier one
(O(log n) per reminder scheduled, whatever the number pending). A due entry is
delivered in its own task, at most `concurrency` at a time:

1. under the person's lock, load the record; a reminder that is gone, no longer
   pending, or due at another time drops the entry; else mark it `sending`
   (attempts + 1) and save;
2. outside the lock, ping the person through `deliver` (the adapter of its platform);
3. under the lock again: mark it `sent`, put it on the case's timeline, save, and drop
   the entry. A delivery that raised is retried after `RETRY_DELAYS` (1, 5 and 30
   minutes), then marked `failed` (listed by /reminders, on the timeline).

**The guarantee: at least once, at most twice.** A reminder whose ping may have gone
but was not recorded (the process died between steps 2 and 3) is found `sending` at the
next start, and sent again once, marked `resent`; found `sending` a second time, it is
not sent a third time but marked `failed` (interrupted twice), so it is never silently
dropped. A delivery that raised counts as not delivered. A reminder that fell due while
the bot was down is sent once at start. One failing reminder never holds up another.

**Ping buttons** carry `R|<reminder id>|<action>` (upper-case R: never a flow button's
stamp), checked against the reminder's status rather than a stamp, as a ping may be
answered hours later: done, snooze an hour or a day, escalate (the case's next step);
a check-in asks yes or no. An action on a reminder already acted upon is answered kindly.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import secrets
from collections.abc import Awaitable, Callable, Collection, Iterable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from bot.casefile import status_line
from bot.events import Button, Outbound
from flows.records import TimelineEntry
from flows.reminders import CHECK_IN, ReminderCancel, ReminderRequest
from flows.text import join, plain, rich
from storage import ConversationKey, DueEntry, PersonKey, PersonRecord

if TYPE_CHECKING:
    from bot.engine import Engine

log = logging.getLogger(__name__)

PENDING, SENDING, SENT, DONE, FAILED, CANCELLED = (
    "pending", "sending", "sent", "done", "failed", "cancelled",
)  # fmt: skip
INDEXED = (PENDING, SENDING)
"""Statuses that keep a reminder in the due index."""
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
DATA_PREFIX = "R|"

Deliver = Callable[[ConversationKey, list[Outbound]], Awaitable[None]]
"""Sends a ping to a conversation: the adapter of its platform (`Adapter.send`)."""


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


# -- reminders in a record ----------------------------------------------------------------


def due_of(reminder: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(reminder["due"]).astimezone(UTC)


def due_index(person: PersonKey, record: PersonRecord) -> set[DueEntry]:
    """The due entries the record needs: one per pending or sending reminder."""
    return {
        DueEntry(due_of(reminder), person, reminder_id)
        for reminder_id, reminder in record.reminders.items()
        if reminder.get("status") in INDEXED
    }


def zone_of(record: PersonRecord, default: str) -> ZoneInfo:
    return ZoneInfo(record.profile.get("timezone", default))


def local(stamp: datetime, zone: tzinfo | None) -> str:
    return f"{stamp.astimezone(zone):%a %-d %b %H:%M}"


def note(record: PersonRecord, reminder: dict[str, Any], now: datetime, text: str) -> None:
    """Put what happened to a reminder on its case's timeline (`now` in the person's zone)."""
    case = record.cases.get(reminder["case_id"])
    if case is not None:
        entry = TimelineEntry(now, "reminder", f"{text}: {reminder['text']}")
        case["timeline"].append(entry.to_json())


def apply(
    record: PersonRecord,
    key: ConversationKey,
    now: datetime,
    cancels: Iterable[ReminderCancel],
    requests: Iterable[ReminderRequest],
) -> None:
    """A turn's reminder effects on the record: cancels first, then new reminders.

    A request for a slot the case already has pending updates that reminder in place (a
    cancel in the same turn leaves it to the request), so recomputing deadlines with
    nothing changed changes nothing.
    """
    requests = list(requests)
    slots = {(request.case_id, request.slot) for request in requests if request.slot}
    for cancel in cancels:
        for reminder in record.reminders.values():
            if (
                reminder["case_id"] == cancel.case_id
                and reminder["status"] == PENDING
                and reminder.get("kind") in cancel.kinds
                and (reminder["case_id"], reminder.get("slot")) not in slots
            ):
                reminder.update(status=CANCELLED, reason=cancel.reason)
                note(record, reminder, now, f"Reminder cancelled ({cancel.reason})")
    for request in requests:
        _put(record, key, now, request)


def _put(
    record: PersonRecord, key: ConversationKey, now: datetime, request: ReminderRequest
) -> None:
    fields = {
        "case_id": request.case_id,
        "kind": request.kind,
        "slot": request.slot,
        "text": request.text,
        "detail": request.detail,
        "source": request.source,
        "due": request.due.astimezone(UTC).isoformat(),
    }
    same_slot = next(
        (
            reminder
            for reminder in record.reminders.values()
            if request.slot
            and reminder["status"] == PENDING
            and (reminder["case_id"], reminder.get("slot")) == (request.case_id, request.slot)
        ),
        None,
    )
    if same_slot is not None:
        if any(same_slot.get(name) != value for name, value in fields.items()):
            same_slot.update(fields)
            note(record, same_slot, now, f"Reminder moved to {local(request.due, now.tzinfo)}")
        return
    reminder_id = _new_id(record)
    record.reminders[reminder_id] = {
        "id": reminder_id,
        **fields,
        "status": PENDING,
        "attempts": 0,
        "created": now.astimezone(UTC).isoformat(),
        "address": {"platform": key.platform, "user_id": key.user_id, "chat_id": key.chat_id},
    }
    note(
        record,
        record.reminders[reminder_id],
        now,
        f"Reminder set for {local(request.due, now.tzinfo)}",
    )


def _new_id(record: PersonRecord) -> str:
    """Short and random, so an old ping never hits a new reminder, even after /forget."""
    while (reminder_id := f"r{secrets.token_hex(4)}") in record.reminders:
        continue
    return reminder_id


def snooze(record: PersonRecord, reminder: dict[str, Any], due: datetime, now: datetime) -> None:
    reminder.update(status=PENDING, due=due.astimezone(UTC).isoformat(), failures=0)
    reminder.pop("resent", None)
    reminder.pop("first_due", None)
    reminder["snoozed"] = reminder.get("snoozed", 0) + 1
    note(record, reminder, now, f"Reminder snoozed until {local(due, now.tzinfo)}")


def finish(record: PersonRecord, reminder: dict[str, Any], now: datetime, how: str) -> None:
    """The person answered the ping (`how` says with what, on the timeline)."""
    reminder.update(status=DONE, done_at=now.astimezone(UTC).isoformat(), outcome=how)
    note(record, reminder, now, how)


# -- the ping -------------------------------------------------------------------------------


def ping(record: PersonRecord, reminder: dict[str, Any]) -> list[Outbound]:
    """The message a due reminder sends, with its buttons."""
    case = record.cases.get(reminder["case_id"])
    parts = [rich("⏰ **Reminder**")]
    if case is not None:
        parts.append(status_line(case))
    parts.append(plain(reminder["text"]))
    if reminder.get("detail"):
        parts.append(rich("_{detail}_", detail=reminder["detail"]))
    if reminder.get("source"):
        parts.append(rich("Source: {source}", source=reminder["source"]))

    def button(label: str, action: str) -> Button:
        return Button(label, f"{DATA_PREFIX}{reminder['id']}|{action}")

    rows: tuple[tuple[Button, ...], ...]
    if reminder.get("kind") == CHECK_IN:
        rows = (
            (button("👍 Yes", "yes"), button("👎 No", "no")),
            (button("⏰ Ask me tomorrow", "1d"),),
        )
    else:
        rows = (
            (button("✅ Done", "done"), button("⬆️ Escalate", "escalate")),
            (button("⏰ In 1 hour", "1h"), button("⏰ Tomorrow", "1d")),
        )
    return [Outbound(join(parts), rows)]


def parse_data(data: str) -> tuple[str, str] | None:
    """`R|r12|done` → ('r12', 'done'); None for any other button."""
    if not data.startswith(DATA_PREFIX):
        return None
    reminder_id, _, action = data.removeprefix(DATA_PREFIX).partition("|")
    return (reminder_id, action) if reminder_id and action else None


# -- the scheduler --------------------------------------------------------------------------


class Scheduler:
    """Sends reminders when they fall due; see the module's docstring for the guarantee.

    Built at start-up (it reads the due index then) and hooked to the engine, which
    tells it of every reminder a turn schedules.

    Args:
        engine: the engine whose store holds the reminders and whose locks guard them.
        deliver: sends a ping to a conversation (the adapter of its platform).
        clock: the time and a way to sleep until a moment.
        platforms: the platforms `deliver` reaches (None: all). Reminders of the others
            are left in the index, untouched, for a run that has their adapter.
        concurrency: deliveries in flight at once.
    """

    def __init__(
        self,
        engine: Engine,
        deliver: Deliver,
        clock: Clock | None = None,
        *,
        platforms: Collection[str] | None = None,
        retry_delays: tuple[timedelta, ...] = RETRY_DELAYS,
        concurrency: int = 16,
    ) -> None:
        self.engine = engine
        self.deliver = deliver
        self.clock = clock or WallClock()
        self.retry_delays = retry_delays
        self.concurrency = concurrency
        self.platforms = None if platforms is None else frozenset(platforms)
        self._heap = [entry for entry in engine.store.due_entries() if self._serves(entry)]
        heapq.heapify(self._heap)
        self._wake = asyncio.Event()
        self._sleeping_until: datetime | None = None
        self._asleep = False
        self._in_flight: dict[tuple[PersonKey, str], DueEntry] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False
        engine.on_due = self.schedule

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

    async def run(self) -> None:
        """Deliver due reminders until cancelled."""
        try:
            while not self._stopping:
                self._launch_due()
                await self._sleep()
        finally:
            for task in list(self._tasks):
                task.cancel()

    async def stop(self, timeout: float) -> None:
        """Launch no more pings, and give those in flight `timeout` seconds to go out (one
        cut short is sent again at the next start: see the guarantee above)."""
        self._stopping = True
        self._wake.set()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    def _launch_due(self) -> None:
        now = self.clock()
        while self._heap and self._heap[0].due <= now and len(self._tasks) < self.concurrency:
            entry = heapq.heappop(self._heap)
            task = asyncio.create_task(self._deliver(entry), name=f"reminder {entry.reminder_id}")
            self._tasks.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._wake.set()
        if not task.cancelled() and task.exception() is not None:
            # The type only: an exception's text may carry case content.
            log.error("reminder delivery crashed: %s", type(task.exception()).__name__)
            log.debug("reminder delivery crashed", exc_info=task.exception())

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

    async def _deliver(self, entry: DueEntry) -> None:
        marker = (entry.person, entry.reminder_id)
        if marker in self._in_flight:
            return  # the same reminder is being delivered: that task drops its entry
        self._in_flight[marker] = entry
        try:
            claimed = await self.engine.update(entry.person, self._claim(entry), known=(entry,))
            if claimed is None:
                return
            key, messages = claimed
            try:
                await self.deliver(key, messages)
            except Exception as error:
                log.warning(
                    "reminder delivery to %s failed: %s", key.platform, type(error).__name__
                )
                await self.engine.update(entry.person, self._failed(entry, error), known=(entry,))
                return
            await self.engine.update(entry.person, self._sent(entry), known=(entry,))
        finally:
            del self._in_flight[marker]

    def _reminder(self, record: PersonRecord, entry: DueEntry, status: tuple[str, ...]) -> Any:
        reminder = record.reminders.get(entry.reminder_id)
        if (
            reminder is None
            or reminder.get("status") not in status
            or due_of(reminder) != entry.due
        ):
            return None
        return reminder

    def _now(self, record: PersonRecord) -> datetime:
        return self.clock().astimezone(zone_of(record, self.engine.default_timezone))

    def _claim(
        self, entry: DueEntry
    ) -> Callable[[PersonRecord], tuple[ConversationKey, list[Outbound]] | None]:
        def claim(record: PersonRecord) -> tuple[ConversationKey, list[Outbound]] | None:
            reminder = self._reminder(record, entry, INDEXED)
            if reminder is None:
                return None  # gone, acted upon, or moved: the entry is dropped
            now = self._now(record)
            if reminder["status"] == SENDING:  # a ping cut short by a crash, maybe sent
                if reminder.get("resent"):
                    reminder.update(status=FAILED, error="interrupted twice while sending")
                    note(record, reminder, now, "Reminder not sent a third time")
                    return None
                reminder["resent"] = True
            reminder.update(status=SENDING, attempts=reminder.get("attempts", 0) + 1)
            address = reminder["address"]
            key = ConversationKey(address["platform"], address["user_id"], address["chat_id"])
            return key, ping(record, reminder)

        return claim

    def _sent(self, entry: DueEntry) -> Callable[[PersonRecord], None]:
        def sent(record: PersonRecord) -> None:
            reminder = self._reminder(record, entry, (SENDING,))
            if reminder is not None:  # else the person acted on it already
                now = self._now(record)
                reminder.update(status=SENT, sent_at=now.astimezone(UTC).isoformat())
                note(record, reminder, now, "Reminder sent")

        return sent

    def _failed(self, entry: DueEntry, error: Exception) -> Callable[[PersonRecord], None]:
        def failed(record: PersonRecord) -> None:
            reminder = self._reminder(record, entry, (SENDING,))
            if reminder is None:
                return
            now = self._now(record)
            failures = reminder.get("failures", 0) + 1
            reminder.update(failures=failures, error=type(error).__name__)
            if failures > len(self.retry_delays):
                reminder["status"] = FAILED
                note(record, reminder, now, f"Reminder could not be sent ({failures} tries)")
                return
            retry = now + self.retry_delays[failures - 1]
            reminder.update(status=PENDING, due=retry.astimezone(UTC).isoformat())
            reminder.setdefault("first_due", entry.due.isoformat())

        return failed
