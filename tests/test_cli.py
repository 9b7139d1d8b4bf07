"""The `fairshake` command as an operator uses it: check, health, version, and stopping."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.folder import FolderLock
from bot.notices import SAID
from flows.greeting import welcome_reply
from flows.reply import Notice
from storage import PersonKey, PersonRecord, TinyDBStore

TOKEN = "123456789:AAH-abcdefghijklmnopqrstuvwxyz_012345"
REMINDER_SET = SAID[Notice.REMINDER_SET].partition("{")[0]
"""How the answer to /remind begins, as the bot words it."""
START_A_CASE = next(c.label for c in welcome_reply().prompt.choices() if c.value == "new")
"""The greeting's button for a case about another shop, as it reads."""


def fairshake(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FAIRSHAKE_", "TELEGRAM_", "DISCORD_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_check_passes_a_good_configuration(tmp_path):
    done = fairshake("check", env={"FAIRSHAKE_DATA_DIR": str(tmp_path / "data")}, cwd=tmp_path)
    assert done.returncode == 0, done.stdout
    assert "configuration OK: would run console" in done.stdout
    assert "no platform token is set" in done.stdout


async def test_check_leaves_a_running_bots_folder_alone(tmp_path):
    """The operator's guide has `fairshake check` run beside the bot: opening the store
    there would replay the bot's live journal and delete its segments under it."""
    data = tmp_path / "data"
    running = FolderLock(data)  # what the running bot holds
    try:
        await TinyDBStore(data).save(PersonKey("telegram", "1"), PersonRecord(profile={"n": 1}))
        journal = sorted(path.name for path in (data / "journal").iterdir())
        assert journal, "the save waits in the journal, not yet folded"
        done = fairshake("check", env={"FAIRSHAKE_DATA_DIR": str(data)}, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert sorted(path.name for path in (data / "journal").iterdir()) == journal
    finally:
        running.release()


def test_check_reads_the_env_file(tmp_path):
    (tmp_path / ".env").write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\n", "utf-8")
    done = fairshake("check", env={}, cwd=tmp_path)
    assert done.returncode == 0, done.stdout
    assert "would run telegram" in done.stdout


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"FAIRSHAKE_TIMEZONE": "Mars/Olympus"}, "FAIRSHAKE_TIMEZONE"),
        ({"FAIRSHAKE_LOG_LEVEL": "LOUD"}, "FAIRSHAKE_LOG_LEVEL"),
        ({"FAIRSHAKE_LOG_FORMAT": "xml"}, "FAIRSHAKE_LOG_FORMAT"),
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN does not look like"),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_URL": "http://bot.example.com/hook"},
            "https://",
        ),
        (
            {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_WEBHOOK_URL": "https://b.example.com/h",
                "TELEGRAM_WEBHOOK_PORT": "99999",
            },
            "TELEGRAM_WEBHOOK_PORT",
        ),
        (
            {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_WEBHOOK_URL": "https://b.example.com/h",
                "TELEGRAM_WEBHOOK_SECRET": "no spaces!",
            },
            "TELEGRAM_WEBHOOK_SECRET",
        ),
        ({"TELEGRAM_WEBHOOK_URL": "https://b.example.com/h"}, "TELEGRAM_BOT_TOKEN is not"),
        (
            {"TELEGRAM_API_BASE_URL": "ftp://x", "TELEGRAM_BOT_TOKEN": TOKEN},
            "TELEGRAM_API_BASE_URL",
        ),
    ],
)
def test_check_says_exactly_what_is_wrong(tmp_path, env, says):
    done = fairshake(
        "check", env={"FAIRSHAKE_DATA_DIR": str(tmp_path / "data"), **env}, cwd=tmp_path
    )
    assert done.returncode == 1
    assert says in done.stdout
    assert "not-a-token" not in done.stdout
    assert TOKEN not in done.stdout


def test_check_refuses_a_data_folder_it_cannot_use(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", "utf-8")
    done = fairshake("check", env={"FAIRSHAKE_DATA_DIR": str(blocker / "data")}, cwd=tmp_path)
    assert done.returncode == 1
    assert "FAIRSHAKE_DATA_DIR: cannot write" in done.stdout


def test_check_refuses_a_store_from_a_newer_version(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "meta.json").write_text(json.dumps({"schema_version": 999}), "utf-8")
    done = fairshake("check", env={"FAIRSHAKE_DATA_DIR": str(data)}, cwd=tmp_path)
    assert done.returncode == 1
    assert "FAIRSHAKE_DATA_DIR" in done.stdout


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("fairshake 0.")


def test_help_gives_a_line_for_every_subcommand():
    done = fairshake("--help", env={}, cwd=Path.cwd())
    assert done.returncode == 0
    listed = dict(
        re.findall(r"^    (\w+)\s+(\S.*)$", done.stdout.split("commands:", 1)[1], re.MULTILINE)
    )
    assert set(listed) == {"run", "check", "health", "playbooks", "db", "discord"}


def test_health_loads_no_platform_library_nor_the_engine(tmp_path):
    """A container probes every 30 seconds: the probe must cost milliseconds, not the
    second it takes to import discord.py and python-telegram-bot."""
    probe = (
        "import sys; from bot.cli import main; code = main(['health']); "
        "print(code, sorted({m.split('.')[0] for m in sys.modules}))"
    )
    (tmp_path / "heartbeat").touch()
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "FAIRSHAKE_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    code, modules = done.stdout.split(" ", 1)
    assert code == "0", done.stderr
    loaded = set(json.loads(modules.replace("'", '"')))
    heavy = {"telegram", "discord", "adapters", "aiohttp", "tinydb", "transitions", "flows"}
    assert not loaded & heavy
    assert "bot" in loaded


def test_health_follows_the_heartbeat(tmp_path, monkeypatch):
    monkeypatch.setenv("FAIRSHAKE_DATA_DIR", str(tmp_path))
    assert main(["health"]) == 1
    heartbeat = tmp_path / "heartbeat"
    heartbeat.touch()
    assert main(["health"]) == 0
    old = time.time() - 600
    os.utime(heartbeat, (old, old))
    assert main(["health"]) == 1


def test_sigterm_during_a_stream_of_turns_exits_cleanly_and_keeps_every_answered_turn(tmp_path):
    """Turns the bot answered are in the store; the store loads; the exit code is 0."""
    data = tmp_path / "data"
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FAIRSHAKE_", "TELEGRAM_", "DISCORD_"))
    }
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        env={**clean, "FAIRSHAKE_DATA_DIR": str(data), "FAIRSHAKE_LOG_LEVEL": "INFO"},
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert bot.stdin is not None and bot.stdout is not None
    # One case, then reminders (each a saved turn; fewer than the cap on waiting ones).
    bot.stdin.write("/new\n" + "/remind in 2 days call back\n" * 45)
    bot.stdin.flush()
    answered = 0
    for line in bot.stdout:
        answered += line.startswith(REMINDER_SET)
        if answered == 20:
            bot.send_signal(signal.SIGTERM)
            break
    out, err = bot.communicate(timeout=30)
    answered += out.count(REMINDER_SET)
    assert bot.returncode == 0, err
    record = asyncio_run_load(data)
    assert len(record.reminders) >= answered
    assert "stopped" in err


def asyncio_run_load(data: Path):
    import asyncio

    return asyncio.run(
        TinyDBStore(data).load(PersonKey("console", os.environ.get("USER") or _user()))
    )


def _user() -> str:
    import getpass

    return getpass.getuser()


async def test_a_rejected_token_stops_with_exit_1_and_never_reaches_the_log(tmp_path):
    """Telegram refuses a revoked token; the log says so without quoting it."""
    import asyncio

    from tests.fakes.telegram import FakeTelegram

    async with FakeTelegram() as fake:
        revoked = "987654321:AAH-revokedrevokedrevokedrevoked_99"
        clean = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("FAIRSHAKE_", "TELEGRAM_", "DISCORD_"))
        }
        bot = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            env={
                **clean,
                "TELEGRAM_BOT_TOKEN": revoked,
                "TELEGRAM_API_BASE_URL": fake.base_url,
                "FAIRSHAKE_DATA_DIR": str(tmp_path),
            },
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(bot.communicate(), 60)
    logged = (out + err).decode()
    assert bot.returncode == 1
    assert "stopped by an error: InvalidToken" in logged
    assert revoked.split(":")[1] not in logged


def test_a_bad_setting_stops_the_bot_before_it_starts(tmp_path):
    done = fairshake(
        env={"FAIRSHAKE_DATA_DIR": str(tmp_path), "FAIRSHAKE_TIMEZONE": "Mars/Olympus"},
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert "FAIRSHAKE_TIMEZONE" in done.stderr


def test_the_terminal_chat_is_not_interleaved_with_info_logs(tmp_path):
    done = fairshake(env={"FAIRSHAKE_DATA_DIR": str(tmp_path)}, cwd=tmp_path)
    assert done.returncode == 0
    assert "INFO" not in done.stderr
    assert START_A_CASE in done.stdout


def test_json_log_lines_for_a_log_collector(tmp_path):
    done = fairshake(
        env={
            "FAIRSHAKE_DATA_DIR": str(tmp_path),
            "FAIRSHAKE_LOG_FORMAT": "json",
            "FAIRSHAKE_LOG_LEVEL": "INFO",
        },
        cwd=tmp_path,
    )
    assert done.returncode == 0
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    # The terminal chat's opening /start is a turn: one line of its own, fields as keys.
    assert [line.get("event") or line["message"] for line in lines] == [
        "started: console",
        "turn",
        "stopped",
    ]
    assert lines[1]["platform"] == "console" and lines[1]["kind"] == "command"
    assert {line["level"] for line in lines} == {"INFO"}
    assert all(line["time"].endswith("+00:00") for line in lines)
