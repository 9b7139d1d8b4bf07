"""DISCORD_SHARD: which of the gateway's shards this instance connects, so that several
instances split the servers between them (Discord sends each shard's events to its one
connection; a person's turns are kept in order by the store's person lock, wherever
they land)."""

from __future__ import annotations

import re

from bot.config import Setting, Settings

NAME = "DISCORD_SHARD"
SETTING = Setting(
    NAME,
    "",
    "`ID/COUNT` (as `0/2`): the one gateway shard of COUNT this instance connects;"
    " run COUNT instances, 0 to COUNT-1. Empty: one connection for every server.",
)
_SHAPE = re.compile(r"(\d+)/(\d+)")


def shard_of(settings: Settings) -> tuple[int, int] | None:
    """The setting as (id, count); None when unset or not of the form ID/COUNT."""
    found = _SHAPE.fullmatch(settings.get(NAME))
    if found is None:
        return None
    shard_id, count = int(found[1]), int(found[2])
    return (shard_id, count) if 0 <= shard_id < count else None


def problems(settings: Settings) -> list[str]:
    if settings.get(NAME) and shard_of(settings) is None:
        return [f"{NAME} must be ID/COUNT with ID from 0 to COUNT-1 (as 0/2)."]
    return []
