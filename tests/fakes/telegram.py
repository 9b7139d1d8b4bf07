"""A fake Telegram Bot API server that the real python-telegram-bot library talks to.

Why a server and not a mocked `Bot`: the adapter's bugs live where PTB meets Telegram,
in what PTB puts on the wire and what Telegram refuses. A mock accepts anything; this
server answers over HTTP exactly as PTB 22 expects (`{base_url}{token}/{method}`, form
fields whose values are JSON unless they are plain strings, multipart when a file goes
along, and a `{"ok": ..., "result"/"description"}` envelope with the real HTTP status,
which is what PTB turns into `BadRequest`, `Forbidden`, `InvalidToken`, `RetryAfter` or
`NetworkError`), and it is at least as strict as Telegram where a bot can get it wrong:
HTML that does not parse, text over 4,096 UTF-16 code units after parsing, callback data
over 64 bytes, editing to the same content, answering a button press twice.

Use it as an async context manager (or start/stop it in a fixture):

    async with FakeTelegram() as fake:
        app = (ApplicationBuilder().token(fake.token).base_url(fake.base_url)
               .base_file_url(fake.base_file_url).build())
        ...                                  # start the app, polling
        fake.user_says(42, "/start")
        reply = await fake.wait_for_message(42)
        fake.user_presses_button(42, "Amazon")

Everything runs on the test's event loop; nothing here sleeps to wait for the bot:
waiting is on an `asyncio.Condition` that every state change notifies.

Deliberately stricter than Telegram (code that passes here passes there): a bare `>` or
an `&` that starts no entity is refused in HTML (Telegram tolerates both), and so is
any HTML entity other than `&lt;` `&gt;` `&amp;` `&quot;` and numeric ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import ipaddress
import itertools
import json
import re
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientSession, ClientTimeout, web
from telegram import Bot
from telegram.ext import ApplicationBuilder

TEXT_LIMIT = 4096
"""Message text, in UTF-16 code units after entity parsing and trimming."""
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
"""Bytes of UTF-8, per inline button."""
COPY_TEXT_LIMIT = 256
"""Characters a copy button copies (CopyTextButton.text: 1-256)."""
CALLBACK_ANSWER_TEXT_LIMIT = 200
INLINE_BUTTONS_LIMIT = 100
COMMANDS_LIMIT = 100
DESCRIPTION_LIMIT = 512
SHORT_DESCRIPTION_LIMIT = 120
CALLBACK_ANSWER_WINDOW = 15.0
"""Seconds Telegram keeps a button press answerable."""
UPLOAD_LIMIT = 50 * 1024 * 1024
WEBHOOK_PORTS = (80, 88, 443, 8443)
DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
"""What Telegram sends when `allowed_updates` is empty or was never given: all but
chat_member, message_reaction and message_reaction_count."""
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]+")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"

_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "secret_token",
        "ip_address",
        "action",
        "language_code",
        "file_id",
        "document",
        "thumbnail",
        "business_connection_id",
        "message_effect_id",
        "title",
        "description",
        "short_description",
        "name",
        "emoji",
    }
)
"""Parameters PTB sends as raw strings; every other form value is JSON (see
`telegram.request.RequestParameter.json_value`), so "123" as a text stays a string."""


# -- Telegram's HTML parse mode --------------------------------------------------------------


class EntityParseError(ValueError):
    """HTML that Telegram would refuse with "Bad Request: can't parse entities: ..."."""


_START_TAG = re.compile(
    r"<([A-Za-z][A-Za-z0-9-]*)"
    r"((?:\s+[^\s=<>\"'/]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'<>`=]+))?)*)\s*>"
)
_END_TAG = re.compile(r"</([A-Za-z][A-Za-z0-9-]*)\s*>")
_TAG_NAME = re.compile(r"</?[A-Za-z]")
_ATTRIBUTE = re.compile(r"([^\s=<>\"'/]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'<>`=]+)))?")
_CHAR_REF = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8}));")
_NAMED_REF = re.compile(r"&[A-Za-z][A-Za-z0-9]*;")
_PLAIN = re.compile(r"[^<>&]+")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP is 2)."""
    return len(text.encode("utf-16-le")) // 2


def _decode_ref(ref: re.Match[str]) -> str:
    named, decimal, hexadecimal = ref.groups()
    if named:
        return _NAMED[named]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise EntityParseError(f'Invalid character entity "{ref.group()}"')
    return chr(code)


def _attributes(raw: str) -> dict[str, str]:
    """Attribute names (lowercased) and values, character entities decoded."""
    return {
        m.group(1).lower(): _CHAR_REF.sub(
            _decode_ref, next((g for g in m.group(2, 3, 4) if g is not None), "")
        )
        for m in _ATTRIBUTE.finditer(raw)
    }


def _entity_for(
    name: str, attributes: dict[str, str], stack: list[tuple[str, dict[str, Any] | None, int]]
) -> dict[str, Any] | None:
    """The entity a start tag opens (None for one that only decorates its parent)."""
    if name == "code" and stack and stack[-1][0] == "pre":
        language = attributes.get("class", "")
        pre = stack[-1][1]
        if language.startswith("language-") and pre is not None:
            pre["language"] = language.removeprefix("language-")
        return None
    if name in _SIMPLE_TAGS:
        return {"type": _SIMPLE_TAGS[name]}
    if name == "a":
        href = attributes.get("href")
        return {"type": "text_link", "url": href} if href else None
    if name == "span":
        if attributes.get("class") != "tg-spoiler":
            raise EntityParseError('Tag "span" must have class "tg-spoiler"')
        return {"type": "spoiler"}
    if name == "blockquote":
        return {"type": "expandable_blockquote" if "expandable" in attributes else "blockquote"}
    raise ValueError(name)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's HTML parse mode: the visible text and its entities (UTF-16 offsets).

    Raises EntityParseError, worded like Telegram's, for an unsupported or unclosed tag,
    badly nested tags, or a `<`, `>` or `&` that is not part of a tag or entity.
    """
    out: list[str] = []
    units = 0
    stack: list[tuple[str, dict[str, Any] | None, int]] = []
    entities: list[dict[str, Any]] = []
    pos = 0

    def at(index: int) -> str:
        return f"at byte offset {len(source[:index].encode())}"

    while pos < len(source):
        char = source[pos]
        if char == "<" and source.startswith("</", pos):
            end = _END_TAG.match(source, pos)
            if end is None:
                raise EntityParseError(f"Unclosed end tag {at(pos)}")
            name = end.group(1).lower()
            if not stack:
                raise EntityParseError(f"Unexpected end tag {at(pos)}")
            open_name, entity, start = stack.pop()
            if open_name != name:
                raise EntityParseError(
                    f'Unmatched end tag {at(pos)}, expected "</{open_name}>", found "</{name}>"'
                )
            if entity is not None and units > start:
                entities.append({**entity, "offset": start, "length": units - start})
            pos = end.end()
        elif char == "<":
            tag = _START_TAG.match(source, pos)
            if tag is None:
                if _TAG_NAME.match(source, pos):
                    raise EntityParseError(f"Unclosed start tag {at(pos)}")
                raise EntityParseError(f'Unescaped "<" {at(pos)}: write it as &lt;')
            name = tag.group(1).lower()
            if name not in _SIMPLE_TAGS and name not in {"a", "span", "blockquote"}:
                raise EntityParseError(f'Unsupported start tag "{name}" {at(pos)}')
            try:
                entity = _entity_for(name, _attributes(tag.group(2)), stack)
            except EntityParseError as error:
                raise EntityParseError(f"{error} {at(pos)}") from None
            stack.append((name, entity, units))
            pos = tag.end()
        elif char == ">":
            raise EntityParseError(f'Unescaped ">" {at(pos)}: write it as &gt;')
        elif char == "&":
            ref = _CHAR_REF.match(source, pos)
            if ref is None:
                named = _NAMED_REF.match(source, pos)
                if named:
                    raise EntityParseError(f'Unsupported HTML entity "{named.group()}" {at(pos)}')
                raise EntityParseError(f'Unescaped "&" {at(pos)}: write it as &amp;')
            try:
                decoded = _decode_ref(ref)
            except EntityParseError as error:
                raise EntityParseError(f"{error} {at(pos)}") from None
            out.append(decoded)
            units += utf16_len(decoded)
            pos = ref.end()
        else:
            plain = _PLAIN.match(source, pos)
            assert plain is not None
            out.append(plain.group())
            units += utf16_len(plain.group())
            pos = plain.end()
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return "".join(out), entities


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram drops leading and trailing whitespace, and entities shrink with it."""
    stripped = text.lstrip()
    lead = utf16_len(text) - utf16_len(stripped)
    stripped = stripped.rstrip()
    total = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def _command_entities(text: str) -> list[dict[str, Any]]:
    """`bot_command` entities, as Telegram marks them in what a person types."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: m.start()]),
            "length": utf16_len(m.group()),
        }
        for m in _COMMAND.finditer(text)
    ]


# -- what the fake records -------------------------------------------------------------------


class ApiError(Exception):
    """A refusal, answered as Telegram does: HTTP status = error_code, and a description."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class Upload:
    """A file that came with a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class Call:
    """One request the bot made, refused or not, in arrival order."""

    method: str
    """As the bot spelt it (Telegram's method names are case-insensitive)."""
    params: dict[str, Any]
    """Decoded: JSON values parsed, strings as sent."""
    files: dict[str, str | None] = field(default_factory=dict)
    """Multipart part name -> filename."""
    status: int | None = None
    """HTTP status answered; None while a long poll is still waiting."""
    description: str | None = None
    """Telegram's description when refused."""
    abandoned: bool = False
    """The bot hung up before the answer (a cancelled long poll): nobody saw it."""
    at: float = field(default_factory=time.monotonic)
    """When it arrived (`time.monotonic()`), to compare calls' spacing."""


@dataclass
class SentMessage:
    """A message the bot sent, kept up to date through edits and deletion."""

    seq: int
    """Index in `FakeTelegram.sent`."""
    method: str
    chat_id: int
    message_id: int
    text: str | None
    """As the bot sent it (HTML source when parse_mode is HTML); a document's caption."""
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    api: dict[str, Any]
    """The Message object as Telegram returns it (text after parsing, entities)."""
    params: dict[str, Any]
    document_filename: str | None = None
    document_bytes: bytes | None = None
    document_mime_type: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    """Earlier versions, oldest first: {"text", "parse_mode", "reply_markup"}."""
    deleted: bool = False

    @property
    def visible_text(self) -> str:
        """What a person reads: tags gone, entities unescaped, trimmed."""
        return self.api.get("text") or self.api.get("caption") or ""

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        """Inline keyboard rows as sent (empty when there is none)."""
        return list((self.reply_markup or {}).get("inline_keyboard") or [])

    @property
    def button_labels(self) -> list[str]:
        return [button["text"] for row in self.buttons for button in row]

    @property
    def options(self) -> list[str]:
        """The option ids behind the callback buttons (the data after its stamp: `do:confirm`)."""
        return [
            str(button["callback_data"]).partition("|")[2]
            for row in self.buttons
            for button in row
            if "callback_data" in button
        ]

    def button(self, label: str) -> dict[str, Any] | None:
        """The callback button a person sees as `label`, if this message shows one."""
        return next(
            (
                b
                for row in self.buttons
                for b in row
                if b.get("text") == label and "callback_data" in b
            ),
            None,
        )

    def callback_data(self, label: str) -> str:
        """The callback data behind the button a person sees as `label`."""
        button = self.button(label)
        if button is None:
            raise AssertionError(
                f"no button {label!r} on message {self.message_id}: {self.button_labels}"
            )
        return str(button["callback_data"])


@dataclass
class AnsweredCallback:
    query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None


@dataclass
class ChatActionSent:
    chat_id: int
    action: str


@dataclass
class WebhookDelivery:
    update_id: int
    url: str
    status: int | None
    error: str | None = None


@dataclass
class _Press:
    user_id: int
    chat_id: int
    message_id: int
    data: str
    at: float


@dataclass
class _File:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None
    mime_type: str | None


# -- the server ------------------------------------------------------------------------------


Handler = Callable[[dict[str, Any], dict[str, Upload]], Awaitable[Any]]


class FakeTelegram:
    """An aiohttp server on 127.0.0.1 speaking the Bot API to one bot.

    Args:
        token: the only token accepted; any other well-formed one gets 401
            "Unauthorized", a malformed one 404 "Not Found", like Telegram.
        username: the bot's username, as getMe reports it.
        first_name: the bot's display name.
    """

    def __init__(
        self,
        token: str = "123456:TEST-token",
        *,
        username: str = "FairShakeTestBot",
        first_name: str = "Fair Shake",
    ) -> None:
        self.token = token
        self.bot_user: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": first_name,
            "username": username,
        }
        self.host = "127.0.0.1"
        self.port: int | None = None

        self.sent: list[SentMessage] = []
        self.calls: list[Call] = []
        self.answered_callbacks: list[AnsweredCallback] = []
        self.chat_actions: list[ChatActionSent] = []
        self.updates: list[dict[str, Any]] = []
        """Every update injected, confirmed or not."""
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.server_errors: list[str] = []
        """Tracebacks of bugs in the fake itself (answered as 500)."""
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.webhook_allowed_updates: list[str] | None = None

        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._pending: list[dict[str, Any]] = []
        self._fetched: set[int] = set()
        """The pending updates (by `id()`) a getUpdates has returned: an offset confirms
        only those, as Telegram cannot confirm what it never sent."""
        self._allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self._update_ids = itertools.count(100_000_001)
        self._query_ids = itertools.count(4_242_000_000_000_001)
        self._file_ids = itertools.count(1)
        self._users: dict[int, dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._blocked: set[int] = set()
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._description = _BotText("description", DESCRIPTION_LIMIT, "BOT_DESCRIPTION_INVALID")
        """What an empty chat shows under "What can this bot do?"."""
        self._short_description = _BotText(
            "short_description", SHORT_DESCRIPTION_LIMIT, "BOT_SHORT_DESCRIPTION_INVALID"
        )
        """The bot's profile line and share text."""
        self.descriptions = self._description.by_language
        self.short_descriptions = self._short_description.by_language
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        """Every live message by (chat_id, message_id): the user's and the bot's."""
        self._sent_by_id: dict[tuple[int, int], SentMessage] = {}
        self._presses: dict[str, _Press] = {}
        self._files: dict[str, _File] = {}
        self._failures: dict[tuple[str, int | None], deque[ApiError]] = {}
        """Refusals queued by `fail_next`, by method and chat (None: any chat)."""
        self._outages: dict[str, tuple[float, ApiError]] = {}
        self._outage_after: dict[str, int] = {}
        self._held: dict[str, asyncio.Event] = {}
        """Methods whose calls wait, unanswered, until `release` (`hold`)."""
        """Calls of a method still answered before its outage starts (`fail_for(after=)`)."""
        self._last_user_action: dict[int, int] = {}
        self._poll_generation = 0
        self._closing = False
        self._changed = asyncio.Condition()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._webhook_target: str | None = None
        self._delivery: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, Handler] = {
            name.lower(): handler
            for name, handler in {
                "getMe": self._get_me,
                "logOut": self._true,
                "close": self._true,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "sendMessage": self._send_message,
                "sendDocument": self._send_document,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "sendChatAction": self._send_chat_action,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "setMyDescription": self._description.set,
                "getMyDescription": self._description.get,
                "setMyShortDescription": self._short_description.set,
                "getMyShortDescription": self._short_description.get,
                "getFile": self._get_file,
            }.items()
        }

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> FakeTelegram:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application(client_max_size=UPLOAD_LIMIT + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, 0).start()
        self.port = self._runner.addresses[0][1]
        self._closing = False
        return self

    async def stop(self) -> None:
        """Answer waiting long polls at once, stop delivering webhooks, close the port."""
        self._closing = True
        await self._notify()
        if self._delivery is not None:
            self._delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivery
            self._delivery = None
        for task in list(self._tasks):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """For `ApplicationBuilder().base_url(...)`: PTB appends the token."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """For `ApplicationBuilder().base_file_url(...)`."""
        return f"http://{self.host}:{self.port}/file/bot"

    def bot(self) -> Bot:
        """A `telegram.Bot` pointed at this server (use `async with`, or initialize it)."""
        return Bot(self.token, base_url=self.base_url, base_file_url=self.base_file_url)

    def application_builder(self) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
        """A `telegram.ext.ApplicationBuilder` with token and URLs set to this server."""
        return (
            ApplicationBuilder()
            .token(self.token)
            .base_url(self.base_url)
            .base_file_url(self.base_file_url)
        )

    # -- failure injection -------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Refuse the next `times` calls of `method` (to `chat_id` only, when given)
        before doing anything.

        A 429 carries `parameters.retry_after` (default 1), which PTB raises as
        RetryAfter; 5xx become NetworkError. A refused call records no message.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = {
                400: "Bad Request",
                403: "Forbidden: bot was blocked by the user",
                429: f"Too Many Requests: retry after {retry_after}",
                500: "Internal Server Error",
                502: "Bad Gateway",
                503: "Service Unavailable",
            }.get(status, f"Error {status}")
        queue = self._failures.setdefault((method.lower(), chat_id), deque())
        queue.extend(ApiError(status, description, retry_after) for _ in range(times))

    def hold(self, method: str) -> None:
        """Leave every call of `method` unanswered until `release`: a bot killed meanwhile
        is killed in the middle of the turn that made the call."""
        self._held[method.lower()] = asyncio.Event()

    def release(self, method: str) -> None:
        """Answer the held calls of `method`, and the next ones at once."""
        self._held.pop(method.lower()).set()

    def fail_for(self, method: str, seconds: float, status: int = 500, *, after: int = 0) -> None:
        """Refuse every call of `method` for the next `seconds` (an outage), with `status`;
        with `after`, the outage starts once that many more calls have been answered."""
        self._outage_after[method.lower()] = after
        self._outages[method.lower()] = (
            time.monotonic() + seconds,
            ApiError(status, "Internal Server Error" if status == 500 else f"Error {status}"),
        )

    # -- people ------------------------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str = "Alex",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> dict[str, Any]:
        """A person who has opened a private chat with the bot (so it may write to them)."""
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user
        chat = {"id": user_id, "type": "private", "first_name": first_name}
        if last_name:
            chat["last_name"] = last_name
        if username:
            chat["username"] = username
        self._chats[user_id] = chat
        return user

    def add_group(self, chat_id: int, title: str = "Test group", kind: str = "group") -> None:
        """A group (or "supergroup") the bot is a member of."""
        self._chats[chat_id] = {"id": chat_id, "type": kind, "title": title}

    def user_blocks_bot(self, user_id: int) -> None:
        """From now on, sending to this person is refused with 403 Forbidden."""
        self._blocked.add(user_id)

    def user_unblocks_bot(self, user_id: int) -> None:
        self._blocked.discard(user_id)

    def _user(self, user_id: int) -> dict[str, Any]:
        if user_id not in self._users:
            self.add_user(user_id)
        return self._users[user_id]

    def _chat_of(self, user_id: int, chat_type: str, chat_id: int | None) -> dict[str, Any]:
        self._user(user_id)
        if chat_type == "private":
            if chat_id not in (None, user_id):
                raise ValueError("a private chat's id is the person's user id")
            return self._chats[user_id]
        if chat_type not in ("group", "supergroup"):
            raise ValueError(f"unknown chat type {chat_type!r}")
        if chat_id is None:
            chat_id = -user_id if chat_type == "group" else -1_000_000_000_000 - user_id
        if chat_id not in self._chats:
            self.add_group(chat_id, f"Test group {abs(chat_id)}", chat_type)
        return self._chats[chat_id]

    # -- updates from people -----------------------------------------------------------------

    def build_message_update(
        self,
        user_id: int,
        text: str | None = None,
        chat_type: str = "private",
        chat_id: int | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """A `message` update as Telegram would make it, not queued (for webhook tests).

        `fields` are added to the message as they are (e.g. document=..., sticker=...).
        """
        chat = self._chat_of(user_id, chat_type, chat_id)
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat["id"]),
            "from": copy.deepcopy(self._users[user_id]),
            "chat": copy.deepcopy(chat),
            "date": int(time.time()),
        }
        if text is not None:
            message["text"] = text
            entities = _command_entities(text)
            if entities:
                message["entities"] = entities
        message.update(fields)
        self._messages[(chat["id"], message["message_id"])] = message
        self._last_user_action[chat["id"]] = len(self.sent)
        return {"update_id": next(self._update_ids), "message": copy.deepcopy(message)}

    def user_says(
        self, user_id: int, text: str, chat_type: str = "private", chat_id: int | None = None
    ) -> dict[str, Any]:
        """A person types `text`; the update is queued for getUpdates (or the webhook).

        A private chat's id is the user id; a group's defaults to -user_id (a supergroup's
        to -1000000000000 - user_id). Returns the update.
        """
        return self._enqueue(self.build_message_update(user_id, text, chat_type, chat_id))

    def user_sends_document(
        self,
        user_id: int,
        filename: str,
        data: bytes,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        chat_type: str = "private",
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """A person sends a file; the bot can fetch it with getFile and the file URL."""
        stored = self._store_file(data, filename, mime_type, "documents")
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": len(data),
        }
        fields: dict[str, Any] = {"document": document}
        if caption is not None:
            fields["caption"] = caption
        update = self.build_message_update(user_id, None, chat_type, chat_id, **fields)
        return self._enqueue(update)

    def user_sends(
        self, user_id: int, chat_type: str = "private", chat_id: int | None = None, **fields: Any
    ) -> dict[str, Any]:
        """A person sends something other than text, e.g. `sticker={...}`."""
        return self._enqueue(self.build_message_update(user_id, None, chat_type, chat_id, **fields))

    def build_callback_update(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        chat_id: int | None = None,
        strict: bool = True,
    ) -> dict[str, Any]:
        """A `callback_query` update for a press on the bot's message, not queued.

        With `strict`, the message must be the bot's, not deleted, and show a button with
        this data right now (a person cannot press a button that is not there).
        """
        chat_id = user_id if chat_id is None else chat_id
        self._user(user_id)
        sent = self._sent_by_id.get((chat_id, message_id))
        if strict:
            if sent is None or sent.deleted:
                raise AssertionError(f"no live bot message {message_id} in chat {chat_id}")
            data = [b.get("callback_data") for row in sent.buttons for b in row]
            if callback_data not in data:
                raise AssertionError(
                    f"message {message_id} has no button with data {callback_data!r}: {data}"
                )
        query_id = str(next(self._query_ids))
        query: dict[str, Any] = {
            "id": query_id,
            "from": copy.deepcopy(self._users[user_id]),
            "chat_instance": str(-(abs(chat_id) * 2_654_435_761 % 10**18)),
            "data": callback_data,
        }
        if sent is not None:
            query["message"] = copy.deepcopy(sent.api)
        self._presses[query_id] = _Press(
            user_id, chat_id, message_id, callback_data, time.monotonic()
        )
        self._last_user_action[chat_id] = len(self.sent)
        return {"update_id": next(self._update_ids), "callback_query": query}

    def user_presses(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        chat_id: int | None = None,
        strict: bool = True,
    ) -> str:
        """A person presses an inline button; returns the callback query id."""
        update = self._enqueue(
            self.build_callback_update(
                user_id, message_id, callback_data, chat_id=chat_id, strict=strict
            )
        )
        return str(update["callback_query"]["id"])

    def user_presses_button(self, user_id: int, label: str, *, chat_id: int | None = None) -> str:
        """Press the button labelled `label` on the latest bot message that shows one."""
        chat_id = user_id if chat_id is None else chat_id
        for message in reversed(self.messages_in(chat_id)):
            if (button := message.button(label)) is not None:
                data = str(button["callback_data"])
                return self.user_presses(user_id, message.message_id, data, chat_id=chat_id)
        shown = [m.button_labels for m in self.messages_in(chat_id) if m.buttons]
        raise AssertionError(
            f"no button {label!r} in chat {chat_id}; buttons on screen: {shown[-1:] or 'none'}"
        )

    def _enqueue(self, update: dict[str, Any]) -> dict[str, Any]:
        self._pending.append(update)
        self.updates.append(update)
        self._poke()
        return update

    def restart_update_ids(self, first: int) -> None:
        """Number the next updates from `first`: after a week with no updates, Telegram
        picks the next update id at random, possibly below every id it used before."""
        self._update_ids = itertools.count(first)

    def deliver_again(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update once more, as Telegram does with one whose receipt the bot
        never confirmed (it was killed before its next getUpdates offset)."""
        return self._enqueue(copy.deepcopy(update))

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a getUpdates offset (or delivered by webhook)."""
        return list(self._pending)

    # -- observing ---------------------------------------------------------------------------

    def messages_in(self, chat_id: int, *, include_deleted: bool = False) -> list[SentMessage]:
        """The bot's messages in a chat, oldest first (deleted ones only if asked)."""
        return [m for m in self.sent if m.chat_id == chat_id and (include_deleted or not m.deleted)]

    def last_message(self, chat_id: int) -> SentMessage:
        messages = self.messages_in(chat_id)
        if not messages:
            raise AssertionError(f"the bot has sent nothing in chat {chat_id}\n{self.summary()}")
        return messages[-1]

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    @property
    def method_names(self) -> list[str]:
        return [c.method for c in self.calls]

    @property
    def commands(self) -> list[dict[str, str]]:
        """The command menu for the default scope and every language."""
        return self.commands_for()

    def commands_for(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        return list(self._commands.get(self._commands_key(scope, language_code), []))

    def visible_text(self, message: SentMessage | dict[str, Any] | str) -> str:
        """What a person sees: tags stripped, entities unescaped, trimmed.

        A string is read as Telegram HTML; a dict as a Message object.
        """
        if isinstance(message, SentMessage):
            return message.visible_text
        if isinstance(message, dict):
            return str(message.get("text") or message.get("caption") or "")
        return _trim(*parse_html(message))[0]

    def summary(self, last: int = 15) -> str:
        """What the bot did lately, for a failing test's message."""
        lines = [f"the bot sent {len(self.sent)} message(s); the last {last}:"]
        for m in self.sent[-last:]:
            gone = " (deleted)" if m.deleted else ""
            text = m.visible_text.replace("\n", " | ")
            text = text if len(text) <= 160 else text[:157] + "..."
            doc = f" [document {m.document_filename}]" if m.document_filename else ""
            keys = f" buttons={m.button_labels}" if m.buttons else ""
            lines.append(f"  chat {m.chat_id} #{m.message_id}{gone}{doc}: {text!r}{keys}")
        refused = [
            c for c in self.calls if c.status is not None and c.status >= 400 and not c.abandoned
        ]
        if refused:
            lines.append(f"refused calls ({len(refused)}), the last {last}:")
            lines += [f"  {c.method} {c.status}: {c.description}" for c in refused[-last:]]
        lines.append(f"pending updates: {len(self._pending)}")
        if self.server_errors:
            lines.append(f"BUGS IN THE FAKE ({len(self.server_errors)}):")
            lines += self.server_errors[-3:]
        return "\n".join(lines)

    async def wait_for(
        self,
        predicate: Callable[[FakeTelegram], Any],
        timeout: float = 10.0,
        what: str | None = None,
    ) -> Any:
        """Wait until `predicate(fake)` is truthy and return its value.

        Woken by every change to the fake's state, so it returns as soon as it can;
        on timeout, an AssertionError says what was awaited and what the bot did.
        """

        async def holds() -> Any:
            async with self._changed:
                while not (result := predicate(self)):
                    await self._changed.wait()
                return result

        try:
            return await asyncio.wait_for(holds(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what or 'the predicate'}\n"
                f"{self.summary()}"
            ) from None

    async def wait_for_message(
        self, chat_id: int, *, after: int | None = None, timeout: float = 10.0
    ) -> SentMessage:
        """The first bot message in the chat sent after `after` (an index in `sent`).

        By default, after the person's latest update in that chat: "the reply".
        """
        if after is None:
            after = self._last_user_action.get(chat_id, 0)
        threshold = after

        def found(fake: FakeTelegram) -> SentMessage | None:
            return next(
                (m for m in fake.sent[threshold:] if m.chat_id == chat_id and not m.deleted),
                None,
            )

        return await self.wait_for(found, timeout, f"a message in chat {chat_id}")

    # -- webhooks ----------------------------------------------------------------------------

    async def post_update_to(
        self, url: str, update: dict[str, Any], secret_token: str | None = None
    ) -> int:
        """POST an update to a webhook as Telegram would; returns the HTTP status."""
        headers = {SECRET_HEADER: secret_token} if secret_token is not None else {}
        async with (
            ClientSession(timeout=ClientTimeout(total=10)) as session,
            session.post(url, json=update, headers=headers) as response,
        ):
            await response.read()
            return response.status

    def deliver_webhooks_to(self, local_base_url: str) -> None:
        """While a webhook is set, deliver queued updates to this local address.

        Telegram calls the public URL given to setWebhook; tests cannot. The path and
        query of that URL are appended to `local_base_url` (e.g. http://127.0.0.1:8443),
        with the secret token header; a non-2xx answer is retried, as Telegram does.
        """
        self._webhook_target = local_base_url.rstrip("/")
        if self._delivery is None or self._delivery.done():
            self._delivery = asyncio.get_running_loop().create_task(self._deliver_webhooks())
        self._poke()

    async def _deliver_webhooks(self) -> None:
        backoff = 0.05
        async with ClientSession(timeout=ClientTimeout(total=10)) as session:
            while not self._closing:
                async with self._changed:
                    await self._changed.wait_for(
                        lambda: self._closing or (self.webhook_url and self._next_for_webhook())
                    )
                if self._closing:
                    return
                update = self._next_for_webhook()
                if update is None:
                    continue
                public = urlsplit(self.webhook_url)
                url = f"{self._webhook_target}{public.path or '/'}"
                if public.query:
                    url += f"?{public.query}"
                headers = {SECRET_HEADER: self.webhook_secret} if self.webhook_secret else {}
                delivery = WebhookDelivery(update["update_id"], url, None)
                try:
                    async with session.post(url, json=update, headers=headers) as response:
                        await response.read()
                        delivery.status = response.status
                except Exception as error:
                    delivery.error = f"{type(error).__name__}: {error}"
                self.webhook_deliveries.append(delivery)
                if delivery.status is not None and 200 <= delivery.status < 300:
                    with contextlib.suppress(ValueError):
                        self._pending.remove(update)
                    backoff = 0.05
                    await self._notify()
                else:
                    await self._notify()
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 1.0)

    def _next_for_webhook(self) -> dict[str, Any] | None:
        allowed = _allowed(self.webhook_allowed_updates)
        self._pending = [u for u in self._pending if _update_type(u) in allowed]
        return self._pending[0] if self._pending else None

    # -- plumbing ----------------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _poke(self) -> None:
        """Notify waiters from synchronous code (user_says is not a coroutine)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self._notify())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    @staticmethod
    def _commands_key(scope: dict[str, Any] | None, language_code: str | None) -> tuple[str, str]:
        scope = scope or {"type": "default"}
        return json.dumps(scope, sort_keys=True), language_code or ""

    def _store_file(self, data: bytes, name: str | None, mime: str | None, folder: str) -> _File:
        number = next(self._file_ids)
        suffix = name.rsplit(".", 1)[-1] if name and "." in name else "bin"
        stored = _File(
            file_id=f"BQACAgIAAxkBAAI{number:08d}FakeFileId",
            file_unique_id=f"AgAD{number:06d}",
            file_path=f"{folder}/file_{number}.{suffix}",
            data=data,
            file_name=name,
            mime_type=mime,
        )
        self._files[stored.file_id] = stored
        return stored

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
        params: dict[str, Any] = {}
        files: dict[str, Upload] = {}
        raw: list[tuple[str, Any]] = list(request.query.items())
        if request.method == "POST":
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise _bad("can't parse JSON encoded request body") from None
                if not isinstance(body, dict):
                    raise _bad("request body must be a JSON object")
                params.update(body)
            else:
                raw += list((await request.post()).items())
        for name, value in raw:
            if isinstance(value, web.FileField):
                files[name] = Upload(value.filename, value.content_type, value.file.read())
            elif isinstance(value, bytes):
                files[name] = Upload(None, None, value)
            elif name in _STRING_PARAMS:
                params[name] = value
            else:
                try:
                    params[name] = json.loads(value)
                except ValueError:
                    params[name] = value
        return params, files

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = Call(method, {})
        self.calls.append(call)
        try:
            self._check_token(request.match_info["token"])
            handler = self._methods.get(method.lower())
            if handler is None:
                raise ApiError(404, "Not Found")
            call.params, uploads = await self._read_params(request)
            call.files = {name: upload.filename for name, upload in uploads.items()}
            chat_id = call.params.get("chat_id")
            for failures in (
                self._failures.get((method.lower(), chat_id)) if chat_id is not None else None,
                self._failures.get((method.lower(), None)),
            ):
                if failures:
                    raise failures.popleft()
            outage = self._outages.get(method.lower())
            if outage is not None and time.monotonic() < outage[0]:
                if self._outage_after.get(method.lower(), 0) > 0:
                    self._outage_after[method.lower()] -= 1
                else:
                    raise outage[1]
            if (held := self._held.get(method.lower())) is not None:
                await self._notify()  # a test may wait for the call to be held
                await held.wait()
            result = await handler(call.params, uploads)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as error:
            status, body = error.status, error.body()
            call.description = error.description
        except ConnectionResetError:
            # The client went away while still sending (a timeout, or the bot stopping):
            # the request never arrived whole, so, as for the real service, it never was.
            self.calls.remove(call)
            return web.Response(status=400)
        except Exception:
            self.server_errors.append(traceback.format_exc())
            status = 500
            body = {"ok": False, "error_code": 500, "description": "Internal Server Error"}
            call.description = "bug in the fake: see server_errors"
        call.status = status
        call.abandoned = request.transport is None or request.transport.is_closing()
        await self._notify()
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.Response:
        try:
            self._check_token(request.match_info["token"])
        except ApiError as error:
            return web.json_response(error.body(), status=error.status)
        path = request.match_info["file_path"]
        for stored in self._files.values():
            if stored.file_path == path:
                return web.Response(body=stored.data, content_type="application/octet-stream")
        return web.json_response(ApiError(404, "Not Found").body(), status=404)

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        return web.json_response(ApiError(404, "Not Found").body(), status=404)

    def _check_token(self, token: str) -> None:
        if token == self.token:
            return
        if TOKEN_SHAPE.fullmatch(token):
            raise ApiError(401, "Unauthorized")
        raise ApiError(404, "Not Found")

    def _chat(self, params: dict[str, Any]) -> dict[str, Any]:
        """The chat a method targets: it must exist and not have blocked the bot."""
        chat_id = params.get("chat_id")
        if chat_id in (None, ""):
            raise _bad("chat_id is empty")
        if isinstance(chat_id, str):
            try:
                chat_id = int(chat_id)
            except ValueError:
                raise _bad("chat not found") from None
        if not isinstance(chat_id, int) or chat_id not in self._chats:
            raise _bad("chat not found")
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return self._chats[chat_id]

    @staticmethod
    def _message_id(params: dict[str, Any]) -> int:
        if params.get("inline_message_id"):
            raise _bad("the fake does not model inline messages")
        message_id = params.get("message_id")
        if message_id in (None, ""):
            raise _bad("message identifier is not specified")
        if not isinstance(message_id, int):
            raise _bad("message_id is invalid")
        return message_id

    @staticmethod
    def _formatted(
        text: Any,
        parse_mode: Any,
        explicit_entities: Any,
        *,
        limit: int,
        too_long: str,
        allow_empty: bool = False,
    ) -> tuple[str, list[dict[str, Any]]]:
        """Parse like Telegram: entities, trimming, then the empty and length checks."""
        if text is None:
            text = ""
        if not isinstance(text, str):
            text = json.dumps(text)
        if not text.strip() and not allow_empty:
            raise _bad("message text is empty")
        mode = (parse_mode or "").lower()
        if mode == "html":
            try:
                visible, entities = parse_html(text)
            except EntityParseError as error:
                raise _bad(f"can't parse entities: {error}") from None
        elif mode in ("markdown", "markdownv2"):
            raise _bad(f"the fake Telegram server does not model parse_mode {parse_mode}; use HTML")
        elif mode:
            raise _bad("unsupported parse_mode")
        else:
            visible = text
            entities = list(explicit_entities) if isinstance(explicit_entities, list) else []
        visible, entities = _trim(visible, entities)
        if not visible and not allow_empty:
            raise _bad("message text is empty")
        if utf16_len(visible) > limit:
            raise _bad(too_long)
        return visible, entities

    @staticmethod
    def _markup(raw: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
        """Check reply_markup as Telegram does; inline keyboards strictly."""
        if raw is None or raw == "":
            return None
        if not isinstance(raw, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in raw:
            if inline_only:
                raise _bad("inline keyboard expected")
            if not any(k in raw for k in ("keyboard", "remove_keyboard", "force_reply")):
                raise _bad("can't parse reply keyboard markup JSON object")
            return raw
        rows = raw["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad('Field "inline_keyboard" must be an Array of Arrays')
        if not any(rows):
            return None  # an empty inline keyboard is no keyboard
        if sum(len(row) for row in rows) > INLINE_BUTTONS_LIMIT:
            raise _bad("REPLY_MARKUP_TOO_LONG")
        actions = (
            "callback_data",
            "url",
            "switch_inline_query",
            "switch_inline_query_current_chat",
            "switch_inline_query_chosen_chat",
            "login_url",
            "web_app",
            "callback_game",
            "pay",
            "copy_text",
        )
        for row in rows:
            for button in row:
                if not isinstance(button, dict):
                    raise _bad(
                        "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                    )
                if not isinstance(button.get("text"), str):
                    raise _bad(
                        'can\'t parse inline keyboard button: Field "text" must be of type String'
                    )
                if not any(key in button for key in actions):
                    raise _bad(
                        "can't parse inline keyboard button: Text buttons are unallowed in the "
                        "inline keyboard"
                    )
                if "callback_data" in button:
                    data = button["callback_data"]
                    if (
                        not isinstance(data, str)
                        or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT
                    ):
                        raise _bad("BUTTON_DATA_INVALID")
                if "copy_text" in button:
                    copied = button["copy_text"]
                    text = copied.get("text") if isinstance(copied, dict) else None
                    if not isinstance(text, str) or not 1 <= utf16_len(text) <= COPY_TEXT_LIMIT:
                        # Telegram's exact wording for this refusal is not confirmed.
                        raise _bad("COPY_TEXT_INVALID")
                if "url" in button and not re.match(r"(https?|tg)://\S+$", str(button["url"])):
                    raise _bad("BUTTON_URL_INVALID")
        return raw

    def _bot_message(
        self,
        chat: dict[str, Any],
        method: str,
        params: dict[str, Any],
        content: dict[str, Any],
        markup: dict[str, Any] | None,
        upload: _File | None = None,
    ) -> SentMessage:
        """Record a message the bot sent and build the Message Telegram returns."""
        message_id = self._next_message_id(chat["id"])
        api: dict[str, Any] = {
            "message_id": message_id,
            "from": copy.deepcopy(self.bot_user),
            "chat": copy.deepcopy(chat),
            "date": int(time.time()),
        }
        api.update({key: value for key, value in content.items() if value not in (None, [])})
        if markup and "inline_keyboard" in markup:
            api["reply_markup"] = copy.deepcopy(markup)
        sent = SentMessage(
            seq=len(self.sent),
            method=method,
            chat_id=chat["id"],
            message_id=message_id,
            text=params.get("text") if method == "sendMessage" else params.get("caption"),
            parse_mode=params.get("parse_mode"),
            reply_markup=copy.deepcopy(markup),
            api=api,
            params=params,
        )
        if upload is not None:
            sent.document_filename = upload.file_name
            sent.document_mime_type = upload.mime_type
            sent.document_bytes = upload.data
        self.sent.append(sent)
        self._sent_by_id[(chat["id"], message_id)] = sent
        self._messages[(chat["id"], message_id)] = api
        return sent

    def _own_message(self, params: dict[str, Any], missing: str) -> SentMessage:
        chat = self._chat(params)
        message_id = self._message_id(params)
        sent = self._sent_by_id.get((chat["id"], message_id))
        if sent is None or sent.deleted:
            if (chat["id"], message_id) in self._messages:
                raise _bad("message can't be edited")
            raise _bad(missing)
        return sent

    # -- methods -----------------------------------------------------------------------------

    async def _true(self, params: dict[str, Any], files: dict[str, Upload]) -> bool:
        return True

    async def _get_me(self, params: dict[str, Any], files: dict[str, Upload]) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: dict[str, Any], files: dict[str, Upload]) -> list[Any]:
        """Long poll: wait up to `timeout` seconds for an update, return early on one."""
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        limit = params.get("limit", 100)
        timeout = params.get("timeout", 0)
        if not isinstance(limit, int) or not isinstance(timeout, int | float):
            raise _bad("wrong parameter in getUpdates")
        limit = min(max(limit, 1), 100)
        if "allowed_updates" in params:
            self._allowed_updates = _allowed(params["allowed_updates"])
        if isinstance(offset, int):
            if offset < 0:
                self._pending = self._pending[offset:]
            else:
                self._pending = [
                    u
                    for u in self._pending
                    if u["update_id"] >= offset or id(u) not in self._fetched
                ]
        self._poll_generation += 1
        generation = self._poll_generation
        await self._notify()  # a waiting older poll is now terminated
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(float(timeout), 0.0)
        async with self._changed:
            while True:
                if generation != self._poll_generation:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only "
                        "one bot instance is running",
                    )
                self._pending = [
                    u for u in self._pending if _update_type(u) in self._allowed_updates
                ]
                remaining = deadline - loop.time()
                if self._pending or remaining <= 0 or self._closing:
                    self._fetched.update(id(u) for u in self._pending[:limit])
                    return copy.deepcopy(self._pending[:limit])
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)

    async def _set_webhook(self, params: dict[str, Any], files: dict[str, Upload]) -> bool:
        url = params.get("url") or ""
        secret = params.get("secret_token")
        if url:
            _check_webhook_url(str(url))
        if secret is not None and not SECRET_TOKEN.fullmatch(str(secret)):
            raise _bad("secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook_url = str(url)
        self.webhook_secret = str(secret) if secret is not None and url else None
        self.webhook_allowed_updates = list(allowed) if isinstance(allowed, list) else None
        return True

    async def _delete_webhook(self, params: dict[str, Any], files: dict[str, Upload]) -> bool:
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook_url = ""
        self.webhook_secret = None
        self.webhook_allowed_updates = None
        return True

    async def _get_webhook_info(
        self, params: dict[str, Any], files: dict[str, Upload]
    ) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook_url:
            info["max_connections"] = 40
            if self.webhook_allowed_updates is not None:
                info["allowed_updates"] = self.webhook_allowed_updates
            failed = [d for d in self.webhook_deliveries if (d.status or 0) // 100 != 2]
            if failed:
                info["last_error_date"] = int(time.time())
                info["last_error_message"] = (
                    failed[-1].error or f"Wrong response from the webhook: {failed[-1].status}"
                )
        return info

    async def _send_message(
        self, params: dict[str, Any], files: dict[str, Upload]
    ) -> dict[str, Any]:
        chat = self._chat(params)
        visible, entities = self._formatted(
            params.get("text"),
            params.get("parse_mode"),
            params.get("entities"),
            limit=TEXT_LIMIT,
            too_long="message is too long",
        )
        markup = self._markup(params.get("reply_markup"))
        content = {"text": visible, "entities": entities}
        sent = self._bot_message(chat, "sendMessage", params, content, markup)
        return copy.deepcopy(sent.api)

    async def _send_document(
        self, params: dict[str, Any], files: dict[str, Upload]
    ) -> dict[str, Any]:
        chat = self._chat(params)
        document = params.get("document")
        upload = files.get("document")
        if isinstance(document, str) and document.startswith("attach://"):
            upload = files.get(document.removeprefix("attach://"))
        if upload is not None:
            if not upload.data:
                raise _bad("file must be non-empty")
            stored = self._store_file(
                upload.data, upload.filename, upload.content_type, "documents"
            )
        elif isinstance(document, str) and document in self._files:
            stored = self._files[document]
        elif document:
            raise _bad("wrong file identifier/HTTP URL specified")
        else:
            raise _bad("there is no document in the request")
        caption, entities = self._formatted(
            params.get("caption"),
            params.get("parse_mode"),
            params.get("caption_entities"),
            limit=CAPTION_LIMIT,
            too_long="message caption is too long",
            allow_empty=True,
        )
        markup = self._markup(params.get("reply_markup"))
        info = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.file_name:
            info["file_name"] = stored.file_name
        if stored.mime_type:
            info["mime_type"] = stored.mime_type
        content = {"document": info, "caption": caption or None, "caption_entities": entities}
        sent = self._bot_message(chat, "sendDocument", params, content, markup, stored)
        return copy.deepcopy(sent.api)

    async def _edit_message_text(
        self, params: dict[str, Any], files: dict[str, Upload]
    ) -> dict[str, Any]:
        sent = self._own_message(params, "message to edit not found")
        if "text" not in sent.api:
            raise _bad("there is no text in the message to edit")
        visible, entities = self._formatted(
            params.get("text"),
            params.get("parse_mode"),
            params.get("entities"),
            limit=TEXT_LIMIT,
            too_long="MESSAGE_TOO_LONG",
        )
        # Without reply_markup, Telegram removes the inline keyboard.
        markup = self._markup(params.get("reply_markup"), inline_only=True)
        if (
            visible == sent.api["text"]
            and entities == sent.api.get("entities", [])
            and markup == sent.api.get("reply_markup")
        ):
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        self._edited(sent, params.get("text"), params.get("parse_mode"), markup)
        sent.api["text"] = visible
        sent.api.pop("entities", None)
        if entities:
            sent.api["entities"] = entities
        return copy.deepcopy(sent.api)

    async def _edit_message_reply_markup(
        self, params: dict[str, Any], files: dict[str, Upload]
    ) -> dict[str, Any]:
        sent = self._own_message(params, "message to edit not found")
        markup = self._markup(params.get("reply_markup"), inline_only=True)
        if markup == sent.api.get("reply_markup"):
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        self._edited(sent, sent.text, sent.parse_mode, markup)
        return copy.deepcopy(sent.api)

    @staticmethod
    def _edited(
        sent: SentMessage, text: str | None, parse_mode: str | None, markup: dict[str, Any] | None
    ) -> None:
        sent.history.append(
            {"text": sent.text, "parse_mode": sent.parse_mode, "reply_markup": sent.reply_markup}
        )
        sent.text, sent.parse_mode, sent.reply_markup = text, parse_mode, copy.deepcopy(markup)
        sent.api["edit_date"] = int(time.time())
        sent.api.pop("reply_markup", None)
        if markup:
            sent.api["reply_markup"] = copy.deepcopy(markup)

    async def _delete_message(self, params: dict[str, Any], files: dict[str, Upload]) -> bool:
        chat = self._chat(params)
        key = (chat["id"], self._message_id(params))
        if key not in self._messages:
            raise _bad("message to delete not found")
        del self._messages[key]
        if key in self._sent_by_id:
            self._sent_by_id[key].deleted = True
        return True

    async def _answer_callback_query(
        self, params: dict[str, Any], files: dict[str, Upload]
    ) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        press = self._presses.get(query_id)
        if press is None or time.monotonic() - press.at > CALLBACK_ANSWER_WINDOW:
            raise _bad(QUERY_INVALID.removeprefix("Bad Request: "))
        text = params.get("text")
        if text is not None and utf16_len(str(text)) > CALLBACK_ANSWER_TEXT_LIMIT:
            raise _bad("MESSAGE_TOO_LONG")
        del self._presses[query_id]
        self.answered_callbacks.append(
            AnsweredCallback(
                query_id=query_id,
                text=text,
                show_alert=bool(params.get("show_alert", False)),
                url=params.get("url"),
                cache_time=params.get("cache_time"),
            )
        )
        return True

    async def _send_chat_action(self, params: dict[str, Any], files: dict[str, Upload]) -> bool:
        chat = self._chat(params)
        action = params.get("action")
        if action not in CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        self.chat_actions.append(ChatActionSent(chat["id"], str(action)))
        return True

    async def _set_my_commands(self, params: dict[str, Any], files: dict[str, Upload]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > COMMANDS_LIMIT:
            raise _bad("too many commands")
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand: BotCommand must be an Object")
            if not COMMAND_NAME.fullmatch(str(command.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _get_my_commands(
        self, params: dict[str, Any], files: dict[str, Upload]
    ) -> list[dict[str, str]]:
        return self.commands_for(params.get("scope"), params.get("language_code") or "")

    async def _delete_my_commands(self, params: dict[str, Any], files: dict[str, Upload]) -> bool:
        self._commands.pop(
            self._commands_key(params.get("scope"), params.get("language_code")), None
        )
        return True

    async def _get_file(self, params: dict[str, Any], files: dict[str, Upload]) -> dict[str, Any]:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }


@dataclass
class _BotText:
    """One of the bot's own texts, set per language (setMyDescription and
    setMyShortDescription, with their getters): the parameter that carries it, its longest
    length, the error for one too long, and what is set by language code ("" for all)."""

    param: str
    limit: int
    error: str
    by_language: dict[str, str] = field(default_factory=dict)

    async def set(self, params: dict[str, Any], files: dict[str, Upload]) -> bool:
        """Empty or absent removes it."""
        text = params.get(self.param) or ""
        if not isinstance(text, str) or len(text) > self.limit:
            raise _bad(self.error)
        self.by_language[str(params.get("language_code") or "")] = text
        return True

    async def get(self, params: dict[str, Any], files: dict[str, Upload]) -> dict[str, str]:
        language = str(params.get("language_code") or "")
        return {self.param: self.by_language.get(language, "")}


def _allowed(requested: Any) -> frozenset[str]:
    """An empty or missing allowed_updates means Telegram's default set."""
    if isinstance(requested, list) and requested:
        return frozenset(str(kind) for kind in requested)
    return DEFAULT_ALLOWED_UPDATES


def _update_type(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")


def _check_webhook_url(url: str) -> None:
    """Telegram's rules: HTTPS, ports 443/80/88/8443, a public address."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
    if (parts.port or 443) not in WEBHOOK_PORTS:
        raise _bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
    host = parts.hostname or ""
    if host == "localhost" or not host:
        raise _bad("bad webhook: Failed to resolve host: Name or service not known")
    with contextlib.suppress(ValueError):
        if not ipaddress.ip_address(host).is_global:
            raise _bad(f"bad webhook: IP address {host} is reserved")
