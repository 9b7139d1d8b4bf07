"""A reminder's ping on Discord, as the person sees it and acts on it: a card of its own
in their DMs, its options drawn from the ping's prompt (ids and styles), and a press
that answers below it, leaving the ping to act on again.

The real scheduler pings through the real adapter (discord.py against the fake Discord);
the engine records the ping it sent and every event the adapter handed it.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.adapter import route
from bot.events import ButtonPress, Outbound
from bot.reminders import Scheduler
from flows.prompt import PING
from storage import ConversationKey
from tests import discord_chat
from tests.conformance.discord_driver import STYLES
from tests.conformance.driver import RecordingEngine
from tests.discord_chat import Bot, Person, read
from tests.fakes.discord import MESSAGE, Message

fake, bot = discord_chat.fake, discord_chat.bot


@dataclass
class Pinged:
    person: Person
    engine: RecordingEngine
    sent: Outbound
    """The ping as the engine made it (its prompt)."""
    shown: Message
    """The ping as it arrived in the person's DMs."""

    def custom_id(self, action: str) -> str:
        [found] = [
            b["custom_id"] for b in self.shown.buttons() if b["custom_id"].endswith(f"|{action}")
        ]
        return str(found)

    async def press(self, action: str) -> None:
        """Press the ping's option for `action` (done, 1h, 1d, escalate)."""
        before = len(self.engine.replies)
        fake = self.person.fake
        pressed = await fake.press(self.person.user, self.shown, self.custom_id(action))
        await self.engine.turns(before + 1)
        await fake.wait(lambda: pressed.acknowledged)
        self.person.seen.append(pressed)


@asynccontextmanager
async def pinged(bot: Bot, in_server: bool = False) -> AsyncIterator[Pinged]:
    """A person who set a reminder two days ago, pinged by the scheduler just now."""
    await bot.stop()
    engine = RecordingEngine(bot.store)
    adapter = await bot.start(engine)
    deliver = route([adapter])

    async def delivered(key: ConversationKey, messages: list[Outbound]) -> None:
        await deliver(key, messages)
        await engine.record(messages)

    scheduler = Scheduler(engine, delivered, engine.clock, platforms=[adapter.name])
    running = asyncio.create_task(scheduler.run())
    try:
        person = Person(bot, "rae", in_server=in_server)
        await person.slash("new")
        await person.slash("remind", when="in 2 days", what="chase the *refund*")
        sent = len(engine.replies)
        engine.clock.advance(days=2, minutes=1)
        await engine.turns(sent + 1)
        [ping] = engine.replies[-1]
        dm = int(bot.fake.dm(person.user)["id"])
        [shown] = [m for m in bot.fake.channel_messages if m.channel_id == dm]
        yield Pinged(person, engine, ping, shown)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


async def test_a_ping_is_a_card_with_the_options_of_its_prompt(bot: Bot) -> None:
    async with pinged(bot, in_server=True) as ping:
        assert ping.sent.prompt is not None and ping.sent.prompt.step == PING
        shown = ping.shown
        [card] = shown.embeds
        assert card["title"] and not shown.content
        assert "chase the \\*refund\\*" in card["description"], "the reminder, escaped"
        asked = {c.value: c.style for c in ping.sent.prompt.choices()}
        drawn = {b["custom_id"].removeprefix("fs:k:"): STYLES[b["style"]] for b in shown.buttons()}
        assert drawn == asked, "every option by its id, styled as the prompt asks"
        assert [len(row["components"]) for row in shown.components] == [
            len(row) for row in ping.sent.prompt.options
        ], "in the prompt's rows"
        assert not shown.selects()


async def test_pressing_a_ping_answers_below_it_and_the_ping_stays_as_it_came(bot: Bot) -> None:
    async with pinged(bot) as ping:
        before = copy.deepcopy((ping.shown.content, ping.shown.embeds, ping.shown.components))
        record = await bot.store.load(ping.person.key.person)
        [reminder_id] = record.reminders

        for _ in range(2):  # the second press, on the ping still there, is answered kindly
            await ping.press("done")
            event = ping.engine.events[-1]
            assert isinstance(event, ButtonPress)
            assert event.data == ping.custom_id("done").removeprefix("fs:k:")
            answered = ping.person.last
            assert answered.callbacks == [MESSAGE] and not answered.in_place, "a new message"
            [told] = answered.messages
            assert read(told) and not told.components
            record = await bot.store.load(ping.person.key.person)
            assert record.reminders[reminder_id]["status"] == "done"
        assert (ping.shown.content, ping.shown.embeds, ping.shown.components) == before, (
            "scrolling back, the ping reads as it came"
        )


async def test_a_ping_snoozed_from_its_button_comes_again_later(bot: Bot) -> None:
    async with pinged(bot) as ping:
        record = await bot.store.load(ping.person.key.person)
        [(reminder_id, reminder)] = record.reminders.items()

        await ping.press("1h")
        event = ping.engine.events[-1]
        assert isinstance(event, ButtonPress)
        assert event.data == ping.custom_id("1h").removeprefix("fs:k:")
        record = await bot.store.load(ping.person.key.person)
        assert record.reminders[reminder_id]["status"] == "pending"
        assert record.reminders[reminder_id]["due"] > reminder["due"]
