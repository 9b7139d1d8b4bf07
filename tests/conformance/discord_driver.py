"""Discord's driver: the real discord.py client against the fake Discord, a person in
a DM played through tests/discord_chat.py's `Person` (slash commands, presses,
the form a typed answer goes in). An option is pressed where it is shown: its button,
or its entry in a select menu (a choice of more than five), a component interaction
with the chosen `values` as Discord sends it. Quotes are read as Discord's markdown
shows them (`> ` a line to say, `> ||…||` one kept hidden until tapped), and copies as
the code blocks of the fields named 📋 (adapters/discord_bot/cards.py)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket

from adapters.discord_bot import DiscordAdapter, sync_commands
from adapters.discord_bot.cards import COPY_MARK
from adapters.discord_bot.forms import ANSWER_KIND
from adapters.discord_bot.render import label
from bot.config import load_settings
from bot.events import ButtonStyle, Outbound, Word, words
from storage import ConversationKey, MemoryStore
from tests.conformance.driver import RecordingEngine, Shown, ShownCopy, ShownOption
from tests.discord_chat import Bot, Person, read, seen
from tests.fakes.discord import FakeDiscord, Message

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
SPARE = re.compile(r"^> \|\|(.*)\|\|$")
CODE = re.compile(r"^```\n(.*)\n```$", re.DOTALL)


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
            await self.person.opens(ANSWER_KIND, self._open_question()),
            **{question.question.id: text},
        )

    async def press(self, option: str) -> None:
        """Press what shows the option on the open question: its entry in a select menu
        (a choice of more than five) or its button, found by the data it carries back,
        and shown with the option's label; on the newest message showing it (the open
        question's stays answerable under a ping sent since)."""
        button = self.engine.button(option)
        message = self._showing(button.data)
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
        said: list[list[str]] = []
        spare: list[list[str]] = []
        for text in self._texts():
            last: list[list[str]] | None = None
            for line in text.split("\n"):
                hidden = SPARE.match(line)
                kind = spare if hidden else said if line.startswith(">") else None
                if kind is not None and kind is not last:
                    kind.append([])
                if kind is not None:
                    kind[-1].append(seen(hidden[1] if hidden else line.removeprefix(">")))
                last = kind
        return Shown(
            read(message),
            options,
            answer_box=forms,
            quoted=tuple("\n".join(run) for run in said),
            spare=tuple("\n".join(run) for run in spare),
        )

    async def copies(self) -> tuple[ShownCopy, ...]:
        """The code block of each field named 📋 on the messages shown last."""
        fields = [f for m in self._recent() for e in m.embeds for f in e.get("fields", [])]
        copies = []
        for field in (f for f in fields if f["name"].startswith(COPY_MARK)):
            code = CODE.match(field["value"])
            assert code, field["value"]
            copies.append(ShownCopy(field["name"], code[1]))
        return tuple(copies)

    def _texts(self) -> list[str]:
        """The message text and each embed's description and own fields' values (not
        the ones to copy) of the messages shown last, each a text of its own."""
        texts = []
        for message in self._recent():
            texts += [message.content] if message.content else []
            for embed in message.embeds:
                texts += [embed["description"]] if embed.get("description") else []
                texts += [
                    f["value"]
                    for f in embed.get("fields", [])
                    if not f["name"].startswith(COPY_MARK)
                ]
        return texts

    def _recent(self) -> list[Message]:
        """The messages shown last: those sent unasked since the last answer, or its own."""
        answers = self.person.last.messages
        newest = max((message.id for message in answers), default=0)
        return [m for m in self._pings() if m.id > newest] or answers

    def _showing(self, data: str) -> Message:
        """The newest message with a button or a menu entry carrying `data`, of any
        answer so far or a ping."""
        answers = [m for interaction in self.person.seen for m in interaction.messages]
        showing = [
            m
            for m in answers + self._pings()
            if any(_data(b) == data for b in m.buttons())
            or any(entry["value"] == data for menu in m.selects() for entry in menu["options"])
        ]
        assert showing, f"no {data!r} on {[m.labels() for m in answers + self._pings()]}"
        return max(showing, key=lambda message: message.id)

    def _pings(self) -> list[Message]:
        dm = int(self.person.channel["id"])
        return [m for m in self.person.fake.channel_messages if m.channel_id == dm]

    def _open_question(self) -> Message:
        """The newest message with buttons: of the last answer, or a ping sent since."""
        with_buttons = [m for m in self.person.last.messages + self._pings() if m.components]
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
