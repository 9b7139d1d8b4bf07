"""The TELEGRAM_* settings, and what in them Telegram would refuse, said before starting."""

from __future__ import annotations

import re

from bot.config import Setting, Settings

_TOKEN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")

SETTINGS: tuple[Setting, ...] = (
    Setting("TELEGRAM_BOT_TOKEN", "", "Token from @BotFather; when set, the Telegram bot runs."),
    Setting(
        "TELEGRAM_API_BASE_URL",
        "https://api.telegram.org/bot",
        "Bot API address, for a self-hosted Bot API server.",
    ),
    Setting(
        "TELEGRAM_WEBHOOK_URL",
        "",
        "Public https URL for webhook mode; empty means long polling.",
    ),
    Setting("TELEGRAM_WEBHOOK_LISTEN", "127.0.0.1", "Address the webhook server listens on."),
    Setting("TELEGRAM_WEBHOOK_PORT", "8443", "Port the webhook server listens on."),
    Setting(
        "TELEGRAM_WEBHOOK_SECRET",
        "",
        "Secret Telegram sends with each webhook request; generated when empty.",
    ),
    Setting(
        "TELEGRAM_CHAT_PACE",
        "1",
        "Seconds between messages to one chat once a burst of 3 is spent (a group: 3 times"
        " as long); 0 paces no chat.",
    ),
    Setting(
        "TELEGRAM_MESSAGES_PER_SECOND",
        "30",
        "Messages a second the bot sends in all, replies before reminder pings; 0: no limit.",
    ),
)
_PACES = ("TELEGRAM_CHAT_PACE", "TELEGRAM_MESSAGES_PER_SECOND")


def problems(settings: Settings) -> list[str]:
    """Settings Telegram would refuse, said without repeating the token."""
    token = settings.get("TELEGRAM_BOT_TOKEN")
    webhook = settings.get("TELEGRAM_WEBHOOK_URL")
    found = []
    if not token:
        return ["TELEGRAM_WEBHOOK_URL is set but TELEGRAM_BOT_TOKEN is not."] if webhook else []
    if not _TOKEN.fullmatch(token):
        found.append(
            "TELEGRAM_BOT_TOKEN does not look like a token from @BotFather (digits, a colon, then about 35 letters, digits, - or _)."
        )
    for name in _PACES:
        if not _is_rate(settings.get(name) or "0"):
            found.append(f"{name}: {settings.get(name)!r} is not a number of 0 or more.")
    base = settings.get("TELEGRAM_API_BASE_URL")
    if base and not base.startswith(("http://", "https://")):
        found.append("TELEGRAM_API_BASE_URL must start with http:// or https://.")
    if webhook:
        if not webhook.startswith("https://"):
            found.append(
                "TELEGRAM_WEBHOOK_URL must be an https:// address (Telegram calls only https)."
            )
        port = settings.get("TELEGRAM_WEBHOOK_PORT") or "8443"
        if not port.isdigit() or not 0 < int(port) < 65536:
            found.append(f"TELEGRAM_WEBHOOK_PORT: {port!r} is not a port number.")
        secret = settings.get("TELEGRAM_WEBHOOK_SECRET")
        if secret and not _SECRET.fullmatch(secret):
            found.append(
                "TELEGRAM_WEBHOOK_SECRET may hold only letters, digits, - and _ (1 to 256)."
            )
        if not secret and settings.get("FAIRSHAKE_DATABASE_URL"):
            # Each instance would register a secret of its own, and refuse the
            # updates the load balancer sends it under the last one registered.
            found.append(
                "TELEGRAM_WEBHOOK_SECRET must be set, the same on every instance, when "
                "instances share FAIRSHAKE_DATABASE_URL."
            )
    return found


def _is_rate(value: str) -> bool:
    try:
        return 0 <= float(value) < float("inf")
    except ValueError:
        return False
