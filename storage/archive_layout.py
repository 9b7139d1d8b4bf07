"""What an archived case is stored as, on every backend.

Each archived case is kept with the layout version it was written in (`schema_version`
in its stored JSON body, beside the case: in the data folder's file, the PostgreSQL row's
`body`, the memory store's text), so a later Fair Shake upgrades it as it is read, with
the case migrations (storage/migrations.py), as a record is upgraded as it loads. The
version lives in the body, not in a column of its own, so keeping it needed no change
to the PostgreSQL schema. A body without a version was written before versions were
kept with archived cases: in version 5, the layout when the archive began.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from storage import migrations
from storage.base import Archive, DamagedCase, JSONDict

VERSION = "schema_version"
"""The key of the stored body that holds the case's layout version."""
BEFORE_VERSIONS = 5
"""The layout of an archived case stored without a version."""
UNREADABLE = (ValueError, TypeError, KeyError, AttributeError)
"""What reading a stored body raises when its case cannot be read (torn, or not a body):
the case is then damaged, and hides no other. One from a newer Fair Shake is refused
instead (`StoreError`), as a record is: that calls for an upgrade, not a repair."""


def body(case: JSONDict) -> JSONDict:
    """What is stored for `case`: the case, with the layout version it is in."""
    return {VERSION: migrations.latest(), "case": case}


def case_of(stored: JSONDict) -> JSONDict:
    """The case a stored body holds (`body`, perhaps with more beside it), upgraded to the
    current layout; one without a version holds a case of `BEFORE_VERSIONS`.

    Raises:
        StoreError: it was written by a newer Fair Shake.
        KeyError, TypeError: it is not a stored body.
    """
    version = stored.get(VERSION, BEFORE_VERSIONS)
    if not isinstance(version, int) or not isinstance(stored["case"], dict):
        raise TypeError("not an archived case")
    return migrations.upgrade_case(stored["case"], version)


def archive_of(rows: Iterable[tuple[str, str]], where: str, *, bare: bool = False) -> Archive:
    """The archive from `(case id, stored body as JSON text)` rows, oldest archived first:
    a row that cannot be read is a `DamagedCase` (`where`, then its case id) and hides no
    other. With `bare`, a body without a version is the case itself (as PostgreSQL kept
    its rows before versions were kept)."""
    cases: dict[str, JSONDict] = {}
    damaged: list[DamagedCase] = []
    for case_id, text in rows:
        try:
            stored = json.loads(text)
            if bare and isinstance(stored, dict) and VERSION not in stored:
                stored = {"case": stored}
            cases[case_id] = case_of(stored)
        except UNREADABLE as error:
            damaged.append(DamagedCase(case_id, f"{where} {case_id}", type(error).__name__))
    return Archive(cases, tuple(damaged))
