"""One process per data folder: a lock held for the life of the process.

The store holds each person's record in the folder and a process serialises each
person's turns in memory, so two processes on one folder would interleave a person's
turns (and fight over Telegram's getUpdates). The first process takes an exclusive
`fcntl.flock` on `<data>/lock`; a second one finds it taken and stops at once, naming
the folder. The kernel drops the lock when the process ends, however it ends (SIGKILL
too), so there is never a stale lock to clean up. The folder is made readable by its
owner only: it holds everyone's cases.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from storage import StoreError

LOCK_NAME = "lock"


class FolderInUse(StoreError):
    """Another process already runs on this data folder."""


class FolderLock:
    """The data folder, created private (0700) and locked for this process.

    Raises:
        FolderInUse: another process holds the folder.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(data_dir, 0o700)
        self._file: IO[bytes] | None = open(data_dir / LOCK_NAME, "ab")  # noqa: SIM115 - held open
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            self._file = None
            raise FolderInUse(
                f"the data folder {data_dir.resolve()} is in use by another Fair Shake "
                "process; stop it first, or give this one its own FAIRSHAKE_DATA_DIR"
            ) from None

    def __enter__(self) -> FolderLock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
