"""One process, two platforms: `serve` runs Telegram and Discord on one loop, one store.

The real entry point (`bot.serve.serve`) is started with both tokens, each pointed at
its fake service; a person on each platform opens a case; SIGTERM stops the process
the way an operator would, and both cases are in the one store.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal

import discord
import yarl
from discord.gateway import DiscordWebSocket

from adapters.discord_bot import sync_commands
from bot.config import load_settings
from bot.serve import serve
from storage import PersonKey, TinyDBStore
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import FakeTelegram

TELEGRAM_USER = 777
SHOP = "pick:amazon"
"""An option of a new case's first question (which shop), as a press sends it back."""


async def test_telegram_and_discord_share_one_engine_and_store(tmp_path, monkeypatch):
    async with FakeTelegram() as telegram, FakeDiscord() as discord_service:
        monkeypatch.setattr(discord.http.Route, "BASE", discord_service.api_base)
        monkeypatch.setattr(
            DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(discord_service.gateway_url)
        )
        settings = load_settings(
            {
                "FAIRSHAKE_DATA_DIR": str(tmp_path / "data"),
                "TELEGRAM_BOT_TOKEN": telegram.token,
                "TELEGRAM_API_BASE_URL": telegram.base_url,
                "TELEGRAM_CHAT_PACE": "0",
                "DISCORD_BOT_TOKEN": discord_service.token,
            },
            env_file=tmp_path / "absent.env",
        )
        await sync_commands(settings)
        running = asyncio.create_task(serve(settings))
        await telegram.wait_for(lambda f: f.commands, what="Telegram's command menu")
        await discord_service.wait(lambda: discord_service.identified > 0)

        telegram.add_user(TELEGRAM_USER, "Tess")
        telegram.user_says(TELEGRAM_USER, "/new")
        await telegram.wait_for(  # the first question, which shop: its options
            lambda f: any(SHOP in m.options for m in f.messages_in(TELEGRAM_USER))
        )
        dana = discord_service.person("Dana")
        asked = await discord_service.slash(dana, discord_service.dm(dana), "new")
        await discord_service.wait(
            lambda: any(f"|{SHOP}" in json.dumps(m.components) for m in asked.messages)
        )

        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(running, 20)

    store = TinyDBStore(tmp_path / "data")
    tess = await store.load(PersonKey("telegram", str(TELEGRAM_USER)))
    dana_record = await store.load(PersonKey("discord", dana["id"]))
    assert list(tess.cases) == ["c1"]
    assert list(dana_record.cases) == ["c1"]
