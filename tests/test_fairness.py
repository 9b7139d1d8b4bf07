"""Fairness and bounds: a per-person rate limit with one kind reply, caps on open cases and
waiting reminders, and a record that does not grow with every reminder ever set."""

from __future__ import annotations

import asyncio

from bot.engine import Engine
from bot.events import Command, Notice, TextMessage
from bot.ratelimit import SLOW_DOWN
from bot.reminders.record import FINISHED_KEPT
from bot.session import MAX_OPEN_CASES, MAX_PENDING_REMINDERS
from storage import ConversationKey, MemoryStore, PersonKey, PersonRecord
from tests.chat import Chat
from tests.pings import Pings, scheduling


class Seconds:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class CountingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []

    async def load(self, person: PersonKey) -> PersonRecord:
        self.loads.append(person.user_id)
        return await super().load(person)


def key(user: str) -> ConversationKey:
    return ConversationKey("test", user, user)


def limited(per_minute: int) -> tuple[Engine, Seconds, CountingStore]:
    store = CountingStore()
    engine = Engine(store, rate_limit=per_minute)
    seconds = Seconds()
    engine.limit.clock = seconds
    return engine, seconds, store


async def test_a_flood_gets_one_kind_reply_and_costs_the_store_nothing_beyond_the_limit():
    engine, seconds, store = limited(5)
    answers = [await engine.handle(TextMessage(key("flood"), f"hello {n}")) for n in range(50)]

    assert all(answers[:5])
    assert answers[5] == [answers[5][0]] and answers[5][0].text == SLOW_DOWN
    assert all(answer == [] for answer in answers[6:])
    assert store.loads.count("flood") == 5

    seconds.now += 60
    assert (await engine.handle(Command(key("flood"), "status")))[0].text != SLOW_DOWN


async def test_one_persons_flood_does_not_queue_anyone_else():
    engine, _, store = limited(10)
    flood = [engine.handle(TextMessage(key("flood"), f"spam {n}")) for n in range(1000)]
    others = [engine.handle(Command(key(f"p{n}"), "start")) for n in range(5)]
    flooded = await asyncio.gather(*flood, *others)
    answered = flooded[1000:]
    assert all(answer for answer in answered), "everyone else is answered"
    assert store.loads.count("flood") == 10, "the flood beyond the limit never reached the store"
    first_other = next(i for i, user in enumerate(store.loads) if user.startswith("p"))
    assert first_other <= 10, "the others' turns were not queued behind the flood"


async def test_open_cases_are_capped_kindly():
    chat = Chat()
    for _ in range(MAX_OPEN_CASES):
        await chat.say("/new")
    await chat.say("/new")
    record = await chat.store.load(chat.key.person)
    assert len(record.cases) == MAX_OPEN_CASES
    assert chat.told(Notice.TOO_MANY_CASES) == {"count": str(MAX_OPEN_CASES)}
    assert not chat.buttons(), "no new case, so no question"


async def test_waiting_reminders_are_capped_kindly():
    chat = Chat()
    await chat.say("/new")
    for n in range(MAX_PENDING_REMINDERS + 1):
        await chat.say(f"/remind in {n + 1} days call back")
    record = await chat.store.load(chat.key.person)
    assert len(record.reminders) == MAX_PENDING_REMINDERS
    assert chat.told(Notice.TOO_MANY_REMINDERS) == {"count": str(MAX_PENDING_REMINDERS)}


async def test_a_record_does_not_grow_with_every_reminder_ever_sent():
    chat = Chat()
    await chat.say("/new")
    async with scheduling(chat, Pings()) as running:
        for _ in range(3):
            for n in range(40):
                await chat.say(f"/remind in {n + 1} minutes call back")
            await running.at(hours=1)
    await chat.say("/status")
    record = await chat.store.load(chat.key.person)
    assert len(record.reminders) == FINISHED_KEPT
