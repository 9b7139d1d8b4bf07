"""Discord's driver: the real discord.py client against the fake Discord, a person in
a DM played through tests/test_discord_adapter.py's `Person` (slash commands, presses,
the form a typed answer goes in). An option is pressed where it is shown: its button,
or its entry in a select menu (a choice of more than five), a component interaction
with the chosen `values` as Discord sends it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket

from adapters.discord_bot import DiscordAdapter, sync_commands
from adapters.discord_bot.render import label
from bot.config import load_settings
from bot.events import ButtonStyle, Outbound, Word, words
from storage import ConversationKey, MemoryStore
from tests.conformance.driver import RecordingEngine, Shown, ShownOption
from tests.fakes.discord import FakeDiscord, Message
from tests.test_discord_adapter import Bot, Person, read

STYLES = {
    1: ButtonStyle.PRIMARY,
    2: ButtonStyle.DEFAULT,
    3: ButtonStyle.SUCCESS,
    4: ButtonStyle.DANGER,
}
"""Discord's button styles (blurple, grey, green, red) as the prompt's."""
ARGUMENTS = {"remind": "when", "timezone": "zone", "cases": "case"}
"""The slash command option that takes what follows a command's name elsewhere."""
ANSWER = words(Word.ANSWER)
FORMS = (ANSWER, words(Word.PASTE))
"""The buttons that open a form to type in, which are not options of the prompt."""


class DiscordDriver:
    def __init__(self, person: Person, adapter: DiscordAdapter) -> None:
        self.person = person
        self.adapter = adapter
        assert isinstance(adapter.engine, RecordingEngine)
        self.engine = adapter.engine

    @property
    def key(self) -> ConversationKey:
        return self.person.key

    async def show(self, message: Outbound) -> None:
        await self.adapter.send(self.key, [message])

    async def command(self, name: str, args: str = "") -> None:
        await self.person.slash(name, **({ARGUMENTS[name]: args} if args else {}))

    async def type(self, text: str) -> None:
        """Typing reaches the bot only through the form a question's Answer opens."""
        question = self.engine.asked().prompt
        assert question is not None and question.question is not None
        await self.person.submit(
            await self.person.press(ANSWER, self._open_question()),
            **{question.question.id: text},
        )

    async def press(self, option: str) -> None:
        """Press what shows the option on the open question: its entry in a select menu
        (a choice of more than five) or its button, found by the data it carries back,
        and shown with the option's label."""
        button = self.engine.button(option)
        message = self._open_question()
        fake, user = self.person.fake, self.person.user
        listed = [
            (menu["custom_id"], entry)
            for menu in message.selects()
            for entry in menu["options"]
            if entry["value"] == button.data
        ]
        if listed:
            [(menu_id, entry)] = listed
            assert entry["label"] == label(button.label), entry
            pressed = await fake.choose(user, message, menu_id, button.data)
        else:
            [shown] = [b for b in message.buttons() if _data(b) == button.data]
            assert shown["label"] == label(button.label), shown
            pressed = await fake.press(user, message, shown["custom_id"])
        await self.person.settle(pressed)

    def shown(self) -> Shown:
        message = self._open_question()
        options = tuple(
            ShownOption(button["label"], STYLES[button.get("style", 2)])
            for button in message.buttons()
            if button.get("label") not in FORMS
        ) + tuple(ShownOption(label, ButtonStyle.DEFAULT) for label in message.options())
        forms = any(button.get("label") == ANSWER for button in message.buttons())
        return Shown(read(message), options, answer_box=forms)

    def _open_question(self) -> Message:
        """The newest message with buttons: of the last answer, or a ping sent since."""
        dm = int(self.person.channel["id"])
        pings = [m for m in self.person.fake.channel_messages if m.channel_id == dm]
        with_buttons = [m for m in self.person.last.messages + pings if m.components]
        assert with_buttons, [m.content for m in self.person.last.messages]
        return max(with_buttons, key=lambda message: message.id)


def _data(button: dict[str, Any]) -> str:
    """The engine's data a button carries (`fs:b:<data>`, or `fs:k:` on a ping)."""
    kind, _, data = str(button.get("custom_id", "")).removeprefix("fs:").partition(":")
    return data if kind in ("b", "k") else ""


@asynccontextmanager
async def discord_bot(data: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DiscordDriver]:
    async with FakeDiscord() as fake:
        monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
        settings = load_settings({"DISCORD_BOT_TOKEN": fake.token}, env_file=data / "absent.env")
        await sync_commands(settings)
        engine = RecordingEngine(MemoryStore())
        bot = Bot(fake, settings, engine.store)
        adapter = await bot.start(engine)
        try:
            yield DiscordDriver(Person(bot, "ana"), adapter)
        finally:
            await bot.stop()
        assert fake.rejections == [], "the bot sent something Discord refuses"
