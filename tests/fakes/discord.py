"""A fake Discord on 127.0.0.1 that the real discord.py client talks to.

Why a fake service rather than mocks: the adapter's correctness is mostly about
Discord's rules (acknowledge an interaction once, within 3 seconds; at most 2,000
characters and 5 rows of 5 buttons; ephemeral answers), and only the library's real
HTTP and gateway code shows whether they hold. Point the client at it with
`discord.http.Route.BASE = fake.api_base` and
`discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)`
(`/gateway/bot` also answers with that address).

It serves REST v10 (the bot user and application, command sync, interaction callbacks,
webhook follow-ups and edits, DM channels, channel messages) and the gateway (HELLO,
IDENTIFY, heartbeats, READY, GUILD_CREATE with the `guilds` intent, then dispatches).
Tests play the people: `slash`, `autocomplete`, `press`, `choose` and `submit` send
INTERACTION_CREATE payloads shaped like Discord's, and everything the bot answers is
recorded on the `Interaction` it belongs to, or on `channel_messages` for plain sends.
Where Discord refuses, the fake refuses the same way and records a `Rejection`:
40060 for a second callback, 10062 for a callback after the deadline, 50035 for an
over-long message, too many buttons, a bad select menu or embed, 50006 for an empty one.
An outage is played with `down` (every message the bot sends answered 503 until
`up`) and a long rate limit with `limit` (429 with a `retry_after`, as Discord does).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

API = "/api/v10"
DISCORD_EPOCH_MS = 1_420_070_400_000
EPHEMERAL = 1 << 6
LOADING = 1 << 7
GUILDS_INTENT = 1 << 0
PERMISSIONS = "2248473465835073"

SLASH, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
MESSAGE, DEFERRED, DEFERRED_UPDATE, UPDATE, CHOICES, MODAL = 4, 5, 6, 7, 8, 9
ALLOWED_CALLBACKS = {
    SLASH: {MESSAGE, DEFERRED, MODAL},
    COMPONENT: {MESSAGE, DEFERRED, DEFERRED_UPDATE, UPDATE, MODAL},
    AUTOCOMPLETE: {CHOICES},
    MODAL_SUBMIT: {MESSAGE, DEFERRED, DEFERRED_UPDATE, UPDATE},
}
_NAME = re.compile(r"^[-_a-z0-9]{1,32}$")


class Rejected(Exception):
    """A request Discord would refuse: its HTTP status, JSON error code and message."""

    def __init__(self, status: int, code: int, message: str, errors: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors


@dataclass(frozen=True)
class Rejection:
    method: str
    path: str
    status: int
    code: int


@dataclass
class Message:
    """A message the bot sent, as the fake keeps it."""

    id: int
    channel_id: int
    content: str
    components: list[dict[str, Any]]
    flags: int
    attachments: list[tuple[str, bytes]]
    author: dict[str, Any]
    allowed_mentions: dict[str, Any] | None = None
    application_id: int | None = None
    edits: int = 0
    embeds: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & LOADING)

    def buttons(self) -> list[dict[str, Any]]:
        return [c for row in self.components for c in row.get("components", ()) if c["type"] == 2]

    def labels(self) -> list[str]:
        return [button.get("label", "") for button in self.buttons()]

    def selects(self) -> list[dict[str, Any]]:
        return [c for row in self.components for c in row.get("components", ()) if c["type"] == 3]

    def options(self) -> list[str]:
        """The labels of every select menu's options, in order."""
        return [option["label"] for menu in self.selects() for option in menu["options"]]

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author,
            "content": self.content,
            "timestamp": _iso(self.id),
            "edited_timestamp": datetime.now(UTC).isoformat() if self.edits else None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [
                {
                    "id": str(self.id + n),
                    "filename": name,
                    "size": len(content),
                    "url": f"https://cdn.invalid/{self.id}/{name}",
                    "proxy_url": f"https://cdn.invalid/{self.id}/{name}",
                }
                for n, (name, content) in enumerate(self.attachments)
            ],
            "embeds": self.embeds,
            "pinned": False,
            "type": 0,
            "flags": self.flags,
            "components": self.components,
            **({"application_id": str(self.application_id)} if self.application_id else {}),
            **({"webhook_id": str(self.application_id)} if self.application_id else {}),
        }


@dataclass
class Interaction:
    """One interaction the fake sent, and every answer the bot gave to it."""

    id: int
    token: str
    type: int
    user: dict[str, Any]
    channel: dict[str, Any]
    data: dict[str, Any]
    created: float
    message: Message | None = None
    callbacks: list[int] = field(default_factory=list)
    original: Message | None = None
    followups: list[Message] = field(default_factory=list)
    modal: dict[str, Any] | None = None
    choices: list[dict[str, Any]] | None = None
    rejected: list[int] = field(default_factory=list)

    @property
    def guild_id(self) -> int | None:
        guild = self.channel.get("guild_id")
        return int(guild) if guild else None

    @property
    def acknowledged(self) -> bool:
        return bool(self.callbacks)

    @property
    def messages(self) -> list[Message]:
        """The bot's answer: the response message (a new one, or the pressed message as
        the answer edited it in place), then the follow-ups."""
        return ([self.original] if self.original else []) + self.followups

    @property
    def in_place(self) -> bool:
        """Whether the answer edited the message the person pressed on."""
        return self.message is not None and self.original is self.message


@dataclass
class _Connection:
    ws: web.WebSocketResponse
    compressor: Any
    sequence: int = 0
    intents: int | None = None

    async def send(self, payload: dict[str, Any]) -> None:
        text = json.dumps(payload)
        if self.compressor is None:
            await self.ws.send_str(text)
        else:
            data = self.compressor.compress(text.encode()) + self.compressor.flush(
                zlib.Z_SYNC_FLUSH
            )
            await self.ws.send_bytes(data)


class FakeDiscord:
    """Discord's REST API and gateway for one bot, one server and its people.

    Args:
        token: the bot token the client must send.
        ack_deadline: seconds an interaction may wait for its first callback (3 on Discord).
    """

    def __init__(self, token: str = "fake.bot.token", ack_deadline: float = 3.0) -> None:
        self.token = token
        self.ack_deadline = ack_deadline
        self._ids = itertools.count(1)
        self.application_id = self.snowflake()
        self.bot = self._user("fairshake", bot=True)
        self.owner = self._user("operator")
        self.guild_id = self.snowflake()
        self.channels: dict[int, dict[str, Any]] = {}
        self.general = self._channel({"type": 0, "guild_id": str(self.guild_id), "name": "help"})
        self.people: dict[int, dict[str, Any]] = {}
        self.dms: dict[int, int] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.interactions: dict[int, Interaction] = {}
        self.channel_messages: list[Message] = []
        self.rejections: list[Rejection] = []
        self.identified = 0
        self.outage = 0
        """While non-zero, the HTTP status every message the bot sends is answered with."""
        self.retry_after: float | None = None
        """While set, every message the bot sends is rate limited (429) for this long."""
        self.refused_sends = 0
        self.holding: asyncio.Event | None = None
        """While set, interaction answers are taken but not answered until it is set
        (a bot killed meanwhile never hears back)."""
        self.held = 0
        self.messages: dict[int, Message] = {}
        self.shards: list[Any] = []
        """The shard each IDENTIFY asked for ([id, count]; None: unsharded)."""
        self.heartbeats = 0
        self._connections: list[_Connection] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        app = web.Application(middlewares=[self._refusals])
        app.router.add_get("/gateway", self._gateway)
        routes = [
            ("GET", "/users/@me", self._me),
            ("GET", "/oauth2/applications/@me", self._application),
            ("GET", "/gateway/bot", self._gateway_bot),
            ("GET", "/gateway", self._gateway_bot),
            ("PUT", "/applications/{app}/commands", self._sync),
            ("PUT", "/applications/{app}/guilds/{guild}/commands", self._sync),
            ("POST", "/interactions/{id}/{token}/callback", self._callback),
            ("POST", "/webhooks/{app}/{token}", self._followup),
            ("PATCH", "/webhooks/{app}/{token}/messages/@original", self._edit_original),
            ("DELETE", "/webhooks/{app}/{token}/messages/@original", self._delete_original),
            ("POST", "/users/@me/channels", self._open_dm),
            ("POST", "/channels/{channel}/messages", self._channel_message),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, API + path, handler)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        for connection in list(self._connections):
            await connection.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- the world ---------------------------------------------------------------------------

    def snowflake(self) -> int:
        return ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | next(self._ids)

    def person(self, name: str) -> dict[str, Any]:
        user = self._user(name)
        self.people[int(user["id"])] = user
        return user

    def dm(self, user: dict[str, Any]) -> dict[str, Any]:
        """The DM channel between the bot and this person (the same one the bot opens)."""
        user_id = int(user["id"])
        if user_id not in self.dms:
            channel = self._channel({"type": 1, "recipients": [user]})
            self.dms[user_id] = int(channel["id"])
        return self.channels[self.dms[user_id]]

    def _user(self, name: str, bot: bool = False) -> dict[str, Any]:
        user = {
            "id": str(self.snowflake()),
            "username": name,
            "discriminator": "0",
            "global_name": name.title(),
            "avatar": None,
            "public_flags": 0,
        }
        return {**user, "bot": True} if bot else user

    def _channel(self, fields: dict[str, Any]) -> dict[str, Any]:
        channel = {"id": str(self.snowflake()), "flags": 0, "last_message_id": None, **fields}
        if channel["type"] == 0:
            channel.update(position=0, permission_overwrites=[], nsfw=False, parent_id=None)
        self.channels[int(channel["id"])] = channel
        return channel

    def _guild(self) -> dict[str, Any]:
        everyone = {
            "id": str(self.guild_id),
            "name": "@everyone",
            "permissions": PERMISSIONS,
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        channels = [c for c in self.channels.values() if c.get("guild_id") == str(self.guild_id)]
        return {
            "id": str(self.guild_id),
            "name": "Consumer Help",
            "icon": None,
            "owner_id": self.owner["id"],
            "roles": [everyone],
            "emojis": [],
            "stickers": [],
            "features": [],
            "channels": channels,
            "threads": [],
            "members": [],
            "presences": [],
            "voice_states": [],
            "member_count": 2 + len(self.people),
            "large": False,
            "unavailable": False,
            "joined_at": _iso(self.guild_id),
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "system_channel_flags": 0,
        }

    # -- waiting -----------------------------------------------------------------------------

    async def changed(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Until `predicate()` holds; every request and connection re-checks it."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    # -- the people's side: interactions -----------------------------------------------------

    async def slash(
        self, user: dict[str, Any], channel: dict[str, Any], sub: str, **options: str
    ) -> Interaction:
        """`/dispute <sub> option:value …`, as a registered command (sync first)."""
        return await self._interact(SLASH, user, channel, self._command_data(channel, sub, options))

    async def autocomplete(
        self, user: dict[str, Any], channel: dict[str, Any], sub: str, focused: str, **options: str
    ) -> Interaction:
        data = self._command_data(channel, sub, options, focused=focused)
        return await self._interact(AUTOCOMPLETE, user, channel, data)

    async def press(self, user: dict[str, Any], message: Message, custom_id: str) -> Interaction:
        """A press of a button that is on `message` (as the person's screen shows it: a
        copy taken before the message changed presses what it showed then)."""
        assert any(b.get("custom_id") == custom_id for b in message.buttons()), custom_id
        channel = self.channels[message.channel_id]
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interact(COMPONENT, user, channel, data, message)

    async def choose(
        self, user: dict[str, Any], message: Message, custom_id: str, *values: str
    ) -> Interaction:
        """Options chosen in a select menu that is on `message`, sent as Discord sends a
        string select's interaction: its custom id, component type 3 and the `values`
        chosen (as many as the menu's min_values to max_values, 1 unless it says)."""
        [menu] = [m for m in message.selects() if m["custom_id"] == custom_id]
        offered = [option["value"] for option in menu["options"]]
        assert all(value in offered for value in values), values
        assert len(set(values)) == len(values), "an option is chosen once"
        assert menu.get("min_values", 1) <= len(values) <= menu.get("max_values", 1), values
        assert not menu.get("disabled"), "a disabled menu cannot be chosen from"
        channel = self.channels[message.channel_id]
        data = {"custom_id": custom_id, "component_type": 3, "values": list(values)}
        return await self._interact(COMPONENT, user, channel, data, message)

    def down(self, status: int = 503) -> None:
        """An outage: every message the bot sends, answers included, fails until `up`."""
        self.outage = status

    def limit(self, retry_after: float) -> None:
        """A rate limit on every message the bot sends, `retry_after` seconds long."""
        self.retry_after = retry_after

    def up(self) -> None:
        self.outage, self.retry_after = 0, None

    async def submit(self, opened: Interaction, **values: str) -> Interaction:
        """Submit the modal `opened` was answered with: fields not given keep their prefill."""
        assert opened.modal is not None, "that interaction was not answered with a modal"
        rows = []
        unknown = set(values)
        for row in opened.modal["components"]:
            inner = row["component"] if row["type"] == 18 else row["components"][0]
            value = values.get(inner["custom_id"], inner.get("value") or "")
            unknown.discard(inner["custom_id"])
            assert value or not inner.get("required", True), f"{inner['custom_id']} is required"
            assert len(value) <= inner.get("max_length", 4000), f"{inner['custom_id']} too long"
            field = {"type": 4, "custom_id": inner["custom_id"], "value": value}
            rows.append(
                {"type": 18, "component": field}
                if row["type"] == 18
                else {"type": 1, "components": [field]}
            )
        assert not unknown, f"no such fields: {unknown}"
        data = {"custom_id": opened.modal["custom_id"], "components": rows}
        return await self._interact(MODAL_SUBMIT, opened.user, opened.channel, data, opened.message)

    def _command_data(
        self, channel: dict[str, Any], sub: str, options: dict[str, str], focused: str = ""
    ) -> dict[str, Any]:
        guild = channel.get("guild_id")
        scopes = [int(guild), None] if guild else [None]
        found = [
            (scope, c)
            for scope in scopes
            for c in self.commands.get(scope, [])
            if c["name"] == "dispute"
        ]
        assert found, "/dispute is not registered where this channel can see it: sync first"
        scope, command = found[0]
        context = 0 if guild else 1
        assert context in command.get("contexts", [0, 1]), "the command is not allowed here"
        subcommand = next(o for o in command["options"] if o["name"] == sub)
        known = {o["name"]: o for o in subcommand.get("options", [])}
        assert set(options) <= set(known), f"unknown options {set(options) - set(known)}"
        for name, option in known.items():
            assert name in options or not option.get("required") or focused, f"{name} is required"
        values = [
            {"name": name, "type": known[name]["type"], "value": value}
            | ({"focused": True} if name == focused else {})
            for name, value in options.items()
        ]
        data = {
            "id": command["id"],
            "name": "dispute",
            "type": 1,
            "options": [{"name": sub, "type": 1, "options": values}],
        }
        return data | ({"guild_id": str(scope)} if scope else {})

    async def _interact(
        self,
        kind: int,
        user: dict[str, Any],
        channel: dict[str, Any],
        data: dict[str, Any],
        message: Message | None = None,
    ) -> Interaction:
        live = [c for c in self._connections if c.intents is not None]
        assert live, "no bot is connected to the gateway"
        interaction = Interaction(
            id=self.snowflake(),
            token=f"tok{next(self._ids)}",
            type=kind,
            user=user,
            channel=channel,
            data=data,
            created=asyncio.get_running_loop().time(),
            message=self.messages.get(message.id, message) if message else None,
        )
        self.interactions[interaction.id] = interaction
        payload = self._interaction_payload(interaction)
        if message is not None:
            payload["message"] = message.payload()  # what the person saw when they pressed
        for connection in live:
            await self._dispatch(connection, "INTERACTION_CREATE", payload)
        return interaction

    def _interaction_payload(self, interaction: Interaction) -> dict[str, Any]:
        guild = interaction.channel.get("guild_id")
        payload: dict[str, Any] = {
            "id": str(interaction.id),
            "application_id": str(self.application_id),
            "type": interaction.type,
            "token": interaction.token,
            "version": 1,
            "data": interaction.data,
            "channel_id": interaction.channel["id"],
            "channel": interaction.channel,
            "locale": "en-US",
            "app_permissions": PERMISSIONS,
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "authorizing_integration_owners": {"0": guild or "0"},
            "context": 0 if guild else 1,
        }
        if guild:
            payload["guild_id"] = guild
            payload["guild"] = {"id": guild, "locale": "en-US", "features": []}
            payload["guild_locale"] = "en-US"
            payload["member"] = {
                "user": interaction.user,
                "roles": [],
                "joined_at": _iso(self.guild_id),
                "deaf": False,
                "mute": False,
                "flags": 0,
                "pending": False,
                "nick": None,
                "avatar": None,
                "premium_since": None,
                "communication_disabled_until": None,
                "permissions": PERMISSIONS,
            }
        else:
            payload["user"] = interaction.user
        if interaction.message is not None:
            payload["message"] = interaction.message.payload()
        return payload

    # -- REST: rules shared by every route ---------------------------------------------------

    @web.middleware
    async def _refusals(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Turn `Rejected` into Discord's error body, and record every refusal."""
        try:
            public = not request.path.startswith(API) or request.path.startswith(
                (f"{API}/interactions/", f"{API}/webhooks/")
            )
            if not public and request.headers.get("Authorization") != f"Bot {self.token}":
                raise Rejected(401, 0, "401: Unauthorized")
            if request.method != "GET" and not request.path.endswith("/commands"):
                if self.outage:  # the fake's doing, not the bot's: no `Rejection`
                    self.refused_sends += 1
                    interaction = self._by_path(request)
                    if interaction is not None:
                        interaction.rejected.append(0)
                    return _json({"code": 0, "message": "Unavailable"}, status=self.outage)
                if self.retry_after is not None:
                    self.refused_sends += 1
                    return self._rate_limited(self.retry_after)
            return await handler(request)
        except Rejected as refusal:
            path = re.sub(r"/(\d+|tok\d+)", "/{id}", request.path.removeprefix(API))
            self.rejections.append(Rejection(request.method, path, refusal.status, refusal.code))
            interaction = self._by_path(request)
            if interaction is not None:
                interaction.rejected.append(refusal.code)
            body: dict[str, Any] = {"code": refusal.code, "message": refusal.message}
            if refusal.errors:
                body["errors"] = refusal.errors
            return _json(body, status=refusal.status)
        finally:
            await self.changed()

    def _rate_limited(self, retry_after: float) -> web.Response:
        body = {"message": "You are being rate limited.", "retry_after": retry_after}
        response = _json(body | {"global": False}, status=429)
        response.headers.update(
            {
                "Via": "1.1 google",
                "Retry-After": str(int(retry_after)),
                "X-RateLimit-Scope": "user",
            }
        )
        return response

    def _by_path(self, request: web.Request) -> Interaction | None:
        token = request.match_info.get("token")
        return next((i for i in self.interactions.values() if i.token == token), None)

    async def _body(self, request: web.Request) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
        if request.content_type.startswith("multipart/"):
            payload: dict[str, Any] = {}
            files = []
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if part.name == "payload_json":  # type: ignore[union-attr]
                    payload = json.loads(await part.text())  # type: ignore[union-attr]
                else:
                    files.append((part.filename or "file", bytes(await part.read())))  # type: ignore[union-attr]
            return payload, files
        if request.can_read_body:
            return await request.json(), []
        return {}, []

    def _check_message(
        self, data: dict[str, Any], files: list[tuple[str, bytes]], creating: bool = True
    ) -> None:
        """Discord's limits on a message: text, rows, buttons, files; never empty."""
        errors: dict[str, Any] = {}
        content = data.get("content") or ""
        if len(content) > 2000:
            errors["content"] = _error("BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
        rows = data.get("components") or []
        if len(rows) > 5:
            errors["components"] = _error("BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
        seen: set[str] = set()
        for number, row in enumerate(rows):
            children = row.get("components", [])
            if row.get("type") != 1 or not 1 <= len(children) <= 5:
                errors[f"components.{number}"] = _error(
                    "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."
                )
            if any(child.get("type") == 3 for child in children) and len(children) > 1:
                errors[f"components.{number}"] = _error(
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "A select menu takes a whole row."
                )
            for child in children:
                if child.get("type") == 3 and not _good_select(child):
                    errors[f"components.{number}.components"] = _error(
                        "BASE_TYPE_BAD_LENGTH", "Bad select menu."
                    )
                custom_id = child.get("custom_id", "")
                if not 1 <= len(custom_id) <= 100 or len(child.get("label", "")) > 80:
                    errors[f"components.{number}.components"] = _error(
                        "BASE_TYPE_BAD_LENGTH", "Bad custom id or label length."
                    )
                if custom_id in seen:
                    errors[f"components.{number}.components"] = _error(
                        "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"
                    )
                seen.add(custom_id)
        if len(files) > 10:
            errors["files"] = _error("BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
        if not _good_embeds(data.get("embeds") or []):
            errors["embeds"] = _error("BASE_TYPE_BAD_LENGTH", "Bad embeds.")
        if errors:
            raise Rejected(400, 50035, "Invalid Form Body", errors)
        if creating and not (content or rows or files or data.get("embeds")):
            raise Rejected(400, 50006, "Cannot send an empty message")

    def _message(
        self,
        channel_id: int,
        data: dict[str, Any],
        files: list[tuple[str, bytes]],
        flags: int,
        application_id: int | None = None,
    ) -> Message:
        message = Message(
            id=self.snowflake(),
            channel_id=channel_id,
            content=data.get("content") or "",
            components=data.get("components") or [],
            flags=flags,
            attachments=files,
            author=self.bot,
            allowed_mentions=data.get("allowed_mentions"),
            application_id=application_id,
            embeds=data.get("embeds") or [],
        )
        self.messages[message.id] = message
        return message

    def _interaction(self, request: web.Request) -> Interaction:
        found = self.interactions.get(int(request.match_info["id"]))
        if found is None or found.token != request.match_info["token"]:
            raise Rejected(404, 10062, "Unknown interaction")
        return found

    def _webhook(self, request: web.Request) -> Interaction:
        interaction = self._by_path(request)
        if (
            interaction is None
            or not interaction.acknowledged
            or request.match_info["app"] != str(self.application_id)
        ):
            raise Rejected(404, 10015, "Unknown Webhook")
        return interaction

    # -- REST: the bot and the application ---------------------------------------------------

    async def _me(self, request: web.Request) -> web.Response:
        return _json({**self.bot, "flags": 0, "mfa_enabled": False, "verified": True})

    async def _application(self, request: web.Request) -> web.Response:
        return _json(
            {
                "id": str(self.application_id),
                "name": "Fair Shake",
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self.owner,
                "team": None,
                "verify_key": "0" * 64,
                "flags": 0,
                "summary": "",
                "bot": self.bot,
            }
        )

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    async def _sync(self, request: web.Request) -> web.Response:
        if request.match_info["app"] != str(self.application_id):
            raise Rejected(403, 50001, "Missing Access")
        guild = request.match_info.get("guild")
        if guild is not None and int(guild) != self.guild_id:
            raise Rejected(403, 50001, "Missing Access")
        commands, _ = await self._body(request)
        for command in commands:
            _check_command(command)
        stored = [
            {
                **command,
                "id": str(self.snowflake()),
                "application_id": str(self.application_id),
                "version": str(self.snowflake()),
                "type": command.get("type", 1),
                **({"guild_id": guild} if guild else {}),
            }
            for command in commands
        ]
        self.commands[int(guild) if guild else None] = stored
        return _json(stored)

    # -- REST: interactions ------------------------------------------------------------------

    async def _callback(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request)
        body, files = await self._body(request)
        if self.holding is not None:
            self.held += 1
            await self.changed()
            await self.holding.wait()
            raise Rejected(404, 10062, "Unknown interaction")
        if interaction.acknowledged:
            raise Rejected(400, 40060, "Interaction has already been acknowledged.")
        if asyncio.get_running_loop().time() - interaction.created > self.ack_deadline:
            raise Rejected(404, 10062, "Unknown interaction")
        kind, data = body.get("type"), body.get("data") or {}
        if kind not in ALLOWED_CALLBACKS[interaction.type]:
            raise Rejected(
                400,
                50035,
                "Invalid Form Body",
                {"type": _error("INTERACTION_RESPONSE_TYPE_INVALID", "Not allowed here.")},
            )
        resource: dict[str, Any] = {"type": kind}
        channel_id = int(interaction.channel["id"])
        if kind == MESSAGE:
            self._check_message(data, files)
            flags = data.get("flags", 0) & EPHEMERAL
            interaction.original = self._message(
                channel_id, data, files, flags, self.application_id
            )
        elif kind == DEFERRED:
            flags = (data.get("flags", 0) & EPHEMERAL) | LOADING
            interaction.original = self._message(channel_id, {}, [], flags, self.application_id)
        elif kind in (DEFERRED_UPDATE, UPDATE):
            if interaction.message is None:
                raise Rejected(
                    400,
                    50035,
                    "Invalid Form Body",
                    {"type": _error("INTERACTION_RESPONSE_TYPE_INVALID", "No message to update.")},
                )
            interaction.original = interaction.message
            if kind == UPDATE:
                self._check_message(data, files, creating=False)
                _edit(interaction.message, data, files)
        elif kind == CHOICES:
            choices = data.get("choices", [])
            if len(choices) > 25 or any(len(c["name"]) > 100 for c in choices):
                raise Rejected(
                    400,
                    50035,
                    "Invalid Form Body",
                    {"choices": _error("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")},
                )
            interaction.choices = choices
        elif kind == MODAL:
            _check_modal(data)
            interaction.modal = data
        interaction.callbacks.append(kind)
        if interaction.original is not None and kind != DEFERRED_UPDATE:
            resource["message"] = interaction.original.payload()
        original = interaction.original
        return _json(
            {
                "interaction": {
                    "id": str(interaction.id),
                    "type": interaction.type,
                    "response_message_id": str(original.id) if original else None,
                    "response_message_loading": bool(original and original.loading),
                    "response_message_ephemeral": bool(original and original.ephemeral),
                },
                "resource": resource,
            }
        )

    async def _followup(self, request: web.Request) -> web.Response:
        interaction = self._webhook(request)
        data, files = await self._body(request)
        self._check_message(data, files)
        flags = data.get("flags", 0) & EPHEMERAL
        message = self._message(
            int(interaction.channel["id"]), data, files, flags, self.application_id
        )
        interaction.followups.append(message)
        if request.query.get("wait", "false").lower() in ("1", "true"):
            return _json(message.payload())
        return web.Response(status=204)

    async def _edit_original(self, request: web.Request) -> web.Response:
        interaction = self._webhook(request)
        if interaction.original is None:
            raise Rejected(404, 10008, "Unknown Message")
        data, files = await self._body(request)
        self._check_message(data, files, creating=False)
        _edit(interaction.original, data, files)
        return _json(interaction.original.payload())

    async def _delete_original(self, request: web.Request) -> web.Response:
        interaction = self._webhook(request)
        if interaction.original is None:
            raise Rejected(404, 10008, "Unknown Message")
        self.messages.pop(interaction.original.id, None)
        interaction.original = None
        return web.Response(status=204)

    # -- REST: DMs and channel messages ------------------------------------------------------

    async def _open_dm(self, request: web.Request) -> web.Response:
        body, _ = await self._body(request)
        user = self.people.get(int(body.get("recipient_id", 0)))
        if user is None:
            raise Rejected(400, 50033, "Invalid Recipient(s)")
        return _json(self.dm(user))

    async def _channel_message(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel"])
        if channel_id not in self.channels:
            raise Rejected(404, 10003, "Unknown Channel")
        data, files = await self._body(request)
        self._check_message(data, files)
        message = self._message(channel_id, data, files, 0)
        self.channel_messages.append(message)
        return _json(message.payload())

    # -- the gateway -------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        compressed = request.query.get("compress") == "zlib-stream"
        connection = _Connection(ws, zlib.compressobj() if compressed else None)
        self._connections.append(connection)
        try:
            await connection.send(
                {"op": 10, "d": {"heartbeat_interval": 41_250}, "s": None, "t": None}
            )
            async for frame in ws:
                if frame.type is not WSMsgType.TEXT:
                    continue
                payload = json.loads(frame.data)
                if payload["op"] == 1:
                    self.heartbeats += 1
                    await connection.send({"op": 11})
                elif payload["op"] == 2:
                    if payload["d"].get("token") != self.token:
                        await ws.close(code=4004, message=b"Authentication failed.")
                        break
                    await self._identify(connection, payload["d"])
                elif payload["op"] == 6:  # no resuming here: start a new session
                    await connection.send({"op": 9, "d": False})
        finally:
            self._connections.remove(connection)
            await self.changed()
        return ws

    async def _identify(self, connection: _Connection, identify: dict[str, Any]) -> None:
        connection.intents = int(identify.get("intents", 0))
        self.shards.append(identify.get("shard"))
        ready = {
            "v": 10,
            "user": self.bot,
            "guilds": [{"id": str(self.guild_id), "unavailable": True}],
            "session_id": f"session{next(self._ids)}",
            "resume_gateway_url": self.gateway_url,
            "shard": identify.get("shard") or [0, 1],
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        await self._dispatch(connection, "READY", ready)
        if connection.intents & GUILDS_INTENT:
            await self._dispatch(connection, "GUILD_CREATE", self._guild())
        self.identified += 1
        await self.changed()

    async def _dispatch(self, connection: _Connection, event: str, data: dict[str, Any]) -> None:
        connection.sequence += 1
        await connection.send({"op": 0, "s": connection.sequence, "t": event, "d": data})


def _check_command(command: dict[str, Any]) -> None:
    """What Discord checks in a slash command definition, down to subcommand options."""

    def check(item: dict[str, Any], where: str) -> None:
        if not _NAME.match(item.get("name", "")):
            raise Rejected(
                400,
                50035,
                "Invalid Form Body",
                {where: _error("APPLICATION_COMMAND_INVALID_NAME", "Invalid name.")},
            )
        if not 1 <= len(item.get("description", "")) <= 100:
            raise Rejected(
                400,
                50035,
                "Invalid Form Body",
                {where: _error("BASE_TYPE_BAD_LENGTH", "Description must be 1 to 100 long.")},
            )
        options = item.get("options", [])
        if len(options) > 25:
            raise Rejected(
                400,
                50035,
                "Invalid Form Body",
                {where: _error("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")},
            )
        required = [option.get("required", False) for option in options]
        if required != sorted(required, reverse=True):
            raise Rejected(
                400,
                50035,
                "Invalid Form Body",
                {
                    where: _error(
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
                },
            )
        for number, option in enumerate(options):
            check(option, f"{where}.options.{number}")

    check(command, "0")


def _check_modal(data: dict[str, Any]) -> None:
    rows = data.get("components", [])
    problems = not data.get("custom_id") or len(data["custom_id"]) > 100
    problems |= not 1 <= len(data.get("title", "")) <= 45 or not 1 <= len(rows) <= 5
    for row in rows:
        inner = (
            row.get("component") if row.get("type") == 18 else (row.get("components") or [{}])[0]
        )
        label = row.get("label") if row.get("type") == 18 else inner.get("label")
        problems |= inner.get("type") != 4 or not 1 <= len(label or "") <= 45
        problems |= len(row.get("description") or "") > 100 or len(inner.get("value") or "") > 4000
        problems |= len(inner.get("placeholder") or "") > 100
    if problems:
        raise Rejected(
            400, 50035, "Invalid Form Body", {"data": _error("MODAL_INVALID", "Bad modal.")}
        )


def _good_select(menu: dict[str, Any]) -> bool:
    options = menu.get("options") or []
    return (
        1 <= len(menu.get("custom_id", "")) <= 100
        and 1 <= len(options) <= 25
        and len(menu.get("placeholder") or "") <= 150
        and all(1 <= len(o.get("label", "")) <= 100 for o in options)
        and all(1 <= len(o.get("value", "")) <= 100 for o in options)
        and len({o.get("value") for o in options}) == len(options)
    )


def _good_embeds(embeds: list[dict[str, Any]]) -> bool:
    """Discord's embed limits: 10 a message, 6,000 characters in all, and each part's own."""
    total = 0
    for embed in embeds:
        title, description = embed.get("title") or "", embed.get("description") or ""
        fields = embed.get("fields") or []
        if len(title) > 256 or len(description) > 4096 or len(fields) > 25:
            return False
        for one in fields:
            if (
                not 1 <= len(one.get("name", "")) <= 256
                or not 1 <= len(one.get("value", "")) <= 1024
            ):
                return False
        total += len(title) + len(description)
        total += sum(len(one["name"]) + len(one["value"]) for one in fields)
    return len(embeds) <= 10 and total <= 6000


def _edit(message: Message, data: dict[str, Any], files: list[tuple[str, bytes]]) -> None:
    if "content" in data:
        message.content = data["content"] or ""
    if "embeds" in data:
        message.embeds = data["embeds"] or []
    if "components" in data:
        message.components = data["components"] or []
    if files or "attachments" in data:
        message.attachments = files
    message.flags &= ~LOADING
    message.edits += 1


def _json(data: Any, status: int = 200) -> web.Response:
    """Discord's exact content type: discord.py parses JSON only for `application/json`."""
    return web.Response(
        body=json.dumps(data).encode(), status=status, content_type="application/json"
    )


def _error(code: str, message: str) -> dict[str, Any]:
    return {"_errors": [{"code": code, "message": message}]}


def _iso(snowflake: int) -> str:
    milliseconds = (snowflake >> 22) + DISCORD_EPOCH_MS
    return datetime.fromtimestamp(milliseconds / 1000, UTC).isoformat()
