"""The engine's guarantees: one turn at a time per person, people in parallel, no leaks."""

import asyncio
import logging

from bot.engine import Engine
from bot.events import ButtonPress, Command, Notice, TextMessage
from storage import ConversationKey, MemoryStore, PersonKey, PersonRecord


class SlowStore(MemoryStore):
    """A store whose loads take a while, recording when each person's turn loads and saves."""

    def __init__(self) -> None:
        super().__init__()
        self.trace: list[tuple[str, str]] = []

    async def load(self, person: PersonKey) -> PersonRecord:
        self.trace.append(("load", person.user_id))
        await asyncio.sleep(0.01)
        return await super().load(person)

    async def save(self, person: PersonKey, record: PersonRecord) -> None:
        self.trace.append(("save", person.user_id))
        await super().save(person, record)


def key(user: str, chat: str = "chat") -> ConversationKey:
    return ConversationKey("test", user, chat)


async def test_one_persons_events_never_interleave_even_from_two_chats():
    store = SlowStore()
    engine = Engine(store)
    await asyncio.gather(
        engine.handle(Command(key("ann", "dm"), "new")),
        engine.handle(Command(key("ann", "group"), "status")),
        engine.handle(Command(key("ann", "dm"), "cases")),
    )
    assert store.trace == [("load", "ann"), ("save", "ann")] * 3


async def test_different_people_run_concurrently():
    store = SlowStore()
    engine = Engine(store)
    await asyncio.gather(
        *(engine.handle(Command(key(name), "new")) for name in ("ann", "bob", "cy"))
    )
    first_save = store.trace.index(next(step for step in store.trace if step[0] == "save"))
    assert [step[0] for step in store.trace[:first_save]] == ["load"] * 3
    assert len(engine._locks) == 0


async def test_two_quick_presses_of_one_button_act_once():
    engine = Engine(MemoryStore())
    replies = await engine.handle(Command(key("ann"), "start"))
    start = next(b for m in replies for row in m.buttons for b in row if b.label == "Start a case")
    first, second = await asyncio.gather(
        engine.handle(ButtonPress(key("ann"), start.data)),
        engine.handle(ButtonPress(key("ann"), start.data)),
    )
    assert [dict(m.details) for m in first if m.notice == Notice.CASE_OPENED] == [{"case_id": "c1"}]
    assert second == []  # answered once: the next question is not sent twice
    record = await engine.store.load(PersonKey("test", "ann"))
    assert list(record.cases) == ["c1"]


async def test_an_old_button_is_still_answered_as_stale_after_a_double_press():
    engine = Engine(MemoryStore())
    replies = await engine.handle(Command(key("ann"), "start"))
    start = next(b for m in replies for row in m.buttons for b in row if b.label == "Start a case")
    await engine.handle(ButtonPress(key("ann"), start.data))
    assert await engine.handle(ButtonPress(key("ann"), start.data)) == []
    await engine.handle(Command(key("ann"), "status"))
    stale = await engine.handle(ButtonPress(key("ann"), start.data))
    assert stale[0].notice == Notice.STALE_BUTTON


async def test_turns_log_no_case_content(caplog):
    engine = Engine(MemoryStore())
    secret = "112-9999999-8888888 my address is 1 Secret Lane"
    with caplog.at_level(logging.DEBUG):
        await engine.handle(Command(key("ann"), "new"))
        await engine.handle(TextMessage(key("ann"), secret))
        await engine.handle(TextMessage(key("ann"), "Amazon"))
        await engine.handle(TextMessage(key("ann"), secret))
    assert caplog.records, "the engine logs its turns at DEBUG"
    assert all(
        "Secret" not in r.getMessage() and "9999999" not in r.getMessage() for r in caplog.records
    )
