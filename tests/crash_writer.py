"""Saves records in a tight loop until it is killed; the subject of test_storage_crash.py.

Usage: python tests/crash_writer.py DATA_DIR PEOPLE

Takes turns over PEOPLE people, saving each a record stamped with a sequence number
one higher than the last, and prints "<platform> <user_id> <sequence>" only once the
save returned, so every printed line is a save the store promised to keep. A restart
continues from the highest sequence it loads.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from storage import PersonKey, PersonRecord, TinyDBStore


def stamped(seq: int) -> PersonRecord:
    """A record whose every part carries `seq`, large for odd `seq` and small for even.

    A shrinking file is what an in-place rewrite tears (a tail of the old one is left
    behind), and each person's saves alternate; the stamp in every part shows that a
    load got one whole save, not a mix.
    """
    return PersonRecord(
        profile={"seq": seq},
        conversations={"chat": {"seq": seq}},
        cases={f"case-{n}": {"seq": seq, "facts": ["é😀" * n]} for n in range(seq % 2 * 40)},
        reminders={"reminder": {"seq": seq}},
    )


async def write_forever(data_dir: Path, count: int) -> None:
    store = TinyDBStore(data_dir)
    people = [PersonKey("crash", f"user-{i}") for i in range(count)]
    seq = max([(await store.load(person)).profile.get("seq", 0) for person in people])
    while True:
        seq += 1
        person = people[seq % count]
        await store.save(person, stamped(seq))
        sys.stdout.write(f"{person.platform} {person.user_id} {seq}\n")  # one write: one line
        sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(write_forever(Path(sys.argv[1]), int(sys.argv[2])))
