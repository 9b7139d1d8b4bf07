"""The Discord adapter (discord.py): `/dispute` slash commands, buttons and forms over the flow.

The package is not called `discord` so that it never shadows the library.
"""

from adapters.discord_bot.adapter import DiscordAdapter
from adapters.discord_bot.client import sync_commands

__all__ = ["DiscordAdapter", "sync_commands"]
