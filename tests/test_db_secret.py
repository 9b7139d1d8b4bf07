"""`fairshake db import` and `fairshake db export` carry the installation's log secret, so
a person's digest in the logs stays the same across a move, both ways; a target that
keeps another secret already is refused unless the operator says to replace it."""

from __future__ import annotations

from pathlib import Path

from storage import PersonKey, TinyDBStore
from storage.keys import person_digest
from storage.postgres import PostgresStore
from tests.test_cli import fairshake
from tests.test_postgres import ALICE, a_data_folder, tables, upgraded

__all__ = ["upgraded"]  # a fixture, used by name

REPLACE = "--replace-log-secret"


async def folder_secret(folder: Path) -> bytes:
    """The data folder's secret, made if it has none (as the bot's first start does)."""
    store = TinyDBStore(folder)
    try:
        return await store.log_secret()
    finally:
        await store.close()


async def database_secret(url: str) -> bytes | None:
    store = await PostgresStore.open(url)
    try:
        return await store.kept_log_secret()
    finally:
        await store.close()


async def made_database_secret(url: str) -> bytes:
    """The database's secret, made if it has none (as a bot's first start does)."""
    store = await PostgresStore.open(url)
    try:
        return await store.log_secret()
    finally:
        await store.close()


async def people_in(folder: Path) -> list[PersonKey]:
    store = TinyDBStore(folder)
    try:
        return list(store.people())
    finally:
        await store.close()


def digest(secret: bytes | None, person: PersonKey = ALICE) -> str:
    assert secret is not None, "no secret kept"
    return person_digest(person, secret)


async def test_an_import_brings_the_folders_secret_and_digests_stay(
    upgraded: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    await a_data_folder(tmp_path / "data")
    secret = await folder_secret(tmp_path / "data")

    first = fairshake("db", "import", str(tmp_path / "data"), env=upgraded, cwd=tmp_path)
    again = fairshake("db", "import", str(tmp_path / "data"), env=upgraded, cwd=tmp_path)

    assert first.returncode == 0 and again.returncode == 0, first.stdout + again.stdout
    assert "log secret" in first.stdout
    assert digest(await database_secret(database_url)) == digest(secret)


async def test_an_export_brings_the_databases_secret_in_a_file_only_its_owner_reads(
    upgraded: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    await a_data_folder(tmp_path / "data")
    fairshake("db", "import", str(tmp_path / "data"), env=upgraded, cwd=tmp_path)
    secret = await made_database_secret(database_url)

    done = fairshake("db", "export", str(tmp_path / "copy"), env=upgraded, cwd=tmp_path)

    assert done.returncode == 0, done.stdout
    assert "log secret" in done.stdout
    assert digest(await folder_secret(tmp_path / "copy")) == digest(secret)
    assert (tmp_path / "copy" / "log-secret").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "copy").stat().st_mode & 0o077 == 0


async def test_a_folder_moved_in_and_back_out_keeps_its_digests(
    upgraded: dict[str, str], tmp_path: Path
) -> None:
    await a_data_folder(tmp_path / "data")
    secret = await folder_secret(tmp_path / "data")

    fairshake("db", "import", str(tmp_path / "data"), env=upgraded, cwd=tmp_path)
    fairshake("db", "export", str(tmp_path / "back"), env=upgraded, cwd=tmp_path)

    assert digest(await folder_secret(tmp_path / "back")) == digest(secret)


async def test_an_import_into_a_database_with_another_secret_is_refused_unless_replacing(
    upgraded: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    await a_data_folder(tmp_path / "data")
    folders = await folder_secret(tmp_path / "data")
    databases = await made_database_secret(database_url)  # a bot ran before the import

    refused = fairshake("db", "import", str(tmp_path / "data"), env=upgraded, cwd=tmp_path)

    assert refused.returncode == 1
    assert "log secret" in refused.stdout and REPLACE in refused.stdout
    assert tables(database_url) == {"people": 0, "due": 0}, "nothing copied"
    assert await database_secret(database_url) == databases

    done = fairshake("db", "import", str(tmp_path / "data"), REPLACE, env=upgraded, cwd=tmp_path)

    assert done.returncode == 0, done.stdout
    assert tables(database_url) == {"people": 2, "due": 2}
    assert digest(await database_secret(database_url)) == digest(folders)


async def test_an_export_into_a_folder_with_another_secret_is_refused_unless_replacing(
    upgraded: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    await a_data_folder(tmp_path / "data")
    fairshake("db", "import", str(tmp_path / "data"), env=upgraded, cwd=tmp_path)
    databases = await made_database_secret(database_url)
    elsewhere = await folder_secret(tmp_path / "elsewhere")  # a bot ran there once

    refused = fairshake("db", "export", str(tmp_path / "elsewhere"), env=upgraded, cwd=tmp_path)

    assert refused.returncode == 1
    assert REPLACE in refused.stdout
    assert await people_in(tmp_path / "elsewhere") == [], "nothing copied"
    assert await folder_secret(tmp_path / "elsewhere") == elsewhere

    done = fairshake(
        "db", "export", str(tmp_path / "elsewhere"), REPLACE, env=upgraded, cwd=tmp_path
    )

    assert done.returncode == 0, done.stdout
    assert digest(await folder_secret(tmp_path / "elsewhere")) == digest(databases)


async def test_a_folder_without_a_secret_leaves_the_databases_alone(
    upgraded: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    """A folder from before digests were keyed (or one no bot ran on) has no secret to
    carry: the import copies the people and keeps the database's own."""
    await a_data_folder(tmp_path / "data")
    databases = await made_database_secret(database_url)

    done = fairshake("db", "import", str(tmp_path / "data"), env=upgraded, cwd=tmp_path)

    assert done.returncode == 0, done.stdout
    assert tables(database_url) == {"people": 2, "due": 2}
    assert await database_secret(database_url) == databases
    assert not (tmp_path / "data" / "log-secret").exists(), "the folder is only read"
