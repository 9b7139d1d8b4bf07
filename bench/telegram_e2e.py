"""End to end on Telegram: Fair Shake beside a bare python-telegram-bot bot, same people.

This benchmark prints figures; it passes or fails nothing. It starts the project's fake
Bot API (tests/fakes/telegram.py) on 127.0.0.1, then, in turn, Fair Shake (`python -m
bot`, the real adapter on python-telegram-bot, a TinyDB data folder on disk) and the
bare ConversationHandler bot of bench/telegram_baseline.py (PTB's AIORateLimiter), each
as its own process polling the fake. The same people talk to each: each presses the
first button of the bot's latest message when it has buttons (not "back", "cancel" or
the like) and otherwise types the next of a few plausible answers, and does so again as
soon as the bot's reply has come (its chat quiet for 0.1 s after a new message). A
turn is one such action (one update to the bot); calls are counted over all of them.

For each bot and each number of people it prints turns/s (over the measured seconds,
after a warm-up) and the Bot API calls per turn (every method but polling and start-up,
over the whole run, every turn of which was answered; and without answerCallbackQuery,
which Telegram does not rate-limit), with the share of turns that
were presses (a press costs more calls than a typed answer), then the ratio of Fair
Shake's turns/s to the bare bot's.
Everything shares the machine's cores: run it twice before trusting a figure.

Usage (from the project folder)::

    .venv/bin/python -m bench.telegram_e2e
    .venv/bin/python -m bench.telegram_e2e --people 50 200 --seconds 15
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.fakes.telegram import FakeTelegram, SentMessage

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:" + "B" * 35
FIRST_USER = 7_000_000
WARMUP_SECONDS = 3.0
REPLY_TIMEOUT = 60.0
QUIET_SECONDS = 0.1
"""A turn's reply is taken as whole once its chat has had no new message for this long."""
NOT_PRESSED = ("back", "cancel", "drop", "delete", "forget", "stop", "←", "✖")
"""Buttons a person in this bench leaves alone (they would end or undo the conversation)."""
TYPED = ("Amazon", "112-7654321-1234567", "3 days ago", "$49.99", "It arrived broken.", "yesterday")
SETUP_METHODS = {"getupdates", "getme", "setmycommands", "deletewebhook", "getmycommands"}

BOTS = {
    "fairshake": [sys.executable, "-m", "bot"],
    "bare PTB": [sys.executable, "-m", "bench.telegram_baseline"],
}


@dataclass
class Chats:
    """Each chat's bot messages, indexed as they come (the fake keeps one flat list)."""

    fake: FakeTelegram
    seen: int = 0
    by_chat: dict[int, list[SentMessage]] = field(default_factory=dict)

    def of(self, chat_id: int) -> list[SentMessage]:
        sent = self.fake.sent
        for message in sent[self.seen :]:
            self.by_chat.setdefault(message.chat_id, []).append(message)
        self.seen = len(sent)
        return self.by_chat.get(chat_id, [])


class SimulatedPerson:
    """One person of the benchmarks, over the fake Bot API: each `act` presses the first
    button of the bot's latest message that does not go back, cancel or delete the case,
    else types the next line of `TYPED` (`/start` first), and returns once the bot has
    written in their chat."""

    def __init__(self, fake: FakeTelegram, chats: Chats, user: int) -> None:
        self.fake = fake
        self.chats = chats
        self.user = user
        self.action = "/start"
        self.typed = 0
        fake.add_user(user)

    async def act(self) -> None:
        messages = self.chats.of(self.user)
        mark = len(messages)
        latest = messages[-1] if messages else None
        pressable = [
            button
            for row in (latest.buttons if latest else [])
            for button in row
            if "callback_data" in button
            and not any(word in button["text"].lower() for word in NOT_PRESSED)
        ]
        if latest is not None and pressable:
            self.fake.user_presses(
                self.user, latest.message_id, pressable[0]["callback_data"], strict=False
            )
        else:
            self.fake.user_says(self.user, self.action)
            self.action = TYPED[self.typed % len(TYPED)]
            self.typed += 1
        await self.fake.wait_for(lambda _: len(self.chats.of(self.user)) > mark, REPLY_TIMEOUT)


async def person(fake: FakeTelegram, chats: Chats, user: int, stop: float) -> None:
    simulated = SimulatedPerson(fake, chats, user)
    while time.perf_counter() < stop:
        await simulated.act()
        while True:  # the rest of the turn's messages: until the chat is quiet a moment
            count = len(chats.of(user))
            await asyncio.sleep(QUIET_SECONDS)
            if len(chats.of(user)) == count:
                break


async def measure(bot: str, people: int, seconds: float) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="fairshake-bench-telegram-", dir=ROOT))
    async with FakeTelegram(token=TOKEN) as fake:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "FAIRSHAKE_DATA_DIR": str(folder / "data"),
            "FAIRSHAKE_LOG_LEVEL": "WARNING",
            # Throughput, beside a bare bot with no limit: the simulated people answer as
            # fast as replies come, past any human's pace (bench.flood measures the limit),
            # and past the one message a second a chat gets (the bare bot paces no chat;
            # both keep the 30 a second overall).
            "FAIRSHAKE_RATE_LIMIT": "0",
            "TELEGRAM_CHAT_PACE": "0",
        }
        process = await asyncio.create_subprocess_exec(
            *BOTS[bot], cwd=ROOT, env=env, stdin=asyncio.subprocess.DEVNULL
        )
        try:
            await fake.wait_for(lambda f: f.calls_to("getUpdates"), timeout=60)
            chats = Chats(fake)
            stop = time.perf_counter() + WARMUP_SECONDS + seconds
            users = [FIRST_USER + n for n in range(people)]
            playing = asyncio.gather(*(person(fake, chats, u, stop) for u in users))
            await asyncio.sleep(WARMUP_SECONDS)
            first_update = len(fake.updates)
            started = time.perf_counter()
            await asyncio.sleep(seconds)
            turns = len(fake.updates) - first_update
            elapsed = time.perf_counter() - started
            await playing  # every turn answered: the calls below are all of theirs
            calls = Counter(c.method.lower() for c in fake.calls)
            updates = fake.updates
        finally:
            process.send_signal(signal.SIGTERM)
            await process.wait()
            shutil.rmtree(folder, ignore_errors=True)
    counted = {method: n for method, n in calls.items() if method not in SETUP_METHODS}
    answered = max(len(updates), 1)
    return {
        "turns_per_s": turns / elapsed,
        "calls_per_turn": sum(counted.values()) / answered,
        "paced_per_turn": sum(n for m, n in counted.items() if m != "answercallbackquery")
        / answered,
        "press_share": sum("callback_query" in update for update in updates) / answered,
        **{f"{method}/turn": n / answered for method, n in sorted(counted.items())},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--people", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args(argv)
    for people in args.people:
        rows = {}
        for bot in BOTS:
            print(f"{people} people talking to {bot}…", flush=True)
            rows[bot] = asyncio.run(measure(bot, people, args.seconds))
        for bot, row in rows.items():
            detail = ", ".join(f"{k} {v:.2f}" for k, v in row.items() if k.endswith("/turn"))
            print(
                f"  {bot:<10} {row['turns_per_s']:6.1f} turns/s, {row['calls_per_turn']:.2f} calls"
                f" per turn, {row['paced_per_turn']:.2f} without the press acknowledgements"
                f" ({row['press_share']:.0%} presses): {detail}"
            )
        ratio = rows["fairshake"]["turns_per_s"] / rows["bare PTB"]["turns_per_s"]
        print(f"  fairshake / bare PTB: {ratio:.2f}x")


if __name__ == "__main__":
    main()
