"""Laid-out posts as discord.py's objects: views of buttons and select menus, embeds,
files, and the keyword arguments of a send or an edit."""

from __future__ import annotations

import io
from typing import Any

import discord

from adapters.discord_bot.client import Choosable, Pressable
from adapters.discord_bot.render import Card, Post, Row, SelectSpec
from bot.events import Attachment


def sent(post: Post) -> dict[str, Any]:
    """For `send_message`, `followup.send` and `channel.send`."""
    message: dict[str, Any] = {}
    if post.content:
        message["content"] = post.content
    if post.embeds:
        message["embeds"] = [embed(card) for card in post.embeds]
    if post.rows:
        message["view"] = view(post.rows)
    if post.files:
        message["files"] = files(post.files)
    return message


def edited(post: Post) -> dict[str, Any]:
    """For `edit_message` and `edit_original_response`: everything replaced, so what was
    there before (text, embeds, buttons, files) does not linger."""
    return {
        "content": post.content or None,
        "embeds": [embed(card) for card in post.embeds],
        "view": view(post.rows),
        "attachments": files(post.files),
    }


def view(rows: list[Row]) -> discord.ui.View | None:
    if not rows:
        return None
    drawn = discord.ui.View(timeout=None)
    for number, row in enumerate(rows):
        if isinstance(row, SelectSpec):
            drawn.add_item(Choosable(row.custom_id, _options(row), row=number))
            continue
        for spec in row:
            drawn.add_item(Pressable(spec.custom_id, spec.label, spec.style, row=number))
    return drawn


def _options(menu: SelectSpec) -> list[discord.SelectOption]:
    return [discord.SelectOption(label=label, value=value) for label, value in menu.options]


def embed(card: Card) -> discord.Embed:
    drawn = discord.Embed(title=card.title or None, description=card.description or None)
    for name, value in card.fields:
        drawn.add_field(name=name, value=value, inline=False)
    return drawn


def files(attached: list[Attachment]) -> list[discord.File]:
    return [discord.File(io.BytesIO(file.content), filename=file.filename) for file in attached]
