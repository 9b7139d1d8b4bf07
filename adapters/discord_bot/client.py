"""The discord.py client: its intents, the dynamic items every press decodes from, and
command sync.

Buttons and select menus are dynamic items: their custom id carries the engine's button
data, so a press still decodes after a restart (nothing is kept in memory), and the
engine recognises a stale one by its stamp. What a press means is the adapter's
(`Handler`); this module only decodes it.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Protocol, cast

import discord
from discord import app_commands

from adapters.discord_bot import forms
from adapters.discord_bot.commands import dispute_group
from adapters.discord_bot.observed import rate_limits
from bot.config import Settings
from bot.events import ButtonStyle
from bot.observe import Observer

TOKEN = "DISCORD_BOT_TOKEN"
WAIT_OUT = 30.0
"""Seconds of a rate limit discord.py waits out itself; a longer one is raised
(`discord.RateLimited`, with its `retry_after`) so the outbox retries after it."""

STYLES = {
    ButtonStyle.DEFAULT: discord.ButtonStyle.secondary,
    ButtonStyle.PRIMARY: discord.ButtonStyle.primary,
    ButtonStyle.SUCCESS: discord.ButtonStyle.success,
    ButtonStyle.DANGER: discord.ButtonStyle.danger,
}
"""The prompt's styles as Discord's colours (grey, blurple, green, red)."""


class Handler(Protocol):
    """What a decoded press is handed to (the DiscordAdapter)."""

    @property
    def observers(self) -> Observer: ...

    async def pressed(
        self, interaction: discord.Interaction, data: str, in_place: bool = True
    ) -> None: ...

    async def open_form(
        self, interaction: discord.Interaction, kind: str, fact_id: str, skip: str
    ) -> None: ...

    async def form_sent(self, interaction: discord.Interaction, skip: str) -> None: ...

    async def suggests(self, interaction: discord.Interaction) -> bool: ...


class Pressable(
    discord.ui.DynamicItem[discord.ui.Button], template=r"fs:(?P<kind>[abgk]):(?P<rest>.+)"
):
    """Every button the bot draws: `fs:b:<engine data>` (`fs:k:` where the press leaves
    its message as it was: a ping's), or `fs:a|g:<fact>:<skip data>` for the buttons
    that open a form."""

    def __init__(
        self,
        custom_id: str,
        label: str = "…",
        style: ButtonStyle = ButtonStyle.DEFAULT,
        row: int | None = None,
    ) -> None:
        super().__init__(
            discord.ui.Button(label=label, custom_id=custom_id, style=STYLES[style], row=row)
        )
        self.kind, self.rest = custom_id[3], custom_id[5:]

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Pressable:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(match.group(0), label or "…")

    async def callback(self, interaction: discord.Interaction) -> None:
        handler = cast(FairShakeClient, interaction.client).handler
        if handler is None:
            return
        if self.kind in "bk":
            await handler.pressed(interaction, self.rest, in_place=self.kind == "b")
        else:
            fact_id, _, skip = self.rest.partition(":")
            await handler.open_form(interaction, self.kind, fact_id, skip)


class Choosable(discord.ui.DynamicItem[discord.ui.Select], template=r"fs:s:(?P<n>\d+)"):
    """A select menu of options (`fs:s:<n>`, n to keep two on one message apart): each
    option's value is the engine's button data, as a button's would be."""

    def __init__(
        self,
        custom_id: str,
        options: list[discord.SelectOption] | None = None,
        placeholder: str | None = None,
        row: int | None = None,
    ) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=custom_id,
                options=options or [discord.SelectOption(label="…")],
                placeholder=placeholder,
                row=row,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Choosable:
        return cls(match.group(0))

    async def callback(self, interaction: discord.Interaction) -> None:
        handler = cast(FairShakeClient, interaction.client).handler
        values = cast(dict[str, Any], interaction.data or {}).get("values") or []
        if handler is not None and values:
            await handler.pressed(interaction, str(values[0]))


class Tree(app_commands.CommandTree):
    """The command tree, which leaves an autocomplete to the instance that claims it
    (every instance sharing a database is given it, and Discord takes one answer)."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        handler = cast(FairShakeClient, self.client).handler
        if handler is None or interaction.type is not discord.InteractionType.autocomplete:
            return True
        return await handler.suggests(interaction)


class FairShakeClient(discord.Client):
    """The discord.py client, holding its handler (None: a client that only syncs)."""

    def __init__(self, handler: Handler | None, shard: tuple[int, int] | None = None) -> None:
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
            http_trace=rate_limits(Observer() if handler is None else handler.observers),
            shard_id=shard_id,
            shard_count=shard_count,
            max_ratelimit_timeout=WAIT_OUT,
        )
        self.handler = handler
        self.tree = Tree(self)
        self.tree.add_command(dispute_group())
        self.logged_in = asyncio.Event()

    async def setup_hook(self) -> None:
        self.add_dynamic_items(Pressable, Choosable)
        self.logged_in.set()

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Form submits: there are no dynamic modals, and forms must work after a restart."""
        data = cast(dict[str, Any], interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        if (
            self.handler is not None
            and interaction.type is discord.InteractionType.modal_submit
            and custom_id.startswith(forms.MODAL_PREFIX)
        ):
            await self.handler.form_sent(interaction, custom_id.removeprefix(forms.MODAL_PREFIX))


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
