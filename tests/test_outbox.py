"""Durable replies: saved with their turn, sent after it, retried when the platform
fails, sent once more after a crash, never lost and never out of order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.events import ButtonPress, Command, EventId, Outbound, TextMessage
from bot.metrics import Metrics
from bot.reminders import Reminder, Scheduler, Status, outbox
from bot.reminders.lifecycle import IllegalStep, Step, advance
from flows.text import Block, Snippet, join, plain, quote, rich
from storage import ConversationKey, PersonKey, TinyDBStore
from tests.chat import Chat
from tests.pings import Crash, Pings, scheduling

KEY = ConversationKey("test", "ann", "ann")
PERSON = KEY.person


def said(pings: Pings) -> list[list[str]]:
    return pings.said("ann")


WELCOMED = ["disclaimer", "welcome"]
"""What /start sends a newcomer: the disclaimer, then the welcome with its buttons."""


async def stored_replies(chat: Chat) -> list[outbox.Reply]:
    record = await chat.store.load(PERSON)
    return outbox.replies_of(record.conversations.get(KEY.chat_id, {}))


async def test_a_reply_is_sent_after_its_turn_and_then_let_go() -> None:
    chat = Chat(user="ann")
    pings = Pings()
    await chat.engine.answer(Command(KEY, "start"), pings)
    assert said(pings) == [WELCOMED]
    assert await stored_replies(chat) == []
    assert list(chat.store.due_entries()) == []


async def test_a_reply_the_platform_refuses_is_retried_with_backoff_until_it_goes() -> None:
    chat = Chat(user="ann")
    pings = Pings(failing={"ann"})
    async with scheduling(chat, pings) as running:
        await chat.engine.answer(Command(KEY, "start"), pings)
        assert pings.sent == [] and pings.tries == 1
        [waiting] = await stored_replies(chat)
        assert waiting.status == Status.PENDING and waiting.failures == 1

        await running.at(seconds=4)
        assert pings.tries == 1  # not before its time
        await running.at(seconds=2)
        assert pings.tries == 2  # the platform is still down
        pings.failing.clear()
        await running.at(seconds=15)
    assert said(pings) == [WELCOMED]
    assert await stored_replies(chat) == []
    assert list(chat.store.due_entries()) == []


async def test_replies_stay_in_order_while_an_earlier_one_waits() -> None:
    chat = Chat(user="ann")
    pings = Pings(failing={"ann"})
    async with scheduling(chat, pings) as running:
        await chat.engine.answer(Command(KEY, "start"), pings)
        pings.failing.clear()
        await chat.engine.answer(Command(KEY, "help"), pings)
        assert pings.sent == []  # the second waits behind the first
        await running.at(seconds=6)
    assert said(pings) == [WELCOMED, ["help"]]


def counted(chat: Chat) -> Metrics:
    """The metrics of the chat's engine, from now on."""
    metrics = Metrics()
    chat.engine.observers.add(metrics)
    return metrics


def given_up(metrics: Metrics) -> float | None:
    """`fairshake_replies_failed_total`: the replies the engine gave up."""
    return metrics.registry.get_sample_value("fairshake_replies_failed_total", {"platform": "test"})


async def test_one_that_never_goes_is_kept_as_failed_and_others_still_go() -> None:
    chat = Chat(user="ann")
    metrics = counted(chat)
    pings = Pings(failing={"ann"})
    async with scheduling(chat, pings, reply_delays=outbox.REPLY_DELAYS[:2]) as running:
        await chat.engine.answer(Command(KEY, "start"), pings)
        await chat.engine.answer(Command(KEY, "help"), pings)
        await running.at(seconds=6)
        await running.at(seconds=16)  # the first gives up; the second's first try fails
        pings.failing.clear()
        await running.at(seconds=6)
    [failed] = [r for r in await stored_replies(chat) if r.status == Status.FAILED]
    assert failed.failures == 3
    assert (failed.messages, failed.error) == ((), "ConnectionError"), "no body kept"
    assert said(pings) == [["help"]]
    assert given_up(metrics) == 1  # one reply given up, however many tries it had


async def test_a_flood_control_wait_is_waited_out_and_never_counts_as_a_failed_try() -> None:
    """Held back more times than the backoff has tries, the reply still goes: each wait
    is the one asked, no try is counted, and nothing is given up or counted as failed."""
    chat = Chat(user="ann")
    metrics = counted(chat)
    pings = Pings(held_back=len(outbox.REPLY_DELAYS) + 2, held_for=2)

    async with scheduling(chat, pings) as running:
        await chat.engine.answer(Command(KEY, "start"), pings)
        [waiting] = await stored_replies(chat)
        assert waiting.status == Status.PENDING and waiting.failures == 0
        assert waiting.due == chat.clock() + timedelta(seconds=2), "the wait asked, no backoff"
        for _ in range(pings.held_back + 1):  # each hold left, then the send
            await running.at(seconds=2)
    assert said(pings) == [WELCOMED]
    assert await stored_replies(chat) == []
    assert given_up(metrics) in (None, 0)


async def test_a_reply_cut_short_by_a_crash_is_sent_once_more_at_the_next_start(
    tmp_path,
) -> None:
    chat = Chat(TinyDBStore(tmp_path), user="ann")
    crashing = Pings(crashes=1)
    with pytest.raises(Crash):
        await chat.engine.answer(Command(KEY, "start"), crashing)
    [cut_short] = await stored_replies(chat)
    assert cut_short.status == Status.SENDING

    after = chat.restarted(TinyDBStore(tmp_path))
    pings = Pings()
    async with scheduling(after, pings):
        pass
    assert said(pings) == [WELCOMED]
    assert await stored_replies(after) == []


async def test_cut_short_twice_it_is_not_sent_a_third_time(tmp_path) -> None:
    chat = Chat(TinyDBStore(tmp_path), user="ann")
    with pytest.raises(Crash):
        await chat.engine.answer(Command(KEY, "start"), Pings(crashes=1))
    again = Pings(crashes=1)
    async with scheduling(chat.restarted(TinyDBStore(tmp_path)), again):
        pass
    last = Pings()
    after = chat.restarted(TinyDBStore(tmp_path))
    metrics = counted(after)
    async with scheduling(after, last):
        pass
    assert len(again.sent) == 1 and last.sent == []
    [failed] = await stored_replies(after)
    assert failed.status == Status.FAILED
    assert given_up(metrics) == 1


async def test_a_redelivered_event_sends_nothing_new() -> None:
    chat = Chat(user="ann")
    pings = Pings()
    event = TextMessage(KEY, "hello", EventId("test", 1))
    await chat.engine.answer(event, pings)
    await chat.engine.answer(event, pings)
    assert len(pings.sent) == 1


async def test_forget_still_says_it_is_done() -> None:
    chat = Chat(user="ann")
    pings = Pings()
    await chat.say("/forget")
    yes = chat.button("forget:yes")
    await chat.engine.answer(ButtonPress(KEY, yes.data), pings)
    assert said(pings) == [["forget.done"]]
    assert (await chat.store.load(PERSON)).is_empty()


def test_the_lifecycle_allows_only_its_edges() -> None:
    assert advance(Status.PENDING, Step.CLAIM) == Status.SENDING
    assert advance(Status.SENDING, Step.RETRY) == Status.PENDING
    for status, step in [
        (Status.SENT, Step.CANCEL),
        (Status.DONE, Step.CLAIM),
        (Status.CANCELLED, Step.SNOOZE),
        (Status.PENDING, Step.SENT),
    ]:
        with pytest.raises(IllegalStep):
            advance(status, step)


def test_a_reminder_stored_in_todays_format_loads_and_saves_the_same() -> None:
    stored = {
        "id": "r1a2b3c4d",
        "case_id": "c1",
        "kind": "custom",
        "slot": "",
        "text": "call back",
        "detail": "",
        "source": "",
        "due": "2026-11-13T09:00:00+00:00",
        "status": "sent",
        "attempts": 1,
        "created": "2026-11-11T15:00:00+00:00",
        "address": {"platform": "telegram", "user_id": "7", "chat_id": "7"},
        "sent_at": "2026-11-13T09:00:01+00:00",
    }
    reminder = Reminder.from_json(stored)
    assert reminder.status == Status.SENT
    assert reminder.due == datetime(2026, 11, 13, 9, tzinfo=UTC)
    assert reminder.address == ConversationKey("telegram", "7", "7")
    assert Reminder.from_json(reminder.to_json()) == reminder
    assert {k: v for k, v in reminder.to_json().items() if v} == {
        k: v for k, v in stored.items() if v
    }


def test_the_scheduler_needs_no_engine() -> None:
    class Records:
        default_timezone = "UTC"
        on_due = None
        sending = None

        def due_entries(self):
            return iter([])

        async def update(self, person: PersonKey, change, known=()):
            raise AssertionError("nothing is due")

    scheduler = Scheduler(Records(), Pings())
    assert len(scheduler) == 0


def test_a_waiting_reply_keeps_its_quotes_and_snippets() -> None:
    """A reply retried later renders as first made: lines to say still quoted (folded or
    not), the snippets to copy still offered."""
    said = join([rich("**Open**"), quote(plain("Hello.")), quote(plain("Calm."), Block.SPARE)])
    made = Outbound(said, snippets=(Snippet("Opening", "Hello."),))
    conversation: dict[str, Any] = {}
    outbox.queue(conversation, [made], datetime(2026, 11, 2, tzinfo=UTC))
    (stored,) = outbox.replies_of(conversation)
    assert stored.messages == (made,)
