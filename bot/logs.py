"""Logging set-up: one line per event, as text or JSON lines, quiet libraries.

Nothing logged at INFO carries a token or case content: the engine logs turns only
at DEBUG and without their text; httpx (which would log URLs holding the Telegram
token) and transitions (which narrates every state change) are kept at WARNING.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
_QUIET = ("httpx", "httpcore", "transitions", "discord.gateway", "aiohttp.access")


class JSONLines(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str, style: str) -> None:
    handler = logging.StreamHandler()
    if style == "json":
        handler.setFormatter(JSONLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
