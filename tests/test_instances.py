"""Several instances on one PostgreSQL database, in one test process: each reminder and
each reply goes out once, and one an instance was sending when it died goes out from
another, once more. (Real processes killed with SIGKILL: test_instances_e2e.py.)"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Collection
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from adapters.telegram import TelegramAdapter
from bot.engine import Engine
from bot.events import Notice, Outbound, parse_command
from storage import ConversationKey, DueEntry, PersonKey
from storage.locks import Leadership
from storage.postgres import PostgresStore, upgrade_database
from tests.chat import START, Chat, Clock
from tests.fakes.telegram import FakeTelegram
from tests.pings import Pings, scheduling
from tests.telegram_chat import USER, data_of, fake, running
from tests.test_reminders import reminder_case, statuses

__all__ = ["fake"]  # a fixture, used by name

FAST_POLL = {"poll_seconds": 0.01}


class Looks:
    """The engine as a scheduler sees it, counting the scheduler's finished looks for
    overdue entries, so that a test waits for looks, never for an amount of time (on a
    loaded machine 50 ms may hold no look at all)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.done = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    @property
    def on_due(self) -> Callable[[DueEntry], None] | None:
        return self.engine.on_due

    @on_due.setter
    def on_due(self, schedule: Callable[[DueEntry], None] | None) -> None:
        self.engine.on_due = schedule

    async def claim_overdue(
        self, now: datetime, platforms: Collection[str] | None, limit: int
    ) -> list[DueEntry]:
        found = await self.engine.claim_overdue(now, platforms, limit)
        self.done += 1
        return found

    async def more(self, looks: int) -> None:
        """Wait for `looks` more looks to finish (the first may have begun already)."""
        target = self.done + looks

        async def counted() -> None:
            while self.done < target:
                await asyncio.sleep(0.001)

        await asyncio.wait_for(counted(), 60)  # a bound for a scheduler that hangs


@pytest.fixture
async def instances(database_url: str) -> AsyncIterator[list[PostgresStore]]:
    """Two stores on one upgraded database, as two instances of the bot hold."""
    await upgrade_database(database_url)
    stores = [await PostgresStore.open(database_url) for _ in range(2)]
    yield stores
    for store in stores:
        await store.close()


def expire_claims(database_url: str) -> None:
    """As if every claim's time had run out (the lease is 90 s; tests do not wait)."""
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE due SET claimed_until = now() - interval '1 s'")


async def test_each_reminder_goes_out_once_with_two_instances_racing(
    instances: list[PostgresStore],
) -> None:
    """Both instances hold every entry in their heap and wake at the same due times."""
    clock = Clock()
    people = [Chat(instances[n % 2], clock, user=str(2000 + n)) for n in range(8)]
    for chat in people:
        await reminder_case(chat, "in 1 hour call the seller")
    first, second = Chat(instances[0], clock), Chat(instances[1], clock)
    pings = [Pings(), Pings()]

    async with (
        scheduling(first, pings[0], **FAST_POLL) as one,
        scheduling(second, pings[1], **FAST_POLL) as other,
    ):
        clock.advance(hours=2)
        await asyncio.gather(one.scheduler.idle(), other.scheduler.idle())

    pinged = sorted(key.user_id for p in pings for key, _ in p.sent)
    assert pinged == sorted(chat.key.user_id for chat in people)
    for chat in people:
        assert await statuses(chat) == ["sent"]
    assert list(instances[0].due_entries()) == []


async def test_a_reminder_another_instance_set_is_found_and_sent(
    instances: list[PostgresStore],
) -> None:
    """The second instance started before the reminder existed and was never told of it."""
    clock, pings = Clock(), Pings()
    watcher = Chat(instances[1], clock, user="9")
    looks = Looks(watcher.engine)
    async with scheduling(watcher, pings, records=looks, **FAST_POLL) as running:
        setter = Chat(instances[0], clock)
        await reminder_case(setter, "in 1 hour call the seller")
        clock.advance(hours=2)
        await looks.more(2)  # the second began after the reminder was due
        await running.scheduler.idle()

    assert [key for key, _ in pings.sent] == [setter.key]
    assert await statuses(setter) == ["sent"]


async def test_a_ping_cut_short_by_a_dead_instance_goes_out_once_more_from_another(
    instances: list[PostgresStore], database_url: str
) -> None:
    clock = Clock()
    chat = Chat(instances[0], clock)
    await reminder_case(chat, "in 1 hour call the seller")
    dying = Pings(crashes=1)  # sends, then the process "dies" before recording it
    async with scheduling(chat, dying) as running:
        await running.at(hours=2)
    await instances[0].close()
    survivor, pings = Chat(instances[1], clock), Pings()
    looks = Looks(survivor.engine)

    async with scheduling(survivor, pings, records=looks, **FAST_POLL) as running:
        await looks.more(2)
        await running.scheduler.idle()
        held = list(pings.sent)  # the dead instance's claim still holds
        expire_claims(database_url)
        await looks.more(2)  # the second began after the claim ran out
        await running.scheduler.idle()
        await looks.more(2)  # more looks: nothing goes a third time
        await running.scheduler.idle()

    assert held == []
    assert len(dying.sent) == 1
    assert [key for key, _ in pings.sent] == [chat.key]
    record = await instances[1].load(chat.key.person)
    (reminder,) = (r for r in record.reminders.values() if r["kind"] == "custom")
    assert reminder["status"] == "sent" and reminder["resent"] is True


async def test_one_persons_replies_from_two_instances_each_go_once_in_order(
    instances: list[PostgresStore],
) -> None:
    """Turns of one person land on both instances at once; every reply goes out once,
    in the order of the turns."""
    clock = Clock()
    engines = [Chat(store, clock).engine for store in instances]
    key = ConversationKey("test", "1001", "1001")
    delivered: list[Outbound] = []

    async def deliver(to: ConversationKey, messages: list[Outbound]) -> None:
        await asyncio.sleep(0.005)  # a platform's round trip, where another would slip in
        delivered.extend(messages)

    await asyncio.gather(
        *(engines[n % 2].answer(parse_command(key, "/new"), deliver) for n in range(10))
    )

    opened = [dict(m.details)["case_id"] for m in delivered if m.notice == Notice.CASE_OPENED]
    assert opened == [f"c{n}" for n in range(1, 11)]
    assert list(instances[0].due_entries()) == []


async def test_instances_looking_for_overdue_entries_at_once_share_them_out(
    instances: list[PostgresStore],
) -> None:
    entries = [DueEntry(START, PersonKey("telegram", str(n)), "r1") for n in range(40)]
    await instances[0].commit(PersonKey("telegram", "0"), None, added=entries)
    later = DueEntry(START + timedelta(hours=1), PersonKey("telegram", "x"), "r1")
    await instances[0].add_due(later)

    found = await asyncio.gather(
        *(instances[n % 2].claim_overdue(START, None, 15) for n in range(4))
    )

    claimed = [entry for batch in found for entry in batch]
    assert sorted(claimed) == sorted(entries)
    assert await instances[1].claim_overdue(START, None, 50) == []
    assert await instances[1].claim_overdue(START, ["discord"], 50) == []
    # An entry claimed by one instance is not the other's to claim (its owner may renew).
    owner = next(n % 2 for n, batch in enumerate(found) if entries[0] in batch)
    assert not await instances[1 - owner].claim_due(entries[0])
    assert await instances[0].claim_due(later)


def quick(leadership: Leadership) -> Leadership:
    """Try and check every 10 ms instead of every 5 s."""
    leadership.retry_seconds = leadership.check_seconds = 0.01  # type: ignore[attr-defined]
    return leadership


async def test_one_instance_leads_and_another_takes_over_when_it_lets_go(
    instances: list[PostgresStore],
) -> None:
    leader, waiting = (quick(store.leadership("telegram-polling")) for store in instances)
    await leader.acquire()
    taking_over = asyncio.ensure_future(waiting.acquire())

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(asyncio.shield(taking_over), 0.5)
    await quick(instances[1].leadership("another job")).acquire()  # a job of its own
    await leader.release()
    await asyncio.wait_for(taking_over, 30)
    await waiting.release()


async def test_a_leader_whose_session_ends_stops_leading_and_another_takes_over(
    instances: list[PostgresStore], database_url: str
) -> None:
    leader, waiting = (quick(store.leadership("telegram-polling")) for store in instances)
    await leader.acquire()
    taking_over = asyncio.ensure_future(waiting.acquire())
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(  # the database ends the leader's session (a lost connection)
            "SELECT pg_terminate_backend(pid) FROM pg_locks"
            " WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()"
        )

    await asyncio.wait_for(leader.lost(), 30)
    await asyncio.wait_for(taking_over, 30)
    await waiting.release()


def conflicts(fake: FakeTelegram) -> list[object]:
    """The 409s a poller received (Telegram's answer to a second poller)."""
    return [c for c in fake.calls_to("getUpdates") if c.status == 409 and not c.abandoned]


async def test_two_telegram_instances_poll_one_at_a_time_and_the_other_takes_over(
    instances: list[PostgresStore], fake: FakeTelegram, tmp_path: Path
) -> None:
    async with contextlib.AsyncExitStack() as stack:
        bots = [
            await stack.enter_async_context(running(fake, tmp_path / str(n), store=store))
            for n, store in enumerate(instances)
        ]

        def pollers() -> list[TelegramAdapter]:
            return [bot for bot in bots if bot.polling]

        (leader,) = await fake.wait_for(lambda _: len(pollers()) == 1 and pollers(), 30)
        fake.user_says(USER, "/start")
        await fake.wait_for_message(USER, timeout=30)
        leader.stop()
        (other,) = await fake.wait_for(
            lambda _: pollers() and pollers() != [leader] and pollers(), 30, "a takeover"
        )
        fake.user_says(USER, "/help")
        await fake.wait_for_message(USER, timeout=30)

    assert other is not leader
    assert conflicts(fake) == []


WEBHOOK = "https://bot.example.com/telegram"
WEBHOOK_SECRET = "one-secret-for-every-instance"


async def test_an_update_the_load_balancer_gives_both_instances_is_applied_once(
    instances: list[PostgresStore],
    fake: FakeTelegram,
    tmp_path: Path,
    unused_tcp_port_factory: Callable[[], int],
) -> None:
    """A load balancer that got no answer in time sends the update to another instance:
    here every update goes to both at once, and a press to both once more after. Each
    is applied once: one reply each, and the facts as if sent once."""
    ports = [unused_tcp_port_factory() for _ in instances]
    async with contextlib.AsyncExitStack() as stack:
        bots = [
            await stack.enter_async_context(
                running(
                    fake,
                    tmp_path / str(n),
                    store=store,
                    TELEGRAM_WEBHOOK_URL=WEBHOOK,
                    TELEGRAM_WEBHOOK_PORT=str(port),
                    TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
                )
            )
            for n, (store, port) in enumerate(zip(instances, ports, strict=True))
        ]
        # Each listens before it registers the webhook.
        await fake.wait_for(lambda f: len(f.calls_to("setWebhook")) == len(bots), 30, "webhooks")
        hooks = [f"http://127.0.0.1:{port}/telegram" for port in ports]

        async def to_both(update: dict[str, object]) -> None:
            sent = (fake.post_update_to(hook, update, WEBHOOK_SECRET) for hook in hooks)
            assert await asyncio.gather(*sent) == [200, 200]

        def press(option: str) -> dict[str, object]:
            shown = fake.last_message(USER)
            return fake.build_callback_update(USER, shown.message_id, data_of(shown, option))

        await to_both(fake.build_message_update(USER, "/start"))
        amazon = press("new:amazon")
        await to_both(amazon)
        await to_both(amazon)
        await to_both(press("pick:damaged"))
        await to_both(press("pick:third_party"))
        await to_both(fake.build_message_update(USER, "yesterday"))
        record = await instances[0].load(PersonKey("telegram", str(USER)))

    # Each webhook answers once its turn is saved and replied to: nothing is left to come.
    assert len(fake.messages_in(USER)) == 5, fake.summary()
    (case,) = record.cases.values()
    assert case["facts"]["merchant"]["playbook"] == "amazon"
    assert {"problem", "seller", "delivery_date"} <= set(case["facts"])
    assert case["question"] == "outcome"
