"""Fixtures shared across test modules: the throwaway PostgreSQL server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from storage.postgres import PostgresStore, upgrade_database
from tests.postgres_cluster import Cluster, remove, start_cluster


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """One server for the whole run, started on first use (skipped or failed without one)."""
    cluster = start_cluster()
    yield cluster
    remove(cluster)


@pytest.fixture
def database_url(postgres_cluster: Cluster) -> str:
    """A new empty database on the test server, for one test."""
    return postgres_cluster.new_database()


@pytest.fixture
async def postgres_store(database_url: str) -> AsyncIterator[PostgresStore]:
    """A store on a new upgraded database, closed after the test."""
    await upgrade_database(database_url)
    store = await PostgresStore.open(database_url)
    yield store
    await store.close()
