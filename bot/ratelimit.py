"""What a person over the per-person rate limit is told (the limit itself is the store's:
storage/rate_limits.py, shared by every instance on one database)."""

from __future__ import annotations

from flows.text import rich

SLOW_DOWN = rich(
    "That's a lot of messages at once, so I've set the last few aside. Give me a minute, then send what you still need, one message at a time."
)
