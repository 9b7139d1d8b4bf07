"""DISCORD_SHARD: instances split Discord's gateway shards, each connecting its own one,
against the fake Discord; a person's turns on two instances stay in order through the
store (test_instances.py)."""

from __future__ import annotations

from pathlib import Path

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket

from adapters.discord_bot import DiscordAdapter
from bot.config import load_settings
from storage import MemoryStore
from tests.discord_chat import Bot
from tests.fakes.discord import FakeDiscord


async def test_two_instances_connect_one_shard_each(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    async with FakeDiscord() as fake:
        monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
        bots = []
        for shard in ("0/2", "1/2"):
            settings = load_settings(
                {"DISCORD_BOT_TOKEN": fake.token, "DISCORD_SHARD": shard},
                env_file=tmp_path / ".env",
            )
            bots.append(Bot(fake, settings, MemoryStore()))
            await bots[-1].start()
        for bot in bots:
            await bot.stop()

    assert sorted(fake.shards) == [[0, 2], [1, 2]]


@pytest.mark.parametrize("shard", ["2/2", "1", "one/two", "-1/2"])
def test_a_shard_that_is_not_id_of_count_is_a_problem(shard: str, tmp_path: Path) -> None:
    settings = load_settings(
        {"DISCORD_BOT_TOKEN": "a.b.c", "DISCORD_SHARD": shard}, env_file=tmp_path / ".env"
    )

    assert any("DISCORD_SHARD" in problem for problem in DiscordAdapter.problems(settings))


def test_no_shard_set_is_no_problem(tmp_path: Path) -> None:
    settings = load_settings({"DISCORD_BOT_TOKEN": "a.b.c"}, env_file=tmp_path / ".env")

    assert DiscordAdapter.problems(settings) == []
