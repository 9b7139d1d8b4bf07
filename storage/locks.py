"""Locks that serialise the work on one person: in-process, and across instances.

`KeyedLocks` is one asyncio lock per key. `PersonLocks` is what the engine holds around
a turn's load-change-save (like aiogram's event isolation beside its FSM storage): the
in-process lock, then whatever the store adds so that instances sharing the store
queue too (`Store.person_locks`; PostgresStore's takes a database lock in a transaction
that the turn's reads and writes join). `Leadership` picks the one instance that does
a job only one may do at a time (Telegram's long polling).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext

from storage.keys import PersonKey


class KeyedLocks:
    """Serialises work per key (a person) while different keys run concurrently.

    Locks are reference-counted so the table holds only keys in use: memory does not
    grow with the number of people who ever wrote.
    """

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}
        self._idle = asyncio.Event()
        self._idle.set()

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        self._idle.clear()
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
                if not self._locks:
                    self._idle.set()
            else:
                self._locks[key] = (lock, users - 1)

    async def idle(self) -> None:
        """Return once no key is held or awaited."""
        await self._idle.wait()

    def __len__(self) -> int:
        return len(self._locks)


class PersonLocks:
    """Serialises one person's turns: in this process only (a store used by one process).

    A store shared by several processes subclasses it, overriding `shared`.
    """

    def __init__(self) -> None:
        self._local = KeyedLocks()

    @asynccontextmanager
    async def hold(self, person: PersonKey) -> AsyncIterator[None]:
        # In-process first: a second turn of the same person here waits on the event loop
        # and holds nothing of the store's (a connection) while it waits.
        async with self._local.hold(person), self.shared(person):
            yield

    def shared(self, person: PersonKey) -> AbstractAsyncContextManager[None]:
        """The store's part of the lock, held inside the in-process one."""
        return nullcontext()

    async def idle(self) -> None:
        """Return once no person is held or awaited in this process."""
        await self._local.idle()

    def __len__(self) -> int:
        return len(self._local)


class Leadership:
    """The lead in a job only one instance may do at a time, such as Telegram's long
    polling (a second poller is refused). With a store one process uses, that process
    leads at once and for good; a shared store's leadership is held in the store
    (`Store.leadership`), and passes to a waiting instance when the leader dies.
    """

    async def acquire(self) -> None:
        """Return once this instance leads (waiting while another does)."""

    async def lost(self) -> None:
        """Return if this instance stops leading (it can no longer tell that it leads,
        so another may take over): the job must stop at once."""
        await asyncio.Event().wait()

    async def release(self) -> None:
        """Give the lead up (at a clean stop), for a waiting instance to take."""
