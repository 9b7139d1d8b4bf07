"""People in logs are digests keyed with the installation's secret: not the plain
sha256 of their id (a platform's ids are few enough to hash them all), and the same
in every instance sharing a store, and after a restart."""

from __future__ import annotations

import hashlib
import hmac
import logging
from pathlib import Path

import pytest

from bot.checks import problems
from bot.config import load_settings
from bot.logs import EventLog
from storage import keys
from storage.keys import PersonKey, person_digest, use_log_secret
from storage.memory import MemoryStore
from storage.postgres import PostgresStore, upgrade_database
from storage.tinydb_store import TinyDBStore
from tests.chat import Chat

PERSON = PersonKey("telegram", "123456789")


def plain_hash(person: PersonKey) -> str:
    return hashlib.sha256(str(person).encode()).hexdigest()[:32]


@pytest.fixture(autouse=True)
def own_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's `use_log_secret` ends with it."""
    monkeypatch.setattr(keys, "_log_key", keys._log_key)


def test_a_digest_is_an_hmac_under_the_secret_not_a_plain_hash() -> None:
    use_log_secret(b"s" * 32)
    assert PERSON.digest == hmac.new(b"s" * 32, b"telegram:123456789", "sha256").hexdigest()[:32]
    assert PERSON.digest != plain_hash(PERSON)
    use_log_secret(b"t" * 32)
    assert PERSON.digest != person_digest(PERSON, b"s" * 32)


def test_digests_are_keyed_even_before_the_secret_is_known() -> None:
    assert PERSON.digest != plain_hash(PERSON)


def test_file_names_stay_the_plain_hash_whatever_the_secret(tmp_path: Path) -> None:
    """A data folder's layout must not change with the log secret."""
    use_log_secret(b"x" * 32)
    assert PERSON.file_digest == plain_hash(PERSON)


async def test_a_turn_logs_the_person_by_the_keyed_digest(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    store = MemoryStore()
    use_log_secret(await store.log_secret())
    chat = Chat(store, user=PERSON.user_id, platform=PERSON.platform)
    chat.engine.observers.add(EventLog())
    await chat.say("/new")
    logged = caplog.text
    assert person_digest(PERSON, await store.log_secret()) in logged
    assert plain_hash(PERSON) not in logged and PERSON.user_id not in logged


async def test_a_data_folder_keeps_its_secret_across_restarts(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path / "data")
    secret = await store.log_secret()
    await store.close()
    again = TinyDBStore(tmp_path / "data")
    assert await again.log_secret() == secret
    assert len(secret) == keys.LOG_SECRET_BYTES
    assert (tmp_path / "data" / "log-secret").stat().st_mode & 0o077 == 0
    await again.close()


async def test_instances_on_one_database_share_one_secret(database_url: str) -> None:
    await upgrade_database(database_url)
    first, second = PostgresStore.open(database_url), PostgresStore.open(database_url)
    stores = [await first, await second]
    secrets = [await store.log_secret() for store in reversed(stores)]
    for store in stores:
        await store.close()
    later = await PostgresStore.open(database_url)  # a restart, or an instance added later

    assert secrets[0] == secrets[1] == await later.log_secret()
    assert person_digest(PERSON, secrets[0]) != plain_hash(PERSON)
    await later.close()


def test_a_log_secret_set_by_the_operator_must_be_long_enough(tmp_path: Path) -> None:
    def found(secret: str) -> list[str]:
        environ = {"FAIRSHAKE_DATA_DIR": str(tmp_path / "data"), "FAIRSHAKE_LOG_SECRET": secret}
        return [p for p in problems(load_settings(environ, tmp_path / ".env")) if "LOG_SECRET" in p]

    assert found("short") != []
    assert found("a-long-enough-secret") == []
    assert found("") == []
