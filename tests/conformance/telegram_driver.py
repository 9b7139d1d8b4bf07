"""Telegram's driver: the real python-telegram-bot `Application` polling the fake Bot
API; a person's chat read back from what the fake holds: quotes by their entities (a
blockquote, an expandable one), copies by the copy buttons' text."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from adapters.telegram import TelegramAdapter
from bot.config import load_settings
from bot.events import Outbound
from storage import ConversationKey, MemoryStore
from tests.conformance.driver import RecordingEngine, Shown, ShownCopy, ShownOption, one_turn
from tests.fakes.telegram import FakeTelegram, SentMessage
from tests.test_telegram_script import copies as copy_buttons
from tests.test_telegram_script import covered

USER = 4242


class TelegramDriver:
    def __init__(self, fake: FakeTelegram, adapter: TelegramAdapter) -> None:
        self.fake = fake
        self.adapter = adapter
        assert isinstance(adapter.engine, RecordingEngine)
        self.engine = adapter.engine

    @property
    def key(self) -> ConversationKey:
        return ConversationKey("telegram", str(USER), str(USER))

    async def show(self, message: Outbound) -> None:
        await self.adapter.send(self.key, [message])

    async def command(self, name: str, args: str = "") -> None:
        await self.type(f"/{name} {args}".strip())

    async def type(self, text: str) -> None:
        async def says() -> None:
            self.fake.user_says(USER, text)

        await one_turn(self.engine, says)

    async def press(self, option: str) -> None:
        """Press the newest button showing the option's label (the open question's stays
        live under a ping sent since)."""
        label = self.engine.button(option).label
        showing = [m for m in self.fake.messages_in(USER) if m.button(label) is not None]
        assert showing, f"no {label!r} among {self._open_question().button_labels}"
        message = showing[-1]
        button = message.button(label)
        assert button is not None

        async def presses() -> None:
            self.fake.user_presses(USER, message.message_id, str(button["callback_data"]))

        await one_turn(self.engine, presses)

    def shown(self) -> Shown:
        message = self._open_question()
        pressable = (b for row in message.buttons for b in row if "callback_data" in b)
        return Shown(
            message.visible_text,
            tuple(ShownOption(b["text"]) for b in pressable),
            quoted=tuple(covered(message, "blockquote")),
            spare=tuple(covered(message, "expandable_blockquote")),
        )

    async def copies(self) -> tuple[ShownCopy, ...]:
        """The copy buttons of the newest message with any, as Telegram copies them."""
        offering = [m for m in self.fake.messages_in(USER) if copy_buttons(m)]
        buttons = copy_buttons(offering[-1]) if offering else []
        return tuple(ShownCopy(b["text"], b["copy_text"]["text"]) for b in buttons)

    def _open_question(self) -> SentMessage:
        """The newest message with live buttons: the question open now."""
        with_buttons = [m for m in self.fake.messages_in(USER) if m.buttons]
        assert with_buttons, self.fake.summary()
        return with_buttons[-1]


@asynccontextmanager
async def telegram(data: Path) -> AsyncIterator[TelegramDriver]:
    async with FakeTelegram() as fake:
        fake.add_user(USER, "Robin")
        values = {
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "TELEGRAM_CHAT_PACE": "0",  # whole cases are typed in seconds
            "FAIRSHAKE_DATA_DIR": str(data),
        }
        engine = RecordingEngine(MemoryStore())
        adapter = TelegramAdapter(engine, load_settings(values, env_file=data / "absent.env"))
        running = asyncio.create_task(adapter.run())
        try:
            await fake.wait_for(lambda f: f.commands, what="the command menu")
            yield TelegramDriver(fake, adapter)
        finally:
            adapter.stop()
            await asyncio.wait_for(running, 15)
        assert not fake.server_errors
