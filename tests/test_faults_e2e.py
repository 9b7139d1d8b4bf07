"""Faults an operator meets, with the bot as a real process against the fake Telegram."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import damaged
from bot.menu import COMMANDS
from bot.ratelimit import SLOW_DOWN
from storage import PersonKey, TinyDBStore
from storage.keys import person_digest
from tests.bot_process import BotProcess, converse
from tests.chat import Story
from tests.fakes.telegram import FakeTelegram

USER = 5151
ORDERS = Path(__file__).parent / "orders"
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
    for fact in ("merchant", "problem", "seller"):
        await converse(fake, USER, getattr(story, fact))
    update, _ = await converse(fake, USER, story.delivery_date)  # saved, then killed
    await bot.kill()
    assert (await active_case(data))["question"] == "outcome"

    fake.deliver_again(update)  # never confirmed: Telegram sends it once more
    bot = await BotProcess(fake, data).start()
    await converse(fake, USER, "/status")
    status, logged = await bot.stop()

    assert status == 0, logged
    case = await active_case(data)
    assert case["question"] == "outcome"
    assert "outcome" not in case["facts"]
    assert "delivered again" in logged


async def test_a_message_whose_turn_was_running_at_a_sigkill_is_answered_after_the_restart(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    """The bot reads a sent order file (getFile) in the middle of its turn: killed there,
    nothing of the turn is saved, and Telegram, never told the update arrived, sends it
    again; the restarted bot applies it once and answers it."""
    data = tmp_path / "data"
    bot = await BotProcess(fake, data).start()
    await converse(fake, USER, "/new")
    fake.hold("getFile")
    order = (ORDERS / "walmart_confirmation.txt").read_bytes()
    fake.user_sends_document(USER, "walmart_confirmation.txt", order, "text/plain")
    await fake.wait_for(lambda f: f.calls_to("getFile"), 30, "the file asked for")
    await bot.kill()
    fake.release("getFile")
    assert "order_number" not in (await active_case(data))["facts"]
    assert fake.pending_updates, "the update in flight was not confirmed"

    mark = len(fake.sent)
    bot = await BotProcess(fake, data).start()
    answer = await fake.wait_for(
        lambda f: next((m for m in f.sent[mark:] if m.chat_id == USER and m.buttons), None),
        30,
        "the answer to the order file",
    )
    status, logged = await bot.stop()  # the turns in flight finish first

    assert status == 0, logged
    case = await active_case(data)
    assert case["facts"]["order_number"] == "2000123-45678901"
    assert case["question"] == "problem", "applied once: the next question is still open"
    assert [m for m in fake.sent[mark:] if m.chat_id == USER and m.buttons] == [answer]
    assert fake.pending_updates == [], "a clean stop confirms every update it answered"


def help_replies(fake: FakeTelegram) -> list[str]:
    """The /help replies sent: those listing every command of the menu (bot/menu.py)."""
    return [
        m.visible_text
        for m in fake.sent
        if m.chat_id == USER and all(f"/{name}" in m.visible_text for name in COMMANDS)
    ]


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
    assert all(not c.get("outbox") for c in record.conversations.values()), [
        (r["status"], r["attempts"], r["failures"], r["resent"], r["due"], r["error"])
        for c in record.conversations.values()
        for r in c.get("outbox", {}).values()
    ]


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


async def test_one_person_flooding_gets_one_slow_down_and_everyone_else_is_answered(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    others = [6001, 6002, 6003]
    for user in others:
        fake.add_user(user, f"Other {user}")
    bot = await BotProcess(fake, tmp_path / "data", FAIRSHAKE_RATE_LIMIT="10").start()
    for n in range(300):
        fake.user_says(USER, f"hello {n}")
    for user in others:
        fake.user_says(user, "/start")

    def everyone_answered(fake: FakeTelegram) -> bool:
        return all(fake.messages_in(user) for user in others)

    await fake.wait_for(everyone_answered, 60, "the others' answers")
    await fake.wait_for(lambda f: not f.pending_updates, 60, "the flood taken in")
    status, logged = await bot.stop()

    assert status == 0, logged
    flooder = [m.visible_text for m in fake.messages_in(USER)]
    slow_downs = [text for text in flooder if text == SLOW_DOWN.plain()]
    assert len(slow_downs) == 1
    assert len(flooder) <= 10 * 3 + 1, "beyond the limit, nothing is answered"


async def test_a_reply_refused_halfway_sends_only_the_rest_when_it_is_retried(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    """The export is two documents; Telegram takes the first and refuses the second (a
    400 is not retried at once, so the outbox retries it later): the retry sends the
    second alone, so neither shows twice."""
    data = tmp_path / "data"
    bot = await BotProcess(fake, data).start()
    await converse(fake, USER, "/new")
    fake.fail_for("sendDocument", 3600, status=400, after=1)
    fake.user_says(USER, "/export")
    await fake.wait_for(
        lambda f: [c for c in f.calls_to("sendDocument") if c.status == 400], 30, "a refused file"
    )
    fake.fail_for("sendDocument", 0)
    await fake.wait_for(lambda f: len(documents(f)) >= 2, 60, "the rest of the export, retried")
    status, logged = await bot.stop()

    assert status == 0, logged
    names = documents(fake)
    assert len(names) == 2 and len(set(names)) == 2, names


def documents(fake: FakeTelegram) -> list[str]:
    return [m.document_filename for m in fake.sent if m.chat_id == USER and m.document_filename]


async def test_a_corrupt_file_is_said_plainly_and_set_aside_when_starting_fresh(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    bot = await BotProcess(fake, data).start()
    await converse(fake, USER, "/new")
    status, _ = await bot.stop()
    [path] = list((data / "people").rglob("*.json"))
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])  # torn in half

    bot = await BotProcess(fake, data).start()
    _, offer = await converse(fake, USER, "hello")
    assert [b["callback_data"] for row in offer.buttons for b in row] == [
        damaged.START_FRESH,
        damaged.DELETE_ALL,
    ]
    _, welcome = await converse(fake, USER, damaged.START_FRESH)
    status, logged = await bot.stop()

    assert status == 0, logged
    digest = person_digest(PERSON, bytes.fromhex((data / "log-secret").read_text()))
    assert digest in logged and "ERROR" in logged
    # The file named by a pattern that finds it, not by its unkeyed digest (the person).
    assert str(path.parent / "*.json") in logged and path.stem not in logged
    assert list(path.parent.glob(path.name + ".damaged-*")), "the damaged copy is kept aside"
    assert welcome.button_labels


async def test_telegram_failing_at_the_first_call_of_polling_is_tried_again(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    """Polling starts by removing any webhook; Telegram refusing that for a moment must
    not leave the bot up but never polling."""
    fake.fail_next("deleteWebhook", status=502, times=2)
    bot = await BotProcess(fake, tmp_path / "data").start()
    await converse(fake, USER, "/start")
    status, logged = await bot.stop()

    assert status == 0, logged
    assert [c.status for c in fake.calls_to("deleteWebhook")] == [502, 502, 200]
