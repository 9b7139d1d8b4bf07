"""`fairshake discord sync [--guild ID]` (or `python -m adapters.discord_bot sync …`):
register `/dispute` with Discord.

An operator step, not part of every start: global registration is rate limited per day.
Register in one server (`--guild`) to try the bot out, globally for everyone and for DMs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from adapters.discord_bot.client import sync_commands
from bot.config import load_settings


def main(argv: list[str] | None = None, prog: str = "python -m adapters.discord_bot") -> int:
    parser = argparse.ArgumentParser(prog=prog, description="Discord operator steps.")
    actions = parser.add_subparsers(dest="action", required=True)
    sync = actions.add_parser("sync", help="register the /dispute commands with Discord")
    sync.add_argument("--guild", type=int, help="a server id: register there only, at once")
    args = parser.parse_args(argv)
    try:
        synced = asyncio.run(sync_commands(load_settings(), args.guild))
    except ValueError as error:
        print(f"discord sync: {error}", file=sys.stderr)
        return 1
    where = f"in server {args.guild}" if args.guild else "globally"
    print(f"Registered {len(synced)} commands {where}: " + ", ".join(synced))
    return 0
