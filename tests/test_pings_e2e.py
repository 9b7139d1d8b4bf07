"""Reminder pings end to end: a person sets one in chat, the clock moves, the ping
arrives through the real platform library, and its buttons work there.

The scheduler runs beside the real adapter over one engine, on the test clock; the
adapters talk to the fake Telegram and Discord services.
"""

from __future__ import annotations

import asyncio
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
from adapters.telegram import TelegramAdapter
from bot.adapter import route
from bot.config import load_settings
from bot.engine import Engine
from bot.reminders import Scheduler
from bot.reminders.outbox import REPLY_DELAYS
from storage import PersonKey, TinyDBStore
from tests.chat import Clock
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import FakeTelegram
from tests.test_discord_adapter import Bot, Person
from tests.test_telegram_adapter import USER
from tests.test_telegram_adapter import Person as TelegramPerson


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
            {"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url},
            env_file=data / "absent.env",
        )
        store = TinyDBStore(data)
        engine = Engine(store, clock=clock)
        adapter = TelegramAdapter(engine, settings)
        running = asyncio.create_task(adapter.run())
        await fake.wait_for(lambda f: f.commands)
        try:
            async with pinging(engine, adapter, clock) as scheduler:
                yield TelegramRun(fake, store, clock, scheduler)
        finally:
            adapter.stop()
            await running


async def test_a_reminder_pings_the_telegram_chat_and_its_buttons_work(tmp_path: Path) -> None:
    async with telegram_with_reminders(tmp_path) as run:
        fake, clock, scheduler = run.fake, run.clock, run.scheduler
        person = TelegramPerson(fake)
        await person.says("/new", "Which shop")
        await person.says("/remind in 2 hours call the seller", "I'll remind you")
        clock.advance(hours=1)
        await scheduler.idle()
        assert not any(
            "call the seller" in m.visible_text and "Reminder" in m.visible_text for m in fake.sent
        )
        clock.advance(hours=1, minutes=1)
        await scheduler.idle()
        ping = await fake.wait_for(
            lambda f: next((m for m in f.sent if "⏰ Reminder" in m.visible_text), None)
        )
        assert "call the seller" in ping.visible_text
        assert ping.button_labels == ["✅ Done", "⬆️ Escalate", "⏰ In 1 hour", "⏰ Tomorrow"]
        await person.presses("✅ Done", "Marked done")
        assert ping.buttons == [], "the ping's keyboard goes once pressed"
        clock.advance(days=2)
        await scheduler.idle()
    assert [m.visible_text.count("⏰ Reminder") for m in fake.sent].count(1) == 1


async def test_a_ping_to_someone_who_blocked_the_bot_is_retried_then_recorded_failed(
    tmp_path: Path,
) -> None:
    async with telegram_with_reminders(tmp_path) as run:
        person = TelegramPerson(run.fake)
        await person.says("/new", "Which shop")
        await person.says("/remind in 1 hour call the seller", "Not your time zone?")
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
        if c.status == 403 and "Reminder" in c.params["text"]
    ]
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
        assert "remind you" in person.text()
        discord_bot.clock.advance(days=2, minutes=1)
        await scheduler.idle()
        fake = discord_bot.fake
        await fake.wait(lambda: any("Reminder" in m.content for m in fake.channel_messages))
        [ping] = [m for m in fake.channel_messages if "Reminder" in m.content]
        assert ping.channel_id == int(fake.dm(person.user)["id"])
        assert "chase the refund" in ping.content
        done = next(b["custom_id"] for b in ping.buttons() if "Done" in b.get("label", ""))
        pressed = await fake.press(person.user, ping, done)
        await fake.wait(lambda: pressed.acknowledged)
        await asyncio.wait_for(adapter.settled(), 5)
        assert any("Marked done" in m.content for m in pressed.messages)


async def test_a_ping_leaves_the_open_question_and_its_form_alone(discord_bot: Bot) -> None:
    from bot.events import Button, Outbound
    from flows.text import plain

    adapter = await discord_bot.start()
    person = Person(discord_bot, "nia")
    asked = await person.slash("new")
    [question] = [m for m in asked.messages if "Which shop" in m.content]
    done = Button("✅ Done", "R|r1|done")
    await adapter.send(person.key, [Outbound(plain("⏰ Reminder: call back"), ((done,),))])
    opened = await person.press("Answer", on=question)
    assert opened.modal is not None, "the question's form still opens after a ping"
