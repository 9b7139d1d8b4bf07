"""The Telegram adapter, run for real: python-telegram-bot against a fake Bot API.

Each test starts the real `Application` (long polling through the base-URL setting)
against `FakeTelegram` on 127.0.0.1, injects what a person types or presses, and
reads back what the bot sent, as strict as Telegram where it matters. Where the bot
is in the case is read by structure (tests/telegram_chat.py), never by its wording.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import date, timedelta
from pathlib import Path

import pytest
from aiohttp import ClientSession

from adapters import telegram as telegram_adapter
from bot import damaged
from bot.session import COMMANDS
from flows import advice
from flows.playbook import load_playbook
from storage import ConversationKey, MemoryStore, PersonKey, PersonRecord, TinyDBStore
from tests.chat import AMAZON_ORDER, QUESTIONS, listed
from tests.fakes.telegram import utf16_len
from tests.telegram_chat import (
    STICKER,
    USER,
    Person,
    answer_the_log,
    data_of,
    fake,
    label_of,
    running,
    tell_the_facts,
    up_to_the_delivery_date,
    up_to_the_script,
)

__all__ = ["fake"]


def lists_the_commands(text: str) -> bool:
    """Whether `text` is the help: every command of the menu named in it."""
    return all(f"/{command}" in text for command in COMMANDS)


async def test_a_whole_case_from_start_to_resolved(fake, tmp_path):
    async with running(fake, tmp_path) as adapter:
        person = Person(fake, adapter.engine)
        script = await up_to_the_script(person, "chat")
        assert AMAZON_ORDER in script.visible_text
        ask = load_playbook("amazon").script.asks["refund"].format(amount="$49.99")
        assert ask in fake.visible_text(script), "the script asks for the outcome chosen"
        await person.presses("do:log", "when")
        await answer_the_log(person, "chat", "Sam", "R-1", "Refund approved.")
        await person.presses("pick:resolved", "resolved")
        record = await adapter.engine.store.load(PersonKey("telegram", str(USER)))
    (contact,) = record.cases["c1"]["contacts"]
    assert (contact["channel"], contact["rep"], contact["reference"]) == ("chat", "Sam", "R-1")
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
    async with running(fake, tmp_path, store) as adapter:
        person = Person(fake, adapter.engine)
        await person.says("/new", "merchant")
        mark = len(fake.sent)
        fake.user_sends_document(USER, filename, (ORDERS / filename).read_bytes(), mime_type)
        await person.answer(mark, "problem")
    record = await store.load(PersonKey("telegram", str(USER)))
    facts = record.cases["c1"]["facts"]
    assert facts["order_number"] == number
    assert record.cases["c1"]["question"] == "problem"


async def test_a_forwarded_order_email_is_read_like_a_paste(fake, tmp_path):
    store = MemoryStore()
    forwarded = (ORDERS / "amazon_us_shipped.txt").read_text("utf-8")
    async with running(fake, tmp_path, store) as adapter:
        person = Person(fake, adapter.engine)
        await person.says(forwarded, "problem")  # no case open: it starts one
    record = await store.load(PersonKey("telegram", str(USER)))
    assert record.cases["c1"]["facts"]["order_number"] == "113-9876543-7654321"


async def test_a_case_taken_to_escalation(fake, tmp_path):
    async with running(fake, tmp_path) as adapter:
        person = Person(fake, adapter.engine)
        await up_to_the_script(person, "email")
        await person.says("/log", "when")
        await answer_the_log(person, "email", None, None, "They refused.")
        ladder = await person.presses("pick:no_progress", "escalating")
        assert "do:climb_card_dispute" in ladder.options
        rung = await person.presses("do:climb_card_dispute", "card_dispute")
        record = await adapter.engine.store.load(PersonKey("telegram", str(USER)))
    amazon = load_playbook("amazon")
    assert amazon.rungs["card_dispute"].cost in rung.visible_text, "what it costs"
    delivered = date.fromisoformat(record.cases["c1"]["facts"]["delivery_date"])
    window = amazon.rules[advice.CARD_WINDOW].days
    assert window and f"{delivered + timedelta(days=window):%a %-d %b %Y}" in rung.visible_text
    assert amazon.guarantee and amazon.guarantee.short not in rung.visible_text, (
        "sold by Amazon: no guarantee claim a dispute could lose"
    )


async def test_markup_in_what_people_type_is_shown_as_typed(fake, tmp_path):
    item = "<b>Kettle</b> & <i>lid</i> *bold* _it_ `code` 🫖 &amp; <script>"
    async with running(fake, tmp_path) as adapter:
        review = await tell_the_facts(Person(fake, adapter.engine), item=item)
    assert listed("item", item) in review.visible_text
    refused = [c for c in fake.calls if c.status != 200 and not c.abandoned]
    assert refused == []


async def test_a_huge_message_gets_a_kind_answer_and_the_question_again(fake, tmp_path):
    async with running(fake, tmp_path) as adapter:
        person = Person(fake, adapter.engine)
        await up_to_the_delivery_date(person)
        answer = await person.says("9" * 10_000, "delivery_date")
        record = await adapter.engine.store.load(PersonKey("telegram", str(USER)))
    said, question, _ = answer.visible_text.partition(QUESTIONS["delivery_date"])
    assert question and said.strip(), "something said first, then the question again"
    assert "9" * 20 not in answer.visible_text, "not echoed back"
    assert "delivery_date" not in record.cases["c1"]["facts"]
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
    async with running(fake, tmp_path) as adapter:
        person = Person(fake, adapter.engine)
        question = await person.says("/new", "merchant")
        data = data_of(question, "pick:amazon")
        await person.presses_data(question.message_id, data, "problem")
        sent = len(fake.sent)
        fake.user_presses(USER, question.message_id, data, strict=False)
        await fake.wait_for(lambda f: len(f.answered_callbacks) == 2, what="the second answered")
        await person.says("/status", "problem")
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
    async with running(fake, tmp_path) as adapter:
        person = Person(fake, adapter.engine)
        question = await person.says("/new", "merchant")
        asked, chosen = question.visible_text, label_of(question, "pick:amazon")
        await person.presses("pick:amazon", "problem")
    assert question.buttons == [], "the pressed message's keyboard is gone"
    shown = question.visible_text
    assert shown.startswith(asked) and shown.endswith(chosen), "scrolling back shows the choice"
    assert len(fake.calls_to("editMessageText")) == 1
    assert fake.calls_to("editMessageReplyMarkup") == []
    assert fake.chat_actions == [], "a quick turn shows no typing"


async def test_a_button_from_before_a_restart_is_handled_kindly(fake, tmp_path):
    async with running(fake, tmp_path) as adapter:
        person = Person(fake, adapter.engine)
        first = await person.says("/new", "merchant")
        stale = data_of(first, "pick:amazon")
        await person.presses("pick:amazon", "problem")
    async with running(fake, tmp_path) as adapter:
        person = Person(fake, adapter.engine)
        shown = (await person.says("/status", "problem")).options
        again = await person.presses_data(first.message_id, stale, "problem")
    assert again.options == shown, "left alone: the question it is at, shown again"
    record = await TinyDBStore(tmp_path).load(
        ConversationKey("telegram", str(USER), str(USER)).person
    )
    assert record.cases["c1"]["question"] == "problem"


async def test_a_restart_mid_case_continues_the_case(fake, tmp_path):
    async with running(fake, tmp_path) as adapter:
        await up_to_the_delivery_date(Person(fake, adapter.engine))
    async with running(fake, tmp_path) as adapter:
        person = Person(fake, adapter.engine)
        await person.says("yesterday", "outcome")
        await person.says("/status", "outcome")
        record = await adapter.engine.store.load(PersonKey("telegram", str(USER)))
    assert record.cases["c1"]["facts"]["delivery_date"], "the answer typed after the restart"


async def test_in_a_group_the_bot_says_once_to_write_privately(fake, tmp_path):
    fake.add_group(-100, "Family")
    async with running(fake, tmp_path) as adapter:
        fake.user_says(USER, "/start", chat_type="group", chat_id=-100)
        fake.user_says(USER, "/new", chat_type="group", chat_id=-100)
        await fake.wait_for(lambda f: f.messages_in(-100))
        fake.user_says(USER, "/help")
        await fake.wait_for(lambda f: f.messages_in(USER))
        record = await adapter.engine.store.load(PersonKey("telegram", str(USER)))
    group = fake.messages_in(-100)
    assert len(group) == 1
    assert f"https://t.me/{fake.bot_user['username']}" in group[0].visible_text, "a way there"
    assert not group[0].buttons
    assert record.cases == {}, "nothing of a case in the group"


async def test_flood_control_is_waited_out_and_the_message_arrives_once(fake, tmp_path):
    async with running(fake, tmp_path) as adapter:
        fake.fail_next("sendMessage", status=429, retry_after=1)
        await Person(fake, adapter.engine).says("/help")
    assert [lists_the_commands(m.visible_text) for m in fake.messages_in(USER)] == [True]
    assert [c.status for c in fake.calls_to("sendMessage")] == [429, 200]


async def test_a_server_error_loses_neither_the_reply_nor_the_turn(fake, tmp_path):
    async with running(fake, tmp_path) as adapter:
        person = Person(fake, adapter.engine)
        fake.fail_next("sendMessage", status=502, times=2)
        await person.says("/new", "merchant")
        await person.presses("pick:amazon", "problem")


async def test_export_sends_the_case_file_as_documents(fake, tmp_path):
    async with running(fake, tmp_path) as adapter:
        person = Person(fake, adapter.engine)
        await person.says("/new", "merchant")
        await person.presses("pick:amazon", "problem")
        fake.user_says(USER, "/export")
        await fake.wait_for(lambda f: len([m for m in f.sent if m.document_filename]) == 2)
    files = {m.document_filename: m.document_bytes or b"" for m in fake.sent if m.document_filename}
    assert listed("merchant", "Amazon") in files["fairshake-case-c1.md"].decode()
    assert list(json.loads(files["fairshake-my-data.json"])["cases"]) == ["c1"]


async def test_a_photo_gets_a_kind_answer(fake, tmp_path, caplog):
    with caplog.at_level(logging.INFO):
        async with running(fake, tmp_path):
            fake.user_sends(USER, sticker=STICKER)
            await fake.wait_for(lambda f: f.messages_in(USER))
    (answer,) = fake.messages_in(USER)
    assert answer.visible_text and not answer.buttons
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "answered, not failed"


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
    assert lists_the_commands(fake.messages_in(USER)[0].visible_text)


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
    async with running(fake, tmp_path, store=SlowStore(delay=0.8)) as adapter:
        assert lists_the_commands((await Person(fake, adapter.engine).says("/help")).visible_text)
    assert [(a.chat_id, a.action) for a in fake.chat_actions] == [(USER, "typing")]


async def test_a_failed_turn_is_apologised_for_and_logs_no_content_or_token(fake, tmp_path, caplog):
    store = SlowStore()
    secret = "my address is 1 Secret Lane"
    with caplog.at_level(logging.INFO):
        async with running(fake, tmp_path, store=store) as adapter:
            person = Person(fake, adapter.engine)
            await person.says("/new", "merchant")
            store.fail_on = secret
            sorry = await person.says(secret, "merchant")  # nothing changed
            assert damaged.NOT_SAVED.plain() in sorry.visible_text, "said kindly"
            await person.says("Amazon", "problem")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "OSError" in logged
    assert "Secret Lane" not in logged
    assert fake.token not in logged
    assert fake.token.split(":")[1] not in logged


async def test_a_person_is_still_answered_when_telegram_starts_update_ids_afresh(fake, tmp_path):
    """After a week with no updates Telegram numbers the next one at random, maybe below
    every id before: the person's messages must not be taken for ones delivered again."""
    async with running(fake, tmp_path, FAIRSHAKE_RATE_LIMIT="0") as adapter:
        person = Person(fake, adapter.engine)
        for _ in range(40):  # more than a conversation keeps apart from its floor
            await person.says("/help")
        fake.restart_update_ids(5)
        await person.says("/help")
        await person.says("/new", "merchant")
    assert len([m for m in fake.messages_in(USER) if lists_the_commands(m.visible_text)]) == 41
