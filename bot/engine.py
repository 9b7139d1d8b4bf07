"""The conversation engine: one turn = load the person, run the session, save once.

Two events of the same person never interleave (a lock per person: their record is
saved whole, so two chats of one person must queue too); different people run
concurrently. Buttons carry a stamp of the prompt they were offered with, so a press
from an old message, a second press of the same button, or a press after a restart
is recognised and answered kindly instead of acting twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from bot import buttons
from bot.events import Inbound, Outbound
from bot.locks import KeyedLocks
from bot.session import Session
from flows.dialogue import ReminderRequest
from flows.text import RichText
from storage import ConversationKey, PersonRecord, Store

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Engine:
    """Runs conversation turns over a store; shared by every adapter in the process.

    Args:
        store: where people's records live.
        clock: the current time (tests move it).
        default_timezone: for people who have not set one.
    """

    def __init__(self, store: Store, clock: Clock = utc_now, default_timezone: str = "UTC") -> None:
        self.store = store
        self.clock = clock
        self.default_timezone = default_timezone
        self._locks = KeyedLocks()

    async def drain(self, timeout: float) -> bool:
        """Wait for the turns in flight to finish (at shutdown); False if time ran out."""
        try:
            await asyncio.wait_for(self._locks.idle(), timeout)
        except TimeoutError:
            return False
        return True

    async def handle(self, event: Inbound) -> list[Outbound]:
        """Run one turn and return the messages to send back, in order."""
        started = time.perf_counter()
        person = event.key.person
        async with self._locks.hold(person):
            record = await self.store.load(person)
            session = Session(record, event.key, self.clock(), self.default_timezone)
            result = session.handle(event)
            _store_reminders(record, event.key, result.reminders)
            rows = buttons.stamp(record.profile, result.replies, session.step())
            outbound = [
                Outbound(reply.text, row) for reply, row in zip(result.replies, rows, strict=True)
            ]
            outbound += [Outbound(RichText(), attachment=file) for file in result.attachments]
            if result.forget:
                await self.store.delete(person)
            else:
                await self.store.save(person, record)
        log.debug(
            "turn %s in %.1f ms", type(event).__name__, (time.perf_counter() - started) * 1000
        )
        return outbound


def _store_reminders(
    record: PersonRecord, key: ConversationKey, requests: list[ReminderRequest]
) -> None:
    """Keep the turn's reminder requests in the person's record, addressed to this chat."""
    for request in requests:
        reminder_id = uuid.uuid4().hex[:12]
        record.reminders[reminder_id] = {
            "id": reminder_id,
            "case_id": request.case_id,
            "due": request.due.astimezone(UTC).isoformat(),
            "kind": request.kind,
            "text": request.text,
            "status": "pending",
            "address": {"platform": key.platform, "user_id": key.user_id, "chat_id": key.chat_id},
        }
