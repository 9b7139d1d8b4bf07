"""The per-person rate limit every store keeps, run against each backend: in memory for a
store one process uses, in PostgreSQL for instances sharing a database, where two
instances count one budget per person."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from bot.engine import Engine
from bot.events import EventId, Outbound, TextMessage
from bot.ratelimit import SLOW_DOWN
from flows.text import RichText
from storage import (
    SCHEMA_VERSION,
    ConversationKey,
    MemoryStore,
    PersonKey,
    PersonRecord,
    Store,
    TinyDBStore,
    postgres_schema,
)
from storage.postgres import PostgresStore, upgrade_database
from storage.rate_limits import RECENT_EVENTS, LocalRateLimit, RateLimit, Verdict

PER_MINUTE = 5
"""The budget. The PostgreSQL tests run on the database's real clock, which gives a token
back every 60 / PER_MINUTE seconds (12 s): they hold while the checks up to one past the
budget take less than that, a wide margin on a loaded machine. A bigger budget narrows it
(20: 3 s): keep it small rather than raise it."""
BUCKETS_VERSION = 5
"""The PostgreSQL migration that made the buckets' table."""
ALICE = PersonKey("telegram", "1001")
BOB = PersonKey("telegram", "1002")
ALICE_ON_DISCORD = PersonKey("discord", "1001")

TAKE, SLOW_DOWN_VERDICT, DROP = Verdict.TAKE, Verdict.SLOW_DOWN, Verdict.DROP
REFUSED_BEFORE = Verdict.REFUSED_BEFORE

PassTime = Callable[[float], None]
"""Moves the rate limit's clock on by that many seconds."""


async def checks(limit: RateLimit, person: PersonKey, count: int) -> list[Verdict]:
    return [await limit.check(person) for _ in range(count)]


async def events(limit: RateLimit, person: PersonKey, names: list[str]) -> list[Verdict]:
    return [await limit.check(person, name) for name in names]


class RateLimitContract:
    """Every behavioural test of `Store.rate_limit`; a subclass per backend provides the
    `store` fixture and `pass_time`."""

    @pytest.fixture
    def limit(self, store: Store) -> RateLimit:
        return store.rate_limit(PER_MINUTE)

    async def test_a_burst_up_to_the_limit_is_taken(self, limit: RateLimit) -> None:
        assert await checks(limit, ALICE, PER_MINUTE) == [TAKE] * PER_MINUTE

    async def test_past_the_limit_the_first_is_told_and_the_rest_dropped(
        self, limit: RateLimit
    ) -> None:
        verdicts = await checks(limit, ALICE, PER_MINUTE + 4)

        assert verdicts[PER_MINUTE:] == [SLOW_DOWN_VERDICT, DROP, DROP, DROP]

    async def test_each_person_has_their_own_budget(self, limit: RateLimit) -> None:
        await checks(limit, ALICE, PER_MINUTE + 1)

        assert await limit.check(BOB) is TAKE
        assert await limit.check(ALICE_ON_DISCORD) is TAKE

    async def test_the_bucket_refills_with_time_and_a_new_flood_is_told_again(
        self, limit: RateLimit, pass_time: PassTime
    ) -> None:
        await checks(limit, ALICE, PER_MINUTE + 2)
        pass_time(60 / PER_MINUTE + 0.5)  # one token back

        assert await checks(limit, ALICE, 3) == [TAKE, SLOW_DOWN_VERDICT, DROP]
        pass_time(61)  # full again
        assert await checks(limit, ALICE, PER_MINUTE + 1) == [TAKE] * PER_MINUTE + [
            SLOW_DOWN_VERDICT
        ]

    async def test_checks_at_once_take_no_more_than_the_budget(self, limit: RateLimit) -> None:
        verdicts = await asyncio.gather(*(limit.check(ALICE) for _ in range(3 * PER_MINUTE)))

        assert verdicts.count(TAKE) == PER_MINUTE
        assert verdicts.count(SLOW_DOWN_VERDICT) == 1

    async def test_an_event_that_comes_again_is_taken_again_without_spending(
        self, limit: RateLimit
    ) -> None:
        again = await events(limit, ALICE, ["e1", "e1", "e1"])
        rest = await events(limit, ALICE, [f"n{n}" for n in range(PER_MINUTE)])

        assert again == [TAKE] * 3
        assert rest == [TAKE] * (PER_MINUTE - 1) + [SLOW_DOWN_VERDICT]

    async def test_an_event_refused_comes_again_to_be_refused_without_a_word(
        self, limit: RateLimit
    ) -> None:
        await checks(limit, ALICE, PER_MINUTE)

        verdicts = await events(limit, ALICE, ["over", "over", "later", "later"])

        assert verdicts == [SLOW_DOWN_VERDICT, REFUSED_BEFORE, DROP, REFUSED_BEFORE]

    async def test_one_event_arriving_at_once_many_times_spends_one_token(
        self, limit: RateLimit
    ) -> None:
        at_once = await asyncio.gather(*(limit.check(ALICE, "same") for _ in range(10)))

        assert at_once == [TAKE] * 10
        assert await checks(limit, ALICE, PER_MINUTE) == [TAKE] * (PER_MINUTE - 1) + [
            SLOW_DOWN_VERDICT
        ]

    async def test_only_the_last_events_are_remembered(self, store: Store) -> None:
        spare = 4
        limit = store.rate_limit(RECENT_EVENTS + 1 + spare)
        names = [f"e{n}" for n in range(RECENT_EVENTS + 1)]
        await events(limit, ALICE, names)

        again = await events(limit, ALICE, [names[-1], names[0]])  # the oldest is forgotten

        assert again == [TAKE, TAKE]
        assert await checks(limit, ALICE, spare) == [TAKE] * (spare - 1) + [SLOW_DOWN_VERDICT]

    async def test_no_limit_takes_everything(self, store: Store) -> None:
        unlimited = store.rate_limit(0)

        assert await checks(unlimited, ALICE, 100) == [TAKE] * 100


class Seconds:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class LocalBackend:
    @pytest.fixture
    def seconds(self) -> Seconds:
        return Seconds()

    @pytest.fixture
    def limit(self, store: Store, seconds: Seconds) -> RateLimit:
        limit = store.rate_limit(PER_MINUTE)
        assert isinstance(limit, LocalRateLimit)
        limit.clock = seconds
        return limit

    @pytest.fixture
    def pass_time(self, seconds: Seconds) -> PassTime:
        def passing(by: float) -> None:
            seconds.now += by

        return passing


class TestMemoryStore(LocalBackend, RateLimitContract):
    @pytest.fixture
    def store(self) -> Store:
        return MemoryStore()


class TestTinyDBStore(LocalBackend, RateLimitContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Store:
        return TinyDBStore(tmp_path)


def buckets(database_url: str) -> list[tuple[str, str]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT platform, user_id FROM rate_buckets ORDER BY 1, 2").fetchall()


class TestPostgresStore(RateLimitContract):
    """Against a real PostgreSQL server: the buckets are rows, on the database's real clock
    (the margin that leaves is at PER_MINUTE)."""

    @pytest.fixture
    def store(self, postgres_store: PostgresStore) -> Store:
        return postgres_store

    @pytest.fixture
    def pass_time(self, database_url: str) -> PassTime:
        """As if the database's clock had moved on: every bucket last touched earlier."""

        def passing(by: float) -> None:
            with psycopg.connect(database_url) as conn:
                conn.execute("UPDATE rate_buckets SET at = at - make_interval(secs => %s)", (by,))

        return passing

    async def test_two_instances_count_one_budget_per_person(self, database_url: str) -> None:
        await upgrade_database(database_url)
        stores = [await PostgresStore.open(database_url) for _ in range(2)]
        try:
            limits = [store.rate_limit(PER_MINUTE) for store in stores]
            verdicts = [await limits[n % 2].check(ALICE) for n in range(PER_MINUTE + 2)]
            at_once = await asyncio.gather(*(limits[n % 2].check(BOB) for n in range(20)))
        finally:
            for store in stores:
                await store.close()

        assert verdicts == [TAKE] * PER_MINUTE + [SLOW_DOWN_VERDICT, DROP]
        assert at_once.count(TAKE) == PER_MINUTE and at_once.count(SLOW_DOWN_VERDICT) == 1

    async def test_forgetting_a_person_deletes_their_bucket(
        self, store: Store, limit: RateLimit, database_url: str
    ) -> None:
        await limit.check(ALICE)
        await limit.check(BOB)
        await store.delete(ALICE)

        assert buckets(database_url) == [("telegram", "1002")]

    async def test_buckets_a_minute_untouched_are_swept(
        self, store: Store, database_url: str, pass_time: PassTime
    ) -> None:
        limit = store.rate_limit(PER_MINUTE)
        await limit.check(ALICE)
        await limit.check(ALICE_ON_DISCORD)
        pass_time(61)
        limit.sweep_seconds = 0  # type: ignore[attr-defined]
        await limit.check(BOB)

        assert buckets(database_url) == [("telegram", "1002")]

    async def test_a_database_that_does_not_answer_limits_nobody(
        self, store: Store, limit: RateLimit
    ) -> None:
        await store.close()

        assert await checks(limit, ALICE, PER_MINUTE + 1) == [TAKE] * (PER_MINUTE + 1)


async def test_one_persons_messages_spread_over_two_instances_share_the_limit(
    database_url: str,
) -> None:
    """As a load balancer spreads them: the person is told once, after PER_MINUTE turns
    in all, and nothing past that reaches either instance's turn."""
    await upgrade_database(database_url)
    stores = [await PostgresStore.open(database_url) for _ in range(2)]
    try:
        engines = [Engine(store, rate_limit=PER_MINUTE) for store in stores]
        key = ConversationKey("telegram", "1001", "1001")
        answers = [await engines[n % 2].handle(TextMessage(key, f"hello {n}")) for n in range(12)]
    finally:
        for store in stores:
            await store.close()

    assert all(answers[:PER_MINUTE])
    assert [message.text for message in answers[PER_MINUTE]] == [SLOW_DOWN]
    assert answers[PER_MINUTE + 1 :] == [[]] * (12 - PER_MINUTE - 1)


async def test_an_event_every_instance_gets_counts_once(database_url: str) -> None:
    """Discord gives each interaction to every instance: one applies it, the other finds
    it applied, and it costs the person one token; past the budget, one instance says
    "slow down" and the other says nothing."""
    await upgrade_database(database_url)
    stores = [await PostgresStore.open(database_url) for _ in range(2)]
    told: list[RichText] = []

    async def deliver(_: ConversationKey, messages: list[Outbound]) -> None:
        told.extend(message.text for message in messages)

    try:
        engines = [Engine(store, rate_limit=PER_MINUTE) for store in stores]
        key = ConversationKey("discord", "1001", "1001")
        applied = []
        for n in range(PER_MINUTE + 1):
            event = TextMessage(key, f"hello {n}", EventId("discord:interaction", 100 + n))
            applied.append(sorted([await engine.answer(event, deliver) for engine in engines]))
    finally:
        for store in stores:
            await store.close()

    assert applied == [[False, True]] * (PER_MINUTE + 1), "each answered by one instance"
    assert told.count(SLOW_DOWN) == 1, "told to slow down once, past the whole budget"
    assert told[-1] == SLOW_DOWN


async def test_a_bucket_kept_from_the_version_before_goes_on_counting(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Buckets made before they remembered their events (migration 6) keep their flood."""
    with monkeypatch.context() as older:
        older.setattr(postgres_schema, "MIGRATIONS", postgres_schema.MIGRATIONS[:BUCKETS_VERSION])
        await upgrade_database(database_url)
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO rate_buckets (platform, user_id, tokens, at, refused)"
            " VALUES ('telegram', '1001', 0, now(), 1)"
        )

    await upgrade_database(database_url)
    store = await PostgresStore.open(database_url)
    try:
        limit = store.rate_limit(PER_MINUTE)
        verdicts = await events(limit, ALICE, ["late", "late"])
        bob = await events(limit, BOB, ["first", "first"])
    finally:
        await store.close()

    assert verdicts == [DROP, REFUSED_BEFORE], "told already, before the upgrade"
    assert bob == [TAKE, TAKE]


async def test_a_database_of_the_version_before_gains_the_buckets_and_keeps_its_people(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A release older than the shared rate limit made the database: `fairshake db
    upgrade` adds the buckets' table, and the people already held are kept."""
    with monkeypatch.context() as older:
        older.setattr(
            postgres_schema, "MIGRATIONS", postgres_schema.MIGRATIONS[: BUCKETS_VERSION - 1]
        )
        await upgrade_database(database_url)
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO people (platform, user_id, schema_version, record)"
            " VALUES ('telegram', '1001', %s, %s)",
            (SCHEMA_VERSION, PersonRecord(profile={"tz": "UTC"}).to_json()),
        )

    applied = await upgrade_database(database_url)
    store = await PostgresStore.open(database_url)
    try:
        limit = store.rate_limit(PER_MINUTE)
        verdicts = await checks(limit, ALICE, PER_MINUTE + 1)
        kept = await store.load(ALICE)
    finally:
        await store.close()

    assert [migration.version for migration in applied][:1] == [BUCKETS_VERSION]
    assert verdicts[-1] is SLOW_DOWN_VERDICT
    assert kept.profile == {"tz": "UTC"}
