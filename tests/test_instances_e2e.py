"""Three real `fairshake` processes on one PostgreSQL database.

- Long polling the fake Telegram: one polls at a time, and when it is SIGKILLed another
  takes over within 30 seconds, with no poller ever refused for a second poll (409).
- Webhook mode behind a load balancer: 30 people whose consecutive updates land on
  different instances, one instance SIGKILLed midway while it sends replies and
  pings, 60 reminders falling due meanwhile: nothing lost, nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from bot.engine import Engine
from bot.events import ButtonPress, Command, TextMessage, parse_command
from storage import ConversationKey, MemoryStore, PersonKey, PersonRecord
from storage.keys import person_digest
from storage.postgres import PostgresStore, lock_key, upgrade_database
from tests.bot_process import BotProcess
from tests.fakes.telegram import FakeTelegram, SentMessage
from tests.instances import BotApiPassage, Instance, LoadBalancer
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
        for bot in bots[1:]:
            await bot.running()
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


# -- webhook mode: three instances behind a load balancer, one SIGKILLed midway -----------

TALKERS = [7001 + n for n in range(30)]
REMINDED = [8001 + n for n in range(60)]
DELIVERED_ON = "28 November 2026"
ORDER = "112-3456789-0123456"
SCRIPT: list[tuple[str, str]] = [
    ("say", "/start"),
    ("press", "new:amazon"),
    ("press", "pick:damaged"),
    ("press", "pick:third_party"),
    ("say", DELIVERED_ON),
    ("press", "pick:refund"),
    ("press", "edit:order_number"),
    ("say", ORDER),
    ("press", "do:confirm"),
]
"""One person's turns: typed text, or the option id of a button on the latest message."""


def step_of(record: PersonRecord) -> tuple[str, str | None]:
    """Where the person's case stands: the prompt they are looking at, by step and question."""
    case = record.cases.get(str(record.profile.get("active_case", "")))
    return ("welcome", None) if case is None else (case["state"], case["question"])


async def reference_run() -> tuple[list[tuple[str, str | None]], dict[str, object]]:
    """The script in one process on a memory store: the steps it shows and the facts it
    keeps, which every person of the multi-instance run must see and keep alike."""
    engine = Engine(MemoryStore())
    key = ConversationKey("telegram", "1", "1")
    steps, shown = [], []
    for kind, value in SCRIPT:
        if kind == "say":
            event = parse_command(key, value) or TextMessage(key, value)
        else:
            (data,) = [b.data for m in shown for row in m.buttons for b in row if b.option == value]
            event = ButtonPress(key, data)
        shown = await engine.handle(event)
        record = await engine.store.load(key.person)
        steps.append(step_of(record))
    (case,) = record.cases.values()
    return steps, case["facts"]


def option_data(message: SentMessage, option: str) -> str:
    """The callback data of the button for `option` (button data is `<stamp>|<option>`)."""
    (data,) = [
        str(b["callback_data"])
        for row in message.buttons
        for b in row
        if str(b.get("callback_data", "")).endswith(f"|{option}")
    ]
    return data


@dataclass
class Talk:
    """What one person did and saw in the multi-instance run."""

    user: int
    steps: list[tuple[str, str | None]] = field(default_factory=list)
    landed_on: list[str] = field(default_factory=list)
    sending: tuple[int, str, int] | None = None
    """The update on its way: (turn, "say" or "press", update id)."""


HALFWAY = 4
"""Turns each person takes before the kill, which the rest wait for (one more for odd
ids, so that typed messages and presses alike are in flight when it comes)."""


async def talk(
    fake: FakeTelegram,
    balancer: LoadBalancer,
    store: PostgresStore,
    seen: Talk,
    halfway: asyncio.Event,
) -> Talk:
    """The script, turn by turn: each update through the load balancer (turn n of this
    person to instance `user + n`), then the reply awaited in the chat and the step the
    record shows; after `HALFWAY` turns, a wait for `halfway`."""
    user = seen.user
    person = PersonKey("telegram", str(user))
    for turn, (kind, value) in enumerate(SCRIPT):
        if turn == HALFWAY + user % 2:
            await halfway.wait()
        if kind == "say":
            update = fake.build_message_update(user, value)
        else:
            shown = fake.last_message(user)
            update = fake.build_callback_update(user, shown.message_id, option_data(shown, value))
        seen.sending = (turn, kind, update["update_id"])
        seen.landed_on.append(await balancer.send(update, user + turn))
        seen.sending = None
        await fake.wait_for(
            lambda f, turn=turn: len(f.messages_in(user)) > turn, 120, f"reply {turn} to {user}"
        )
        seen.steps.append(step_of(await store.load(person)))
    return seen


async def set_reminders(store: PostgresStore, users: list[int], due: datetime) -> None:
    """A case and a reminder for each, set an hour before `due` for one hour later.
    Added by this process, so the instances find them by looking, as they
    find what another instance set."""
    engine = Engine(store, clock=lambda: due - timedelta(hours=1))

    async def remind(user: int) -> None:
        key = ConversationKey("telegram", str(user), str(user))
        await engine.handle(Command(key, "new"))
        await engine.handle(Command(key, "remind", "in 1 hour call the shop"))

    await asyncio.gather(*(remind(user) for user in users))


def advisory_locks_of(conn: psycopg.Connection[Any], name: str) -> set[int]:
    """The session advisory locks held by an instance's connections, as lock keys."""
    rows = conn.execute(
        "SELECT l.classid::bigint, l.objid::bigint FROM pg_locks l"
        " JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = %s",
        (name,),
    ).fetchall()
    keys = set()
    for high, low in rows:
        key = (high << 32) | low
        keys.add(key - (1 << 64) if key >= 1 << 63 else key)
    return keys


def delivering(conn: psycopg.Connection[Any], victim: Instance) -> set[int]:
    """The people whose reply or ping `victim` is delivering: a reply under its delivery
    lock, a reminder it claimed and marked sending (bot/reminders/scheduler.py)."""
    locks = advisory_locks_of(conn, victim.name)
    busy = {u for u in TALKERS if lock_key("delivery", PersonKey("telegram", str(u))) in locks}
    rows = conn.execute(
        "SELECT d.user_id, d.reminder_id, p.record::text FROM due d JOIN people p"
        " ON p.platform = d.platform AND p.user_id = d.user_id WHERE d.claimed_by LIKE %s",
        (victim.claimant + "%",),
    ).fetchall()
    for user_id, reminder_id, record in rows:
        reminder = json.loads(record)["reminders"].get(reminder_id)
        if reminder is not None and reminder["status"] == "sending":
            busy.add(int(user_id))
    return busy


async def applied_on(
    victim: Instance,
    balancer: LoadBalancer,
    store: PostgresStore,
    talks: list[Talk],
    steps: list[tuple[str, str | None]],
) -> set[str]:
    """The kinds of update ("say", "press") that `victim` has applied and not answered:
    the person's record is at the step that update leads to, and the load balancer
    still waits for the victim's answer."""
    kinds = set()
    for seen in talks:
        if seen.sending is None:
            continue
        turn, kind, update_id = seen.sending
        if balancer.trying.get(update_id) != victim.name:
            continue
        record = await store.load(PersonKey("telegram", str(seen.user)))
        if step_of(record) == steps[turn]:
            kinds.add(kind)
    return kinds


async def kill_mid_delivery(
    database_url: str, victim: Instance, applied: Callable[[], Awaitable[set[str]]]
) -> set[int]:
    """SIGKILL `victim` while it is sending replies and pings none of which has gone.

    Its Bot API calls are held (`BotApiPassage.hold`); it is killed once every delivery
    it has begun waits on a held call (none answered and still to be recorded as sent:
    no system can tell whether such a one went, so it may go twice), with a typed
    message and a press applied and not yet answered to the load balancer. Returns
    whose deliveries it died in."""
    deadline = time.monotonic() + 90
    with psycopg.connect(database_url, autocommit=True) as conn:
        while True:
            busy = delivering(conn, victim)
            held = victim.passage.held_chats()
            ready = victim.passage.in_flight == 0 and busy <= held
            mid_turn_and_ping = held & set(TALKERS) and held & set(REMINDED)
            if ready and mid_turn_and_ping and await applied() == {"say", "press"}:
                break
            assert time.monotonic() < deadline, (busy, held, victim.log_tail())
            await asyncio.sleep(0.1)
    await victim.kill()
    return held


async def test_three_webhook_instances_one_killed_lose_and_double_nothing(
    database_url: str, tmp_path: Path
) -> None:
    """30 people whose consecutive updates land on different instances, one instance
    SIGKILLed midway while it sends replies and pings, 60 reminders falling due
    meanwhile: every person sees each step once and keeps every fact, gets one reply
    per turn, and every reminder pings once."""
    expected_steps, expected_facts = await reference_run()
    assert len(set(expected_steps)) == len(expected_steps) - 1  # the review, twice
    await upgrade_database(database_url)
    store = await PostgresStore.open(database_url)
    async with FakeTelegram(TOKEN) as fake, contextlib.AsyncExitStack() as stack:
        for user in TALKERS + REMINDED:
            fake.add_user(user, f"Person {user}")
        instances = []
        for n in range(3):
            passage = await BotApiPassage(fake).start()
            stack.push_async_callback(passage.stop)
            instance = Instance(f"fairshake-{n}", fake, passage, database_url, tmp_path / str(n))
            instances.append(instance)
        for instance in instances:
            await instance.start()
            stack.push_async_callback(_stopped, instance)
        await fake.wait_for(lambda f: len(f.calls_to("setWebhook")) == 3, 120, "3 webhooks")
        balancer = LoadBalancer(instances)
        stack.push_async_callback(balancer.close)

        # All due at one moment, after they are all set: every instance's first look for
        # them then finds some (each takes 16 at a time and looks every 5 s).
        await set_reminders(store, REMINDED, datetime.now(UTC) + timedelta(seconds=8))
        halfway = asyncio.Event()
        talks = [Talk(user) for user in TALKERS]
        talking = asyncio.gather(*(talk(fake, balancer, store, t, halfway) for t in talks))
        victim = instances[1]
        # Its pings wait a moment on their way, so that it can be held with some on the
        # way and none gone; then the people go on, some of their turns on the victim.
        victim.passage.slow = set(REMINDED)
        await until(lambda: victim.passage.slowed, "a ping on its way from the victim")
        victim.passage.hold()
        halfway.set()
        applied = functools.partial(applied_on, victim, balancer, store, talks, expected_steps)
        died_in = await kill_mid_delivery(database_url, victim, applied)
        await asyncio.wait_for(talking, 240)
        await _nothing_left_to_deliver(database_url)
        survivors = [instance for instance in instances if instance.alive]
        for instance in survivors:
            # `fairshake health` reads it: made although nothing else is kept in a folder.
            assert (instance.folder / "data" / "heartbeat").is_file()
            assert await instance.stop() == 0, instance.log_tail()
        secret = await store.log_secret()
        records = {u: await store.load(PersonKey("telegram", str(u))) for u in TALKERS + REMINDED}
    await store.close()

    assert died_in & set(TALKERS) and died_in & set(REMINDED), "killed mid-turn and mid-ping"
    cut_short = {update for update, name, outcome in balancer.tries if outcome != "200"}
    assert cut_short, "some updates went to another instance when the victim died"
    for seen in talks:
        assert seen.steps == expected_steps, seen.user  # no step lost, none shown twice
        assert len(set(seen.landed_on)) >= 2, seen.landed_on
        (case,) = records[seen.user].cases.values()
        assert case["facts"] == expected_facts, seen.user
        assert len(fake.messages_in(seen.user)) == len(SCRIPT), fake.summary()
    for user in REMINDED:
        assert len(fake.messages_in(user)) == 1, (user, fake.summary())
        (reminder,) = records[user].reminders.values()
        assert reminder["status"] == "sent"
    _same_digest_on_every_instance(instances, secret)


async def until(holds: Callable[[], object], what: str, timeout: float = 90) -> None:
    """Wait for a condition outside the fake (which wakes its own waiters)."""
    deadline = time.monotonic() + timeout
    while not holds():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def _stopped(instance: Instance) -> None:
    """At the end whatever happened: no process left behind."""
    if instance.process is not None and instance.process.returncode is None:
        await instance.kill()


async def _nothing_left_to_deliver(database_url: str) -> None:
    """Wait until nothing in the due index is due: every reply settled and every reminder
    sent (a confirmed case's own reminders fall due in days)."""
    deadline = time.monotonic() + 120
    with psycopg.connect(database_url, autocommit=True) as conn:
        while left := conn.execute("SELECT count(*) FROM due WHERE due <= now()").fetchone()[0]:  # type: ignore[index]
            assert time.monotonic() < deadline, f"{left} deliveries never settled"
            await asyncio.sleep(0.2)


def _same_digest_on_every_instance(instances: list[Instance], secret: bytes) -> None:
    """Each person's turn lines name them by one digest, keyed with the database's
    secret, whichever instance wrote them; never by the plain hash of their id."""
    logged: dict[str, set[str]] = {}
    for instance in instances:
        for line in instance.log_lines():
            if line.get("event") == "turn":
                logged.setdefault(line["person"], set()).add(instance.name)
    everything = "".join(instance.log_path.read_text(errors="replace") for instance in instances)
    for user in TALKERS:
        person = PersonKey("telegram", str(user))
        assert len(logged.get(person_digest(person, secret), ())) >= 2, user
        assert hashlib.sha256(str(person).encode()).hexdigest()[:32] not in everything
    assert set(logged) == {person_digest(PersonKey("telegram", str(u)), secret) for u in TALKERS}
