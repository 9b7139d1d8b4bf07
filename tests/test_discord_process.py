"""Discord with the bot as a real process (`python -m bot`'s main) against the fake
Discord: SIGKILLed between a turn's save and its answer, the reply still comes, once.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket

from adapters.discord_bot import sync_commands
from bot.config import load_settings
from bot.reminders.outbox import replies_of
from storage import PersonKey, TinyDBStore
from tests.bot_process import BotProcess, environment
from tests.fakes.discord import FakeDiscord

STARTS = """
import sys, yarl, discord.http
from discord.gateway import DiscordWebSocket
discord.http.Route.BASE = sys.argv[1]
DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sys.argv[2])
from bot.cli import main
sys.exit(main([]))
"""
"""`fairshake`, pointed at the fake Discord (discord.py has no setting for its address)."""


class DiscordProcess(BotProcess):
    """One bot process over `data`, talking to the fake Discord only."""

    def __init__(self, fake: FakeDiscord, data: Path) -> None:
        self.discord = fake
        self.data = data
        self.settings: dict[str, str] = {}
        self.process: asyncio.subprocess.Process | None = None

    def environment(self) -> dict[str, str]:
        return {**environment(self.data), "DISCORD_BOT_TOKEN": self.discord.token}

    async def start(self, *, wait: bool = True) -> DiscordProcess:
        """Start it, and return once it is connected to the gateway."""
        connected = self.discord.identified
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            STARTS,
            self.discord.api_base,
            self.discord.gateway_url,
            env=self.environment(),
            cwd=self.data.parent,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        await self.discord.wait(lambda: self.discord.identified > connected, timeout=60)
        return self


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as service:
        monkeypatch.setattr(discord.http.Route, "BASE", service.api_base)
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(service.gateway_url))
        settings = load_settings({"DISCORD_BOT_TOKEN": service.token}, env_file=tmp_path / ".env")
        await sync_commands(settings)
        yield service


async def test_killed_between_the_save_and_the_answer_the_reply_comes_by_dm_once(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    bot = await DiscordProcess(fake, data).start()
    ana = fake.person("ana")
    opened = await fake.slash(ana, fake.general, "new")
    await fake.wait(lambda: opened.acknowledged, timeout=30)
    [question] = opened.messages
    amazon = next(b["custom_id"] for b in question.buttons() if b["label"] == "Amazon")

    fake.holding = asyncio.Event()  # the answer is on its way: the turn was saved
    await fake.press(ana, question, amazon)
    await fake.wait(lambda: fake.held == 1, timeout=30)
    await bot.kill()
    fake.holding.set()
    fake.holding = None

    dm = int(fake.dm(ana)["id"])
    restarted = await DiscordProcess(fake, data).start()
    try:
        await fake.wait(lambda: any(m.channel_id == dm for m in fake.channel_messages), 30)
    finally:
        await restarted.stop()
    [answer] = [m for m in fake.channel_messages if m.channel_id == dm]
    assert answer.selects(), "the next question (the problem), with its menu"
    store = TinyDBStore(data)
    try:
        record = await store.load(PersonKey("discord", ana["id"]))
        assert record.cases["c1"]["facts"]["merchant"]["playbook"] == "amazon"
        [conversation] = record.conversations.values()
        assert replies_of(conversation) == [], "sent, and let go: never a third time"
    finally:
        await store.close()
