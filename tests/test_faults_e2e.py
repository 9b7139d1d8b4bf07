"""Faults an operator meets, with the bot as a real process against the fake Telegram."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import PersonKey, TinyDBStore
from tests.bot_process import BotProcess, converse
from tests.chat import Story
from tests.fakes.telegram import FakeTelegram

USER = 5151
PERSON = PersonKey("telegram", str(USER))
TOKEN = "123456:AAH-faultsfaultsfaultsfaults_0042"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(TOKEN) as server:
        server.add_user(USER, "Robin")
        yield server
        assert not server.server_errors


async def active_case(data: Path) -> dict[str, object]:
    record = await TinyDBStore(data).load(PERSON)
    return record.cases[record.profile["active_case"]]


async def test_an_answer_delivered_again_after_a_sigkill_is_applied_once(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    bot = await BotProcess(fake, data).start()
    story = Story()
    await converse(fake, USER, "/new")
    for fact in ("merchant", "problem", "seller", "order_number"):
        await converse(fake, USER, getattr(story, fact))
    update, _ = await converse(fake, USER, story.order_date)  # saved, then killed
    await bot.kill()
    assert (await active_case(data))["question"] == "delivery_date"

    fake.deliver_again(update)  # never confirmed: Telegram sends it once more
    bot = await BotProcess(fake, data).start()
    await converse(fake, USER, "/status")
    status, logged = await bot.stop()

    assert status == 0, logged
    case = await active_case(data)
    assert case["question"] == "delivery_date"
    assert "delivery_date" not in case["facts"]
    assert "delivered again" in logged


def help_replies(fake: FakeTelegram) -> list[str]:
    return [m.visible_text for m in fake.sent if m.chat_id == USER and "/forget" in m.visible_text]


async def test_a_reply_during_a_10_second_outage_arrives_once_it_is_over(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    bot = await BotProcess(fake, tmp_path / "data").start()
    await converse(fake, USER, "/start")
    fake.fail_for("sendMessage", 10)
    fake.user_says(USER, "/help")
    await fake.wait_for(help_replies, 90, "the help, after the outage")
    status, logged = await bot.stop()

    assert status == 0, logged
    assert len(help_replies(fake)) == 1
    refused = [c for c in fake.calls_to("sendMessage") if c.status == 500]
    assert refused, "the outage refused the first tries"


async def test_a_reply_not_yet_sent_at_a_sigkill_is_sent_after_the_restart(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    bot = await BotProcess(fake, data).start()
    await converse(fake, USER, "/start")
    fake.fail_for("sendMessage", 3600)
    fake.user_says(USER, "/help")
    await fake.wait_for(
        lambda f: [c for c in f.calls_to("sendMessage") if c.status == 500], 30, "a refused send"
    )
    await bot.kill()
    assert help_replies(fake) == []

    fake.fail_for("sendMessage", 0)
    bot = await BotProcess(fake, data).start()
    await fake.wait_for(help_replies, 30, "the help, after the restart")
    status, logged = await bot.stop()

    assert status == 0, logged
    assert len(help_replies(fake)) == 1
    record = await TinyDBStore(data).load(PERSON)
    assert all(not c.get("outbox") for c in record.conversations.values())


async def test_a_second_process_on_the_same_folder_stops_at_once_and_the_first_carries_on(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first = await BotProcess(fake, data).start()
    second = await BotProcess(fake, data).start(wait=False)
    status, logged = await second.exited()

    assert status != 0
    assert str(data.resolve()) in logged and "in use" in logged
    _, reply = await converse(fake, USER, "/start")
    assert reply.button_labels
    status, logged = await first.stop()
    assert status == 0, logged
    assert data.stat().st_mode & 0o777 == 0o700
