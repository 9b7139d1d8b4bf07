"""A person's archive of closed cases in a data folder, apart from their record, so the
record a turn rewrites does not grow with their history.

One folder per person and one small file per case in it, named by a digest of the case
id: archiving a case costs the same however many are archived already, and a case
archived again (after a crash between the archive and the record's save) replaces its
own file, so it is kept once. Each file holds when it was archived, so the archive reads back
in the order its cases came.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from storage.atomic import fsync_dir, make_dirs, replace_file
from storage.base import DamagedRecord, JSONDict


def _file(folder: Path, case_id: str) -> Path:
    return folder / f"{hashlib.sha256(case_id.encode()).hexdigest()[:32]}.json"


def read(folder: Path) -> dict[str, JSONDict]:
    """The archived cases by case id, oldest archived first; none when there is no folder."""
    try:
        names = sorted(entry.name for entry in os.scandir(folder) if entry.name.endswith(".json"))
    except FileNotFoundError:
        return {}
    held: list[tuple[list[int], str, JSONDict]] = []
    for name in names:
        path = folder / name
        try:
            stored = json.loads(path.read_bytes())
            held.append((stored["at"], stored["case_id"], stored["case"]))
        except FileNotFoundError:  # forgotten meanwhile
            continue
        except (ValueError, TypeError, KeyError) as error:
            raise DamagedRecord(str(path), type(error).__name__) from error
    return {case_id: case for _, case_id, case in sorted(held, key=lambda one: one[0])}


def add(folder: Path, cases: dict[str, JSONDict]) -> None:
    """Write each case into its own file, durably; a case archived already is replaced
    where it was in the order (archiving a case twice keeps one, the latest)."""
    if not cases:
        return
    make_dirs(folder)
    stamp = time.time_ns()
    for order, (case_id, case) in enumerate(cases.items()):
        path = _file(folder, case_id)
        try:
            at = json.loads(path.read_bytes())["at"]
        except (FileNotFoundError, ValueError, TypeError, KeyError):
            at = [stamp, order]
        body = {"at": at, "case_id": case_id, "case": case}
        replace_file(path, json.dumps(body, allow_nan=False).encode())
    fsync_dir(folder)


def remove(folder: Path) -> None:
    """Delete the archive durably; a missing one is fine."""
    try:
        names = [entry.name for entry in os.scandir(folder)]
    except FileNotFoundError:
        return
    for name in names:
        (folder / name).unlink(missing_ok=True)
    fsync_dir(folder)
    folder.rmdir()
    fsync_dir(folder.parent)
