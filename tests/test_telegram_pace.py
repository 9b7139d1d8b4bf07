"""Telegram's flood limits kept, for real: python-telegram-bot against the fake Bot API,
at the bot's own pace (one message a second in a chat after a burst of 3).

The fake refuses one chat's messages with a 429 and a `retry_after`; what is checked is
the order and spacing of the calls it recorded, with margins a loaded machine keeps.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from adapters.telegram_limits import CHAT_BURST
from bot.events import Button, Outbound
from bot.metrics import Metrics
from bot.session import COMMANDS
from flows.text import plain
from storage import ConversationKey
from tests.bot_process import BotProcess
from tests.fakes.telegram import Call, FakeTelegram
from tests.telegram_chat import STICKER, running

TOKEN = "123456:AAH-pacepacepacepacepace_0042"
ROBIN, SAM = 4242, 4343
WAIT = 10
"""Seconds the 429 asks for (the longest waited in place): a turn of another person's fits
in it many times over, even on a loaded machine."""
PACE = 8
"""Seconds between a chat's messages in the burst test: Sam's one message has that long."""


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(TOKEN) as server:
        server.add_user(ROBIN, "Robin")
        server.add_user(SAM, "Sam")
        yield server
        assert not server.server_errors


def sends_to(fake: FakeTelegram, chat_id: int) -> list[Call]:
    return [c for c in fake.calls_to("sendMessage") if c.params.get("chat_id") == chat_id]


def refused(fake: FakeTelegram, chat_id: int) -> Call | None:
    return next((c for c in sends_to(fake, chat_id) if c.status == 429), None)


async def test_a_429_for_one_chat_does_not_hold_up_another_persons_reply(fake, tmp_path):
    async with running(fake, tmp_path, TELEGRAM_CHAT_PACE="1"):
        fake.fail_next("sendMessage", 429, retry_after=WAIT, chat_id=ROBIN)
        fake.user_says(ROBIN, "/help")
        flood = await fake.wait_for(lambda f: refused(f, ROBIN), what="Robin's reply refused")
        fake.user_says(SAM, "/help")
        await fake.wait_for(lambda f: f.messages_in(SAM), WAIT + 20, "Sam's reply")
        await fake.wait_for(lambda f: f.messages_in(ROBIN), WAIT + 20, "Robin's reply")
    sam = [c for c in sends_to(fake, SAM) if c.status == 200]
    robin = sends_to(fake, ROBIN)
    assert [c.status for c in robin] == [429, 200], "sent again once, after the wait"
    # By order, not a clock: had the 429 paused everyone, Robin's resend (asked first)
    # would have gone first.
    assert sam[0].at < robin[1].at, "Sam's reply went while Robin's chat waited"
    assert robin[1].at - flood.at >= WAIT - 0.1
    assert len(fake.messages_in(ROBIN)) == len(fake.messages_in(SAM)) == 1


async def test_a_burst_to_one_chat_is_spread_while_another_chat_is_answered(fake, tmp_path):
    """Robin gets one note past the burst, held `PACE` seconds; Sam's message, asked
    once that note waits, comes before it. Had the pace held everyone, Sam's would have
    gone after it (asked later), so the order is checked, not a clock."""
    notes = range(CHAT_BURST + 1)
    burst = [Outbound(plain(f"Note {n}"), ((Button("Open", f"open:{n}"),),)) for n in notes]
    async with running(fake, tmp_path, TELEGRAM_CHAT_PACE=str(PACE)) as adapter:
        robin = ConversationKey("telegram", str(ROBIN), str(ROBIN))
        task = asyncio.create_task(adapter.send(robin, burst))
        await fake.wait_for(lambda f: len(f.messages_in(ROBIN)) >= CHAT_BURST, what="the burst")
        await adapter.send(ConversationKey("telegram", str(SAM), str(SAM)), burst[:1])
        await task
    robin_at = [c.at for c in sends_to(fake, ROBIN)]
    assert len(robin_at) == len(burst)
    assert robin_at[-1] - robin_at[0] >= PACE - 0.5, "the note past the burst was held"
    assert sends_to(fake, SAM)[0].at < robin_at[-1], "Sam's message did not wait behind it"


LONG_WAIT = 11
"""Seconds a 429 asks for that the limiter does not wait in place (over 10)."""
LEFT_OF_WAIT = 2
"""Seconds Telegram asks for when a send comes inside a wait it asked for before."""


@pytest.mark.parametrize("killed", [False, True], ids=["running", "killed meanwhile"])
async def test_a_long_flood_wait_leaves_the_reply_in_the_outbox_and_loses_none(
    fake, tmp_path, killed
):
    """A wait longer than the limiter waits in place leaves the reply to the outbox,
    which sends it once the wait is over.

    A bot killed meanwhile may die before the outbox kept the wait with the reply (the
    wait is known only in the process Telegram answered): the restart then finds the
    reply still *sending* and sends it once more at once, inside the wait. Real
    Telegram refuses that send again with what is left of the wait, as the fake does
    here, and the restarted bot waits that out. Either way the reply arrives once."""
    data = tmp_path / "data"
    bot = await BotProcess(fake, data, TELEGRAM_CHAT_PACE="1").start()
    try:
        fake.fail_next("sendMessage", 429, retry_after=LONG_WAIT, chat_id=ROBIN)
        fake.user_says(ROBIN, "/help")
        flood = await fake.wait_for(lambda f: refused(f, ROBIN), 30, "Robin's reply refused")
        if killed:
            await bot.kill()
            fake.fail_next("sendMessage", 429, retry_after=LEFT_OF_WAIT, chat_id=ROBIN)
            bot = await BotProcess(fake, data, TELEGRAM_CHAT_PACE="1").start()
        await fake.wait_for(lambda f: f.messages_in(ROBIN), LONG_WAIT + 60, "Robin's reply")
    finally:
        await bot.stop()
    robin = sends_to(fake, ROBIN)
    assert len(fake.messages_in(ROBIN)) == 1
    if not killed:
        assert [c.status for c in robin] == [429, 200]
        assert robin[1].at - flood.at >= LONG_WAIT - 0.1, "not before the wait asked"
    else:
        assert [c.status for c in robin] == [429, 429, 200], "the restart's send refused once"
        assert robin[2].at - robin[1].at >= LEFT_OF_WAIT - 0.1, "then the wait left is kept"


def lists_the_commands(text: str) -> bool:
    """Whether `text` is the help: every command of the menu named in it."""
    return all(f"/{command}" in text for command in COMMANDS)


async def test_one_persons_flood_is_paced_without_holding_up_anyone_else(fake, tmp_path):
    """Robin sends more at once than one getUpdates returns; the turns the rate limit
    takes (10; one more may be taken as its minute refills) are answered at Robin's
    chat's pace, the later ones through the outbox, so they do not hold the polling
    offset: Sam's message, past the first getUpdates' 100, comes through meanwhile."""
    taken = 10
    bot = await BotProcess(
        fake, tmp_path / "data", TELEGRAM_CHAT_PACE="1", FAIRSHAKE_RATE_LIMIT=str(taken)
    ).start()
    try:
        for _ in range(120):
            fake.user_says(ROBIN, "/help")
        fake.user_says(SAM, "/help")
        await fake.wait_for(lambda f: f.messages_in(SAM), 30, "Sam's reply")

        def answered(f: FakeTelegram) -> bool:
            helps = [m for m in f.messages_in(ROBIN) if lists_the_commands(m.visible_text)]
            return len(helps) >= taken

        await fake.wait_for(answered, 60, "every turn of Robin's the rate limit took")
    finally:
        await bot.stop()
    helps = [m for m in fake.messages_in(ROBIN) if lists_the_commands(m.visible_text)]
    sam = fake.messages_in(SAM)[0]
    assert sam.seq < helps[CHAT_BURST + 1].seq, "Sam did not wait behind Robin's flood"
    robin_at = [c.at for c in sends_to(fake, ROBIN) if c.status == 200]
    assert robin_at[-1] - robin_at[0] >= taken - 2 * CHAT_BURST - 0.5, "Robin's were paced"


async def test_the_slow_down_note_to_a_busy_chat_goes_once_its_wait_is_over(fake, tmp_path, caplog):
    """Robin's first turns spend his chat's burst (the pace then one message each
    `PACE` seconds); his next messages are over the rate limit, and the slow-down note
    finds his chat busy. It is sent once the chat's wait is over, not lost and not
    taken for a failed turn; neither is a hold counted as a refused reply."""
    caplog.set_level(logging.WARNING)
    taken = CHAT_BURST
    async with running(
        fake, tmp_path, TELEGRAM_CHAT_PACE=str(PACE), FAIRSHAKE_RATE_LIMIT=str(taken)
    ) as adapter:
        metrics = Metrics()
        adapter.engine.observers.add(metrics)
        for _ in range(taken):
            fake.user_says(ROBIN, "/help")
        await fake.wait_for(lambda f: len(f.messages_in(ROBIN)) == taken, what="the burst")
        for _ in range(3):
            fake.user_says(ROBIN, "/help")
        await fake.wait_for(lambda f: not f.pending_updates, what="the updates confirmed")
        assert len(fake.messages_in(ROBIN)) == taken, "the note waits for the chat's pace"
        await fake.wait_for(
            lambda f: len(f.messages_in(ROBIN)) > taken, PACE + 20, "the slow-down note"
        )
        await asyncio.sleep(0.5)  # a second note, were one wrongly sent, would show by now
    robin = fake.messages_in(ROBIN)
    assert [lists_the_commands(m.visible_text) for m in robin] == [True] * taken + [False]
    assert [c.status for c in sends_to(fake, ROBIN)] == [200] * (taken + 1)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    refusals = metrics.registry.get_sample_value(
        "fairshake_reply_refusals_total", {"platform": "telegram"}
    )
    assert refusals in (None, 0), "a flood-control hold is not a refused reply"


BACKLOG_PACE = 3
"""Seconds between Robin's messages in the backlog test: his next turn has that long."""


async def test_the_outbox_sending_a_backlog_at_the_chats_pace_does_not_hold_the_next_turn(
    fake, tmp_path
):
    """Robin's turns spend his chat's burst and leave the rest of their replies to the
    outbox, which sends them at his chat's pace. His next message, sent once the first
    of those has gone, is taken (its update confirmed) before the backlog is out: the
    outbox does not wait for his chat's slots while holding his delivery, which that
    turn needs to be saved. Had it, the update would wait for the whole backlog."""
    backlog = 3
    async with running(fake, tmp_path, TELEGRAM_CHAT_PACE=str(BACKLOG_PACE)):
        for _ in range(CHAT_BURST + backlog):
            fake.user_says(ROBIN, "/help")
        await fake.wait_for(
            lambda f: len(f.messages_in(ROBIN)) > CHAT_BURST, 30, "the backlog's first"
        )
        fake.user_says(ROBIN, "/help")
        await fake.wait_for(lambda f: not f.pending_updates, 30, "Robin's next update taken")
        sent_when_taken = len(fake.messages_in(ROBIN))
        everything = CHAT_BURST + backlog + 1
        await fake.wait_for(
            lambda f: len(f.messages_in(ROBIN)) == everything,
            (backlog + 1) * BACKLOG_PACE + 30,
            "every reply",
        )
    assert sent_when_taken < CHAT_BURST + backlog, "taken before the backlog was out"
    assert [lists_the_commands(m.visible_text) for m in fake.messages_in(ROBIN)] == [
        True
    ] * everything


async def test_a_flood_of_stickers_gets_a_few_notes_and_holds_no_update(fake, tmp_path):
    """Stickers are not text, so the rate limit does not see them: each gets the note
    that only text is read. Past the chat's burst, one note waits for the chat's pace
    on its own and the rest are let go, so no sticker's update waits: all are confirmed
    while that note still waits."""
    stickers = 3 * CHAT_BURST
    async with running(fake, tmp_path, TELEGRAM_CHAT_PACE=str(PACE)):
        for _ in range(stickers):
            fake.user_sends(ROBIN, sticker=STICKER)
        await fake.wait_for(lambda f: not f.pending_updates, what="every sticker's update")
        assert len(fake.messages_in(ROBIN)) == CHAT_BURST, "the note past the burst waits"
        await fake.wait_for(
            lambda f: len(f.messages_in(ROBIN)) > CHAT_BURST, PACE + 20, "the waiting note"
        )
        await asyncio.sleep(0.5)  # another, were one wrongly sent, would show by now
    notes = fake.messages_in(ROBIN)
    assert len(notes) == CHAT_BURST + 1
    assert len({m.visible_text for m in notes}) == 1, "each the same note"


async def test_a_press_in_a_chat_a_429_paused_is_taken_without_waiting_out_the_pause(
    fake, tmp_path
):
    """Robin's chat is paused by a 429 (his reply to /help waits in the outbox), and he
    presses a button of the question before meanwhile. The press is taken, its update
    confirmed, before anything more goes to his chat: neither the edit that shows his
    choice nor the one that retires the question's keyboard waits out the pause in
    place, which would hold his turn, and every update behind it, for the whole pause.
    His replies come once it is over, the press answered once."""
    async with running(fake, tmp_path, TELEGRAM_CHAT_PACE="1"):
        fake.user_says(ROBIN, "/new")
        question = await fake.wait_for(
            lambda f: next((m for m in f.messages_in(ROBIN) if m.buttons), None),
            what="a question with buttons",
        )
        [choice, *_] = [
            str(b["callback_data"]) for row in question.buttons for b in row if "callback_data" in b
        ]
        fake.fail_next("sendMessage", 429, retry_after=WAIT, chat_id=ROBIN)
        fake.user_says(ROBIN, "/help")
        await fake.wait_for(lambda f: refused(f, ROBIN), what="Robin's reply refused")
        await fake.wait_for(lambda f: not f.pending_updates, what="the /help update taken")
        calls_before = len(fake.calls)

        fake.user_presses(ROBIN, question.message_id, choice)
        await fake.wait_for(lambda f: not f.pending_updates, WAIT + 20, "the press taken")

        to_robin = [
            c.method
            for c in fake.calls[calls_before:]
            if c.params.get("chat_id") == ROBIN and c.method != "answerCallbackQuery"
        ]
        assert to_robin == [], "the press's turn waited for Robin's chat in place"

        def after_the_question(f: FakeTelegram) -> list[bool]:
            later = [m for m in f.messages_in(ROBIN) if m.seq > question.seq]
            return [lists_the_commands(m.visible_text) for m in later]

        await fake.wait_for(
            lambda f: sorted(after_the_question(f)) == [False, True],
            WAIT + 20,
            "the /help reply and the press's, after the pause",
        )
        await asyncio.sleep(0.5)  # a reply sent twice would show by now
    assert sorted(after_the_question(fake)) == [False, True], "each answered once"
