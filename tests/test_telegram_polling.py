"""Our own getUpdates offset (adapters/telegram_polling.py), run for real against the
fake Bot API: a turn that never ends holds the offset back only for a while."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from adapters import telegram_polling
from storage import MemoryStore, PersonKey, PersonRecord
from tests.fakes.telegram import FakeTelegram
from tests.telegram_chat import USER, fake, running

__all__ = ["fake"]  # a fixture, used by name

OTHERS = [5001, 5002, 5003, 5004]


class HangingStore(MemoryStore):
    """A store whose reads of USER's record hang until `release` (a stuck disk or lock)."""

    def __init__(self) -> None:
        super().__init__()
        self.released = asyncio.Event()

    async def load(self, person: PersonKey) -> PersonRecord:
        if person.user_id == str(USER):
            await self.released.wait()
        return await super().load(person)


async def test_a_turn_that_hangs_stops_holding_the_offset_after_the_limit(
    fake: FakeTelegram, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    """USER's turn hangs in the store; the people writing after it, beyond one getUpdates
    window, are answered once the limit is past, while it still hangs."""
    monkeypatch.setattr(telegram_polling, "WINDOW", 3)
    monkeypatch.setattr(telegram_polling, "TURN_HOLD_LIMIT", 1.0)
    for user in OTHERS:
        fake.add_user(user, f"Other {user}")
    store = HangingStore()
    with caplog.at_level(logging.WARNING):
        async with running(fake, tmp_path, store):
            hung = fake.user_says(USER, "/help")
            for user in OTHERS:  # two in the window with the hung update, two past it
                fake.user_says(user, "/help")
            await fake.wait_for(
                lambda f: all(f.messages_in(user) for user in OTHERS), 30, "everyone answered"
            )
            assert hung not in fake.pending_updates, "let go of: confirmed"
            assert not fake.messages_in(USER), "its turn still hangs"
            store.released.set()
            await fake.wait_for(lambda f: f.messages_in(USER), 30, "the hung turn's answer")
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(str(hung["update_id"]) in line for line in warned), warned


class GatedStore(MemoryStore):
    """A store whose reads wait while `gate` is closed (a slow disk, on cue)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.gate.set()

    async def load(self, person: PersonKey) -> PersonRecord:
        await self.gate.wait()
        return await super().load(person)


async def test_an_update_finished_while_a_poll_was_out_is_not_run_again(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    """A getUpdates asked while a turn ran comes back with that turn's update, which has
    finished meanwhile: it is done, not run again (a press answered twice, Telegram
    refuses the second answer)."""
    store = GatedStore()
    async with running(fake, tmp_path, store) as adapter:
        store.gate.clear()
        fake.user_presses(USER, 999, "0|gone", strict=False)
        await fake.wait_for(lambda f: f.answered_callbacks, what="the press answered at once")
        fake.hold("getUpdates")
        await fake.wait_for(
            lambda f: [c for c in f.calls_to("getUpdates") if c.status is None],
            what="a poll asked while the turn runs",
        )
        store.gate.set()
        await fake.wait_for(lambda f: f.messages_in(USER), what="the turn's answer")
        await adapter._polling._one_finished.wait()  # the turn is over: the offset moved on
        fake.release("getUpdates")
        mark = len(fake.sent)
        fake.user_says(USER, "/help")
        await fake.wait_for(lambda f: len(f.sent) > mark, what="the next turn answered")
    answers = [c.status for c in fake.calls_to("answerCallbackQuery")]
    assert answers == [200], "the press was handled once"
