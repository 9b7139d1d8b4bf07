"""Discord on two instances sharing one PostgreSQL database: an interaction both are
given (the fake Discord sends every interaction to every gateway connection) is claimed
by its id before either acknowledges it, and applied and answered by the winner alone:
the other never defers it or answers it, however long the winner's turn takes (it
renews its claim), unless the winner dies right after claiming it, when the other takes
it over. A claim the database does not decide in time counts as won. An autocomplete
is answered by one too, and a form opens for the question asked now, whichever
instance asked it.

No timing decides the outcome: both instances defer at once (`ack_within=0`), the
winner's turn is held at its save until the other has been told it lost, and the fake
Discord takes a first answer for a minute, not 3 s.

The Telegram equivalent (the same webhook update posted to two instances) is in
tests/test_instances.py."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Collection
from pathlib import Path
from typing import Any

import discord
import psycopg
import pytest
import yarl
from discord.gateway import DiscordWebSocket

from adapters.discord_bot import answering, sync_commands
from adapters.discord_bot.forms import ANSWER_KIND
from bot.config import load_settings
from bot.engine import Engine
from bot.observe import DUPLICATE, OK, Observer, TurnDone
from storage import DueEntry, PersonKey, PersonRecord
from storage.event_claims import Claim, EventClaims, EventKey
from storage.postgres import PostgresStore, lock_key, upgrade_database
from tests.chat import Clock
from tests.discord_chat import SHOP, Bot, options_on
from tests.fakes.discord import (
    CHOICES,
    DEFERRED,
    DEFERRED_UPDATE,
    MESSAGE,
    MODAL,
    FakeDiscord,
    Interaction,
    Message,
)
from tests.test_discord_process import DiscordProcess

FIRST_ANSWER_WITHIN = 60.0
"""Seconds Discord (the fake, and the adapter's cut-off) takes a first answer in these
tests: who answers is what is tested here, not Discord's 3 s."""
SLOW_LEASE = 6.0
"""Seconds the claim of a slow winner holds unless renewed (renewed every 2 s, a third of it:
the test fails only if the event loop stalls over 4 s, past what a loaded CI machine does)."""


class Outcomes(Observer):
    """The outcome of every turn an instance ran."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def turn(self, done: TurnDone) -> None:
        self.seen.append(done.outcome)


class Told(EventClaims):
    """An instance's claims, decided by the database, each outcome noted for the test.
    A `dying` instance stops for good once it has won a claim, as if killed then: it
    never acknowledges the interaction nor applies it. One `behind` (another, and how
    many claims it had made) claims only once that one has made one more. One that
    `polls` tries again that often while another's claim holds (not only when it would
    run out). One whose database `stalls` never decides a claim; a `frozen` one's
    renewals never land (its event loop stalled past the lease)."""

    def __init__(self, claims: EventClaims) -> None:
        self.claims = claims
        self.made: list[Claim] = []
        self.renewed = 0
        self.dying = self.stalls = self.frozen = False
        self.polls: float | None = None
        self.behind: tuple[Told, int] | None = None
        self.dead: list[asyncio.Future[None]] = []

    async def claim(self, event: EventKey, lease: float) -> Claim:
        if self.behind is not None:
            other, made = self.behind
            while len(other.made) <= made:
                await asyncio.sleep(0.01)
        if self.stalls:
            await asyncio.get_running_loop().create_future()
        claim = await self.claims.claim(event, lease)
        self.made.append(claim)
        if claim.won and self.dying:
            self.dead.append(asyncio.get_running_loop().create_future())
            await self.dead[-1]
        if self.polls is not None and not claim.won and not claim.done:
            return Claim(False, wait=min(claim.wait, self.polls))
        return claim

    async def renew(self, event: EventKey, lease: float) -> None:
        self.renewed += 1
        if not self.frozen:
            await self.claims.renew(event, lease)

    async def done(self, event: EventKey) -> None:
        await self.claims.done(event)


class Held(PostgresStore):
    """The real store, whose saves wait while the test holds them (`free` cleared), and
    whose claims the test is told of."""

    free: asyncio.Event
    told: Told

    def event_claims(self) -> EventClaims:
        return self.told

    async def commit(
        self,
        person: PersonKey,
        record: PersonRecord | None,
        added: Collection[DueEntry] = (),
        removed: Collection[DueEntry] = (),
    ) -> None:
        await self.free.wait()
        await super().commit(person, record, added, removed)


async def held_store(url: str) -> Held:
    store = await Held.open(url)
    assert isinstance(store, Held)
    store.free = asyncio.Event()
    store.free.set()
    store.told = Told(PostgresStore.event_claims(store))
    return store


class Instances:
    """Two Discord bots, each with its engine and store on one database."""

    def __init__(
        self, fake: FakeDiscord, bots: list[Bot], stores: list[Held], outcomes: list[Outcomes]
    ) -> None:
        self.fake, self.bots, self.stores, self.outcomes = fake, bots, stores, outcomes
        self.user = fake.person("ana")
        self.channel = fake.dm(self.user)

    def turns(self) -> list[str]:
        return [outcome for seen in self.outcomes for outcome in seen.seen]

    async def run_out_claims(self) -> None:
        """Every claim's lease ends now, as it would in time."""
        async with await psycopg.AsyncConnection.connect(
            self.stores[0].url, autocommit=True
        ) as conn:
            await conn.execute("UPDATE event_claims SET claimed_until = now() - interval '1 s'")

    def claims(self) -> list[Claim]:
        return [claim for store in self.stores for claim in store.told.made]

    async def until(self, done: Any) -> None:
        while not done():
            await asyncio.sleep(0.01)

    async def answered_once(self, sent: Awaitable[Interaction]) -> Interaction:
        """Send the interaction with every save held until both instances have claimed
        it; return it once its one turn has run and been answered."""
        claims, turns = len(self.claims()), len(self.turns())
        won = [claim.won for claim in self.claims()].count(True)
        for store in self.stores:
            store.free.clear()
        interaction = await sent
        await self.until(lambda: len(self.claims()) >= claims + 2)
        assert [claim.won for claim in self.claims()].count(True) == won + 1
        for store in self.stores:
            store.free.set()
        await self.until(lambda: len(self.turns()) > turns)
        for bot in self.bots:
            assert bot.adapter is not None
            await bot.adapter.settled()
        return interaction


@pytest.fixture
async def instances(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> AsyncIterator[Instances]:
    await upgrade_database(database_url)
    monkeypatch.setattr(answering, "ANSWER_WITHIN", FIRST_ANSWER_WITHIN)
    async with (
        FakeDiscord(ack_deadline=FIRST_ANSWER_WITHIN) as fake,
        contextlib.AsyncExitStack() as stack,
    ):
        monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
        settings = load_settings({"DISCORD_BOT_TOKEN": fake.token}, env_file=tmp_path / ".env")
        await sync_commands(settings)
        clock = Clock()
        bots, stores, outcomes = [], [], []
        for _ in range(2):
            store = await held_store(database_url)
            stack.push_async_callback(store.close)
            bot = Bot(fake, settings, store)
            engine = Engine(store, clock=clock)
            outcomes.append(Outcomes())
            engine.observers.add(outcomes[-1])
            await bot.start(engine, ack_within=0)  # either would defer at once
            stack.push_async_callback(bot.stop)
            bots.append(bot)
            stores.append(store)
        yield Instances(fake, bots, stores, outcomes)
        for store in stores:
            for dead in store.told.dead:
                dead.cancel()


def press(fake: FakeDiscord, user: dict, message: Message, option: str) -> Awaitable[Interaction]:
    """Press the button of `message` whose stamped data carries `option`."""
    (custom_id,) = (
        button["custom_id"]
        for button in message.buttons()
        if button["custom_id"].partition("|")[2] == option
    )
    return fake.press(user, message, custom_id)


async def test_an_interaction_both_instances_get_is_deferred_applied_and_answered_by_one(
    instances: Instances,
) -> None:
    fake, user = instances.fake, instances.user
    opened = await instances.answered_once(fake.slash(user, instances.channel, "new"))
    assert SHOP in options_on(opened.messages)
    shown = opened.messages[-1]
    picked = await instances.answered_once(press(fake, user, shown, SHOP))

    assert opened.callbacks == [DEFERRED], "deferred once, by the instance that applied it"
    assert picked.callbacks == [DEFERRED_UPDATE]
    assert fake.rejections == [], "the other instance never touched either interaction"
    assert instances.turns() == [OK, OK], "the other instance did not even run a turn"
    record = await instances.stores[0].load(PersonKey("discord", user["id"]))
    assert list(record.cases) == ["c1"], "/dispute new opened one case"
    (case,) = record.cases.values()
    assert case["facts"]["merchant"]["playbook"] == "amazon"
    assert case["question"] == "problem"
    assert picked.in_place and picked.messages == [picked.original]
    assert not opened.original or not opened.original.loading, "the thinking… was replaced"


async def test_an_interaction_whose_claimer_dies_is_applied_and_answered_by_the_other(
    instances: Instances,
) -> None:
    """Killed right after claiming it: the other instance takes the event over once the
    claim runs out (run out here by the test), instead of leaving the person unanswered."""
    fake, user = instances.fake, instances.user
    dying, living = (store.told for store in instances.stores)
    dying.dying, living.behind, living.polls = True, (dying, 0), 0.05

    opened = await fake.slash(user, instances.channel, "new")
    await instances.until(lambda: living.made)
    assert not living.made[0].won, "the dying instance holds the claim"
    await instances.run_out_claims()
    await instances.until(lambda: instances.turns())
    assert instances.bots[1].adapter is not None
    await instances.bots[1].adapter.settled()

    assert [claim.won for claim in living.made][-1:] == [True]
    assert instances.outcomes[1].seen == [OK] and instances.outcomes[0].seen == []
    assert opened.callbacks == [MESSAGE], "answered once, by the living instance"
    assert SHOP in options_on(opened.messages)
    assert fake.rejections == []
    record = await instances.stores[1].load(PersonKey("discord", user["id"]))
    assert list(record.cases) == ["c1"]


async def test_a_winner_slower_than_its_lease_keeps_its_claim(instances: Instances) -> None:
    """Its turn held past the lease: it renews the claim while it works, so the other
    instance, trying again all along, never takes the interaction over."""
    fake, user = instances.fake, instances.user
    slow, other = (store.told for store in instances.stores)
    assert instances.bots[0].adapter is not None
    instances.bots[0].adapter.claim_lease = SLOW_LEASE
    other.behind, other.polls = (slow, 0), 0.05
    instances.stores[0].free.clear()

    opened = await fake.slash(user, instances.channel, "new")
    await instances.until(lambda: slow.made)
    past_lease = asyncio.get_running_loop().time() + SLOW_LEASE + 0.5
    await instances.until(lambda: asyncio.get_running_loop().time() > past_lease)
    tried = len(other.made)
    await instances.until(lambda: len(other.made) > tried or any(c.won for c in other.made))
    instances.stores[0].free.set()
    await instances.until(lambda: instances.turns())
    for bot in instances.bots:
        assert bot.adapter is not None
        await bot.adapter.settled()

    assert slow.renewed >= 1
    assert not any(claim.won for claim in other.made), "not taken over past the lease"
    assert instances.outcomes[0].seen == [OK] and instances.outcomes[1].seen == []
    assert opened.callbacks == [DEFERRED] and SHOP in options_on(opened.messages)
    assert fake.rejections == []


async def test_a_winner_taken_over_while_alive_leaves_the_other_s_answer_in_place(
    instances: Instances,
) -> None:
    """Its claim ran out though it was alive (its renewals did not land): the other
    instance answered into its deferral, and finding the event applied it leaves that
    answer where it is, instead of taking its "thinking…" away with the answer in it."""
    fake, user = instances.fake, instances.user
    frozen, other = (store.told for store in instances.stores)
    frozen.frozen, other.behind, other.polls = True, (frozen, 0), 0.05
    slow = instances.bots[0].adapter
    assert slow is not None
    backlog = slow._people.hold(PersonKey("discord", user["id"]))  # its earlier turns
    await backlog.__aenter__()

    opened = await fake.slash(user, instances.channel, "new")
    await instances.until(lambda: other.made and opened.acknowledged)
    await instances.run_out_claims()
    await instances.until(lambda: SHOP in options_on(opened.messages))  # the other's answer
    await backlog.__aexit__(None, None, None)
    await instances.until(lambda: instances.outcomes[0].seen)
    for bot in instances.bots:
        assert bot.adapter is not None
        await bot.adapter.settled()

    assert instances.outcomes[0].seen == [DUPLICATE] and instances.outcomes[1].seen == [OK]
    assert opened.callbacks == [DEFERRED]
    assert SHOP in options_on(opened.messages), "the answer is still there"


async def test_a_claim_the_database_does_not_decide_in_time_counts_as_won(
    instances: Instances,
) -> None:
    """The claim must not keep the interaction from being acknowledged in time."""
    fake, user = instances.fake, instances.user
    await instances.bots[1].stop()
    instances.stores[0].told.stalls = True

    opened = await fake.slash(user, instances.channel, "new")
    await instances.until(lambda: instances.turns())
    assert instances.bots[0].adapter is not None
    await instances.bots[0].adapter.settled()

    assert opened.callbacks == [DEFERRED] and SHOP in options_on(opened.messages)
    assert instances.outcomes[0].seen == [OK]


def choose(fake: FakeDiscord, user: dict, message: Message, option: str) -> Awaitable[Interaction]:
    """Choose the entry of `message`'s select menu whose stamped data carries `option`."""
    ((menu, value),) = (
        (menu["custom_id"], entry["value"])
        for menu in message.selects()
        for entry in menu["options"]
        if entry["value"].partition("|")[2] == option
    )
    return fake.choose(user, message, menu, value)


async def test_a_form_opens_on_one_instance_for_a_question_the_other_asked(
    instances: Instances,
) -> None:
    """The first instance remembers the first question it asked; the other asks the
    next ones: the first still opens the form of the question now asked, and takes
    its answer."""
    fake, user = instances.fake, instances.user
    first, second = (store.told for store in instances.stores)

    def won_by(told: Told) -> None:
        other = second if told is first else first
        told.behind, other.behind = None, (told, len(told.made))

    won_by(first)
    shown = await instances.answered_once(fake.slash(user, instances.channel, "new"))
    asked = shown.messages[-1]
    steps = ((press, SHOP), (choose, "pick:late"), (press, "pick:merchant"))
    for answer, option in steps:  # to a question answered in words
        won_by(second)
        asked = (await instances.answered_once(answer(fake, user, asked, option))).messages[-1]
    [(custom_id, fact)] = [
        (b["custom_id"], b["custom_id"].split(":")[2])
        for b in asked.buttons()
        if b["custom_id"].startswith(f"fs:{ANSWER_KIND}:")
    ]

    won_by(first)
    opened = await fake.press(user, asked, custom_id)
    await instances.until(lambda: opened.acknowledged)
    assert opened.callbacks == [MODAL], "the form, not a notice that the button is old"
    await instances.answered_once(fake.submit(opened, **{fact: "2 days ago"}))
    record = await instances.stores[0].load(PersonKey("discord", user["id"]))
    (case,) = record.cases.values()
    assert fact in case["facts"] and case["question"] != fact
    assert fake.rejections == []


async def test_an_autocomplete_both_instances_get_is_answered_by_one(
    instances: Instances,
) -> None:
    fake, user = instances.fake, instances.user
    claims = len(instances.claims())
    asked = await fake.autocomplete(user, instances.channel, "timezone", "zone", zone="berl")
    await instances.until(lambda: asked.acknowledged and len(instances.claims()) == claims + 2)
    for bot in instances.bots:
        assert bot.adapter is not None
        await bot.adapter.settled()

    assert asked.callbacks == [CHOICES]
    assert [choice["value"] for choice in asked.choices or []] == ["Europe/Berlin"]
    assert fake.rejections == [], "the other instance left it alone"


class SharedProcess(DiscordProcess):
    """A real bot process on the shared database (its data folder holds only its lock)."""

    def __init__(self, fake: FakeDiscord, data: Path, database_url: str) -> None:
        super().__init__(fake, data)
        self.database_url = database_url

    def environment(self) -> dict[str, str]:
        return {**super().environment(), "FAIRSHAKE_DATABASE_URL": self.database_url}


async def claimer_pid(database_url: str) -> int:
    """The process id of the instance holding the only claim, once one is made."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        while not (rows := await (await conn.execute(CLAIMED_BY)).fetchall()):
            await asyncio.sleep(0.05)
    [(instance,)] = rows
    return int(instance.rsplit(":", 2)[1])  # host:pid:nonce


CLAIMED_BY = "SELECT claimed_by FROM event_claims"


async def test_a_process_killed_mid_turn_leaves_its_interaction_to_the_other(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """SIGKILLed after claiming and deferring, before its turn was saved (the test holds
    the person's turn lock): the other process takes the interaction over once the claim
    runs out, applies it once, and its answer replaces the dead one's "thinking…"."""
    await upgrade_database(database_url)
    async with FakeDiscord(ack_deadline=FIRST_ANSWER_WITHIN) as fake:
        monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
        monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
        settings = load_settings({"DISCORD_BOT_TOKEN": fake.token}, env_file=tmp_path / ".env")
        await sync_commands(settings)
        processes = [
            SharedProcess(fake, tmp_path / f"instance-{n}" / "data", database_url) for n in range(2)
        ]
        for process in processes:
            process.data.mkdir(parents=True)
            await process.start()
        ana = fake.person("ana")
        person = PersonKey("discord", ana["id"])
        dying: SharedProcess | None = None
        try:
            async with await psycopg.AsyncConnection.connect(
                database_url, autocommit=True
            ) as turns:
                await turns.execute("SELECT pg_advisory_lock(%s)", (lock_key("turn", person),))
                opened = await fake.slash(ana, fake.dm(ana), "new")
                pid = await claimer_pid(database_url)
                await fake.wait(lambda: opened.acknowledged, timeout=30)
                [dying] = [p for p in processes if p.process and p.process.pid == pid]
                await dying.kill()
            await fake.wait(lambda: SHOP in options_on(opened.messages), timeout=60)
        finally:
            for process in processes:
                if process is not dying:
                    await process.stop()

    assert opened.callbacks == [DEFERRED], "deferred by the process that died, only"
    assert opened.original is not None and not opened.original.loading
    assert fake.rejections == [], "past Discord's 3 s, the taker only edited the deferral"
    store = await PostgresStore.open(database_url)
    try:
        record = await store.load(person)
    finally:
        await store.close()
    assert list(record.cases) == ["c1"], "applied once"
