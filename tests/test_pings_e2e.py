"""Reminder pings end to end: a person sets one in chat, the clock moves, the ping
arrives through the real platform library, and its buttons work there.

The scheduler runs beside the real adapter over one engine, on the test clock; the
adapters talk to the fake Telegram and Discord services.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket

from adapters.discord_bot import DiscordAdapter, sync_commands
from adapters.discord_bot.forms import ANSWER_KIND
from adapters.telegram import TelegramAdapter
from bot.adapter import route
from bot.config import load_settings
from bot.engine import Engine
from bot.reminders import DATA_PREFIX, Scheduler
from bot.reminders.outbox import REPLY_DELAYS
from storage import PersonKey, TinyDBStore
from tests.chat import Clock
from tests.discord_chat import SHOP, Bot, Person, options_on, read
from tests.fakes.discord import FakeDiscord, Message
from tests.fakes.telegram import FakeTelegram, SentMessage
from tests.telegram_chat import USER
from tests.telegram_chat import Person as TelegramPerson


@asynccontextmanager
async def pinging(
    engine: Engine,
    adapter: TelegramAdapter | DiscordAdapter,
    clock: Clock,
    reply_delays: tuple[timedelta, ...] = REPLY_DELAYS,
) -> AsyncIterator[Scheduler]:
    scheduler = Scheduler(
        engine, route([adapter]), clock, platforms=[adapter.name], reply_delays=reply_delays
    )
    task = asyncio.create_task(scheduler.run())
    try:
        yield scheduler
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@dataclass
class TelegramRun:
    fake: FakeTelegram
    engine: Engine
    store: TinyDBStore
    clock: Clock
    scheduler: Scheduler


@asynccontextmanager
async def telegram_with_reminders(data: Path) -> AsyncIterator[TelegramRun]:
    """The Telegram bot and the reminder scheduler on one engine, on the test clock."""
    clock = Clock()
    async with FakeTelegram() as fake:
        fake.add_user(USER, "Robin")
        settings = load_settings(
            {
                "TELEGRAM_BOT_TOKEN": fake.token,
                "TELEGRAM_API_BASE_URL": fake.base_url,
                "TELEGRAM_CHAT_PACE": "0",
            },
            env_file=data / "absent.env",
        )
        store = TinyDBStore(data)
        engine = Engine(store, clock=clock)
        adapter = TelegramAdapter(engine, settings)
        running = asyncio.create_task(adapter.run())
        await fake.wait_for(lambda f: f.commands)
        try:
            async with pinging(engine, adapter, clock) as scheduler:
                yield TelegramRun(fake, engine, store, clock, scheduler)
        finally:
            adapter.stop()
            await running


PING_ACTIONS = ["done", "escalate", "1h", "1d"]
"""What a ping's buttons do, in order (bot/reminders/ping.py)."""


async def reminder_set(run: TelegramRun, text: str) -> str:
    """`/remind` typed in Telegram; the id of the reminder that stored, once answered."""
    mark = len(run.fake.sent)
    run.fake.user_says(USER, f"/remind {text}")
    await run.fake.wait_for(lambda f: len(f.sent) > mark, what="an answer to /remind")
    [reminder] = (await run.store.load(PersonKey("telegram", str(USER)))).reminders.values()
    return str(reminder["id"])


def pings_of(fake: FakeTelegram, reminder_id: str) -> list[SentMessage]:
    """The messages whose buttons act, or acted before an edit, on that reminder (its ping)."""
    data = f"{DATA_PREFIX}{reminder_id}|done"
    return [
        m
        for m in fake.sent
        if any(data in json.dumps(markup) for markup in (m.reply_markup, *m.history))
    ]


async def test_a_reminder_pings_the_telegram_chat_and_its_buttons_work(tmp_path: Path) -> None:
    async with telegram_with_reminders(tmp_path) as run:
        fake, clock, scheduler = run.fake, run.clock, run.scheduler
        person = TelegramPerson(fake, run.engine)
        await person.says("/new", "merchant")
        reminder_id = await reminder_set(run, "in 2 hours call the seller")
        clock.advance(hours=1)
        await scheduler.idle()
        assert pings_of(fake, reminder_id) == []
        clock.advance(hours=1, minutes=1)
        await scheduler.idle()
        ping = await fake.wait_for(lambda f: next(iter(pings_of(f, reminder_id)), None))
        assert "call the seller" in ping.visible_text
        assert ping.options == [f"{reminder_id}|{action}" for action in PING_ACTIONS]
        mark = len(fake.sent)
        fake.user_presses(USER, ping.message_id, f"{DATA_PREFIX}{reminder_id}|done")
        await fake.wait_for(lambda f: len(f.sent) > mark, what="an answer to Done")
        assert ping.buttons == [], "the ping's keyboard goes once pressed"
        clock.advance(days=2)
        await scheduler.idle()
    record = await run.store.load(PersonKey("telegram", str(USER)))
    assert record.reminders[reminder_id]["status"] == "done"
    assert len(pings_of(fake, reminder_id)) == 1


async def test_a_ping_to_someone_who_blocked_the_bot_is_retried_then_recorded_failed(
    tmp_path: Path,
) -> None:
    async with telegram_with_reminders(tmp_path) as run:
        person = TelegramPerson(run.fake, run.engine)
        await person.says("/new", "merchant")
        reminder_id = await reminder_set(run, "in 1 hour call the seller")
        run.fake.user_blocks_bot(USER)
        for minutes in (61, 1, 5, 30):
            run.clock.advance(minutes=minutes)
            await run.scheduler.idle()
    record = await run.store.load(PersonKey("telegram", str(USER)))
    [reminder] = record.reminders.values()
    assert reminder["status"] == "failed"
    refused = [
        c
        for c in run.fake.calls_to("sendMessage")
        if c.status == 403 and f"{reminder_id}|done" in json.dumps(c.params.get("reply_markup"))
    ]
    assert reminder["id"] == reminder_id
    assert len(refused) == 4, "the first try and three retries"


@pytest.fixture
async def discord_bot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Bot]:
    async with FakeDiscord() as fake:
        monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
        settings = load_settings({"DISCORD_BOT_TOKEN": fake.token}, env_file=tmp_path / ".env")
        await sync_commands(settings)
        runner = Bot(fake, settings, TinyDBStore(tmp_path))
        yield runner
        await runner.stop()
        assert fake.rejections == []


async def test_a_reminder_set_in_a_server_pings_by_dm_and_its_buttons_work(
    discord_bot: Bot,
) -> None:
    engine = Engine(discord_bot.store, clock=discord_bot.clock)
    adapter = await discord_bot.start(engine)
    async with pinging(engine, adapter, discord_bot.clock) as scheduler:
        person = Person(discord_bot, "max", in_server=True)
        await person.slash("new")
        await person.slash("remind", when="in 2 days", what="chase the refund")
        record = await discord_bot.store.load(person.key.person)
        [reminder] = record.reminders.values()
        assert (reminder["text"], reminder["status"]) == ("chase the refund", "pending")
        assert person.text(), "the slash command is answered"
        discord_bot.clock.advance(days=2, minutes=1)
        await scheduler.idle()
        fake = discord_bot.fake
        done = f"{DATA_PREFIX}{reminder['id']}|done"

        def acts(message: Message) -> bool:
            return any(str(b.get("custom_id")).endswith(done) for b in message.buttons())

        await fake.wait(lambda: any(acts(m) for m in fake.channel_messages))
        [ping] = [m for m in fake.channel_messages if acts(m)]
        assert ping.channel_id == int(fake.dm(person.user)["id"])
        assert "chase the refund" in read(ping)
        [custom_id] = [b["custom_id"] for b in ping.buttons() if b["custom_id"].endswith(done)]
        pressed = await fake.press(person.user, ping, custom_id)
        await fake.wait(lambda: pressed.acknowledged)
        await asyncio.wait_for(adapter.settled(), 5)
        assert pressed.messages, "the press is answered"
        record = await discord_bot.store.load(person.key.person)
        assert record.reminders[reminder["id"]]["status"] == "done"


async def test_a_ping_leaves_the_open_question_and_its_form_alone(discord_bot: Bot) -> None:
    from bot.events import Button, Outbound
    from flows.text import plain

    adapter = await discord_bot.start()
    person = Person(discord_bot, "nia")
    asked = await person.slash("new")
    [question] = [m for m in asked.messages if SHOP in options_on([m])]  # the first question
    done = Button("✅ Done", "R|r1|done")
    await adapter.send(person.key, [Outbound(plain("⏰ Reminder: call back"), ((done,),))])
    opened = await person.opens(ANSWER_KIND, on=question)
    assert opened.modal is not None, "the question's form still opens after a ping"
