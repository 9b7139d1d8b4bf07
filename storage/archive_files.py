"""A person's archive of closed cases in a data folder, apart from their record, so the
record a turn rewrites does not grow with their history.

One folder per person and one small file per case in it, named by a digest of the case
id: archiving a case costs the same however many are archived already, and a case
archived again (after a crash between the archive and the record's save) replaces its
own file, so it is kept once. Each file holds when it was archived, so the archive reads back
in the order its cases came, and the layout version of its case (storage/archive_layout.py).

A file that cannot be read (torn) is skipped, named and left where it is: the others still
read. Which case it held is told from its name when that is one of the first
`CASE_IDS_TRIED` case ids the bot numbers (c1, c2, ...: bot/archive.py), so a fresh start
numbers past it too.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from storage import archive_layout
from storage.atomic import fsync_dir, make_dirs, replace_file
from storage.base import CASE_IDS_TRIED, Archive, DamagedCase, JSONDict


def _name(case_id: str) -> str:
    return f"{hashlib.sha256(case_id.encode()).hexdigest()[:32]}.json"


def _file(folder: Path, case_id: str) -> Path:
    return folder / _name(case_id)


def shown(path: Path) -> str:
    """Where a file of a person's folder is, for the log: the folder's name (the person's
    unkeyed digest) as a wildcard, so the pattern finds the file and names nobody."""
    return str(path.parent.parent / "*" / path.name)


def read(folder: Path) -> Archive:
    """The archived cases by case id, oldest archived first, and the files that cannot be
    read; nothing when there is no folder."""
    try:
        names = sorted(entry.name for entry in os.scandir(folder) if entry.name.endswith(".json"))
    except FileNotFoundError:
        return Archive()
    held: list[tuple[list[int], str, JSONDict]] = []
    damaged: list[DamagedCase] = []
    for name in names:
        path = folder / name
        try:
            stored = json.loads(path.read_bytes())
            held.append(
                (list(stored["at"]), str(stored["case_id"]), archive_layout.case_of(stored))
            )
        except FileNotFoundError:  # forgotten meanwhile
            continue
        except archive_layout.UNREADABLE as error:
            damaged.append(DamagedCase(_case_named(name), shown(path), type(error).__name__))
    cases = {case_id: case for _, case_id, case in sorted(held, key=lambda one: one[0])}
    return Archive(cases, tuple(damaged))


def _case_named(name: str) -> str | None:
    """The case id a file's name is made from, among the first `CASE_IDS_TRIED`."""
    tried = (f"c{number}" for number in range(1, CASE_IDS_TRIED + 1))
    return next((case_id for case_id in tried if _name(case_id) == name), None)


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
        body = {"at": at, "case_id": case_id, **archive_layout.body(case)}
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
