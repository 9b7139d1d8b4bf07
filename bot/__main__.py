"""`python -m bot` does what the `fairshake` command does."""

import sys

from bot.cli import main

sys.exit(main())
