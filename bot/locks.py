"""One asyncio lock per key, dropped when nobody holds or waits for it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


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
