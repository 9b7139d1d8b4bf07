"""What the whole installation shares in PostgreSQL, in the `installation` table by name
(storage/postgres_schema.py): the log secret, the key of the digests that name people
in every instance's logs."""

from __future__ import annotations

import secrets

import psycopg
from psycopg.rows import TupleRow

from storage.base import StoreError
from storage.keys import LOG_SECRET_BYTES

Connection = psycopg.AsyncConnection[TupleRow]

_KEPT = "SELECT value FROM installation WHERE name = 'log_secret'"


async def kept_log_secret(conn: Connection) -> bytes | None:
    """The secret the database keeps; None before any instance made one."""
    row = await (await conn.execute(_KEPT)).fetchone()
    return None if row is None else bytes.fromhex(str(row[0]))


async def made_log_secret(conn: Connection) -> bytes:
    """The secret the database keeps, made now by the first instance to ask (instances
    asking at once all get the one that went in first)."""
    await conn.execute(
        "INSERT INTO installation (name, value) VALUES ('log_secret', %s)"
        " ON CONFLICT (name) DO NOTHING",
        (secrets.token_hex(LOG_SECRET_BYTES),),
    )
    made = await kept_log_secret(conn)
    if made is None:  # only a row deleted by hand between the two statements
        raise StoreError("the database lost its log secret as it was made: try again")
    return made


async def put_log_secret(conn: Connection, secret: bytes) -> None:
    """Keep `secret`, in place of any secret kept before."""
    await conn.execute(
        "INSERT INTO installation (name, value) VALUES ('log_secret', %s)"
        " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (secret.hex(),),
    )
