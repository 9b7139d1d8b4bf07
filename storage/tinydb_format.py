"""A person's record as a TinyDB database file, written and read without TinyDB's tables.

The file is what TinyDB itself writes and reads (open it with `TinyDB(path)` to look
inside): tables `meta` (platform and user id, so that listing people needs no reverse
of the file name's hash, and the layout version the record was written in, which
storage/migrations.py upgrades from on load), `profile` (one document), and `conversations`, `cases` and
`reminders` (one document `{"id": ..., "value": ...}` each, in the record's order),
documents keyed by their TinyDB id ("1", "2", ...). Building that JSON directly costs a
fraction of going through TinyDB's table objects, which a turn did five times a save.
"""

from __future__ import annotations

import json
from typing import Any

from storage.base import SCHEMA_VERSION, PersonRecord
from storage.keys import PersonKey
from storage.migrations import upgrade

KEYED_PARTS = ("conversations", "cases", "reminders")
"""The record's parts held as one TinyDB document per id."""

_dump = json.JSONEncoder(allow_nan=False, ensure_ascii=True).encode


def encode(person: PersonKey, record: PersonRecord) -> bytes:
    """The file's bytes. A value JSON cannot hold raises TypeError, a NaN ValueError."""
    database: dict[str, Any] = {
        "meta": {
            "1": {
                "platform": person.platform,
                "user_id": person.user_id,
                "schema_version": SCHEMA_VERSION,
            }
        },
        "profile": {"1": record.profile},
    }
    for part in KEYED_PARTS:
        values: dict[str, Any] = getattr(record, part)
        database[part] = {
            str(n): {"id": key, "value": value} for n, (key, value) in enumerate(values.items(), 1)
        }
    return _dump(database).encode()


def decode(data: bytes) -> PersonRecord:
    """The record a file holds, in the current layout (an empty file, or none, is an
    empty record)."""
    if not data:
        return PersonRecord()
    database = json.loads(data)
    meta: dict[str, Any] = next(iter((database.get("meta") or {}).values()), {})
    profile = database.get("profile") or {}
    record = PersonRecord(profile=next(iter(profile.values()), {}))
    for part in KEYED_PARTS:
        documents = (database.get(part) or {}).values()
        setattr(record, part, {doc["id"]: doc["value"] for doc in documents})
    # Files written before records carried their version are version 1.
    version = meta.get("schema_version", 1)
    return record if version == SCHEMA_VERSION else upgrade(record, version)


def owner(data: bytes) -> PersonKey | None:
    """Whose record a file holds; None for an empty file."""
    if not data:
        return None
    meta = next(iter((json.loads(data).get("meta") or {}).values()), None)
    return PersonKey(meta["platform"], meta["user_id"]) if meta else None
