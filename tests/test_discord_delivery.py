"""Discord replies are durable: an answer Discord refuses or never confirms is kept in the
outbox and goes later, by DM, at most once more; one that cannot go is kept as failed.

Run with the real discord.py client against the fake Discord, the reminder scheduler
beside it on the test clock (tests/test_pings_e2e.py's `pinging`); the fake plays the
outage (`down`, 503 for every message the bot sends) and a long rate limit (`limit`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import pytest

from adapters.discord_bot import DiscordAdapter
from adapters.discord_bot.render import markdown
from bot.engine import Engine
from bot.ratelimit import SLOW_DOWN
from bot.reminders import Scheduler, Status
from bot.reminders.outbox import REPLY_DELAYS, replies_of
from tests.discord_chat import Bot, Person
from tests.test_pings_e2e import discord_bot, pinging

bot = discord_bot
"""The Discord bot over a data folder (tests/test_pings_e2e.py's), not started yet."""


@asynccontextmanager
async def running(
    bot: Bot, reply_delays: tuple[timedelta, ...] = REPLY_DELAYS, rate_limit: int = 0
) -> AsyncIterator[tuple[DiscordAdapter, Scheduler]]:
    """The bot started with the reminder scheduler beside it, on the test clock."""
    engine = Engine(bot.store, clock=bot.clock, rate_limit=rate_limit)
    adapter = await bot.start(engine)
    async with pinging(engine, adapter, bot.clock, reply_delays=reply_delays) as scheduler:
        yield adapter, scheduler


async def outbox(bot: Bot, person: Person) -> list[dict]:
    record = await bot.store.load(person.key.person)
    return [reply.to_json() for reply in replies_of(record.conversations[person.key.chat_id])]


async def answer_lost(bot: Bot, adapter: DiscordAdapter, person: Person, option: str) -> None:
    """Press the option `option` on the person's last message while Discord is down: the
    answer cannot go, and stays in the outbox."""
    bot.fake.down()
    await bot.fake.press(person.user, person.screen(), person.button(option)[1])
    await bot.fake.wait(lambda: bot.fake.refused_sends > 0)
    await adapter.settled()


def dms(bot: Bot, person: Person) -> list:
    channel = int(bot.fake.dm(person.user)["id"])
    return [m for m in bot.fake.channel_messages if m.channel_id == channel]


async def test_an_answer_lost_in_an_outage_comes_by_dm_once_discord_is_back(bot: Bot) -> None:
    async with running(bot) as (adapter, scheduler):
        ana = Person(bot, "ana", in_server=True)
        await ana.slash("new")
        await answer_lost(bot, adapter, ana, "pick:amazon")
        [pressed] = [i for i in bot.fake.interactions.values() if i.rejected]
        assert not pressed.acknowledged, "the answer could not go"
        [waiting] = await outbox(bot, ana)
        assert waiting["status"] == str(Status.PENDING) and waiting["failures"] == 1
        record = await bot.store.load(ana.key.person)
        assert record.cases["c1"]["facts"]["merchant"]["playbook"] == "amazon", "the turn held"

        bot.clock.advance(seconds=6)  # the first retry: Discord is still down
        await scheduler.idle()
        [waiting] = await outbox(bot, ana)
        assert waiting["failures"] == 2
        assert dms(bot, ana) == []

        bot.fake.up()
        bot.clock.advance(minutes=1)
        await scheduler.idle()
        [answer] = dms(bot, ana)
        assert answer.options(), "the next question (the problem), with its menu"
        assert await outbox(bot, ana) == []
        bot.clock.advance(hours=2)
        await scheduler.idle()
        assert len(dms(bot, ana)) == 1, "sent once, never again"


async def test_a_long_rate_limit_is_waited_out_before_the_retry(bot: Bot) -> None:
    async with running(bot) as (adapter, scheduler):
        ben = Person(bot, "ben")
        await ben.slash("new")
        await answer_lost(bot, adapter, ben, "pick:amazon")
        bot.fake.up()
        bot.fake.limit(retry_after=120)
        bot.clock.advance(seconds=6)
        await scheduler.idle()
        [waiting] = await outbox(bot, ben)
        asked = datetime.fromisoformat(waiting["due"]) - bot.clock()
        assert asked >= timedelta(seconds=119), "not before Discord allows"
        bot.fake.up()
        bot.clock.advance(seconds=60)
        await scheduler.idle()
        assert dms(bot, ben) == [], "still inside the wait Discord asked for"
        bot.clock.advance(seconds=61)
        await scheduler.idle()
        assert len(dms(bot, ben)) == 1


async def test_an_answer_that_never_goes_is_kept_as_failed_for_the_operator(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    quick = (timedelta(seconds=1), timedelta(seconds=2))
    async with running(bot, reply_delays=quick) as (adapter, scheduler):
        cy = Person(bot, "cy")
        await cy.slash("new")
        await answer_lost(bot, adapter, cy, "pick:amazon")
        with caplog.at_level(logging.ERROR):
            for wait in (REPLY_DELAYS[0], *quick):  # the turn's own first wait, then these
                bot.clock.advance(seconds=wait.total_seconds() + 1)
                await scheduler.idle()
        [failed] = await outbox(bot, cy)
        assert failed["status"] == str(Status.FAILED)
        assert failed["failures"] == len(quick) + 1
        assert any(cy.key.person.digest in r.getMessage() for r in caplog.records)
        bot.fake.up()
        bot.clock.advance(hours=2)
        await scheduler.idle()
        assert dms(bot, cy) == [], "given up on: not sent later by surprise"


async def test_a_press_over_the_rate_limit_is_told_to_slow_down_every_time(bot: Bot) -> None:
    async with running(bot, rate_limit=1):
        dee = Person(bot, "dee", in_server=True)
        await dee.slash("new")
        for _ in range(2):  # the first refusal, then one the engine would drop silently
            again = await dee.slash("status")
            [said] = again.messages
            assert said.content == markdown(SLOW_DOWN), "not a bare ✓"
            assert said.ephemeral
        record = await bot.store.load(dee.key.person)
        assert len(record.cases) == 1


async def test_a_reply_waiting_behind_a_failed_one_still_acknowledges_the_press(bot: Bot) -> None:
    async with running(bot) as (adapter, scheduler):
        eve = Person(bot, "eve", in_server=True)
        await eve.slash("new")
        await answer_lost(bot, adapter, eve, "pick:amazon")
        bot.fake.up()
        status = await eve.slash("status")
        assert status.acknowledged and status.rejected == []
        assert status.messages == [], "its reply goes after the one still waiting"
        bot.clock.advance(seconds=6)
        await scheduler.idle()
        assert len(dms(bot, eve)) >= 2, "both, in order, by DM"
        assert await outbox(bot, eve) == []
