"""A person in a private Telegram chat with the real bot, for the Telegram tests.

`running` starts the real `TelegramAdapter` (python-telegram-bot, long polling) against
`FakeTelegram` on 127.0.0.1; `Person` types and presses as someone in the chat would and
waits for the bot's answer. What the bot asks is read by structure, never by its words:
the option ids behind a message's buttons (its callback data after the stamp), and where
the case stands as stored (its state and the question open).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from adapters.telegram import TelegramAdapter
from bot.config import load_settings
from bot.engine import Engine
from bot.events import SKIP_ID
from bot.reminders import Scheduler
from flows import machine
from storage import PersonKey, Store, TinyDBStore
from tests.chat import AMAZON_ORDER
from tests.fakes.telegram import FakeTelegram, SentMessage

USER = 4242

STICKER = {
    "file_id": "x",
    "file_unique_id": "x",
    "type": "regular",
    "width": 1,
    "height": 1,
    "is_animated": False,
    "is_video": False,
}
"""A sticker as Telegram sends one: a message that is not text."""

REVIEW = "do:confirm"
"""The review's option id (the facts are all correct)."""


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        server.add_user(USER, "Robin")
        yield server
        assert not server.server_errors


@asynccontextmanager
async def running(
    fake: FakeTelegram, data: Path, store: Store | None = None, **settings: str
) -> AsyncIterator[TelegramAdapter]:
    """The bot, started as `fairshake` would start it (with the scheduler that sends
    what waits in the outbox: a reply flood control held back), stopped on exit."""
    values = {
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "FAIRSHAKE_DATA_DIR": str(data),
        # Unpaced unless a test sets a pace: whole cases are typed here in seconds.
        "TELEGRAM_CHAT_PACE": "0",
        **settings,
    }
    config = load_settings(values, env_file=data / "absent.env")
    # No rate limit unless a test sets one: whole cases are typed here in seconds.
    rate_limit = config.rate_limit if "FAIRSHAKE_RATE_LIMIT" in settings else 0
    engine = Engine(store or TinyDBStore(config.data_dir), rate_limit=rate_limit)
    adapter = TelegramAdapter(engine, config)
    scheduler = Scheduler(engine, adapter.send, platforms=[adapter.name])
    task = asyncio.create_task(adapter.run())
    pinging = asyncio.create_task(scheduler.run())
    try:
        await fake.wait_for(lambda f: f.commands, what="the command menu")
        yield adapter
    finally:
        await scheduler.stop(timeout=5)
        adapter.stop()
        await asyncio.wait_for(task, 15)
        pinging.cancel()
        await asyncio.gather(pinging, return_exceptions=True)


def data_of(message: SentMessage, option: str) -> str:
    """The callback data of the button for `option` (its id after the stamp)."""
    for row in message.buttons:
        for button in row:
            data = str(button.get("callback_data", ""))
            if data.partition("|")[2] == option:
                return data
    raise AssertionError(f"no option {option!r} on message {message.message_id}")


def label_of(message: SentMessage, option: str) -> str:
    """What the button for `option` reads, as the person sees it."""
    data = data_of(message, option)
    return next(
        str(b["text"]) for row in message.buttons for b in row if b.get("callback_data") == data
    )


def first_keyboard(message: SentMessage) -> SentMessage:
    """The message with the keyboard it was first sent with (before an edit took it)."""
    if not message.history:
        return message
    return replace(message, reply_markup=message.history[0]["reply_markup"], history=[])


class Person:
    """One person in a private chat with the bot run by `engine` (its store tells where
    their case stands)."""

    def __init__(self, fake: FakeTelegram, engine: Engine, user_id: int = USER) -> None:
        self.fake = fake
        self.engine = engine
        self.user_id = user_id

    async def says(self, text: str, asks: str | None = None) -> SentMessage:
        """Type `text`; the bot's answer, which must ask `asks` (see `answer`)."""
        mark = len(self.fake.sent)
        self.fake.user_says(self.user_id, text)
        return await self.answer(mark, asks)

    async def presses(self, option: str, asks: str) -> SentMessage:
        """Press the button for the option id `option` on the newest message offering it."""
        message = self.offering(option)
        return await self.presses_data(message.message_id, data_of(message, option), asks)

    async def presses_data(self, message_id: int, data: str, asks: str) -> SentMessage:
        """Press whatever button carried `data` on that message, even one gone since."""
        mark = len(self.fake.sent)
        self.fake.user_presses(self.user_id, message_id, data, strict=False)
        return await self.answer(mark, asks)

    async def answer(self, mark: int, asks: str | None) -> SentMessage:
        """The bot's answer to what the person did once `mark` messages had been sent: its
        last message, once the turn and its sending are done. It must ask `asks`: the id
        of the question open (`merchant`, `rep`), else the case's state (`review`,
        `escalating`), or, outside a case, an option the answer offers (`new:amazon`);
        None for an answer that need ask nothing (`/help`)."""
        await self.fake.wait_for(
            lambda f: any(m.chat_id == self.user_id for m in f.sent[mark:]),
            what=f"an answer asking {asks!r}",
        )
        assert await self.engine.drain(10), "the turn and its replies finished"
        answer = [m for m in self.fake.sent[mark:] if m.chat_id == self.user_id][-1]
        if asks is None:
            return answer
        state, question = await self.at()
        assert asks in (question or state, *answer.options), (
            f"asked {question or state!r} offering {answer.options}, not {asks!r}\n"
            f"{self.fake.summary()}"
        )
        return answer

    async def at(self) -> tuple[str | None, str | None]:
        """Where the active case stands, as stored: its state and the question open (a
        fact's, or a detail of the contact being logged); None, None before any case."""
        record = await self.engine.store.load(PersonKey("telegram", str(self.user_id)))
        active = record.profile.get("active_case")
        if active is None:
            return None, None
        case = record.cases[active]
        asking = {machine.GATHERING: case["question"], machine.LOGGING: case["log_question"]}
        return case["state"], asking.get(case["state"])

    def offering(self, option: str) -> SentMessage:
        """The newest message in the chat with a button for `option`."""
        for message in reversed(self.fake.messages_in(self.user_id)):
            if option in message.options:
                return message
        raise AssertionError(f"no message offers {option!r}\n{self.fake.summary()}")

    def last(self) -> SentMessage:
        return self.fake.last_message(self.user_id)


async def tell_the_facts(person: Person, item: str = "Blue kettle") -> SentMessage:
    """The questions answered by pressing and typing, then the order number, item and
    amount added from the review: the review, as it stands at the end."""
    await person.says("/start", "new:amazon")
    await person.presses("new:amazon", "problem")
    await person.presses("pick:damaged", "seller")
    await person.presses("pick:merchant", "delivery_date")
    await person.says("yesterday", "outcome")
    await person.presses("pick:refund", "review")
    for fact, typed in (("order_number", AMAZON_ORDER), ("item", item), ("amount", "$49.99")):
        await person.presses(f"edit:{fact}", fact)
        review = await person.says(typed, "review")
    return review


async def up_to_the_delivery_date(person: Person) -> None:
    """A late parcel sold by Amazon, at the question of when it was (due to be) delivered."""
    await person.says("/new", "merchant")
    await person.presses("pick:amazon", "problem")
    await person.presses("pick:late", "seller")
    await person.presses("pick:merchant", "delivery_date")


async def up_to_the_script(person: Person, channel: str) -> SentMessage:
    """The facts told and confirmed, help still needed, `channel` chosen: its script."""
    await tell_the_facts(person)
    await person.presses(REVIEW, "self_service")
    await person.presses("do:need_help", "choosing_channel")
    return await person.presses(f"channel:{channel}", "preparing")


async def answer_the_log(
    person: Person, channel: str, rep: str | None, reference: str | None, notes: str | None
) -> None:
    """From the first question of a contact's log (when) to its last (the result): just
    now, by `channel`, then the details typed (None: skipped by its button)."""
    await person.presses("pick:now", "channel")
    await person.presses(f"pick:{channel}", "rep")
    for typed, then in ((rep, "reference"), (reference, "notes"), (notes, "result")):
        if typed is None:
            await person.presses(SKIP_ID, then)
        else:
            await person.says(typed, then)
