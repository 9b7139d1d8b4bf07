"""Where Fair Shake keeps what it knows: one record per person, behind one interface.

`Store` is the contract; `TinyDBStore` (the default, one small file per person),
`PostgresStore` (storage/postgres.py, one database shared by several instances) and
`MemoryStore` (for tests) implement it; storage/backends.py picks one for a run. Nothing
here knows about chat platforms.
"""

from storage.base import (
    SCHEMA_VERSION,
    DamagedRecord,
    DueEntry,
    PersonRecord,
    Store,
    StoreError,
)
from storage.keys import ConversationKey, PersonKey
from storage.memory import MemoryStore
from storage.tinydb_store import TinyDBStore

__all__ = [
    "SCHEMA_VERSION",
    "ConversationKey",
    "DamagedRecord",
    "DueEntry",
    "MemoryStore",
    "PersonKey",
    "PersonRecord",
    "Store",
    "StoreError",
    "TinyDBStore",
]
