"""A person's archive of closed cases in PostgreSQL: one row of `archive` per case
(storage/postgres_schema.py), its `body` the stored JSON of storage/archive_layout.py,
so the case's layout version travels in the body and the table needed no new column.
A row written before versions were kept holds the bare case (version 5)."""

from __future__ import annotations

import json

import psycopg
from psycopg.rows import TupleRow

from storage import archive_layout
from storage.base import Archive, JSONDict
from storage.keys import PersonKey

_ADD = (
    "INSERT INTO archive (platform, user_id, case_id, body) VALUES (%s, %s, %s, %s::json)"
    " ON CONFLICT (platform, user_id, case_id) DO UPDATE SET body = EXCLUDED.body"
)
"""Keep a case by its id: archived again, it replaces itself where it was in the order."""


async def add(
    conn: psycopg.AsyncConnection[TupleRow], person: PersonKey, cases: dict[str, JSONDict]
) -> None:
    """Archive `cases` (in the caller's transaction)."""
    rows = [
        (
            person.platform,
            person.user_id,
            case_id,
            json.dumps(archive_layout.body(case), allow_nan=False),
        )
        for case_id, case in cases.items()
    ]
    async with conn.cursor() as cursor:
        await cursor.executemany(_ADD, rows)


async def read(conn: psycopg.AsyncConnection[TupleRow], person: PersonKey) -> Archive:
    """The person's archived cases, oldest archived first, in the current layout; a row
    that cannot be read is damaged and hides no other (as a file does in a folder)."""
    cursor = await conn.execute(
        "SELECT case_id, body::text FROM archive"
        " WHERE platform = %s AND user_id = %s ORDER BY archived",
        (person.platform, person.user_id),
    )
    rows = await cursor.fetchall()
    return archive_layout.archive_of(rows, "the archive table, case", bare=True)
