"""Discord: the shared flow behind one `/dispute` slash-command group, buttons and modals.

Thin over the engine: a subcommand becomes a `Command`, a button press a `ButtonPress`,
a submitted form one `TextMessage` per field; the engine's messages come back as Discord
messages. What this module adds is Discord's own rules:

- Every interaction is acknowledged within Discord's 3 seconds, and exactly once: the
  answer goes out directly when the turn is quick, else the interaction is deferred
  ("thinking…") first and the answer then replaces the placeholder.
- In a server channel every reply is ephemeral (order numbers are nobody else's
  business); in a DM replies are plain messages. Reminder pings go by DM.
- Buttons are dynamic items: their custom id carries the engine's button data, so a
  press still decodes after a restart, and the engine recognises stale presses.
- Commands are registered by the operator (`sync_commands`), not at every start:
  global registration has a daily limit.

No privileged intent is needed (guild events only) and no message is cached in memory.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, ClassVar, Generic, TypeVar, cast

import discord
from discord import app_commands

from adapters.discord_bot import forms, shards
from adapters.discord_bot.commands import PLATFORM, dispute_group
from adapters.discord_bot.observed import rate_limits
from adapters.discord_bot.render import ButtonSpec, Piece, Post, label, markdown, posts
from bot.config import Setting, Settings
from bot.engine import Engine
from bot.events import (
    Attachment,
    ButtonPress,
    ButtonStyle,
    Command,
    EventId,
    Inbound,
    Outbound,
    TextMessage,
)
from bot.observe import Observer
from flows.text import rich
from storage import ConversationKey, PersonKey
from storage.locks import KeyedLocks

log = logging.getLogger(__name__)

TOKEN = "DISCORD_BOT_TOKEN"
ACK_WITHIN = 1.2
"""Seconds a turn may take before the interaction is deferred (Discord allows 3 in all)."""

_TOKEN_SHAPE = re.compile(r"[\w-]+\.[\w-]+\.[\w-]+")


STALE_PRESS = "-|-"
"""Button data no prompt ever carries: the engine answers it as a stale press."""

SORRY = rich("Sorry, something went wrong on my side. Your case is safe: please try again.")
STOP_GRACE = 5.0
"""Seconds a stop waits for interactions being answered before disconnecting."""
REMEMBERED = 10_000
"""People whose current question is remembered (for the answer buttons); oldest go first."""

K = TypeVar("K")
V = TypeVar("V")


class Recent(OrderedDict[K, V], Generic[K, V]):
    """A dict that forgets its least recently written keys beyond `limit`."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)


_STYLES = {
    ButtonStyle.DEFAULT: discord.ButtonStyle.secondary,
    ButtonStyle.PRIMARY: discord.ButtonStyle.primary,
    ButtonStyle.SUCCESS: discord.ButtonStyle.success,
    ButtonStyle.DANGER: discord.ButtonStyle.danger,
}
"""The prompt's styles as Discord's colours (grey, blurple, green, red)."""


class Pressable(
    discord.ui.DynamicItem[discord.ui.Button], template=r"fs:(?P<kind>[abg]):(?P<rest>.+)"
):
    """Every button the bot draws: `fs:b:<engine data>`, or `fs:a|g:<fact>:<skip data>`
    for the buttons that open a form. Decoded from the custom id alone, after restarts too.
    """

    def __init__(
        self,
        custom_id: str,
        label: str = "…",
        style: ButtonStyle = ButtonStyle.DEFAULT,
        row: int | None = None,
    ) -> None:
        super().__init__(
            discord.ui.Button(label=label, custom_id=custom_id, style=_STYLES[style], row=row)
        )
        self.kind, self.rest = custom_id[3], custom_id[5:]

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Pressable:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(match.group(0), label or "…")

    async def callback(self, interaction: discord.Interaction) -> None:
        adapter = cast(FairShakeClient, interaction.client).adapter
        if adapter is None:
            return
        if self.kind == "b":
            await adapter.pressed(interaction, self.rest)
        else:
            fact_id, _, skip = self.rest.partition(":")
            await adapter.open_form(interaction, self.kind, fact_id, skip)


class FairShakeClient(discord.Client):
    """The discord.py client, holding its adapter (None: a client that only syncs)."""

    def __init__(
        self, adapter: DiscordAdapter | None, shard: tuple[int, int] | None = None
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        for flag in ("warn_nacl", "warn_dave"):  # no voice here: no warnings about voice
            if hasattr(discord.VoiceClient, flag):
                setattr(discord.VoiceClient, flag, False)
        shard_id, shard_count = shard or (None, None)  # one shard of several, or all
        super().__init__(
            intents=intents,
            max_messages=None,
            allowed_mentions=discord.AllowedMentions.none(),
            http_trace=rate_limits(Observer() if adapter is None else adapter.engine.observers),
            shard_id=shard_id,
            shard_count=shard_count,
        )
        self.adapter = adapter
        self.tree = app_commands.CommandTree(self)
        self.tree.add_command(dispute_group())
        self.logged_in = asyncio.Event()

    async def setup_hook(self) -> None:
        self.add_dynamic_items(Pressable)
        self.logged_in.set()

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Form submits: there are no dynamic modals, and forms must work after a restart."""
        data = cast(dict[str, Any], interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        if (
            self.adapter is not None
            and interaction.type is discord.InteractionType.modal_submit
            and custom_id.startswith(forms.MODAL_PREFIX)
        ):
            await self.adapter.form_sent(interaction, custom_id.removeprefix(forms.MODAL_PREFIX))


class DiscordAdapter:
    """Runs the bot on Discord while `DISCORD_BOT_TOKEN` is set.

    Args:
        engine: the shared engine.
        settings: where the token comes from.
        ack_within: seconds to wait for a turn before deferring the interaction.
    """

    name: ClassVar[str] = PLATFORM
    SETTINGS: ClassVar[tuple[Setting, ...]] = (
        Setting(
            TOKEN,
            "",
            "Bot token from the Discord Developer Portal; when set, the Discord bot runs.",
        ),
        shards.SETTING,
    )

    @classmethod
    def enabled(cls, settings: Settings) -> bool:
        return bool(settings.get(TOKEN))

    @classmethod
    def problems(cls, settings: Settings) -> list[str]:
        """Settings Discord would refuse, said without repeating the token."""
        token = settings.get(TOKEN)
        found = []
        if token and not _TOKEN_SHAPE.fullmatch(token):
            found.append(
                f"{TOKEN} does not look like a bot token (three parts of letters, digits, - or _, "
                "joined by dots; copy it from the Bot page of the Developer Portal)."
            )
        return found + shards.problems(settings)

    def __init__(
        self, engine: Engine, settings: Settings, *, ack_within: float = ACK_WITHIN
    ) -> None:
        self.engine = engine
        self.token = settings.get(TOKEN)
        self.ack_within = ack_within
        self.client = FairShakeClient(self, shards.shard_of(settings))
        self._asking: Recent[str, forms.Asking] = Recent(REMEMBERED)
        self._kept: Recent[str, dict[str, str]] = Recent(REMEMBERED)
        engine.on_forget.append(self._forget)
        self._people = KeyedLocks()
        self._active = 0
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._closing: asyncio.Future[None] | None = None

    # -- running --------------------------------------------------------------------------

    async def run(self) -> None:
        async with self.client:
            await self.client.start(self.token)

    def stop(self) -> None:
        """Disconnect once the interactions being answered are answered; `run` then returns."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self.close())

    def ready(self) -> bool:
        """Logged in and the gateway connection open (discord.py reconnects on its own)."""
        socket = self.client.ws
        return self.client.is_ready() and socket is not None and socket.open

    async def close(self, grace: float = STOP_GRACE) -> None:
        """Let the turns in progress answer (their follow-ups need the connection), then
        disconnect."""
        with suppress(TimeoutError):
            await asyncio.wait_for(self.settled(), grace)
        await self.client.close()

    async def settled(self) -> None:
        """Return once no interaction is being answered."""
        await self._quiet.wait()

    # -- interactions ---------------------------------------------------------------------

    async def command(self, interaction: discord.Interaction, name: str, args: str) -> None:
        event_id = _event_id(interaction)
        await self._answer(interaction, lambda key: Command(key, name, args, event_id))

    async def answer(self, interaction: discord.Interaction, text: str) -> None:
        event_id = _event_id(interaction)
        await self._answer(interaction, lambda key: TextMessage(key, text, event_id))

    async def pressed(self, interaction: discord.Interaction, data: str) -> None:
        event_id = _event_id(interaction)
        await self._answer(interaction, lambda key: ButtonPress(key, data, event_id))

    async def open_form(
        self, interaction: discord.Interaction, kind: str, fact_id: str, skip: str
    ) -> None:
        """Show the form for a question, unless the question is no longer being asked."""
        key = conversation(interaction)
        current = await self._current(key, fact_id, skip)
        if current is None:
            await self._answer(interaction, lambda key: ButtonPress(key, STALE_PRESS))
            return
        with self._busy():
            kept = self._kept.get(key.user_id, {})
            assert current.question is not None, "a form opens only for a question asked"
            form = forms.modal(kind, current.question, current.skip or skip, kept)
            await interaction.response.send_modal(form)

    async def form_sent(self, interaction: discord.Interaction, skip: str) -> None:
        """A submitted form: its field answers the current question (or is a paste)."""
        key = conversation(interaction)
        fields = forms.submitted(cast(dict[str, Any], interaction.data or {}))
        current = await self._current(key, fields[0][0], skip) if fields else None
        if current is None:
            await self._answer(interaction, lambda key: ButtonPress(key, STALE_PRESS))
            return
        await self._respond(interaction, self._fill(key, fields[0], current.skip or skip))

    async def _current(self, key: ConversationKey, fact_id: str, skip: str) -> forms.Asking | None:
        """What is being asked, if a form for `fact_id` still answers it. What this
        process remembers decides; after a restart, the engine says whether the question's
        skip button (stamped with its step) is still the latest one offered, and what
        the question is."""
        asking = self._asking.get(key.user_id)
        if asking is None:
            asking = forms.from_prompt(await self.engine.offered(key.person, skip), skip)
            if asking.question is not None:
                self._asking[key.user_id] = asking
        return asking if asking.answers(fact_id) else None

    async def _answer(
        self, interaction: discord.Interaction, event: Callable[[ConversationKey], Inbound]
    ) -> None:
        key = conversation(interaction)
        await self._respond(interaction, self._turn(event(key)))

    async def _turn(self, event: Inbound) -> list[Outbound]:
        async with self._people.hold(event.key.person):
            replies = await self.engine.handle(event)
            self._note(event.key.user_id, replies)
        return replies

    async def _fill(
        self, key: ConversationKey, field: tuple[str, str], skip: str
    ) -> list[Outbound]:
        async with self._people.hold(key.person):
            filled = await forms.fill(self.engine, key, field, skip)
            self._kept[key.user_id] = filled.kept
            self._note(key.user_id, filled.replies)
        return filled.replies

    def _forget(self, person: PersonKey) -> None:
        """/forget: nothing of the person stays in memory either (typed answers included)."""
        if person.platform == PLATFORM:
            self._asking.pop(person.user_id, None)
            self._kept.pop(person.user_id, None)

    def _note(self, user_id: str, replies: list[Outbound]) -> None:
        """Remember the question now asked; typed-but-unsaved answers last while it is one of them."""
        state = forms.asking(replies)
        if state is None:
            return
        self._asking[user_id] = state
        if state.fact not in self._kept.get(user_id, {}):
            self._kept.pop(user_id, None)

    async def _respond(
        self, interaction: discord.Interaction, work: Awaitable[list[Outbound]]
    ) -> None:
        """Acknowledge once within the deadline: the answer itself, or a deferral and then it."""
        with self._busy():
            in_guild = interaction.guild_id is not None
            turn = asyncio.ensure_future(work)
            done, _ = await asyncio.wait({turn}, timeout=self.ack_within)
            try:
                if not done:
                    await interaction.response.defer(ephemeral=in_guild, thinking=True)
                try:
                    replies = await turn
                except Exception as error:  # the person still gets an answer
                    log.error("a Discord turn failed: %s", type(error).__name__)
                    log.debug("the failure in full (may show case content)", exc_info=True)
                    replies = [Outbound(SORRY)]
                await self._deliver(
                    interaction,
                    self._posts(replies, interaction.user.id),
                    in_guild,
                    deferred=not done,
                )
            except discord.HTTPException as error:
                log.warning("Discord refused an answer: %s %s", error.status, error.code)
                self.engine.observers.reply(PLATFORM, sent=False)
                await asyncio.gather(turn, return_exceptions=True)

    async def _deliver(
        self, interaction: discord.Interaction, out: list[Post], in_guild: bool, deferred: bool
    ) -> None:
        out = out or [Post("✓")]
        first = out[0]
        if deferred:
            await interaction.edit_original_response(
                content=first.content or None,
                view=_view(first.rows),
                attachments=_files(first.files),
            )
        else:
            await interaction.response.send_message(
                **_message(first), ephemeral=in_guild and first.private
            )
        self.engine.observers.reply(PLATFORM, sent=True)
        for post in out[1:]:
            await interaction.followup.send(**_message(post), ephemeral=in_guild and post.private)
            self.engine.observers.reply(PLATFORM, sent=True)

    # -- unprompted messages ----------------------------------------------------------------

    async def send(self, key: ConversationKey, messages: list[Outbound]) -> None:
        """Reminder pings: a DM to the person, wherever the reminder was set.

        Raises:
            discord.HTTPException: Discord refused, e.g. `Forbidden` when the person
                accepts no DMs from the bot (rate limits are waited out by discord.py).
        """
        await asyncio.wait_for(self.client.logged_in.wait(), timeout=60)
        channel = await self.client.create_dm(discord.Object(id=int(key.user_id)))
        # A ping is not a question: the person's open question (and its form) stays as it is.
        for post in self._posts(messages, key.user_id):
            try:
                await channel.send(**_message(post))
            except discord.HTTPException:
                self.engine.observers.reply(PLATFORM, sent=False)
                raise
            self.engine.observers.reply(PLATFORM, sent=True)

    # -- helpers -----------------------------------------------------------------------------

    def _posts(self, messages: list[Outbound], user_id: int | str) -> list[Post]:
        kept = self._kept.get(str(user_id), {})
        pieces = []
        for message in messages:
            rows = [
                tuple(ButtonSpec(label(b.label), f"fs:b:{b.data}", b.style) for b in row)
                for row in message.buttons
            ]
            extra = forms.form_buttons(message, kept)
            if extra:
                rows.append(tuple(extra))
            pieces.append(
                Piece(markdown(message.text), tuple(rows), message.attachment, message.private)
            )
        return posts(pieces)

    @contextmanager
    def _busy(self) -> Iterator[None]:
        self._active += 1
        self._quiet.clear()
        try:
            yield
        finally:
            self._active -= 1
            if not self._active:
                self._quiet.set()


def conversation(interaction: discord.Interaction) -> ConversationKey:
    """The person in this channel (a DM's channel for DMs)."""
    return ConversationKey(PLATFORM, str(interaction.user.id), str(interaction.channel_id))


def _event_id(interaction: discord.Interaction) -> EventId:
    """Interaction ids are snowflakes: they grow with time."""
    return EventId(PLATFORM, interaction.id)


def _message(post: Post) -> dict[str, Any]:
    message: dict[str, Any] = {}
    if post.content:
        message["content"] = post.content
    if post.rows:
        message["view"] = _view(post.rows)
    if post.files:
        message["files"] = _files(post.files)
    return message


def _view(rows: list[list[ButtonSpec]]) -> discord.ui.View | None:
    if not rows:
        return None
    view = discord.ui.View(timeout=None)
    for number, row in enumerate(rows):
        for spec in row:
            view.add_item(Pressable(spec.custom_id, spec.label, spec.style, row=number))
    return view


def _files(files: list[Attachment]) -> list[discord.File]:
    return [discord.File(io.BytesIO(file.content), filename=file.filename) for file in files]


async def sync_commands(settings: Settings, guild_id: int | None = None) -> list[str]:
    """Register `/dispute` with Discord: in one server (at once, for trying out) or
    globally (for everyone; it can take a while to show). Returns the subcommands synced.
    """
    token = settings.get(TOKEN)
    if not token:
        raise ValueError(f"{TOKEN} is not set")
    client = FairShakeClient(None)
    async with client:
        await client.login(token)
        guild = discord.Object(id=guild_id) if guild_id else None
        if guild is not None:
            client.tree.copy_global_to(guild=guild)
        synced = await client.tree.sync(guild=guild)
    return [f"/{command.name} {option.name}" for command in synced for option in command.options]
