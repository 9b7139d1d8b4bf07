"""Telegram: the whole flow in a private chat, on python-telegram-bot.

Run it with a token from @BotFather:

    TELEGRAM_BOT_TOKEN=123456:ABC... fairshake

Long polling by default. Set TELEGRAM_WEBHOOK_URL (the public https address Telegram
should call) for webhook mode: the bot listens on TELEGRAM_WEBHOOK_LISTEN and
TELEGRAM_WEBHOOK_PORT and refuses any request without TELEGRAM_WEBHOOK_SECRET in the
`X-Telegram-Bot-Api-Secret-Token` header. TELEGRAM_API_BASE_URL points it at a
self-hosted Bot API server.

The adapter is thin: a message or a button press becomes an engine event, and the
engine's messages are rendered as HTML with every span escaped, split under Telegram's
limit, with inline keyboards for buttons.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from telegram import (
    BotCommand,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from adapters import (
    telegram_html,
    telegram_keyboard,
    telegram_replies,
    telegram_settings,
    telegram_webhook,
)
from adapters.telegram_files import ORDER_FILES, order_text
from adapters.telegram_limits import (
    FIRST_PING,
    FIRST_REPLY,
    REPLY,
    Budget,
    Limits,
    RepliesFirstRateLimiter,
    rest_of,
    wait_asked,
)
from adapters.telegram_notes import LaterNotes
from adapters.telegram_polling import Polling
from adapters.telegram_sending import retrying
from adapters.telegram_webhook import ALLOWED_UPDATES
from bot.config import Setting, Settings
from bot.engine import Deliver, Engine, Settled
from bot.events import (
    ButtonPress,
    EventId,
    Inbound,
    Outbound,
    PartlySent,
    TextMessage,
    Word,
    parse_command,
    words,
)
from bot.menu import COMMANDS, DESCRIPTION, SHORT_DESCRIPTION
from flows.text import plain
from storage import ConversationKey

log = logging.getLogger(__name__)

PLATFORM = "telegram"
MESSAGE_STREAM = "telegram:message"
"""Inbound messages are told apart by their number in the chat (`_message_id`)."""
TYPING_AFTER = 0.4
"""Seconds a turn may take before the person sees "typing…"."""


class TelegramAdapter:
    """Runs a python-telegram-bot `Application` over the shared engine.

    Args:
        engine: the engine shared with other adapters.
        settings: the TELEGRAM_* settings below.
    """

    name: ClassVar[str] = PLATFORM
    SETTINGS: ClassVar[tuple[Setting, ...]] = telegram_settings.SETTINGS

    @classmethod
    def enabled(cls, settings: Settings) -> bool:
        return bool(settings.get("TELEGRAM_BOT_TOKEN"))

    @classmethod
    def problems(cls, settings: Settings) -> list[str]:
        """Settings Telegram would refuse, said without repeating the token."""
        return telegram_settings.problems(settings)

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        # httpx logs every request URL at INFO, and the URL carries the token.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        base_url = settings.get("TELEGRAM_API_BASE_URL") or "https://api.telegram.org/bot"
        self.app: Application = (
            ApplicationBuilder()
            .token(settings.get("TELEGRAM_BOT_TOKEN"))
            .base_url(base_url)
            .base_file_url(_file_url(base_url))
            .rate_limiter(
                RepliesFirstRateLimiter(Limits.from_settings(settings), self._flood_waited)
            )
            .updater(None)  # our own polling (adapters/telegram_polling.py)
            .build()
        )
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        self.app.add_handler(MessageHandler(private & filters.TEXT, self._on_text))
        self.app.add_handler(MessageHandler(private & ORDER_FILES, self._on_order_file))
        self.app.add_handler(MessageHandler(private & ~filters.TEXT, self._on_other))
        self.app.add_handler(
            MessageHandler(filters.ChatType.GROUPS & filters.UpdateType.MESSAGE, self._on_group)
        )
        self.app.add_handler(CallbackQueryHandler(self._on_press))
        self.app.add_error_handler(self._on_error)
        self._told_groups: set[int] = set()
        self._live: dict[int, tuple[int, InlineKeyboardMarkup | None]] = {}
        """Per chat, the message whose keyboard is the open question's, and the copy
        buttons it keeps once answered (this run's only)."""
        self._notes = LaterNotes()
        """Notes said outside the outbox that met their chat busy, waiting to go."""
        self._stop = asyncio.Event()
        self._running = False
        self._polling = Polling(self.app, ALLOWED_UPDATES)

    # -- running -------------------------------------------------------------------------------

    async def run(self) -> None:
        """Serve until `stop()` or cancellation; the command menu is registered first."""
        async with self.app:
            await self.app.bot.set_my_commands(
                [BotCommand(name, text) for name, text in COMMANDS.items()]
            )
            # What an empty chat shows ("What can this bot do?") and the profile's line.
            await self.app.bot.set_my_description(DESCRIPTION)
            await self.app.bot.set_my_short_description(SHORT_DESCRIPTION)
            await self.app.start()
            runner = (
                await telegram_webhook.start(self.app, self.settings)
                if self.settings.get("TELEGRAM_WEBHOOK_URL")
                else None
            )
            # Ready once started: an instance waiting for the polling lead serves
            # reminders and replies meanwhile.
            self._running = True
            try:
                if runner is None:
                    leadership = self.engine.store.leadership("telegram-polling")
                    await self._polling.while_leading(leadership, self._stop)
                else:
                    log.info("telegram: running (webhook)")
                    await self._stop.wait()
            finally:
                self._running = False
                self._notes.cancel()
                if runner is not None:
                    await runner.cleanup()
                await self.app.stop()

    def stop(self) -> None:
        self._stop.set()

    def _flood_waited(self, seconds: float) -> None:
        """Telegram asked for a flood-control wait: the engine's observers count it."""
        self.engine.observers.rate_limited(PLATFORM, seconds)

    def ready(self) -> bool:
        """Started (polling, waiting for the polling lead, or the webhook set) and PTB's
        application running."""
        return self._running and self.app.running

    @property
    def polling(self) -> bool:
        """Whether this instance is polling Telegram for updates now."""
        return self._polling.running

    # -- inbound -------------------------------------------------------------------------------

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or message.text is None or user is None:
            return  # the handler's filters let through only text messages from a person
        key = _key(user.id, message.chat.id)
        event_id = _message_id(message)
        event = parse_command(key, message.text, event_id) or TextMessage(
            key, message.text, event_id
        )
        await self._turn(message.chat.id, event)

    async def _on_order_file(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or message.document is None or user is None:
            return  # the handler's filters let through only documents from a person
        if (text := await order_text(message.document)) is None:
            await self._send_text(message.chat.id, words(Word.FILE_TOO_BIG))
            return
        key = _key(user.id, message.chat.id)
        await self._turn(message.chat.id, TextMessage(key, text, _message_id(message)))

    async def _on_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return  # a CallbackQueryHandler is only called with one
        chat_id = query.message.chat.id if query.message else query.from_user.id
        if query.message is not None and query.message.chat.type != "private":
            return

        async def settled(taken: bool) -> None:
            """Once the engine has decided, before its answer goes: a press it took shows
            its choice under the question; one from an earlier prompt only loses its dead
            keyboard. A press refused over the rate limit keeps its keyboard, to press again."""
            message = query.message
            if not isinstance(message, Message) or not telegram_keyboard.choices_on(message):
                return  # no keyboard left to change (the same press twice, a forged one)
            with contextlib.suppress(TelegramError):
                await telegram_replies.settle(self.app.bot, message, query.data or "", taken)
                if self._live.get(chat_id, (None,))[0] == message.message_id:
                    del self._live[chat_id]  # its keyboard went with that edit

        # The turn is queued first, so a message typed right after the press comes after it.
        # The same press delivered again (a retry to another instance) is known by its update
        # id, which Telegram keeps when it sends again but may restart anywhere (unordered).
        event_id = EventId("telegram:press", update.update_id, ordered=False)
        event = ButtonPress(_key(query.from_user.id, chat_id), query.data or "", event_id)
        turn = asyncio.create_task(self._answer(event, self.reply, settled))
        with contextlib.suppress(BadRequest):
            await query.answer()  # at once, so the button stops spinning (an old one is refused)
        await turn

    async def _on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat is None:
            return
        await self._send_text(update.effective_chat.id, words(Word.TEXT_ONLY))

    async def _on_group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Case facts are private: in a group, say once where to talk instead."""
        if update.effective_chat is None:
            return
        chat_id = update.effective_chat.id
        if chat_id in self._told_groups:
            return
        self._told_groups.add(chat_id)
        username = self.app.bot.username
        await self._send_text(chat_id, words(Word.PRIVATE_ONLY, link=f"https://t.me/{username}"))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log what failed without the message or the token, and tell the person kindly."""
        log.error("telegram: a turn failed: %s", type(context.error).__name__)
        if isinstance(update, Update) and update.effective_chat is not None:
            with contextlib.suppress(TelegramError):
                await self._send_text(update.effective_chat.id, words(Word.SORRY))

    async def _turn(self, chat_id: int, event: Inbound) -> None:
        typing = asyncio.create_task(self._typing_later(chat_id))

        async def deliver(key: ConversationKey, messages: list[Outbound]) -> None:
            typing.cancel()  # the turn is done: "typing" is for a slow turn, not a busy line
            await self.reply(key, messages)

        try:
            await self._answer(event, deliver)
        finally:
            typing.cancel()

    async def _answer(
        self, event: Inbound, deliver: Deliver, settled: Settled | None = None
    ) -> None:
        """`engine.answer`. What it says outside the outbox (the slow-down note to a
        flood; what a forgotten or damaged record gets) and finds its chat busy is sent
        once the wait is over, not lost and not taken for a failed turn; a reply of the
        outbox's that meets the wait stays in the outbox, which sends it then."""
        held: list[tuple[RetryAfter, list[Outbound]]] = []

        async def holding(key: ConversationKey, messages: list[Outbound]) -> None:
            try:
                await deliver(key, messages)
            except RetryAfter as error:
                held.append((error, messages))
                raise

        try:
            await self.engine.answer(event, holding, settled)
        except RetryAfter as error:
            said = [messages for wait, messages in held if wait is error]
            if not said:
                raise
            self._note_later(event.key, said[0], wait_asked(error))

    async def _typing_later(self, chat_id: int) -> None:
        await asyncio.sleep(TYPING_AFTER)
        with contextlib.suppress(TelegramError):
            await self.app.bot.send_chat_action(chat_id, ChatAction.TYPING, rate_limit_args=REPLY)

    # -- outbound ------------------------------------------------------------------------------

    async def reply(self, key: ConversationKey, messages: list[Outbound]) -> None:
        """A turn's replies, to the person who just wrote: not counted as a broadcast,
        and not waited for when their chat is busy (`FIRST_REPLY`: the outbox sends them
        once the wait is over)."""
        await self.send(key, messages, FIRST_REPLY)

    async def send(
        self, key: ConversationKey, messages: list[Outbound], budget: Budget = FIRST_PING
    ) -> None:
        """A reminder ping, or a reply the outbox sends again (or, with `budget`
        FIRST_REPLY, a turn's replies), to a private chat. The first new message goes
        with `budget` (not waited for if the chat is busy: `RetryAfter`), the rest with
        `rest_of(budget)`.

        Sent unasked, a ping counts against the bot's overall budget for broadcasts.

        Raises:
            TelegramError: the message could not be delivered (the person blocked the bot,
                Telegram refused it, or the network failed every quick try), so the
                scheduler retries it later and, in the end, records it as failed.
        """
        chat_id = int(key.chat_id)
        sent = 0
        for message, carried in telegram_replies.bubbles(messages):
            try:
                await self._send_one(chat_id, message, budget)
            except TelegramError as error:
                if sent:
                    raise PartlySent(sent, error) from error
                raise
            sent += carried
            budget = rest_of(budget)

    async def _send_one(self, chat_id: int, message: Outbound, budget: Budget) -> None:
        """One message of a delivery, its file first: its first new message with
        `budget`, the others with `rest_of(budget)`."""
        later = rest_of(budget)
        if message.attachment is not None:
            file = InputFile(message.attachment.content, filename=message.attachment.filename)
            send_file = functools.partial(
                self.app.bot.send_document, chat_id, file, rate_limit_args=budget
            )
            await self._counted(send_file, strict=True)
            budget = later
        chunks = telegram_html.split(message.text)
        for index, chunk in enumerate(chunks):
            markup = telegram_keyboard.keyboard(message) if index == len(chunks) - 1 else None
            asks = (
                markup is not None
                and message.buttons
                and message.prompt is not None
                and message.prompt.retires
            )
            if asks:  # with the message's budget: not waited for when it is the first
                await self._retire_keyboard(chat_id, budget)
            send = functools.partial(self._send_html, chat_id, chunk, markup, budget)
            sent = await self._counted(send, strict=True)
            budget = later
            if asks and sent is not None:
                self._live[chat_id] = (sent.message_id, telegram_keyboard.copies_of(markup))

    async def _retire_keyboard(self, chat_id: int, budget: Budget) -> None:
        """A new question's keyboard makes the last one stale: its choices go, its copy
        buttons stay (a ping's keyboard stays whole). Refused (its chat paused by a 429,
        say), it stays the live one, for the next question to retire."""
        live = self._live.pop(chat_id, None)
        if live is not None:
            message_id, kept = live
            try:
                await self.app.bot.edit_message_reply_markup(
                    chat_id, message_id, reply_markup=kept, rate_limit_args=budget
                )
            except TelegramError:
                self._live.setdefault(chat_id, live)

    async def _counted(self, send: Callable[[], Awaitable[Any]], strict: bool = False) -> Any:
        """`retrying` (the message sent, or None), with the observers told if it went or
        was refused. A flood-control wait (`RetryAfter`) is neither: the message goes
        once it is over (the 429 itself is counted as a wait, `_flood_waited`)."""
        try:
            sent = await retrying(send, strict)
        except RetryAfter:
            raise
        except BaseException:
            self.engine.observers.reply(PLATFORM, sent=False)
            raise
        self.engine.observers.reply(PLATFORM, sent=sent is not None)
        return sent

    async def _send_html(
        self, chat_id: int, html: str, markup: InlineKeyboardMarkup | None, budget: Budget
    ) -> Any:
        return await self.app.bot.send_message(
            chat_id,
            html,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            rate_limit_args=budget,
        )

    async def _send_text(self, chat_id: int, text: str) -> None:
        """A courtesy note to someone who just wrote; if their chat is busy, sent once
        the wait is over (`_note_later`)."""
        try:
            await self._counted(
                lambda: self.app.bot.send_message(chat_id, text, rate_limit_args=FIRST_REPLY)
            )
        except RetryAfter as error:
            key = ConversationKey(PLATFORM, str(chat_id), str(chat_id))
            self._note_later(key, [Outbound(plain(text))], wait_asked(error))

    def _note_later(self, key: ConversationKey, messages: list[Outbound], wait: float) -> None:
        """Send a note kept nowhere (not a turn's reply) once its chat's wait is over,
        without holding up the update it answers (adapters/telegram_notes.py)."""
        self._notes.add(int(key.chat_id), lambda: self.send(key, messages, REPLY), wait)


def _key(user_id: int, chat_id: int) -> ConversationKey:
    return ConversationKey(PLATFORM, str(user_id), str(chat_id))


def _message_id(message: Message) -> EventId:
    """A message's number in its chat, which Telegram keeps when it sends an unconfirmed
    update again, and which only grows within a chat. Not the update id: after a week
    with no updates Telegram starts those afresh at random, and a person whose new ids
    fell below the old ones would be ignored as "delivered again"."""
    return EventId(MESSAGE_STREAM, message.message_id)


def _file_url(base_url: str) -> str:
    """The file address that goes with a Bot API address (`…/bot` → `…/file/bot`)."""
    root = base_url.rstrip("/").removesuffix("/bot")
    return f"{root}/file/bot"
