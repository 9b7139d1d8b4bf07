"""A delivery that raised (the record could not be saved) is tried again, not dropped
from the scheduler until the next restart."""

from __future__ import annotations

from storage import MemoryStore, PersonKey, PersonRecord
from tests.chat import Chat, Clock
from tests.pings import Pings, scheduling
from tests.test_reminders import reminder_case, statuses


class FailingOnce(MemoryStore):
    """A store whose next save fails (a full disk for a moment) once `fail` is set."""

    fail = False

    async def save(self, person: PersonKey, record: PersonRecord) -> None:
        if self.fail:
            self.fail = False
            raise OSError(28, "No space left on device")
        await super().save(person, record)


async def test_a_delivery_whose_save_failed_is_tried_again_after_a_minute() -> None:
    store = FailingOnce()
    chat, pings = Chat(store, Clock()), Pings()
    await reminder_case(chat, "in 1 hour call the seller")
    async with scheduling(chat, pings) as running:
        store.fail = True
        await running.at(hours=1)  # marking it "sending" fails: the delivery raises
        assert pings.sent == [] and not store.fail
        await running.at(seconds=59)
        assert pings.sent == []
        await running.at(seconds=1)
        assert len(pings.sent) == 1
        await running.at(hours=2)
    assert len(pings.sent) == 1
    assert await statuses(chat) == ["sent"]
