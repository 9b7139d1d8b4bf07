"""The bot as a real process (`python -m bot`) against the fake Telegram, for fault tests.

`BotProcess` starts `fairshake` with its data folder and the fake's address, waits
until it polls, and can be SIGKILLed or stopped with SIGTERM as an operator would.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.fakes.telegram import FakeTelegram, SentMessage
from tests.telegram_chat import data_of

ROOT = Path(__file__).parent.parent


def environment(data: Path) -> dict[str, str]:
    """A bot process's environment: this one's without any bot settings, the project on
    the path, `data` as its data folder, logging at INFO."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FAIRSHAKE_", "TELEGRAM_", "DISCORD_"))
    }
    return {
        **clean,
        "PYTHONPATH": str(ROOT),
        "FAIRSHAKE_DATA_DIR": str(data),
        "FAIRSHAKE_LOG_LEVEL": "INFO",
    }


class BotProcess:
    """One `python -m bot` over `data` talking to `fake`.

    Args:
        fake: the fake Bot API it polls.
        data: its data folder.
        settings: more FAIRSHAKE_* settings.
    """

    def __init__(self, fake: FakeTelegram, data: Path, **settings: str) -> None:
        self.fake = fake
        self.data = data
        self.settings = settings
        self.process: asyncio.subprocess.Process | None = None

    def environment(self) -> dict[str, str]:
        return {
            **environment(self.data),
            "TELEGRAM_BOT_TOKEN": self.fake.token,
            "TELEGRAM_API_BASE_URL": self.fake.base_url,
            "TELEGRAM_CHAT_PACE": "0",  # whole cases are typed in seconds
            **self.settings,
        }

    async def start(self, *, wait: bool = True) -> BotProcess:
        """Start it; with `wait`, return once it polls for updates."""
        polls = len(self.fake.calls_to("getUpdates"))
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            env=self.environment(),
            cwd=self.data.parent,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        if wait:
            polling = asyncio.ensure_future(
                self.fake.wait_for(lambda f: len(f.calls_to("getUpdates")) > polls, 60, "polls")
            )
            exited = asyncio.ensure_future(self.process.wait())
            await asyncio.wait({polling, exited}, return_when=asyncio.FIRST_COMPLETED)
            if exited.done():
                polling.cancel()
                _, logged = await self.stop()
                raise AssertionError(f"the bot exited before polling:\n{logged}")
            exited.cancel()
            await polling
        return self

    async def running(self, timeout: float = 60) -> None:
        """Wait until its loop runs (its heartbeat file appears), so that a stop signal
        from now on ends it cleanly; for an instance that does not poll."""
        heartbeat = self.data / "heartbeat"
        deadline = asyncio.get_running_loop().time() + timeout
        while not heartbeat.exists():
            assert self.process is not None and self.process.returncode is None, "it exited"
            assert asyncio.get_running_loop().time() < deadline, "no heartbeat"
            await asyncio.sleep(0.05)

    async def kill(self) -> None:
        """SIGKILL: no clean-up of any kind."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def exited(self, timeout: float = 60) -> tuple[int, str]:
        """Wait for it to end by itself: (exit status, everything it logged)."""
        assert self.process is not None
        out, err = await asyncio.wait_for(self.process.communicate(), timeout)
        return self.process.returncode or 0, (out + err).decode()

    async def stop(self, timeout: float = 30) -> tuple[int, str]:
        """SIGTERM and wait: (exit status, everything it logged)."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(self.process.communicate(), timeout)
        return self.process.returncode or 0, (out + err).decode()


async def converse(
    fake: FakeTelegram, user: int, line: str
) -> tuple[dict[str, object], SentMessage]:
    """Press the button for `line` on the last message if it offers one (an option id,
    `pick:amazon`, or the whole callback data of a button without a stamp), else type
    `line`; return the update and the bot's reply that ends the turn (the one with
    buttons)."""
    mark = len(fake.sent)
    shown = [m for m in fake.messages_in(user) if m.buttons]
    datas = [str(b.get("callback_data")) for row in shown[-1].buttons for b in row] if shown else []
    if shown and (line in shown[-1].options or line in datas):
        data = line if line in datas else data_of(shown[-1], line)
        fake.user_presses(user, shown[-1].message_id, data)
    else:
        fake.user_says(user, line)
    update = fake.updates[-1]

    def prompt(fake: FakeTelegram) -> SentMessage | None:
        return next((m for m in fake.sent[mark:] if m.chat_id == user and m.buttons), None)

    return update, await fake.wait_for(prompt, 30, f"the answer to {line!r}")
