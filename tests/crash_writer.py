"""Commits records as fast as it can until it is killed; the subject of test_storage_crash.py.

Usage: python tests/crash_writer.py DATA_DIR PEOPLE [SEGMENT_BYTES]

Prints "recovering" before it opens the store (which replays what the journal holds)
and "open" once it has. Then PEOPLE people commit at once, each in a loop, so that the
journal's batches hold many of them: each commit saves a record stamped with the
person's next sequence number, adds the due entry of that number and removes the one
before, as one `Store.commit`. Only once a commit returned does it print
"<platform> <user_id> <sequence>", so every printed line is a commit the store promised
to keep. A restart carries on from the sequence each person's record holds, and prints
it first: a commit a kill left unacknowledged is acknowledged once it is read back.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from storage import DueEntry, PersonKey, PersonRecord, TinyDBStore
from storage.tinydb_store import SEGMENT_BYTES

DUE = datetime(2026, 12, 1, 9, tzinfo=UTC)


def stamped(seq: int) -> PersonRecord:
    """A record whose every part carries `seq`, large for odd `seq` and small for even.

    A shrinking file is what an in-place rewrite tears (a tail of the old one is left
    behind); the stamp in every part shows that a load got one whole save, not a mix.
    """
    return PersonRecord(
        profile={"seq": seq},
        conversations={"chat": {"seq": seq}},
        cases={f"case-{n}": {"seq": seq, "facts": ["é😀" * n]} for n in range(seq % 2 * 40)},
        reminders={"reminder": {"seq": seq}},
    )


def due(person: PersonKey, seq: int) -> DueEntry:
    """The due entry that goes with `person`'s record number `seq`."""
    return DueEntry(DUE, person, f"r{seq}")


def say(line: str) -> None:
    sys.stdout.write(line + "\n")  # one write: one line
    sys.stdout.flush()


async def keep_committing(store: TinyDBStore, person: PersonKey) -> None:
    seq = (await store.load(person)).profile.get("seq", 0)
    if seq:  # what a crash left beyond the last acknowledgement is now read back: durable
        say(f"{person.platform} {person.user_id} {seq}")
    while True:
        seq += 1
        await store.commit(
            person, stamped(seq), added=[due(person, seq)], removed=[due(person, seq - 1)]
        )
        say(f"{person.platform} {person.user_id} {seq}")


async def write_forever(data_dir: Path, count: int, segment_bytes: int) -> None:
    say("recovering")
    store = TinyDBStore(data_dir, segment_bytes=segment_bytes)
    say("open")
    people = [PersonKey("crash", f"user-{i}") for i in range(count)]
    await asyncio.gather(*(keep_committing(store, person) for person in people))


if __name__ == "__main__":
    size = int(sys.argv[3]) if len(sys.argv) > 3 else SEGMENT_BYTES
    asyncio.run(write_forever(Path(sys.argv[1]), int(sys.argv[2]), size))
