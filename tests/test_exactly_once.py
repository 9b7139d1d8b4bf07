"""Each inbound event is applied once: one the platform delivers again is left alone."""

from __future__ import annotations

from bot.engine import Engine
from bot.events import Command, EventId, TextMessage
from storage import ConversationKey, MemoryStore, PersonKey
from tests.chat import Chat, Story, answer_until, current_fact

KEY = ConversationKey("test", "ann", "ann")


def said(text: str, number: int, stream: str = "test") -> TextMessage:
    return TextMessage(KEY, text, EventId(stream, number))


async def facts(engine: Engine) -> dict[str, object]:
    record = await engine.store.load(PersonKey("test", "ann"))
    return record.cases[record.profile["active_case"]]["facts"]


async def at_item_question(chat: Chat) -> None:
    await chat.say("/new")
    await answer_until(chat, Story(), stop="item")


async def test_a_typed_answer_delivered_again_is_not_taken_as_the_next_answer() -> None:
    chat = Chat(user="ann")
    await at_item_question(chat)
    answer = said("Blue kettle", 7)

    first = await chat.send(answer)
    asked_next = current_fact(chat)
    again = await chat.send(answer)

    assert first and again == []
    stored = await facts(chat.engine)
    assert stored["item"] == "Blue kettle"
    assert asked_next != "item" and asked_next not in stored
    await chat.say("/status")
    assert current_fact(chat) == asked_next


async def test_a_new_delivered_again_opens_one_case() -> None:
    engine = Engine(MemoryStore())
    new = Command(KEY, "new", "", EventId("test", 1))
    await engine.handle(new)
    assert await engine.handle(new) == []
    record = await engine.store.load(PersonKey("test", "ann"))
    assert list(record.cases) == ["c1"]


async def test_events_a_little_out_of_order_are_each_applied_once() -> None:
    engine = Engine(MemoryStore())
    await engine.handle(Command(KEY, "new", "", EventId("test", 10)))
    for number in (13, 11, 12):
        assert await engine.handle(Command(KEY, "status", "", EventId("test", number)))
    for number in (10, 11, 12, 13):
        assert await engine.handle(Command(KEY, "status", "", EventId("test", number))) == []


async def test_the_memory_of_applied_events_stays_small() -> None:
    engine = Engine(MemoryStore())
    for number in range(200):
        await engine.handle(Command(KEY, "status", "", EventId("test", number)))
    record = await engine.store.load(PersonKey("test", "ann"))
    assert len(str(record.conversations)) < 1000
    assert await engine.handle(Command(KEY, "status", "", EventId("test", 3))) == []


async def test_a_new_terminal_session_counts_its_lines_afresh() -> None:
    engine = Engine(MemoryStore())
    assert await engine.handle(Command(KEY, "start", "", EventId("console:1", 1)))
    assert await engine.handle(Command(KEY, "start", "", EventId("console:2", 1)))


async def test_unordered_ids_count_only_the_same_number_as_the_same_event() -> None:
    """Telegram presses are known by their update id, which may restart anywhere: a
    lower number than the last is a new press, the same number is the same press; and
    they keep the typed messages' record as it is."""
    engine = Engine(MemoryStore())
    await engine.handle(Command(KEY, "new", "", EventId("test", 10)))
    for number in (900, 5, 901):
        status = Command(KEY, "status", "", EventId("press", number, ordered=False))
        assert await engine.handle(status)
        assert await engine.handle(status) == []
    assert await engine.handle(Command(KEY, "status", "", EventId("test", 10))) == []
    assert await engine.handle(Command(KEY, "status", "", EventId("test", 11)))
