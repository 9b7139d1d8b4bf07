"""A write-ahead journal with group commit: one writer thread, one fdatasync per batch.

Saves from many conversations arrive at once; making each durable with its own fsync
(and its folder's) caps a disk at a few hundred saves a second and holds the event loop
while it waits. Here a save is appended to the journal by one writer thread that takes
everything queued since its last sync, writes it in one go and syncs once, then tells
each waiting save that it is durable. The event loop only serialises and waits.

The journal is a folder of segments, `<16 digits>.log`, replayed in order. A segment is a
run of frames: the payload's length and CRC-32 (little-endian, 4 bytes each), then the
payload. A frame that is short or fails its CRC is where a killed writer stopped: it and
anything after it were never acknowledged, and replay stops there. Segments are only
ever appended to, and a new one is started after a restart, so a torn tail is never
written after.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import struct
import threading
import weakref
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from storage.atomic import fsync_dir, make_dirs

SEGMENT_SUFFIX = ".log"
IDLE_SECONDS = 2.0
"""The writer thread ends after this long with nothing to write (a new one starts on demand)."""
WAKE_AT_ONCE = 4
"""Saves woken per turn of the event loop when their batch is durable (see `_LoopSide`)."""
_HEADER = struct.Struct("<II")
Outcome = tuple[asyncio.Future[None], Exception | None]
"""A save's future, and the error to raise in it (None: it is durable)."""
"""A frame's payload length and CRC-32."""


def segments(folder: Path) -> list[Path]:
    """The journal's segments, oldest first (none when the folder does not exist)."""
    with contextlib.suppress(FileNotFoundError):
        names = [name for name in os.listdir(folder) if name.endswith(SEGMENT_SUFFIX)]
        return [folder / name for name in sorted(names) if name[:-4].isdigit()]
    return []


def frames(segment: Path) -> Iterator[bytes]:
    """The whole, intact payloads of a segment, in order, up to the first torn one."""
    data = segment.read_bytes()
    at = 0
    while at + _HEADER.size <= len(data):
        length, crc = _HEADER.unpack_from(data, at)
        start = at + _HEADER.size
        payload = data[start : start + length]
        if len(payload) < length or zlib.crc32(payload) != crc:
            return
        yield payload
        at = start + length


def frame(payload: bytes) -> bytes:
    return _HEADER.pack(len(payload), zlib.crc32(payload)) + payload


@dataclass(slots=True)
class Pending:
    """One payload waiting for its batch's sync, and who to tell when it is durable."""

    payload: bytes | None
    """None: nothing to write, only a request to close the segment."""
    apply: Callable[[], None]
    """Run on the writer thread once the payload is durable, before the waiter wakes."""
    done: asyncio.Future[None]
    side: _LoopSide
    """The loop of the save waiting on `done`."""
    rotate: bool
    """Whether to close the segment after this batch, whatever its size."""


class JournalBroken(OSError):
    """A write or sync of the journal failed: what it holds on disk is no longer known."""


class Journal:
    """Appends payloads durably in batches, on a thread of its own.

    The thread starts on the first append and ends after `IDLE_SECONDS` with nothing to
    do (closing its segment), so a store that is dropped holds no thread or file.

    Args:
        folder: the journal's folder; created, with its first segment, on the first append.
        first_segment: the number of the segment to start with (above any replayed one).
        segment_bytes: past this size the next batch starts a new segment, and
            `on_rotate` is called with the number of the one just closed.
        on_rotate: called on the writer thread when a segment is closed; it must not block.
    """

    def __init__(
        self,
        folder: Path,
        first_segment: int,
        segment_bytes: int,
        on_rotate: Callable[[int], None],
    ) -> None:
        self.folder = folder
        self.segment_bytes = segment_bytes
        self._on_rotate = on_rotate
        self._number = first_segment
        self._fd: int | None = None
        self._size = 0
        self._queue: queue.SimpleQueue[list[Pending]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._broken: BaseException | None = None
        self._sides: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopSide]
        self._sides = weakref.WeakKeyDictionary()

    @property
    def broken(self) -> BaseException | None:
        """The write or sync failure that stopped the journal (it refuses saves until a
        restart), or None while it works."""
        return self._broken

    @property
    def segment(self) -> int:
        """The number of the segment being appended to (or to be started)."""
        return self._number

    async def append(
        self, payload: bytes | None, apply: Callable[[], None], rotate: bool = False
    ) -> None:
        """Return once `payload` is durable in the journal and `apply` has run; with `rotate`,
        once its segment is closed too (and handed to `on_rotate`)."""
        if self._broken is not None:
            raise JournalBroken("the journal failed earlier; restart to recover") from (
                self._broken
            )
        loop = asyncio.get_running_loop()
        side = self._sides.get(loop)
        if side is None:
            side = self._sides[loop] = _LoopSide(loop, self)
        done = loop.create_future()
        side.send(Pending(payload, apply, done, side, rotate))
        await done

    def put(self, batch: list[Pending]) -> None:
        """Hand a loop's appends to the writer thread (starting it if need be)."""
        with self._start_lock:
            self._queue.put(batch)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._write_batches, name="fairshake-journal", daemon=True
                )
                self._thread.start()

    def _rotate(self) -> None:
        closed = self._number
        self._close_segment()
        self._number += 1
        self._size = 0
        self._on_rotate(closed)

    def _close_segment(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _open_segment(self) -> int:
        make_dirs(self.folder)
        path = self.folder / f"{self._number:016d}{SEGMENT_SUFFIX}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fsync_dir(self.folder)  # the segment's name is durable before anything in it counts
        self._size = os.fstat(fd).st_size
        return fd

    def _write_batches(self) -> None:
        while True:
            try:
                batch = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._start_lock:  # a put after this starts a new thread
                    if self._queue.empty():
                        self._close_segment()
                        self._thread = None
                        return
                continue
            with contextlib.suppress(queue.Empty):
                while True:
                    batch += self._queue.get_nowait()
            self._commit(batch)

    def _commit(self, batch: list[Pending]) -> None:
        error: BaseException | None = self._broken
        if error is None:
            try:
                self._write(b"".join(frame(item.payload) for item in batch if item.payload))
            except OSError as failure:
                error = self._broken = failure
        woken: dict[_LoopSide, list[Outcome]] = {}
        for item in batch:
            outcome: Exception | None = None
            if error is not None:
                outcome = JournalBroken("the journal could not be written")
            else:
                try:
                    item.apply()
                except Exception as failure:  # a bug in apply must still wake its waiter
                    outcome = failure
            woken.setdefault(item.side, []).append((item.done, outcome))
        full = self._size >= self.segment_bytes or any(item.rotate for item in batch)
        if full and self._size > 0:  # before waking anyone: they may wait for the fold
            self._rotate()
        for side, outcomes in woken.items():
            side.wake(outcomes)

    def _write(self, data: bytes) -> None:
        if not data:
            return
        if self._fd is None:
            self._fd = self._open_segment()
        view = memoryview(data)
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            os.fdatasync(self._fd)
        except OSError:
            # The saves are told they failed, so the batch must not come back at the next
            # start's replay: cut it off again. (Should that fail too, a frame that did
            # reach the disk whole is replayed then: a turn its person was told failed.)
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._size)
                os.fdatasync(self._fd)
            raise
        self._size += len(data)


class _LoopSide:
    """One event loop's end of the journal: what it sends, and its saves to wake.

    Appends made during one turn of the loop go to the writer together (one wake-up of
    the writer thread, not one each). Saves found durable are woken `WAKE_AT_ONCE` per
    turn of the loop: each woken task runs on to its next turn before the loop looks at
    anything else, and waking every save of a batch (or of several batches that ended
    meanwhile) at once would hold a timer or a heartbeat back by all those turns.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, journal: Journal) -> None:
        self.loop = loop
        self._journal = journal
        self._outgoing: list[Pending] = []
        self._lock = threading.Lock()
        self._waiting: deque[Outcome] = deque()
        self._scheduled = False

    def send(self, item: Pending) -> None:
        if not self._outgoing:
            self.loop.call_soon(self._flush)
        self._outgoing.append(item)

    def _flush(self) -> None:
        batch, self._outgoing = self._outgoing, []
        self._journal.put(batch)

    def wake(self, outcomes: list[Outcome]) -> None:
        """From the writer thread: these saves are done."""
        with self._lock:
            self._waiting.extend(outcomes)
            if self._scheduled:
                return
            self._scheduled = True
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting
            self.loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        with self._lock:
            now = [self._waiting.popleft() for _ in range(min(WAKE_AT_ONCE, len(self._waiting)))]
            self._scheduled = more = bool(self._waiting)
        for done, error in now:
            if done.cancelled():
                continue
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)
        if more:
            self.loop.call_soon(self._wake)
