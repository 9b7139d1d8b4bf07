"""A person on Discord with the real bot, for the Discord tests.

`Bot` runs the real `DiscordAdapter` (discord.py over the gateway) against `FakeDiscord` on
127.0.0.1, and the `bot` fixture starts one over a fresh store, its commands synced.
`Person` plays someone in a DM or the server's #help: a slash command, a button press, a
select entry or a form is an interaction the fake sends over the gateway; it then waits
until Discord has been answered and the adapter is idle, and reads what the person
would see. What the bot asks is read by structure, never by its words: the option ids
behind a message's buttons and select entries (after the stamp), and where the case
stands as stored (its state and the question open).
"""

from __future__ import annotations

import asyncio
import copy
import re
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket

from adapters.discord_bot import DiscordAdapter, sync_commands
from adapters.discord_bot.forms import ANSWER_KIND, PASTE_KIND
from adapters.discord_bot.layout import KEPT_PRESS, PRESS
from bot.config import Settings, load_settings
from bot.engine import Engine
from storage import ConversationKey, MemoryStore, Store
from tests.chat import Clock
from tests.fakes.discord import FakeDiscord, Interaction, Message

PASTED = (Path(__file__).parent / "orders" / "amazon_us_shipped.txt").read_text("utf-8")
"""A dispatch email for an item sold by Amazon, pasted into the form as a person would."""


class Bot:
    """The adapter over one store, started and stopped like the process would be."""

    def __init__(self, fake: FakeDiscord, settings: Settings, store: Store) -> None:
        self.fake, self.settings, self.store = fake, settings, store
        self.clock = Clock()
        self.adapter: DiscordAdapter | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, engine: Engine | None = None, ack_within: float = 1.2) -> DiscordAdapter:
        engine = engine or Engine(self.store, clock=self.clock)
        self.adapter = DiscordAdapter(engine, self.settings, ack_within=ack_within)
        sessions = self.fake.identified
        self._task = asyncio.create_task(self.adapter.run())
        await self.fake.wait(lambda: self.fake.identified > sessions)
        return self.adapter

    async def stop(self) -> None:
        if self.adapter is not None and self._task is not None:
            self.adapter.stop()
            await asyncio.wait_for(self._task, 5)
            self.adapter = self._task = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()


def options_on(messages: list[Message]) -> list[str]:
    """The option ids behind the engine's buttons on these messages (after the stamp)."""
    return [
        button["custom_id"].partition("|")[2]
        for message in messages
        for button in message.buttons()
        if button["custom_id"].startswith("fs:b:")
    ]


def menu_options_on(messages: list[Message]) -> list[str]:
    """The option ids behind the entries of the messages' select menus (`<stamp>|<option>`)."""
    return [
        entry["value"].partition("|")[2]
        for message in messages
        for menu in message.selects()
        for entry in menu["options"]
    ]


def has_form(message: Message, kind: str) -> bool:
    """Whether the message shows the adapter's button opening the form of `kind`."""
    return any(button["custom_id"].startswith(f"fs:{kind}:") for button in message.buttons())


PRESSES = tuple(f"fs:{kind}:" for kind in (PRESS, KEPT_PRESS))
"""How the custom ids of the engine's buttons begin (not the adapter's own form buttons)."""
SHOP = "pick:amazon"
"""An option of the first question (which shop): a case has just been opened."""


class Person:
    """Someone using the bot in one channel (a DM, or the server's #help)."""

    def __init__(self, bot: Bot, name: str, in_server: bool = False) -> None:
        self.bot, self.fake = bot, bot.fake
        self.user = self.fake.person(name)
        self.channel = self.fake.general if in_server else self.fake.dm(self.user)
        self.seen: list[Interaction] = []

    @property
    def key(self) -> ConversationKey:
        return ConversationKey("discord", self.user["id"], self.channel["id"])

    @property
    def last(self) -> Interaction:
        return self.seen[-1]

    async def slash(self, sub: str, **options: str) -> Interaction:
        return await self.settle(await self.fake.slash(self.user, self.channel, sub, **options))

    async def press(self, option: str, on: Message | None = None) -> Interaction:
        """Press the option with the id `option` (`pick:amazon`, `do:confirm`) where Discord
        shows it: its button, or its entry in a select menu."""
        found = self.option(option, on)
        if found is not None:
            message, custom_id, value = found
            return await self.settle(await self.fake.choose(self.user, message, custom_id, value))
        message, custom_id = self.button(option, on)
        return await self.settle(await self.fake.press(self.user, message, custom_id))

    async def opens(self, kind: str, on: Message | None = None) -> Interaction:
        """Press the adapter's own button of `kind` that opens a form (`ANSWER_KIND`: ✍️
        Answer; `PASTE_KIND`: 🧾, to paste the order email)."""
        messages = [on] if on else self.last.messages
        found = [
            (message, button["custom_id"])
            for message in messages
            for button in message.buttons()
            if button["custom_id"].startswith(f"fs:{kind}:")
        ]
        assert len(found) == 1, f"no single fs:{kind}: in {[m.labels() for m in messages]}"
        message, custom_id = found[0]
        return await self.settle(await self.fake.press(self.user, message, custom_id))

    def option(self, option: str, on: Message | None = None) -> tuple[Message, str, str] | None:
        """The select menu entry for the option id `option` (its value `<stamp>|<option>`),
        if a menu shows it."""
        messages = [on] if on else self.last.messages
        found = [
            (message, menu["custom_id"], entry["value"])
            for message in messages
            for menu in message.selects()
            for entry in menu["options"]
            if entry["value"].partition("|")[2] == option
        ]
        assert len(found) <= 1, f"more than one {option!r} entry"
        return found[0] if found else None

    async def submit(self, opened: Interaction, **values: str) -> Interaction:
        return await self.settle(await self.fake.submit(opened, **values))

    async def answer(self, **values: str) -> Interaction:
        """Press ✍️ Answer and submit the form with `values`."""
        return await self.submit(await self.opens(ANSWER_KIND), **values)

    async def settle(self, interaction: Interaction) -> Interaction:
        """Until Discord has been answered and the adapter is idle; the answer kept."""
        await self.fake.wait(lambda: interaction.acknowledged or bool(interaction.rejected))
        assert self.bot.adapter is not None
        await asyncio.wait_for(self.bot.adapter.settled(), 5)
        self.seen.append(interaction)
        return interaction

    def button(self, option: str, on: Message | None = None) -> tuple[Message, str]:
        """The one button for the option id `option` (`fs:b:<stamp>|<option>`), on `on` or
        the last answer."""
        messages = [on] if on else self.last.messages
        found = [
            (message, button["custom_id"])
            for message in messages
            for button in message.buttons()
            if button["custom_id"].startswith(PRESSES)
            and button["custom_id"].partition("|")[2] == option
        ]
        assert len(found) == 1, f"no single {option!r} in {options_on(messages)}"
        return found[0]

    def options(self, interaction: Interaction | None = None) -> list[str]:
        """The option ids on the last answer's buttons (`fs:b:<stamp>|<option>`)."""
        return options_on((interaction or self.last).messages)

    async def cases(self) -> list[str]:
        """The person's cases, as stored."""
        return list((await self.bot.store.load(self.key.person)).cases)

    async def at(self) -> tuple[str, str | None]:
        """Where the active case stands, as stored: its state and the question open."""
        record = await self.bot.store.load(self.key.person)
        case = record.cases[record.profile["active_case"]]
        return case["state"], case["question"]

    def text(self, interaction: Interaction | None = None) -> str:
        """What the person reads: the answer's markdown rendered down to plain text, an
        embed's fields as "name: value" lines."""
        raw = "\n".join(read(m) for m in (interaction or self.last).messages)
        return seen(raw)

    def prompt(self) -> Message:
        return self.last.messages[-1]

    def screen(self) -> Message:
        """The last message as the person's screen shows it now: pressed later (a double
        press, a second device), it presses what it showed, though the bot has edited
        the message since."""
        return copy.deepcopy(self.prompt())

    async def tell(self, stop_at: str | None = None) -> None:
        """Open a case from a pasted order email and answer the rest, up to the review
        (or up to the delivery date question, `stop_at="delivery date"`, typing instead)."""
        await self.slash("new")
        if stop_at == "delivery date":
            for option in (SHOP, "pick:damaged", "pick:merchant"):
                await self.press(option)
            return
        await self.submit(await self.opens(PASTE_KIND), order_text=PASTED)
        for option in ("pick:damaged", "pick:replacement"):
            await self.press(option)
        assert "do:confirm" in self.options(), self.text()  # the review


@pytest.fixture
async def fake() -> Any:
    async with FakeDiscord() as service:
        yield service


@pytest.fixture
async def bot(fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Any:
    monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
    settings = load_settings({"DISCORD_BOT_TOKEN": fake.token}, env_file=tmp_path / ".env")
    await sync_commands(settings)
    runner = Bot(fake, settings, MemoryStore())
    await runner.start()
    yield runner
    await runner.stop()
    assert fake.rejections == [], "the bot sent something Discord refuses"


def seen(markdown: str) -> str:
    """Markdown as read: style markers gone, escapes resolved, links unwrapped."""
    text = re.sub(r"(?<!\\)(\*\*|\*|`|\u200b)", "", markdown)
    text = re.sub(r"(?<!\\)<(https?://[^>]+)>", r"\1", text)
    return re.sub(r"\\(.)", r"\1", text)


def read(message: Message) -> str:
    """A message's text, and its embeds' (title, description, each field as "name: value")."""
    lines = [message.content] if message.content else []
    for embed in message.embeds:
        lines += [embed[part] for part in ("title", "description") if embed.get(part)]
        lines += [f"{one['name']}: {one['value']}" for one in embed.get("fields", [])]
    return "\n".join(lines)
