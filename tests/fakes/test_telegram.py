"""The fake Telegram server, driven by the real python-telegram-bot.

The adapter tests are only worth what the fake refuses: if it accepted HTML Telegram
rejects, or a second answer to one button press, a broken adapter would pass. So each
rule is shown here with PTB itself raising the exception a real Telegram would cause.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from adapters.telegram_limits import wait_asked
from tests.fakes.telegram import FakeTelegram, SentMessage

USER = 42
"""A person; their private chat has the same id."""
SHORT = dtm.timedelta(seconds=0)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        server.add_user(USER, "Dana")
        yield server
    assert server.server_errors == [], "the fake itself failed"


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with fake.bot() as real_bot:
        yield real_bot


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data)] for label, data in pairs]
    )


# -- the bot's identity and the token --------------------------------------------------------


async def test_get_me_names_the_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.username == "FairShakeTestBot"
    assert me.is_bot
    assert me.id == 123456


async def test_a_wrong_token_is_refused(fake: FakeTelegram) -> None:
    for token in ("999:wrong-token", "not-a-token"):
        with pytest.raises(InvalidToken):
            async with Bot(token, base_url=fake.base_url):
                pass
    assert [c.status for c in fake.calls] == [401, 404]


async def test_an_unknown_method_is_not_found(bot: Bot, fake: FakeTelegram) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": USER})
    assert fake.calls[-1].status == 404


# -- long polling ----------------------------------------------------------------------------


async def test_a_long_poll_returns_as_soon_as_a_person_writes(bot: Bot, fake: FakeTelegram) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=dtm.timedelta(seconds=5)))
    await fake.wait_for(lambda f: any(c.method == "getUpdates" for c in f.calls))
    fake.user_says(USER, "/start now")
    (update,) = await poll
    assert loop.time() - started < 3
    assert update.message.text == "/start now"
    assert update.message.chat.type == "private"
    assert update.message.from_user.first_name == "Dana"
    (entity,) = update.message.entities
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 6)


async def test_an_update_is_delivered_until_an_offset_confirms_it(
    bot: Bot, fake: FakeTelegram
) -> None:
    fake.user_says(USER, "hello")
    first = await bot.get_updates(timeout=SHORT)
    again = await bot.get_updates(timeout=SHORT)
    assert [u.update_id for u in again] == [u.update_id for u in first]
    confirmed = await bot.get_updates(offset=first[-1].update_id + 1, timeout=SHORT)
    assert confirmed == ()
    assert fake.pending_updates == []


async def test_an_empty_long_poll_waits_for_its_timeout(bot: Bot) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(timeout=dtm.timedelta(milliseconds=300)) == ()
    assert loop.time() - started >= 0.25


async def test_limit_and_allowed_updates_are_honoured(bot: Bot, fake: FakeTelegram) -> None:
    for text in ("one", "two", "three"):
        fake.user_says(USER, text)
    assert [u.message.text for u in await bot.get_updates(limit=2, timeout=SHORT)] == [
        "one",
        "two",
    ]
    sent = await bot.send_message(USER, "Pick", reply_markup=keyboard(("Yes", "yes")))
    fake.user_presses(USER, sent.message_id, "yes")
    updates = await bot.get_updates(allowed_updates=["callback_query"], timeout=SHORT)
    assert [u.callback_query.data for u in updates] == ["yes"]
    assert updates[0].callback_query.message.text == "Pick"


async def test_a_second_poller_terminates_the_first(fake: FakeTelegram) -> None:
    async with fake.bot() as first, fake.bot() as second:
        waiting = asyncio.create_task(first.get_updates(timeout=dtm.timedelta(seconds=5)))
        await fake.wait_for(lambda f: len(f.calls_to("getUpdates")) == 1)
        await second.get_updates(timeout=SHORT)
        with pytest.raises(Conflict, match="terminated by other getUpdates"):
            await waiting


# -- a real Application ----------------------------------------------------------------------


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(f"You said: {update.effective_message.text}")


async def offer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(
        "<b>Which shop?</b>",
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(("Amazon", "shop:amazon"), ("Other", "shop:other")),
    )


async def chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer("Noted")
    await query.edit_message_reply_markup(reply_markup=None)
    await query.message.reply_text(f"You chose {query.data}")


async def run_app(fake: FakeTelegram, *handlers: object) -> Application:
    app = fake.application_builder().build()
    for handler in handlers:
        app.add_handler(handler)  # type: ignore[arg-type]
    await app.initialize()
    await app.start()
    await app.updater.start_polling(timeout=dtm.timedelta(seconds=5))
    return app


async def stop_app(app: Application) -> None:
    await app.updater.stop()
    await app.stop()
    await app.shutdown()


async def test_an_application_answers_each_message_once(fake: FakeTelegram) -> None:
    app = await run_app(fake, MessageHandler(filters.TEXT, echo))
    try:
        fake.user_says(USER, "hello")
        assert (await fake.wait_for_message(USER)).text == "You said: hello"
        fake.user_says(USER, "again")
        assert (await fake.wait_for_message(USER)).text == "You said: again"
    finally:
        await stop_app(app)
    assert fake.pending_updates == []  # stopping confirmed what was fetched

    app = await run_app(fake, MessageHandler(filters.TEXT, echo))
    try:
        fake.user_says(USER, "third")
        await fake.wait_for_message(USER)
    finally:
        await stop_app(app)
    assert [m.text for m in fake.messages_in(USER)] == [
        "You said: hello",
        "You said: again",
        "You said: third",
    ]


async def test_an_application_handles_a_button_press(fake: FakeTelegram) -> None:
    app = await run_app(fake, CommandHandler("start", offer), CallbackQueryHandler(chosen))
    try:
        fake.user_says(USER, "/start")
        question = await fake.wait_for_message(USER)
        assert question.visible_text == "Which shop?"
        assert question.button_labels == ["Amazon", "Other"]
        query_id = fake.user_presses_button(USER, "Amazon")
        reply = await fake.wait_for_message(USER)
    finally:
        await stop_app(app)
    assert reply.text == "You chose shop:amazon"
    assert [(a.query_id, a.text) for a in fake.answered_callbacks] == [(query_id, "Noted")]
    assert question.reply_markup is None
    assert question.history[0]["reply_markup"] is not None
    with pytest.raises(AssertionError, match="no button 'Amazon'"):
        fake.user_presses_button(USER, "Amazon")


# -- what Telegram refuses -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "visible"),
    [
        ("<b>bold</b> and <i>it</i>", "bold and it"),
        ('<a href="https://example.com/?a=1&amp;b=2">link</a>', "link"),
        (
            "5 &lt; 6 &amp;&amp; 7 &gt; 3 &quot;ok&quot; &#33; &#x1F600;",
            '5 < 6 && 7 > 3 "ok" ! \U0001f600',
        ),
        ('<pre><code class="language-python">x = 1</code></pre>', "x = 1"),
        (
            '<blockquote>q</blockquote><tg-spoiler>s</tg-spoiler><span class="tg-spoiler">t</span>',
            "qst",
        ),
        (
            "<strong>a</strong><em>b</em><ins>c</ins><del>d</del><s>e</s><strike>f</strike><u>g</u><code>h</code>",
            "abcdefgh",
        ),
        ("<b><i>nested</i></b>\n", "nested"),
    ],
)
async def test_html_that_telegram_parses_is_accepted(
    bot: Bot, fake: FakeTelegram, html: str, visible: str
) -> None:
    message = await bot.send_message(USER, html, parse_mode=ParseMode.HTML)
    assert message.text == visible
    assert fake.sent[-1].text == html
    assert fake.visible_text(html) == visible


async def test_entities_come_back_in_utf16_units(bot: Bot) -> None:
    message = await bot.send_message(
        USER,
        '\U0001f600 <b>hi</b> <pre><code class="language-python">x</code></pre>',
        parse_mode=ParseMode.HTML,
    )
    link = await bot.send_message(
        USER, '<a href="https://example.com/?a=1&amp;b=2">link</a>', parse_mode=ParseMode.HTML
    )
    assert link.entities[0].url == "https://example.com/?a=1&b=2"
    bold, pre = message.entities
    assert (bold.type, bold.offset, bold.length) == ("bold", 3, 2)
    assert (pre.type, pre.offset, pre.length, pre.language) == ("pre", 6, 1, "python")


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<b>unclosed", 'end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("a <br> b", 'Unsupported start tag "br" at byte offset 2'),
        ("<div>x</div>", 'Unsupported start tag "div"'),
        ("x</b>", "Unexpected end tag"),
        ("<b x", "Unclosed start tag"),
        ("1 < 2", 'Unescaped "<"'),
        ("1 > 2", 'Unescaped ">"'),
        ("fish & chips", 'Unescaped "&"'),
        ("a&nbsp;b", 'Unsupported HTML entity "&nbsp;"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
    ],
)
async def test_html_that_telegram_refuses_raises_bad_request(
    bot: Bot, fake: FakeTelegram, html: str, error: str
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities") as refused:
        await bot.send_message(USER, html, parse_mode=ParseMode.HTML)
    assert error.lower() in refused.value.message.lower()
    assert fake.sent == []


async def test_text_over_4096_utf16_units_is_too_long(bot: Bot) -> None:
    await bot.send_message(USER, "a" * 4096)
    await bot.send_message(USER, "<b>" + "&lt;" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    await bot.send_message(USER, "\U0001f600" * 2048)
    for text in ("a" * 4097, "\U0001f600" * 2049):
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await bot.send_message(USER, text)


@pytest.mark.parametrize(
    ("text", "mode"), [("", None), ("  \n ", None), ("<b> </b>", ParseMode.HTML)]
)
async def test_empty_text_is_refused(bot: Bot, text: str, mode: str | None) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(USER, text, parse_mode=mode)


async def test_callback_data_over_64_bytes_is_refused(bot: Bot, fake: FakeTelegram) -> None:
    await bot.send_message(USER, "ok", reply_markup=keyboard(("Go", "x" * 64)))
    for data in ("x" * 65, "\u00e9" * 33):
        with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
            await bot.send_message(USER, "too much", reply_markup=keyboard(("Go", data)))
    assert len(fake.sent) == 1


async def test_a_chat_that_never_wrote_or_blocked_the_bot_is_refused(
    bot: Bot, fake: FakeTelegram
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(7, "hi")
    fake.user_blocks_bot(USER)
    with pytest.raises(Forbidden, match=r"(?i)blocked"):
        await bot.send_message(USER, "hi")


async def test_flood_control_raises_retry_after_and_records_nothing(
    bot: Bot, fake: FakeTelegram
) -> None:
    fake.fail_next("sendMessage", status=429, retry_after=1)
    with pytest.raises(RetryAfter) as limited:
        await bot.send_message(USER, "hi")
    assert wait_asked(limited.value) == 1
    assert fake.sent == []
    assert fake.calls[-1].status == 429
    await bot.send_message(USER, "hi")
    assert [m.text for m in fake.sent] == ["hi"]


@pytest.mark.parametrize("status", [500, 502])
async def test_server_errors_raise_network_error(bot: Bot, fake: FakeTelegram, status: int) -> None:
    fake.fail_next("sendMessage", status=status, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError) as failed:
            await bot.send_message(USER, "hi")
        assert type(failed.value) is NetworkError
    assert fake.sent == []


async def test_editing_to_the_same_content_is_not_modified(bot: Bot, fake: FakeTelegram) -> None:
    message = await bot.send_message(USER, "Hi", reply_markup=keyboard(("Yes", "yes")))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "Hi", USER, message.message_id, reply_markup=keyboard(("Yes", "yes"))
        )
    # Telegram drops the keyboard when an edit leaves it out: that is a change.
    await bot.edit_message_text("Hi", USER, message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(USER, message.message_id, reply_markup=None)
    edited = await bot.edit_message_text(
        "<b>Hi</b>", USER, message.message_id, parse_mode=ParseMode.HTML
    )
    assert edited.entities[0].type == "bold"
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("Hi", USER, 999)
    sent = fake.sent[0]
    assert (sent.text, sent.reply_markup, len(sent.history)) == ("<b>Hi</b>", None, 2)


async def test_a_deleted_message_is_gone(bot: Bot, fake: FakeTelegram) -> None:
    message = await bot.send_message(USER, "Oops")
    assert await bot.delete_message(USER, message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(USER, message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("Better", USER, message.message_id)
    assert fake.messages_in(USER) == []
    assert fake.messages_in(USER, include_deleted=True)[0].deleted


async def test_a_button_press_is_answered_once(bot: Bot, fake: FakeTelegram) -> None:
    message = await bot.send_message(USER, "Sure?", reply_markup=keyboard(("Yes", "yes")))
    query_id = fake.user_presses(USER, message.message_id, "yes")
    assert await bot.answer_callback_query(query_id, text="Done")
    for query in (query_id, "123"):
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await bot.answer_callback_query(query)
    assert [(a.query_id, a.text) for a in fake.answered_callbacks] == [(query_id, "Done")]
    with pytest.raises(AssertionError, match="no button with data 'no'"):
        fake.user_presses(USER, message.message_id, "no")


async def test_a_document_is_recorded_and_can_be_fetched(bot: Bot, fake: FakeTelegram) -> None:
    content = b"%PDF-1.4 the case file"
    message = await bot.send_document(
        USER,
        InputFile(content, filename="case.pdf"),
        caption="Your <b>case</b>",
        parse_mode=ParseMode.HTML,
    )
    sent: SentMessage = fake.sent[-1]
    assert (sent.method, sent.document_filename, sent.document_bytes) == (
        "sendDocument",
        "case.pdf",
        content,
    )
    assert sent.visible_text == "Your case"
    assert message.document.file_name == "case.pdf"
    file = await bot.get_file(message.document.file_id)
    assert bytes(await file.download_as_bytearray()) == content
    with pytest.raises(BadRequest, match=r"(?i)file must be non-empty"):
        await bot.send_document(USER, InputFile(b"", filename="empty.txt"))


async def test_chat_actions_are_recorded(bot: Bot, fake: FakeTelegram) -> None:
    await bot.send_chat_action(USER, "typing")
    assert [(a.chat_id, a.action) for a in fake.chat_actions] == [(USER, "typing")]
    with pytest.raises(BadRequest):
        await bot.send_chat_action(USER, "dancing")


async def test_the_command_menu_is_stored_and_checked(bot: Bot, fake: FakeTelegram) -> None:
    await bot.set_my_commands(
        [BotCommand("start", "Start a case"), BotCommand("help", "What I do")]
    )
    assert fake.commands == [
        {"command": "start", "description": "Start a case"},
        {"command": "help", "description": "What I do"},
    ]
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    for command in (BotCommand("Start", "x"), BotCommand("a-b", "x"), BotCommand("x" * 33, "x")):
        with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
            await bot.set_my_commands([command])
    for description in ("", "x" * 257):
        with pytest.raises(BadRequest, match=r"(?i)DESCRIPTION_INVALID"):
            await bot.set_my_commands([BotCommand("start", description)])
    assert len(fake.commands) == 2


# -- webhooks --------------------------------------------------------------------------------


async def test_webhook_rules_and_delivery(bot: Bot, fake: FakeTelegram) -> None:
    received: list[tuple[str | None, dict[str, object]]] = []

    async def receive(request: web.Request) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        received.append((secret, await request.json()))
        return web.Response(status=200 if secret == "s3cret" else 403)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    local = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        for url in (
            "http://bot.example.com/hook",
            "https://bot.example.com:5000/hook",
            "https://127.0.0.1/hook",
        ):
            with pytest.raises(BadRequest, match=r"(?i)bad webhook"):
                await bot.set_webhook(url)
        await bot.set_webhook(
            "https://bot.example.com/hook", secret_token="s3cret", allowed_updates=["message"]
        )
        info = await bot.get_webhook_info()
        assert (info.url, fake.webhook_secret) == ("https://bot.example.com/hook", "s3cret")
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates(timeout=SHORT)

        update = fake.build_message_update(USER, "by hand")
        assert await fake.post_update_to(f"{local}/hook", update) == 403
        assert await fake.post_update_to(f"{local}/hook", update, secret_token="s3cret") == 200

        fake.deliver_webhooks_to(local)
        fake.user_says(USER, "delivered")
        await fake.wait_for(lambda f: not f.pending_updates, timeout=5)
        assert [body["message"]["text"] for _, body in received] == [
            "by hand",
            "by hand",
            "delivered",
        ]
        assert fake.webhook_deliveries[-1].status == 200

        await bot.delete_webhook()
        assert await bot.get_updates(timeout=SHORT) == ()
    finally:
        await runner.cleanup()


# -- the helpers themselves ------------------------------------------------------------------


async def test_wait_for_says_what_the_bot_did_when_it_times_out(
    bot: Bot, fake: FakeTelegram
) -> None:
    await bot.send_message(USER, "Only this")
    with pytest.raises(AssertionError, match=r"(?s)waiting for a second message.*'Only this'"):
        await fake.wait_for(lambda f: len(f.sent) > 1, timeout=0.2, what="a second message")


async def test_group_messages_and_commands_look_like_telegrams(
    bot: Bot, fake: FakeTelegram
) -> None:
    fake.user_says(USER, "/start@FairShakeTestBot hi", chat_type="group")
    (update,) = await bot.get_updates(timeout=SHORT)
    assert update.effective_chat.type == "group"
    assert update.effective_chat.id == -USER
    assert update.message.entities[0].length == len("/start@FairShakeTestBot")
    await bot.send_message(-USER, "Let's talk in private")
    assert fake.messages_in(-USER)[0].text == "Let's talk in private"
