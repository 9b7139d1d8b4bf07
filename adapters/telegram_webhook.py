"""Webhook mode: an aiohttp endpoint Telegram calls, behind the operator's TLS proxy."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlparse

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.config import Settings

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]


async def start(app: Application, settings: Settings) -> web.AppRunner:
    """An aiohttp endpoint that checks the secret and runs the update's turn through PTB."""
    url = settings.get("TELEGRAM_WEBHOOK_URL")
    secret = settings.get("TELEGRAM_WEBHOOK_SECRET") or secrets.token_urlsafe(32)

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403, text="forbidden")
        try:
            update = Update.de_json(await request.json(), app.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400, text="not an update")
        # Answered once the turn is saved (and its reply sent): an update whose instance
        # dies first gets no answer, so Telegram, or the load balancer, sends it again,
        # to this instance or another, and the inbound record makes that count once.
        await app.process_update(update)
        return web.Response(text="ok")

    server = web.Application()
    server.router.add_post(urlparse(url).path or "/", receive)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    listen = settings.get("TELEGRAM_WEBHOOK_LISTEN") or "127.0.0.1"
    port = int(settings.get("TELEGRAM_WEBHOOK_PORT") or "8443")
    await web.TCPSite(runner, listen, port).start()
    await app.bot.set_webhook(url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
    return runner
