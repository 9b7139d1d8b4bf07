"""The Telegram rate limiter on a hand-moved clock: each chat paced, replies before pings,
a 429 pausing only its chat (or all, when the limit is the bot's)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telegram.error import RetryAfter

from adapters.telegram_limits import (
    CHAT_BURST,
    FIRST_PING,
    FIRST_REPLY,
    REPLY,
    Limits,
    RepliesFirstRateLimiter,
    wait_asked,
)
from adapters.telegram_pace import Pace


class Clock:
    """Time that moves only when the test moves it; `sleep` waits for it."""

    def __init__(self) -> None:
        self.now = 0.0
        self._moved = asyncio.Condition()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        until = self.now + seconds
        async with self._moved:
            await self._moved.wait_for(lambda: self.now >= until)

    async def move(self, seconds: float) -> None:
        """Forward by `seconds`, in small steps, each letting every waiting task run."""
        end = self.now + seconds
        while self.now < end:
            self.now = min(end, self.now + 0.05)
            async with self._moved:
                self._moved.notify_all()
            await settle()


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


class Telegram:
    """Records each request the limiter lets through, with the clock's time; refuses
    those it is told to with a 429."""

    def __init__(self, clock: Clock, **limits: Any) -> None:
        self.clock = clock
        self.sent: list[tuple[str, float]] = []
        self.refuse: dict[str, list[int]] = {}
        """Per name, the `retry_after`s of 429s its next tries get."""
        self.limiter = RepliesFirstRateLimiter(Limits(**limits), clock=clock, sleep=clock.sleep)

    def send(
        self,
        name: str,
        chat_id: int | None,
        budget: str | None = REPLY,
        endpoint: str = "sendMessage",
    ) -> asyncio.Task[Any]:
        async def call() -> str:
            if self.refuse.get(name):
                raise RetryAfter(self.refuse[name].pop(0))
            self.sent.append((name, self.clock.now))
            return name

        data = {} if chat_id is None else {"chat_id": chat_id}
        request = self.limiter.process_request(call, (), {}, endpoint, data, budget)  # type: ignore[arg-type]
        return asyncio.ensure_future(request)

    def times(self, prefix: str) -> list[float]:
        return [round(at, 2) for name, at in self.sent if name.startswith(prefix)]

    def names(self) -> list[str]:
        return [name for name, _ in self.sent]


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_pace_lets_a_burst_go_then_one_a_beat_and_refills_when_quiet() -> None:
    pace = Pace(interval=1.0, burst=3)
    assert [pace.reserve(0.0) for _ in range(6)] == [0, 0, 0, 1, 2, 3]
    assert [pace.reserve(10.0) for _ in range(4)] == [10, 10, 10, 11]


def test_after_a_pause_a_pace_goes_one_a_beat() -> None:
    pace = Pace(interval=1.0, burst=3)
    pace.pause(5.0)
    assert pace.paused(2.0) == 3.0
    assert [pace.reserve(0.0) for _ in range(3)] == [5, 6, 7]
    assert not pace.idle(9.5), "its burst refills a beat at a time"
    assert pace.idle(10.0)


async def test_a_burst_to_one_chat_is_spread_while_another_chat_goes_at_once(clock) -> None:
    telegram = Telegram(clock, chat_interval=1.0, per_second=0)
    burst = [telegram.send(f"a{n}", chat_id=1) for n in range(6)]
    await settle()
    other = telegram.send("b", chat_id=2)
    await settle()
    assert other.done()
    await clock.move(3)
    await asyncio.gather(*burst)
    assert telegram.times("a") == [0] * CHAT_BURST + [1, 2, 3]
    assert telegram.times("b") == [0]


async def test_an_edit_in_a_private_chat_is_not_held_by_its_pace(clock) -> None:
    telegram = Telegram(clock, chat_interval=1.0, per_second=0)
    for n in range(CHAT_BURST):
        await telegram.send(f"message {n}", chat_id=1)
    edit = telegram.send("edit", chat_id=1, endpoint="editMessageText")
    group = [telegram.send(f"group {n}", -5, endpoint="editMessageText") for n in range(4)]
    await settle()
    assert edit.done()
    await clock.move(3)
    await asyncio.gather(*group)
    assert telegram.times("group") == [0, 0, 0, 3], "in a group edits count, 3 s apart"


async def test_the_bot_keeps_its_overall_pace_across_chats(clock) -> None:
    telegram = Telegram(clock, chat_interval=1.0, per_second=10)
    replies = [telegram.send(f"r{n}", chat_id=100 + n) for n in range(25)]
    await clock.move(3)
    await asyncio.gather(*replies)
    times = telegram.times("r")
    assert times == sorted(times)
    assert all(sum(1 for t in times if start <= t < start + 1) <= 10 for start in times)
    assert 2.35 <= times[-1] <= 2.5, "one every 0.1 s"


async def test_replies_go_before_a_ping_that_asked_first(clock) -> None:
    telegram = Telegram(clock, chat_interval=1.0, per_second=1)
    await telegram.send("ping 1", chat_id=1, budget=None)
    ping = telegram.send("ping 2", chat_id=2, budget=None)
    await settle()
    replies = [telegram.send(f"reply {n}", chat_id=10 + n) for n in range(3)]
    await clock.move(5)
    await asyncio.gather(ping, *replies)
    assert telegram.names() == ["ping 1", "reply 0", "reply 1", "reply 2", "ping 2"]


async def test_a_429_pauses_only_its_chat_and_the_request_goes_after_the_wait(clock) -> None:
    flooded: list[float] = []
    telegram = Telegram(clock, chat_interval=1.0, per_second=30)
    telegram.limiter = RepliesFirstRateLimiter(
        Limits(), on_flood=flooded.append, clock=clock, sleep=clock.sleep
    )
    telegram.refuse["a"] = [4]
    first = telegram.send("a", chat_id=1)
    await settle()
    later = telegram.send("a again", chat_id=1)
    others = [telegram.send(f"b{n}", chat_id=2 + n) for n in range(3)]
    await clock.move(0.2)  # the overall pace: 30 a second
    assert all(task.done() for task in others), "other chats are not paused"
    assert not first.done() and not later.done()
    await clock.move(5)
    await asyncio.gather(first, later)
    retried, again = telegram.times("a")
    assert 4.0 <= retried <= 4.1, "sent again once the wait asked is over"
    assert again == pytest.approx(retried + 1), "then one a beat: the burst is spent"
    assert telegram.names()[-2:] == ["a", "a again"], "the chat's order is kept"
    assert flooded == [4.0]


async def test_429s_for_two_chats_at_once_pause_the_whole_bot(clock) -> None:
    telegram = Telegram(clock, chat_interval=1.0, per_second=30)
    telegram.refuse = {"a": [3], "b": [3]}
    refused = [telegram.send("a", chat_id=1), telegram.send("b", chat_id=2)]
    await settle()
    third = telegram.send("c", chat_id=3)
    await clock.move(2)
    assert not third.done(), "a third chat waits for the bot's pause"
    await clock.move(2)
    await asyncio.gather(third, *refused)
    assert min(telegram.times("")) >= 3.0


async def test_a_429_for_a_call_without_a_chat_pauses_every_chat(clock) -> None:
    telegram = Telegram(clock)
    telegram.refuse["ack"] = [2]
    ack = telegram.send("ack", chat_id=None)
    await settle()
    message = telegram.send("message", chat_id=7)
    await clock.move(3)
    await asyncio.gather(ack, message)
    assert telegram.times("") == [2.0, 2.0]


async def test_a_long_wait_is_not_waited_in_place(clock) -> None:
    telegram = Telegram(clock, wait_in_place=10)
    telegram.refuse["a"] = [30]
    with pytest.raises(RetryAfter):
        await telegram.send("a", chat_id=1)
    with pytest.raises(RetryAfter) as during:
        await telegram.send("a again", chat_id=1)
    assert telegram.sent == [], "nothing is sent to the chat meanwhile"
    assert 29 <= wait_asked(during.value) <= 30
    other = telegram.send("b", chat_id=2)
    await clock.move(0.1)
    assert other.done(), "another chat goes meanwhile"


async def test_typing_is_not_paced_but_not_sent_during_a_pause(clock) -> None:
    telegram = Telegram(clock, chat_interval=1.0)
    paced = [telegram.send(f"message {n}", chat_id=1) for n in range(CHAT_BURST + 2)]
    await settle()
    assert await telegram.send("typing", chat_id=1, endpoint="sendChatAction") == "typing"
    telegram.refuse["flooded"] = [5]
    flooded = telegram.send("flooded", chat_id=2)
    await clock.move(0.5)
    with pytest.raises(RetryAfter):
        await telegram.send("typing 2", chat_id=2, endpoint="sendChatAction")
    await clock.move(6)
    await asyncio.gather(flooded, *paced)
    assert "typing 2" not in telegram.names()


async def test_a_turns_reply_to_a_chat_behind_its_pace_is_left_to_the_outbox(clock) -> None:
    telegram = Telegram(clock, chat_interval=1.0, per_second=0)
    for n in range(CHAT_BURST):
        await telegram.send(f"reply {n}", chat_id=1)
    waited = telegram.send("paced", chat_id=1)
    await settle()
    await clock.move(1.0)
    await waited
    with pytest.raises(RetryAfter):
        await telegram.send("behind", chat_id=1)
    assert "behind" not in telegram.names(), "nothing went: the outbox sends it later"
    again = telegram.send("from the outbox", chat_id=1, budget=None)
    await settle()
    await clock.move(1.0)
    assert await again == "from the outbox", "what the outbox sends waits for its slot"


async def test_a_turns_first_message_to_a_busy_chat_is_not_waited_for(clock) -> None:
    """Its chat's burst spent, or its chat paused by a 429, a turn's first message (or a
    ping's) raises at once with the wait (the outbox sends it then), so the turn does
    not hold the polling offset; a later message of the same reply still waits for its
    slot."""
    telegram = Telegram(clock, chat_interval=1.0, per_second=0)
    for n in range(CHAT_BURST):
        await telegram.send(f"reply {n}", chat_id=1, budget=FIRST_REPLY)
    with pytest.raises(RetryAfter) as busy:
        await telegram.send("next turn", chat_id=1, budget=FIRST_REPLY)
    assert wait_asked(busy.value) == 1
    rest = telegram.send("rest of a reply", chat_id=1, budget=REPLY)
    await settle()
    await clock.move(1.0)
    assert await rest == "rest of a reply", "a later message of a reply waits for its slot"
    telegram.refuse["refused"] = [4]
    with pytest.raises(RetryAfter) as paused:
        await telegram.send("refused", chat_id=2, budget=FIRST_REPLY)
    assert wait_asked(paused.value) == 4
    with pytest.raises(RetryAfter):
        await telegram.send("a resend from the outbox", chat_id=1, budget=FIRST_PING)
    assert not {"next turn", "refused", "a resend from the outbox"} & set(telegram.names())
    assert await telegram.send("another chat", chat_id=3, budget=FIRST_REPLY) == "another chat"
