"""Logging set-up, and the one INFO line per turn and per reminder outcome.

Nothing logged at INFO carries a token or case content. A turn's line says where it
came from and how it went (platform, kind of event, the step it left the person at,
latency, outcome), a ping's line the same for a reminder; never what anyone wrote.
People appear as their digest (`PersonKey.digest`, keyed with the installation's
secret), so the lines of one person can be followed without the log saying who it is.
httpx (which would log URLs holding the Telegram token) and transitions (which
narrates every state change) are kept at WARNING.

With `FAIRSHAKE_LOG_FORMAT=json` each line is a JSON object, and the fields of a turn
or ping line are keys of their own (`event`, `platform`, `kind`, `step` …).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from bot.observe import Observer, ReminderDone, TurnDone

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
_QUIET = ("httpx", "httpcore", "transitions", "discord.gateway", "aiohttp.access")

events = logging.getLogger("fairshake.events")


class JSONLines(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
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


class EventLog(Observer):
    """Writes the line of each turn and of each reminder outcome, at INFO."""

    def turn(self, done: TurnDone) -> None:
        _line(
            "turn",
            platform=done.platform,
            kind=done.kind,
            step=done.step,
            latency_ms=round(done.seconds * 1000, 1),
            outcome=done.outcome,
            person=done.person.digest,
        )

    def reminder(self, done: ReminderDone) -> None:
        _line(
            "reminder",
            platform=done.platform,
            kind=done.kind,
            step=done.case_id,
            late_s=round(done.late, 1),
            attempts=done.attempts,
            outcome=done.outcome,
            person=done.person.digest,
        )


def _line(event: str, **fields: str | float) -> None:
    """`event key=value …` as text; the same fields as keys of their own in JSON."""
    text = " ".join(f"{key}={_quoted(value)}" for key, value in fields.items())
    events.info("%s %s", event, text, extra={"fields": {"event": event, **fields}})


def _quoted(value: str | float) -> str:
    text = str(value)
    return json.dumps(text) if not text or " " in text or '"' in text else text
