"""A TinyDB storage whose file is always either the old state or the new one, and the
small file helpers the data folder's backend shares (durable renames, private folders).

TinyDB's own `JSONStorage` rewrites its file in place (seek, write, truncate), so a
process killed mid-write leaves a torn file. Here every write goes to a temporary
file beside the target, which is made durable and then renamed over the target: a
rename within one folder is atomic, so readers see the whole old or the whole new file.

One process writes a given file at a time (the bot is one process); the temporary
file's name is fixed per target so that a later write overwrites and consumes what a
killed writer left behind, without listing the folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

TEMP_SUFFIX = ".tmp"
"""Appended to the target's name for the file a write is prepared in."""


class AtomicJSONStorage(Storage):
    """JSON in one file, replaced atomically and durably on every write.

    Args:
        path: the target file; its folder is created (durably) on the first write.

    Attributes:
        path: the target file.
        temp_path: where a write is prepared; a leftover one is never read.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__()
        self.path = Path(path)
        self.temp_path = self.path.with_name(self.path.name + TEMP_SUFFIX)

    def read(self) -> dict[str, Any] | None:
        """The stored state; None (an empty database, to TinyDB) when there is none yet."""
        try:
            text = self.path.read_bytes()
        except FileNotFoundError:
            return None
        return json.loads(text) if text else None

    def write(self, data: dict[str, Any]) -> None:
        """Replace the file with `data`.

        Serialises first, so that a value JSON cannot hold (TypeError) or a NaN
        (ValueError: not JSON) fails before any file is touched.
        """
        replace_file(self.path, json.dumps(data, allow_nan=False).encode())
        fsync_dir(self.path.parent)

    def remove(self) -> None:
        """Delete the file (and any leftover temporary one) durably; a missing file is fine."""
        self.temp_path.unlink(missing_ok=True)
        self.path.unlink(missing_ok=True)
        if self.path.parent.is_dir():
            fsync_dir(self.path.parent)


def replace_file(path: Path, payload: bytes) -> None:
    """Put `payload` in a durable temporary file beside `path`, then rename it over `path`.

    The rename itself is made durable by the caller's `fsync_dir` of the folder, so that
    many files replaced in one folder share that sync.
    """
    temp_path = path.with_name(path.name + TEMP_SUFFIX)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    try:
        fd = os.open(temp_path, flags, 0o600)
    except FileNotFoundError:
        make_dirs(path.parent)
        fd = os.open(temp_path, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as temp:
            temp.write(payload)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_path)
        raise


def fsync_dir(folder: Path) -> None:
    """Make the folder's entries (a rename, a new or removed file) survive a power cut."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dirs(folder: Path) -> None:
    """Create `folder` and its missing parents, private (0700: file names carry people's
    digests and due times), each new entry made durable in its parent."""
    missing: list[Path] = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        new.mkdir(mode=0o700, exist_ok=True)
        fsync_dir(new.parent)


def read_secret(path: Path) -> bytes | None:
    """The secret kept in `path` (hex), or None when there is no such file.

    Raises:
        ValueError: the file holds something other than a secret.
    """
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        return None


def write_secret(path: Path, secret: bytes) -> None:
    """Keep `secret` in `path` (hex, readable by its owner only), durably, in place of
    whatever the file held."""
    replace_file(path, secret.hex().encode())
    fsync_dir(path.parent)


def read_or_empty(path: Path) -> bytes:
    """The file's bytes; none when it does not exist."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def create_empty(path: Path) -> None:
    """An empty private file (0600), its missing folders made."""
    flags = os.O_WRONLY | os.O_CREAT
    try:
        fd = os.open(path, flags, 0o600)
    except FileNotFoundError:
        make_dirs(path.parent)
        fd = os.open(path, flags, 0o600)
    os.close(fd)


def folder_problem(data_dir: Path) -> str | None:
    """Why a small file cannot be written, synced and removed in the folder, or None."""
    probe = data_dir / f".writable-{os.getpid()}-{threading.get_ident()}"
    try:
        with probe.open("wb") as file:
            file.write(b"ok")
            file.flush()
            os.fsync(file.fileno())
        probe.unlink()
    except OSError as error:
        return f"the data folder cannot be written ({os.strerror(error.errno or 0) or error})"
    return None
