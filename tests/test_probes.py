"""/healthz, /readyz and /metrics over real HTTP, from the running bot.

The real entry point (`bot.serve.serve`) runs Telegram against its fake with
FAIRSHAKE_HTTP_PORT=0 (any free port on 127.0.0.1; the log names it). A person talks
to the bot; the endpoints answer as an operator's scraper and health check see them;
`fairshake health` asks /healthz. What each endpoint says when something is wrong is
checked on the same server class with the parts it watches stopped or gone.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import discord
import pytest
import yarl
from aiohttp import web
from discord.gateway import DiscordWebSocket
from prometheus_client.parser import text_string_to_metric_families

from adapters.console import ConsoleAdapter
from adapters.discord_bot import sync_commands
from adapters.discord_bot.observed import rate_limits
from bot.cli import main as fairshake
from bot.config import load_settings
from bot.engine import Engine
from bot.metrics import Metrics
from bot.observe import ReminderDone, TurnDone
from bot.probes import Probes, for_bot
from bot.reminders import Scheduler
from bot.serve import serve
from storage import MemoryStore, PersonKey, TinyDBStore
from storage.postgres import PostgresStore, upgrade_database
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import FakeTelegram

USER = 4242
LISTENING = re.compile(r"on (\S+) port (\d+)")


async def get(port: int, path: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
        session.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        return response.status, await response.text()


async def eventually(check, what: str, timeout: float = 20.0):
    """Ask `check()` until it returns something truthy, for at most `timeout` seconds."""
    async with asyncio.timeout(timeout):
        while not (found := await check()):
            await asyncio.sleep(0.05)
    assert found, what
    return found


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics page: (name, sorted labels) -> value."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(page: dict, name: str, **labels: str) -> float:
    return page.get((name, tuple(sorted(labels.items()))), 0.0)


@asynccontextmanager
async def running_bot(
    fake: FakeTelegram, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[int]:
    """The bot on Telegram with its HTTP endpoints, for the block; yields their port."""
    platform = {"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url}
    async with serving(platform, tmp_path, caplog) as port:
        yield port


@asynccontextmanager
async def serving(
    platform: dict[str, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[int]:
    """`serve` with the platform settings given and the HTTP endpoints on any free port."""
    caplog.set_level(logging.INFO)
    settings = load_settings(
        {"FAIRSHAKE_DATA_DIR": str(tmp_path / "data"), "FAIRSHAKE_HTTP_PORT": "0", **platform},
        env_file=tmp_path / "absent.env",
    )
    bot = asyncio.create_task(serve(settings))

    async def listening() -> int | None:
        lines = [r.getMessage() for r in caplog.records if r.name == "bot.probes"]
        found = [match for line in lines if (match := LISTENING.search(line))]
        return int(found[0][2]) if found else None

    try:
        port = await eventually(listening, "the HTTP endpoints listening")
        yield port
    finally:
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(bot, 20)


async def test_the_endpoints_answer_while_the_bot_runs(tmp_path, caplog):
    async with FakeTelegram() as fake, running_bot(fake, tmp_path, caplog) as port:

        async def ready() -> bool:
            return (await get(port, "/readyz"))[0] == 200

        await eventually(ready, "/readyz 200 once Telegram is polled")
        assert await get(port, "/healthz") == (200, "ok\n")

        fake.add_user(USER, "Tess")
        fake.fail_next("sendMessage", status=429, retry_after=1)
        fake.user_says(USER, "/new")
        # The answer to /new ends with its question, which has buttons.
        await fake.wait_for(
            lambda f: any(m.buttons for m in f.messages_in(USER)), what="the answer to /new"
        )
        fake.fail_next("sendMessage", status=403)
        fake.user_says(USER, "/help")

        async def scraped() -> dict | None:
            status, text = await get(port, "/metrics")
            assert status == 200
            page = samples(text)
            return (
                page if value(page, "fairshake_reply_refusals_total", platform="telegram") else None
            )

        page = await eventually(scraped, "the refused try counted")

    assert (
        value(page, "fairshake_turns_total", platform="telegram", kind="command", outcome="ok") == 2
    )
    # Every turn is timed, an update polled again while its turn ran (a duplicate) too.
    turns = sum(
        count
        for (name, labels), count in page.items()
        if name == "fairshake_turns_total" and ("platform", "telegram") in labels
    )
    assert value(page, "fairshake_turn_seconds_count", platform="telegram") == turns
    assert value(page, "fairshake_replies_sent_total", platform="telegram") >= 1
    assert value(page, "fairshake_reply_refusals_total", platform="telegram") == 1
    # The refused /help is tried again later from the outbox: not given up, not failed.
    assert value(page, "fairshake_replies_failed_total", platform="telegram") == 0
    assert value(page, "fairshake_rate_limit_waits_total", platform="telegram") == 1
    assert value(page, "fairshake_rate_limit_wait_seconds_total", platform="telegram") >= 1
    assert value(page, "fairshake_store_save_seconds_count") >= 2
    assert value(page, "fairshake_adapter_connected", platform="telegram") == 1
    assert ("fairshake_reminders_pending", ()) in page
    assert ("fairshake_event_loop_lag_seconds_count", ()) in page
    assert ("process_resident_memory_bytes", ()) in page


async def test_discord_is_ready_once_connected_and_its_turns_are_counted(
    tmp_path, caplog, monkeypatch
):
    async with FakeDiscord() as service:
        monkeypatch.setattr(discord.http.Route, "BASE", service.api_base)
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(service.gateway_url))
        platform = {"DISCORD_BOT_TOKEN": service.token}
        await sync_commands(load_settings(platform, env_file=tmp_path / "absent.env"))
        async with serving(platform, tmp_path, caplog) as port:

            async def ready() -> bool:
                return (await get(port, "/readyz"))[0] == 200

            await eventually(ready, "/readyz 200 once the gateway is connected")
            dana = service.person("Dana")
            asked = await service.slash(dana, service.dm(dana), "new")
            await service.wait(lambda: asked.messages)

            async def scraped() -> dict | None:
                page = samples((await get(port, "/metrics"))[1])
                return (
                    page
                    if value(page, "fairshake_replies_sent_total", platform="discord")
                    else None
                )

            page = await eventually(scraped, "the answer counted")

    assert (
        value(page, "fairshake_turns_total", platform="discord", kind="command", outcome="ok") == 1
    )
    assert value(page, "fairshake_adapter_connected", platform="discord") == 1


async def test_a_429_from_discord_is_counted_with_the_wait_it_asks():
    """discord.py waits a 429 out inside its HTTP client; the trace it is given sees it."""
    metrics = Metrics()

    async def flooded(request: web.Request) -> web.Response:
        return web.Response(status=429, headers={"Retry-After": "2.5"}, text="{}")

    app = web.Application()
    app.router.add_get("/api", flooded)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        async with (
            aiohttp.ClientSession(trace_configs=[rate_limits(metrics)]) as session,
            session.get(f"http://127.0.0.1:{port}/api") as response,
        ):
            assert response.status == 429
    finally:
        await runner.cleanup()
    page = samples(metrics.render().decode())
    assert value(page, "fairshake_rate_limit_waits_total", platform="discord") == 1
    assert value(page, "fairshake_rate_limit_wait_seconds_total", platform="discord") == 2.5


async def test_fairshake_health_asks_healthz_when_the_port_is_set(tmp_path, caplog, monkeypatch):
    async with FakeTelegram() as fake, running_bot(fake, tmp_path, caplog) as port:
        monkeypatch.setenv("FAIRSHAKE_DATA_DIR", str(tmp_path / "elsewhere"))  # no heartbeat
        monkeypatch.setenv("FAIRSHAKE_HTTP_PORT", str(port))
        assert await asyncio.to_thread(fairshake, ["health"]) == 0
    # The bot has stopped: nothing answers on that port any more.
    assert await asyncio.to_thread(fairshake, ["health"]) == 1


async def test_healthz_fails_when_the_data_folder_cannot_be_written(tmp_path):
    data = tmp_path / "data"
    store = TinyDBStore(data)
    probes = Probes(store, lambda: [], Metrics())
    await probes.start("127.0.0.1", 0)
    try:
        assert (await get(probes.port, "/healthz"))[0] == 200
        shutil.rmtree(data)  # an unmounted volume, a deleted folder
        status, text = await get(probes.port, "/healthz")
        assert status == 503
        assert "data folder" in text
    finally:
        await probes.stop()
        await store.close()


async def test_readyz_names_what_is_not_running(tmp_path):
    """Not ready until the adapter takes events and the scheduler runs; ready then."""
    engine = Engine(MemoryStore())
    read, write = os.pipe()
    with open(read) as stdin, open(os.devnull, "w") as stdout:
        console = ConsoleAdapter(engine, load_settings({}, tmp_path / ".env"), stdin, stdout)
        scheduler = Scheduler(engine, console.send, platforms=["console"])
        probes = for_bot(engine, [console], scheduler)
        await probes.start("127.0.0.1", 0)
        try:
            status, text = await get(probes.port, "/readyz")
            assert status == 503
            assert "console not connected" in text and "scheduler" in text
            tasks = [asyncio.create_task(console.run()), asyncio.create_task(scheduler.run())]
            await eventually(lambda: _ready(probes.port), "ready once both run")
            console.stop()
            await tasks[0]
            assert "console not connected" in (await get(probes.port, "/readyz"))[1]
            tasks[1].cancel()
        finally:
            os.close(write)
            await probes.stop()


async def _ready(port: int) -> bool:
    return (await get(port, "/readyz"))[0] == 200


def test_the_operators_guide_names_exactly_the_metrics_exported():
    """The metrics table, the scrape example and the alerts in deploy/README.md use
    only metrics /metrics has, and the table lists every one of the bot's own."""
    metrics = Metrics()
    person = PersonKey("telegram", "1")
    metrics.turn(TurnDone(person, "text", "c1/gathering", 0.01, "ok"))
    metrics.reminder(ReminderDone(person, "custom", "c1", 0.0, 1, "sent"))
    metrics.reply("telegram", sent=True)
    metrics.reply("telegram", sent=False)
    metrics.reply_failed("telegram")
    metrics.rate_limited("telegram", 1.0)
    metrics.saved(0.001)
    metrics.watch_connected("telegram", lambda: True)
    exported = {name for name, _ in samples(metrics.render().decode())}
    bases = {re.sub(r"_(bucket|count|sum|created)$", "", name) for name in exported}
    guide = (Path(__file__).resolve().parent.parent / "deploy" / "README.md").read_text("utf-8")
    section = guide.split("### Metrics and alerts", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"\bfairshake_[a-z_]+[a-z]", section))
    assert named <= exported | bases, named - exported - bases
    table = section.split("```", 1)[0]
    documented = set(re.findall(r"`(fairshake_[a-z_]+)", table))
    own = {
        re.sub(r"_(bucket|count|sum)$", "", name)
        for name in exported
        if name.startswith("fairshake_") and not name.endswith("_created")
    }
    assert own <= documented, own - documented


async def test_healthz_asks_the_database_when_the_store_is_postgresql(database_url):
    await upgrade_database(database_url)
    store = await PostgresStore.open(database_url)
    probes = Probes(store, lambda: [], Metrics())
    await probes.start("127.0.0.1", 0)
    try:
        assert (await get(probes.port, "/healthz"))[0] == 200
        await store.close()  # as if the database went away
        status, text = await get(probes.port, "/healthz")
        assert status == 503
        assert "database" in text
    finally:
        await probes.stop()
