"""The Telegram adapter, run for real: python-telegram-bot against a fake Bot API.

Each test starts the real `Application` (long polling through the base-URL setting)
against `FakeTelegram` on 127.0.0.1, injects what a person types or presses, and
reads back what the bot sent, as strict as Telegram where it matters.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import ClientSession

from adapters import telegram as telegram_adapter
from adapters.telegram import TelegramAdapter
from bot import damaged
from bot.config import load_settings
from bot.engine import Engine
from bot.session import COMMANDS
from storage import ConversationKey, MemoryStore, PersonKey, PersonRecord, Store, TinyDBStore
from tests.chat import AMAZON_ORDER
from tests.fakes.telegram import FakeTelegram, SentMessage, utf16_len

USER = 4242


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
    """The bot, started as `fairshake` would start it, stopped on exit."""
    values = {
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "FAIRSHAKE_DATA_DIR": str(data),
        **settings,
    }
    config = load_settings(values, env_file=data / "absent.env")
    # No rate limit unless a test sets one: whole cases are typed here in seconds.
    rate_limit = config.rate_limit if "FAIRSHAKE_RATE_LIMIT" in settings else 0
    engine = Engine(store or TinyDBStore(config.data_dir), rate_limit=rate_limit)
    adapter = TelegramAdapter(engine, config)
    task = asyncio.create_task(adapter.run())
    try:
        await fake.wait_for(lambda f: f.commands, what="the command menu")
        yield adapter
    finally:
        adapter.stop()
        await asyncio.wait_for(task, 15)


class Person:
    """One person in a private chat with the bot."""

    def __init__(self, fake: FakeTelegram, user_id: int = USER) -> None:
        self.fake = fake
        self.user_id = user_id

    async def says(self, text: str, expect: str) -> SentMessage:
        mark = len(self.fake.sent)
        self.fake.user_says(self.user_id, text)
        return await self._reply(mark, expect)

    async def presses(self, label: str, expect: str) -> SentMessage:
        mark = len(self.fake.sent)
        self.fake.user_presses_button(self.user_id, label)
        return await self._reply(mark, expect)

    async def presses_data(self, message_id: int, data: str, expect: str) -> SentMessage:
        mark = len(self.fake.sent)
        self.fake.user_presses(self.user_id, message_id, data, strict=False)
        return await self._reply(mark, expect)

    async def _reply(self, mark: int, expect: str) -> SentMessage:
        """The first reply since `mark` that offers the option `expect` (`do:confirm`: the
        review), or shows it as words or a button label."""

        def found(fake: FakeTelegram) -> SentMessage | None:
            return next(
                (
                    m
                    for m in fake.sent[mark:]
                    if m.chat_id == self.user_id
                    and (
                        expect in m.options or expect in m.visible_text or expect in m.button_labels
                    )
                ),
                None,
            )

        return await self.fake.wait_for(found, what=f"a reply containing {expect!r}")

    def last(self) -> SentMessage:
        return self.fake.last_message(self.user_id)


REVIEW = "do:confirm"
"""The review's option id ("All correct")."""


async def tell_the_facts(person: Person, item: str = "Blue kettle") -> SentMessage:
    """The questions typed, then the order number, item and amount added in the review."""
    await person.says("/start", "Start a case")
    await person.presses("Amazon", "What went wrong")
    await person.presses("Damaged or faulty item", "Who sold the item")
    await person.presses("Sold by Amazon", "When was it delivered")
    await person.says("yesterday", "What would put this right")
    await person.presses("A refund", REVIEW)
    added = (
        ("Order number", "What is the order number", AMAZON_ORDER),
        ("Item", "What is the item", item),
        ("Amount paid", "How much did you pay", "$49.99"),
    )
    for label, question, typed in added:
        await person.presses(f"\u2795 {label}", question)
        review = await person.says(typed, REVIEW)
    return review


async def up_to_the_delivery_date(person: Person) -> None:
    await person.says("/new", "Which shop")
    await person.presses("Amazon", "What went wrong")
    await person.presses("Late or lost package", "Who sold the item")
    await person.presses("Sold by Amazon", "When was it delivered")


async def test_a_whole_case_from_start_to_resolved(fake, tmp_path):
    async with running(fake, tmp_path):
        person = Person(fake)
        review = await tell_the_facts(person)
        assert AMAZON_ORDER in review.visible_text
        await person.presses("✅ All correct", "Try this first")
        await person.presses("Still need help", "How to contact Amazon")
        script = await person.presses("Live chat", "Your live chat script")
        assert "What I'm asking for is a full refund of $49.99" in fake.visible_text(script)
        await person.presses("📝 Log the contact", "When were you in touch")
        await person.presses("Just now", "How were you in touch")
        await person.presses("Live chat", "name of the person")
        await person.says("Sam", "reference or case number")
        await person.says("R-1", "What did they say")
        await person.says("Refund approved.", "Where does that leave things")
        await person.presses("Resolved", "This case is resolved")
    assert {c.status for c in fake.calls_to("sendMessage")} == {200}
    assert [c["command"] for c in fake.commands] == list(COMMANDS)


ORDERS = Path(__file__).parent / "orders"


@pytest.mark.parametrize(
    ("filename", "mime_type", "number"),
    [
        ("amazon_us_confirmation.eml", "message/rfc822", "112-3456789-0123456"),
        ("walmart_confirmation.txt", "text/plain", "2000123-45678901"),
    ],
)
async def test_an_order_email_sent_as_a_file_fills_the_facts(
    fake, tmp_path, filename, mime_type, number
):
    store = MemoryStore()
    async with running(fake, tmp_path, store):
        person = Person(fake)
        await person.says("/new", "Which shop")
        mark = len(fake.sent)
        fake.user_sends_document(USER, filename, (ORDERS / filename).read_bytes(), mime_type)
        await person._reply(mark, "Late or lost package")
    record = await store.load(PersonKey("telegram", str(USER)))
    facts = record.cases["c1"]["facts"]
    assert facts["order_number"] == number
    assert record.cases["c1"]["question"] == "problem"


async def test_a_forwarded_order_email_is_read_like_a_paste(fake, tmp_path):
    store = MemoryStore()
    forwarded = (ORDERS / "amazon_us_shipped.txt").read_text("utf-8")
    async with running(fake, tmp_path, store):
        person = Person(fake)
        await person.says(forwarded, "Late or lost package")  # no case open: it starts one
    record = await store.load(PersonKey("telegram", str(USER)))
    assert record.cases["c1"]["facts"]["order_number"] == "113-9876543-7654321"


async def test_a_case_taken_to_escalation(fake, tmp_path):
    async with running(fake, tmp_path):
        person = Person(fake)
        await tell_the_facts(person)
        await person.presses("✅ All correct", "Try this first")
        await person.presses("Still need help", "How to contact Amazon")
        await person.presses("Email", "Email, ready to paste")
        await person.says("/log", "When were you in touch")
        await person.presses("Just now", "How were you in touch")
        await person.presses("Email", "name of the person")
        await person.presses("Don't know / skip", "reference or case number")
        await person.presses("Don't know / skip", "What did they say")
        await person.says("They refused.", "Where does that leave things")
        ladder = await person.presses("No progress", "The escalation ladder")
        assert "Dispute the card charge" in ladder.button_labels
        rung = await person.presses("Dispute the card charge", "What it costs")
        assert "Dispute by about" in rung.visible_text
        assert "A-to-z" not in rung.visible_text  # sold by Amazon: no claim to lose


async def test_markup_in_what_people_type_is_shown_as_typed(fake, tmp_path):
    item = "<b>Kettle</b> & <i>lid</i> *bold* _it_ `code` 🫖 &amp; <script>"
    async with running(fake, tmp_path):
        review = await tell_the_facts(Person(fake), item=item)
    assert f"Item: {item}" in review.visible_text
    refused = [c for c in fake.calls if c.status != 200 and not c.abandoned]
    assert refused == []


async def test_a_huge_message_gets_a_kind_answer_and_the_question_again(fake, tmp_path):
    async with running(fake, tmp_path):
        person = Person(fake)
        await up_to_the_delivery_date(person)
        await person.says("9" * 10_000, "When was it delivered")
    texts = [m.visible_text for m in fake.messages_in(USER)[-2:]]
    assert "date" in texts[0].lower()
    assert all(utf16_len(m.text) <= 4096 for m in fake.sent)


async def test_a_long_reply_is_split_under_telegrams_limit(fake, tmp_path):
    async with running(fake, tmp_path) as adapter:
        from bot.events import Outbound
        from flows.text import plain

        await adapter.send(
            ConversationKey("telegram", str(USER), str(USER)),
            [Outbound(plain(("line " * 30 + "\n") * 60))],
        )
        await fake.wait_for(lambda f: len(f.messages_in(USER)) >= 3)
    parts = fake.messages_in(USER)
    assert all(utf16_len(m.visible_text) <= 4096 for m in parts)
    assert sum(m.visible_text.count("line") for m in parts) == 30 * 60


async def test_a_button_pressed_twice_acts_once(fake, tmp_path):
    async with running(fake, tmp_path):
        person = Person(fake)
        await person.says("/new", "Which shop")
        question = person.last()
        data = question.callback_data("Amazon")
        await person.presses_data(question.message_id, data, "What went wrong")
        sent = len(fake.sent)
        fake.user_presses(USER, question.message_id, data, strict=False)
        await fake.wait_for(lambda f: len(f.answered_callbacks) == 2, what="the second answered")
        await person.says("/status", "What went wrong")
    assert question.buttons == [], "the pressed message's keyboard is gone"
    after = [m.visible_text for m in fake.sent[sent:]]
    assert len(after) == 1, "only /status answers: the second press is a double tap, let be"
    assert "editMessageReplyMarkup" not in [
        c.method for c in fake.calls[-8:] if c.status and c.status >= 400
    ], "no edit that changes nothing"
    record = await TinyDBStore(tmp_path).load(
        ConversationKey("telegram", str(USER), str(USER)).person
    )
    assert list(record.cases) == ["c1"]
    assert record.cases["c1"]["facts"]["merchant"]["name"] == "Amazon"


async def test_a_press_shows_the_answer_chosen_under_its_question_in_one_edit(
    fake, tmp_path, monkeypatch
):
    # "typing…" waits for a turn slower than this; the turns here are quick on any machine
    # (a disk stall of 0.4 s, the real wait, is not: typing has its own test, SlowStore).
    monkeypatch.setattr(telegram_adapter, "TYPING_AFTER", 60.0)
    async with running(fake, tmp_path):
        person = Person(fake)
        await person.says("/new", "Which shop")
        question = person.last()
        asked = question.visible_text
        await person.presses("Amazon", "What went wrong")
    assert question.buttons == [], "the pressed message's keyboard is gone"
    shown = question.visible_text
    assert shown.startswith(asked) and shown.endswith("Amazon"), "scrolling back shows the choice"
    assert len(fake.calls_to("editMessageText")) == 1
    assert fake.calls_to("editMessageReplyMarkup") == []
    assert fake.chat_actions == [], "a quick turn shows no typing"


async def test_a_button_from_before_a_restart_is_handled_kindly(fake, tmp_path):
    async with running(fake, tmp_path):
        person = Person(fake)
        await person.says("/new", "Which shop")
        first = person.last()
        stale = first.callback_data("Amazon")
        await person.presses("Amazon", "What went wrong")
    async with running(fake, tmp_path):
        shown = (await person.says("/status", "What went wrong")).options
        again = await person.presses_data(first.message_id, stale, shown[0])
    assert again.options == shown, "left alone: the question it is at, shown again"
    record = await TinyDBStore(tmp_path).load(
        ConversationKey("telegram", str(USER), str(USER)).person
    )
    assert record.cases["c1"]["question"] == "problem"


async def test_a_restart_mid_case_continues_the_case(fake, tmp_path):
    async with running(fake, tmp_path):
        person = Person(fake)
        await up_to_the_delivery_date(person)
    async with running(fake, tmp_path):
        await person.says("yesterday", "What would put this right")
        await person.says("/status", "Question 5 of 5")


async def test_in_a_group_the_bot_says_once_to_write_privately(fake, tmp_path):
    fake.add_group(-100, "Family")
    async with running(fake, tmp_path):
        fake.user_says(USER, "/start", chat_type="group", chat_id=-100)
        fake.user_says(USER, "/new", chat_type="group", chat_id=-100)
        await fake.wait_for(lambda f: f.messages_in(-100))
        fake.user_says(USER, "/help")
        await fake.wait_for(lambda f: f.messages_in(USER))
    group = fake.messages_in(-100)
    assert len(group) == 1
    assert "private chat" in group[0].visible_text


async def test_flood_control_is_waited_out_and_the_message_arrives_once(fake, tmp_path):
    async with running(fake, tmp_path):
        fake.fail_next("sendMessage", status=429, retry_after=1)
        await Person(fake).says("/help", "Commands")
    assert [m.visible_text.count("/forget") for m in fake.messages_in(USER)] == [1]
    assert [c.status for c in fake.calls_to("sendMessage")] == [429, 200]


async def test_a_server_error_loses_neither_the_reply_nor_the_turn(fake, tmp_path):
    async with running(fake, tmp_path):
        person = Person(fake)
        fake.fail_next("sendMessage", status=502, times=2)
        await person.says("/new", "Which shop")
        await person.presses("Amazon", "What went wrong")


async def test_export_sends_the_case_file_as_documents(fake, tmp_path):
    async with running(fake, tmp_path):
        person = Person(fake)
        await person.says("/new", "Which shop")
        await person.presses("Amazon", "What went wrong")
        fake.user_says(USER, "/export")
        await fake.wait_for(lambda f: len([m for m in f.sent if m.document_filename]) == 2)
    files = {m.document_filename: m.document_bytes for m in fake.sent if m.document_filename}
    assert b"Fair Shake case file: c1" in files["fairshake-case-c1.md"]
    assert b'"cases"' in files["fairshake-my-data.json"]


async def test_a_photo_gets_a_kind_answer(fake, tmp_path):
    async with running(fake, tmp_path):
        fake.user_sends(
            USER,
            sticker={
                "file_id": "x",
                "file_unique_id": "x",
                "type": "regular",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
            },
        )
        await fake.wait_for(lambda f: f.messages_in(USER))
    assert "only read text" in fake.messages_in(USER)[0].visible_text


async def test_webhook_mode_takes_updates_with_the_secret_and_refuses_others(
    fake, tmp_path, unused_tcp_port
):
    hook = "https://bot.example.com/telegram"
    settings = {
        "TELEGRAM_WEBHOOK_URL": hook,
        "TELEGRAM_WEBHOOK_PORT": str(unused_tcp_port),
        "TELEGRAM_WEBHOOK_SECRET": "s3cret-token",
    }
    local = f"http://127.0.0.1:{unused_tcp_port}/telegram"
    async with running(fake, tmp_path, **settings):
        await fake.wait_for(lambda f: f.webhook_url == hook)
        assert fake.webhook_secret == "s3cret-token"
        update = fake.build_message_update(USER, "/help")
        assert await fake.post_update_to(local, update) == 403
        assert await fake.post_update_to(local, update, secret_token="wrong") == 403
        assert fake.messages_in(USER) == []
        assert await fake.post_update_to(local, update, secret_token="s3cret-token") == 200
        await fake.wait_for(lambda f: f.messages_in(USER))
        async with (
            ClientSession() as http,
            http.post(
                local, data="not json", headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
            ) as response,
        ):
            assert response.status == 400
    assert "Commands" in fake.messages_in(USER)[0].visible_text


class SlowStore(MemoryStore):
    """A store that takes its time, or fails once to save a record holding `fail_on`
    (the turn that brings it, not a save of the turn before that may come late)."""

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__()
        self.delay = delay
        self.fail_on: str | None = None

    async def load(self, person: PersonKey) -> PersonRecord:
        await asyncio.sleep(self.delay)
        return await super().load(person)

    async def save(self, person: PersonKey, record: PersonRecord) -> None:
        if self.fail_on is not None and self.fail_on in json.dumps(
            [record.cases, record.conversations]
        ):
            self.fail_on = None
            raise OSError("disk full")
        await super().save(person, record)


async def test_a_slow_turn_shows_typing(fake, tmp_path):
    async with running(fake, tmp_path, store=SlowStore(delay=0.8)):
        await Person(fake).says("/help", "Commands")
    assert [(a.chat_id, a.action) for a in fake.chat_actions] == [(USER, "typing")]


async def test_a_failed_turn_is_apologised_for_and_logs_no_content_or_token(fake, tmp_path, caplog):
    store = SlowStore()
    secret = "my address is 1 Secret Lane"
    with caplog.at_level(logging.INFO):
        async with running(fake, tmp_path, store=store):
            person = Person(fake)
            await person.says("/new", "Which shop")
            store.fail_on = secret
            await person.says(secret, damaged.NOT_SAVED.plain())  # nothing changed, kindly
            await person.says("Amazon", "What went wrong")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "OSError" in logged
    assert "Secret Lane" not in logged
    assert fake.token not in logged
    assert fake.token.split(":")[1] not in logged


async def test_a_person_is_still_answered_when_telegram_starts_update_ids_afresh(fake, tmp_path):
    """After a week with no updates Telegram numbers the next one at random, maybe below
    every id before: the person's messages must not be taken for ones delivered again."""
    async with running(fake, tmp_path, FAIRSHAKE_RATE_LIMIT="0"):
        person = Person(fake)
        for _ in range(40):  # more than a conversation keeps apart from its floor
            await person.says("/help", "/forget")
        fake.restart_update_ids(5)
        await person.says("/help", "/forget")
        await person.says("/new", "Which shop")
    assert len([m for m in fake.messages_in(USER) if "/forget" in m.visible_text]) == 41
