"""`python -m adapters.discord_bot sync [--guild ID]`: see adapters/discord_bot/cli.py."""

import sys

from adapters.discord_bot.cli import main

sys.exit(main())
