"""Tools for the multi-instance end-to-end test: real `fairshake` processes in Telegram
webhook mode on one PostgreSQL database, a load balancer in front of them, and a
pass-through to the fake Bot API behind each, which can hold what one instance sends so
that it can be SIGKILLed at a moment chosen on purpose (tests/test_instances_e2e.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from tests.bot_process import ROOT, BotProcess
from tests.fakes.telegram import SECRET_HEADER, FakeTelegram

WEBHOOK_PATH = "/telegram"
WEBHOOK_URL = f"https://bot.example.com{WEBHOOK_PATH}"
WEBHOOK_SECRET = "one-secret-shared-by-every-instance"


@dataclass
class HeldCall:
    method: str
    chat_id: int | None


class BotApiPassage:
    """Between one instance and the fake Bot API: passes every call through, or, once
    `hold` is called, keeps each new call waiting for good (as a network that stopped
    answering), so that nothing more the instance sends reaches anyone. Calls for the
    chats in `slow` wait `slow_seconds` first (held if `hold` comes meanwhile), so the
    test can see them coming and hold them."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.held: list[HeldCall] = []
        self.slow: set[int] = set()
        self.slow_seconds = 3.0
        self.slowed: list[HeldCall] = []
        """Calls that waited, or wait, as `slow` asks."""
        self.in_flight = 0
        """Calls passed on and not answered yet."""
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._holding = asyncio.Event()
        self._release = asyncio.Event()
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> BotApiPassage:
        self._session = ClientSession(timeout=ClientTimeout(total=60))
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._pass)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def hold(self) -> None:
        self._holding.set()

    def held_chats(self) -> set[int]:
        return {call.chat_id for call in self.held if call.chat_id is not None}

    async def _pass(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.read()
        except ConnectionResetError:  # the instance was killed mid-request
            return web.Response(status=499)
        call = HeldCall(request.path.rsplit("/", 1)[-1], _chat_id(request.content_type, body))
        if call.chat_id in self.slow and not self._holding.is_set():
            self.slowed.append(call)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._holding.wait(), self.slow_seconds)
        if self._holding.is_set():
            self.held.append(call)
            await self._release.wait()
            return web.Response(status=502, text="held until the end")
        assert self._session is not None
        self.in_flight += 1
        try:
            headers = {"Content-Type": request.headers.get("Content-Type", "")}
            url = f"{self.fake.base_url.removesuffix('/bot')}{request.path_qs}"
            async with self._session.request(
                request.method, url, data=body, headers=headers
            ) as answer:
                return web.Response(
                    status=answer.status,
                    body=await answer.read(),
                    content_type=answer.content_type,
                )
        finally:
            self.in_flight -= 1


def _chat_id(content_type: str, body: bytes) -> int | None:
    """The chat a Bot API call is for, from its form or JSON parameters."""
    values: dict[str, Any] = {}
    with contextlib.suppress(ValueError):
        if content_type == "application/json":
            values = json.loads(body)
        elif content_type == "application/x-www-form-urlencoded":
            values = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    chat = values.get("chat_id")
    try:
        return int(chat) if chat is not None else None
    except (TypeError, ValueError):
        return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Instance:
    """One `fairshake` process in webhook mode, its Bot API calls through `passage`,
    logging JSON lines to a file (a pipe nobody reads would fill and stop it)."""

    name: str
    fake: FakeTelegram
    passage: BotApiPassage
    database_url: str
    folder: Path
    webhook_port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None
    alive: bool = True

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.webhook_port}{WEBHOOK_PATH}"

    @property
    def log_path(self) -> Path:
        return self.folder / "log.jsonl"

    async def start(self) -> None:
        self.folder.mkdir(parents=True)
        settings = {
            # Its connections carry its name, so the test can see its locks in pg_locks.
            "FAIRSHAKE_DATABASE_URL": f"{self.database_url}&application_name={self.name}",
            "FAIRSHAKE_LOG_FORMAT": "json",
            "FAIRSHAKE_CLAIM_SECONDS": "3",
            "TELEGRAM_API_BASE_URL": self.passage.base_url,
            "TELEGRAM_CHAT_PACE": "0",  # each person's turns come as fast as replies
            "TELEGRAM_WEBHOOK_URL": WEBHOOK_URL,
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "TELEGRAM_WEBHOOK_PORT": str(self.webhook_port),
        }
        environment = BotProcess(self.fake, self.folder / "data", **settings).environment()
        with self.log_path.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                env={**environment, "PYTHONPATH": str(ROOT)},
                cwd=self.folder,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )

    @property
    def claimant(self) -> str:
        """How its claims on due entries begin in the database (host:pid:)."""
        assert self.process is not None
        return f"{socket.gethostname()}:{self.process.pid}:"

    async def kill(self) -> None:
        assert self.process is not None
        self.alive = False
        self.process.kill()
        await self.process.wait()

    async def stop(self, timeout: float = 60) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), timeout)

    def log_lines(self) -> list[dict[str, Any]]:
        lines = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                lines.append(json.loads(line))
        return lines

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""


class LoadBalancer:
    """Round robin over the live instances, by the update's place in a person's talk, so
    one person's consecutive updates land on different instances; an instance that
    does not answer (refused, reset, killed mid-request) gets the update retried on the
    next one, as Caddy's `lb_try_duration` does."""

    def __init__(self, instances: list[Instance]) -> None:
        self.instances = instances
        self.tries: list[tuple[int, str, str]] = []
        """(update id, instance, outcome) for every try."""
        self.trying: dict[int, str] = {}
        """Update id → the instance it is being posted to now."""
        self._session = ClientSession(timeout=ClientTimeout(total=120))

    async def close(self) -> None:
        await self._session.close()

    async def send(self, update: dict[str, Any], turn: int) -> str:
        """POST the update until an instance answers 200; the instance that did."""
        for attempt in range(len(self.instances) * 4):
            instance = self.instances[(turn + attempt) % len(self.instances)]
            if not instance.alive:
                continue
            self.trying[update["update_id"]] = instance.name
            try:
                async with self._session.post(
                    instance.webhook, json=update, headers={SECRET_HEADER: WEBHOOK_SECRET}
                ) as response:
                    await response.read()
                    outcome = str(response.status)
            except (TimeoutError, ClientError, OSError) as error:
                outcome = type(error).__name__
            self.tries.append((update["update_id"], instance.name, outcome))
            del self.trying[update["update_id"]]
            if outcome == "200":
                return instance.name
            await asyncio.sleep(0.2)
        raise AssertionError(f"no instance took update {update['update_id']}: {self.tries[-6:]}")
