"""Discord on two instances sharing one PostgreSQL database: an interaction both are
given (the fake Discord sends every interaction to every gateway connection) is
applied once, and answered once, by whichever instance gets the person first.

The Telegram equivalent (the same webhook update posted to two instances) is in
tests/test_instances.py."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket

from adapters.discord_bot import sync_commands
from bot.config import load_settings
from bot.engine import Engine
from bot.observe import DUPLICATE, OK, Observer, TurnDone
from storage import PersonKey
from storage.postgres import PostgresStore, upgrade_database
from tests.chat import Clock
from tests.fakes.discord import FakeDiscord, Interaction, Message
from tests.test_discord_adapter import SHOP, Bot, options_on

ACK_WITHIN = 2.5
"""Seconds before an instance defers: the other instance's turn and answer come first
(Discord allows 3), so the test does not hang on the machine's load."""


class Outcomes(Observer):
    """The outcome of every turn an instance ran."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def turn(self, done: TurnDone) -> None:
        self.seen.append(done.outcome)


class Instances:
    """Two Discord bots, each with its engine and store on one database."""

    def __init__(self, fake: FakeDiscord, bots: list[Bot], outcomes: list[Outcomes]) -> None:
        self.fake, self.bots, self.outcomes = fake, bots, outcomes
        self.user = fake.person("ana")
        self.channel = fake.dm(self.user)

    def turns(self) -> int:
        return sum(len(outcome.seen) for outcome in self.outcomes)

    async def settled(self, sent: Awaitable[Interaction]) -> Interaction:
        """The interaction, once both instances have run their turn of it."""
        before = self.turns()
        interaction = await sent
        while self.turns() < before + len(self.bots):
            await asyncio.sleep(0.01)
        for bot in self.bots:
            assert bot.adapter is not None
            await bot.adapter.settled()
        return interaction


@pytest.fixture
async def instances(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> AsyncIterator[Instances]:
    await upgrade_database(database_url)
    async with FakeDiscord() as fake, contextlib.AsyncExitStack() as stack:
        monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
        settings = load_settings({"DISCORD_BOT_TOKEN": fake.token}, env_file=tmp_path / ".env")
        await sync_commands(settings)
        clock = Clock()
        bots, outcomes = [], []
        for _ in range(2):
            store = await PostgresStore.open(database_url)
            stack.push_async_callback(store.close)
            bot = Bot(fake, settings, store)
            engine = Engine(store, clock=clock)
            outcomes.append(Outcomes())
            engine.observers.add(outcomes[-1])
            await bot.start(engine, ack_within=ACK_WITHIN)
            stack.push_async_callback(bot.stop)
            bots.append(bot)
        yield Instances(fake, bots, outcomes)


def press(fake: FakeDiscord, user: dict, message: Message, option: str) -> Awaitable[Interaction]:
    """Press the button of `message` whose stamped data carries `option`."""
    (custom_id,) = (
        button["custom_id"]
        for button in message.buttons()
        if button["custom_id"].partition("|")[2] == option
    )
    return fake.press(user, message, custom_id)


async def test_an_interaction_both_instances_get_is_applied_and_answered_once(
    instances: Instances,
) -> None:
    fake, user = instances.fake, instances.user
    opened = await instances.settled(fake.slash(user, instances.channel, "new"))
    assert SHOP in options_on(opened.messages)
    shown = opened.messages[-1]
    picked = await instances.settled(press(fake, user, shown, SHOP))

    for interaction in (opened, picked):
        assert len(interaction.callbacks) == 1, "one answer to the interaction"
    outcomes = sorted(o for outcome in instances.outcomes for o in outcome.seen)
    assert outcomes == sorted([OK, DUPLICATE] * 2), "each applied by one instance only"
    store = instances.bots[0].store
    record = await store.load(PersonKey("discord", user["id"]))
    assert list(record.cases) == ["c1"], "/dispute new opened one case"
    (case,) = record.cases.values()
    assert case["facts"]["merchant"]["playbook"] == "amazon"
    assert case["question"] == "problem"
    assert picked.in_place and picked.messages == [picked.original]
    assert fake.rejections == [], "neither instance touched an interaction the other answered"
