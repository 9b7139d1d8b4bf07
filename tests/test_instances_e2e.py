"""Three real `fairshake` processes on one PostgreSQL database, long polling the fake
Telegram: one polls at a time, and when it is SIGKILLed another takes over within 30
seconds, with no poller ever refused for a second poll (409)."""

from __future__ import annotations

import time
from pathlib import Path

from storage.postgres import upgrade_database
from tests.bot_process import BotProcess
from tests.fakes.telegram import FakeTelegram
from tests.test_instances import conflicts

USER = 4242
TOKEN = "123456:AAH-instancesinstancesinstance_0042"


async def test_the_polling_lead_passes_on_when_the_leader_is_killed(
    database_url: str, tmp_path: Path
) -> None:
    await upgrade_database(database_url)
    async with FakeTelegram(TOKEN) as fake:
        fake.add_user(USER, "Robin")
        bots = [
            BotProcess(
                fake, tmp_path / f"instance-{n}" / "data", FAIRSHAKE_DATABASE_URL=database_url
            )
            for n in range(3)
        ]
        for bot in bots:
            bot.data.mkdir(parents=True)
        leader = await bots[0].start()  # returns once it polls: the first one leads
        for bot in bots[1:]:
            await bot.start(wait=False)
        fake.user_says(USER, "/start")
        await fake.wait_for_message(USER, timeout=30)
        before = len(fake.calls_to("getUpdates"))

        await leader.kill()
        killed_at = time.monotonic()
        await fake.wait_for(
            lambda f: len(f.calls_to("getUpdates")) > before + 1, 30, "another instance polling"
        )
        took = time.monotonic() - killed_at
        fake.user_says(USER, "/help")
        await fake.wait_for_message(USER, timeout=30)
        for bot in bots[1:]:
            status, _ = await bot.stop()
            assert status == 0

    assert took < 30
    assert conflicts(fake) == []
