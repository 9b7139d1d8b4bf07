"""Reminders and replies: kept in the person's record, indexed by due time, delivered by
one scheduler. Everything that happens to a ping or a reply after a turn asked for it.

**Where a reminder lives.** In the person's record (`PersonRecord.reminders[id]`, a
`Reminder`): its case, due time (UTC), kind, text, status, attempts and the address to
ping (platform, user, chat). A turn's replies live in the record too, in their
conversation's outbox (`outbox.Reply`), until confirmed sent. The store's due index
(`Store.add_due` …) holds one `DueEntry` per reminder or reply that is `pending` or
`sending`, so that the scheduler never reads the whole store. The engine keeps the
index in step with the record on every save (see `Engine.commit`): an entry is written
*before* the record that needs it, and removed *after* the record that no longer needs
it, so a crash can leave an entry too many (dropped when it wakes: the record decides)
but never a reminder or reply without one.

**One lifecycle** for both (`lifecycle.py`): pending → sending → sent / failed, with
done, cancelled and snoozes for reminders, every change through one small machine.

**The guarantee: at least once, at most twice.** A ping or reply that may have gone
but was not recorded (the process died between sending and recording it) is found
`sending` at the next start, and sent again once, marked `resent`; found `sending` a
second time, it is not sent a third time but marked `failed` (interrupted twice), so it
is never silently dropped. A delivery that raised counts as not delivered and is
retried with backoff. Something that fell due while the bot was down goes out at start.
One failing delivery never holds up another person's.

Modules: `lifecycle` (the machine), `record` (the typed reminder and a turn's
reminder effects), `ping` (the message and its buttons), `outbox` (replies),
`scheduler` (the heap and the deliveries).
"""

from __future__ import annotations

from bot.reminders import outbox
from bot.reminders.lifecycle import INDEXED, Status
from bot.reminders.outbox import Deliver
from bot.reminders.ping import DATA_PREFIX, parse_data, ping
from bot.reminders.record import Reminder, apply, finish, local, reminders_of, snooze
from bot.reminders.record import due_index as reminders_due_index
from bot.reminders.scheduler import RETRY_DELAYS, Clock, Records, Scheduler, WallClock
from storage import DueEntry, PersonKey, PersonRecord


def due_index(person: PersonKey, record: PersonRecord) -> set[DueEntry]:
    """Every due entry the record needs: its pending reminders and its unsent replies."""
    return reminders_due_index(person, record) | outbox.due_index(person, record)


__all__ = [
    "DATA_PREFIX",
    "INDEXED",
    "RETRY_DELAYS",
    "Clock",
    "Deliver",
    "Records",
    "Reminder",
    "Scheduler",
    "Status",
    "WallClock",
    "apply",
    "due_index",
    "finish",
    "local",
    "parse_data",
    "ping",
    "reminders_of",
    "snooze",
]
