"""A reminder as a typed record, and what a turn does to the reminders of a record.

`PersonRecord.reminders[id]` holds `Reminder.to_json()`; the keys are the ones stored
since the first version, so records saved before this type existed load unchanged.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from bot.reminders.lifecycle import INDEXED, Status, Step, advance
from flows.records import TimelineEntry
from flows.reminders import ReminderCancel, ReminderRequest
from storage import ConversationKey, DueEntry, PersonKey, PersonRecord
from storage.base import JSONDict

_TIMES = ("due", "created", "first_due", "sent_at", "done_at")
"""Fields held as ISO 8601 text in the record."""


@dataclass(frozen=True, slots=True)
class Reminder:
    """One reminder of a case: what to say, when, to whom, and how far it got.

    Attributes:
        due: when it is (next) due, in UTC; a retry moves it, `first_due` keeps the first.
        address: the conversation to ping (where it was set).
        attempts: pings started; `failures`: pings the platform refused.
        resent: already sent once more after a crash cut a ping short.
    """

    id: str
    case_id: str
    kind: str
    text: str
    due: datetime
    address: ConversationKey
    status: Status = Status.PENDING
    slot: str = ""
    detail: str = ""
    source: str = ""
    created: datetime | None = None
    attempts: int = 0
    failures: int = 0
    error: str = ""
    resent: bool = False
    first_due: datetime | None = None
    snoozed: int = 0
    sent_at: datetime | None = None
    done_at: datetime | None = None
    outcome: str = ""
    reason: str = ""

    def step(self, step: Step, **changes: Any) -> Reminder:
        """This reminder after a lifecycle step (and other changes)."""
        return replace(self, status=advance(self.status, step), **changes)

    def to_json(self) -> JSONDict:
        stored: JSONDict = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, datetime):
                value = value.astimezone(UTC).isoformat()
            elif isinstance(value, ConversationKey):
                value = {
                    "platform": value.platform,
                    "user_id": value.user_id,
                    "chat_id": value.chat_id,
                }
            if value or field.name in ("slot", "attempts"):
                stored[field.name] = str(value) if isinstance(value, Status) else value
        return stored

    @classmethod
    def from_json(cls, stored: JSONDict) -> Reminder:
        known = {field.name for field in fields(cls)}
        values = {name: value for name, value in stored.items() if name in known}
        for name in _TIMES:
            if values.get(name):
                values[name] = datetime.fromisoformat(values[name]).astimezone(UTC)
            else:
                values.pop(name, None)
        address = values["address"]
        values["address"] = ConversationKey(
            address["platform"], address["user_id"], address["chat_id"]
        )
        values["status"] = Status(values.get("status", Status.PENDING))
        return cls(**values)


def reminders_of(record: PersonRecord) -> list[Reminder]:
    return [Reminder.from_json(stored) for stored in record.reminders.values()]


def put(record: PersonRecord, reminder: Reminder) -> None:
    record.reminders[reminder.id] = reminder.to_json()


def due_index(person: PersonKey, record: PersonRecord) -> set[DueEntry]:
    """The due entries the record's reminders need: one per pending or sending reminder."""
    return {
        DueEntry(reminder.due, person, reminder.id)
        for reminder in reminders_of(record)
        if reminder.status in INDEXED
    }


def zone_of(record: PersonRecord, default: str) -> ZoneInfo:
    return ZoneInfo(record.profile.get("timezone", default))


def local(stamp: datetime, zone: tzinfo | None) -> str:
    return f"{stamp.astimezone(zone):%a %-d %b %H:%M}"


def note(record: PersonRecord, reminder: Reminder, now: datetime, text: str) -> None:
    """Put what happened to a reminder on its case's timeline (`now` in the person's zone)."""
    case = record.cases.get(reminder.case_id)
    if case is not None:
        entry = TimelineEntry(now, "reminder", f"{text}: {reminder.text}")
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
        for reminder in reminders_of(record):
            if (
                reminder.case_id == cancel.case_id
                and reminder.status == Status.PENDING
                and reminder.kind in cancel.kinds
                and (reminder.case_id, reminder.slot) not in slots
            ):
                cancelled = reminder.step(Step.CANCEL, reason=cancel.reason)
                put(record, cancelled)
                note(record, cancelled, now, f"Reminder cancelled ({cancel.reason})")
    for request in requests:
        _request(record, key, now, request)
    _let_go_of_old(record)


FINISHED_KEPT = 50
"""Reminders done with (sent, done, cancelled) kept in the record; older ones are let go
(each is on its case's timeline), so a record does not grow with every reminder ever set."""


def _let_go_of_old(record: PersonRecord) -> None:
    finished = [
        r for r in reminders_of(record) if r.status in (Status.SENT, Status.DONE, Status.CANCELLED)
    ]
    for reminder in sorted(finished, key=lambda r: r.due)[:-FINISHED_KEPT]:
        del record.reminders[reminder.id]


def _request(
    record: PersonRecord, key: ConversationKey, now: datetime, request: ReminderRequest
) -> None:
    wanted: dict[str, Any] = {
        "case_id": request.case_id,
        "kind": request.kind,
        "slot": request.slot,
        "text": request.text,
        "detail": request.detail,
        "source": request.source,
        "due": request.due.astimezone(UTC),
    }
    same_slot = next(
        (
            reminder
            for reminder in reminders_of(record)
            if request.slot
            and reminder.status == Status.PENDING
            and (reminder.case_id, reminder.slot) == (request.case_id, request.slot)
        ),
        None,
    )
    if same_slot is not None:
        if any(getattr(same_slot, name) != value for name, value in wanted.items()):
            moved = replace(same_slot, **wanted)
            put(record, moved)
            note(record, moved, now, f"Reminder moved to {local(request.due, now.tzinfo)}")
        return
    reminder = Reminder(id=_new_id(record), address=key, created=now.astimezone(UTC), **wanted)
    put(record, reminder)
    note(record, reminder, now, f"Reminder set for {local(request.due, now.tzinfo)}")


def _new_id(record: PersonRecord) -> str:
    """Short and random, so an old ping never hits a new reminder, even after /forget."""
    while (reminder_id := f"r{secrets.token_hex(4)}") in record.reminders:
        continue
    return reminder_id


def snooze(record: PersonRecord, reminder: Reminder, due: datetime, now: datetime) -> None:
    snoozed = reminder.step(
        Step.SNOOZE,
        due=due.astimezone(UTC),
        failures=0,
        resent=False,
        first_due=None,
        snoozed=reminder.snoozed + 1,
    )
    put(record, snoozed)
    note(record, snoozed, now, f"Reminder snoozed until {local(due, now.tzinfo)}")


def finish(record: PersonRecord, reminder: Reminder, now: datetime, how: str) -> None:
    """The person answered the ping (`how` says with what, on the timeline)."""
    done = reminder.step(Step.DONE, done_at=now.astimezone(UTC), outcome=how)
    put(record, done)
    note(record, done, now, how)
