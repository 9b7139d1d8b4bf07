"""A person's archive of closed cases in a data folder: one file per person, apart from
the record, so the record a turn rewrites does not grow with their history."""

from __future__ import annotations

import json
from pathlib import Path

from storage.atomic import TEMP_SUFFIX, fsync_dir, replace_file
from storage.base import DamagedRecord, JSONDict


def read(path: Path) -> dict[str, JSONDict]:
    """The archived cases by case id, oldest archived first; none when there is no file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    try:
        cases = json.loads(data)
        if not isinstance(cases, dict):
            raise TypeError("not an object")
    except (ValueError, TypeError) as error:
        raise DamagedRecord(str(path), type(error).__name__) from error
    return cases


def add(path: Path, cases: dict[str, JSONDict]) -> None:
    """Merge `cases` into the file by case id (adding one twice keeps one), durably."""
    if not cases:
        return
    held = read(path)
    held.update(cases)
    replace_file(path, json.dumps(held, allow_nan=False).encode())
    fsync_dir(path.parent)


def remove(path: Path) -> None:
    """Delete the archive durably; a missing one is fine."""
    path.with_name(path.name + TEMP_SUFFIX).unlink(missing_ok=True)
    path.unlink(missing_ok=True)
    if path.parent.is_dir():
        fsync_dir(path.parent)
