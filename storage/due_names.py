"""The due index's file names: each entry is an empty file whose name says it all.

A name is the due time in UTC (`20261113T090000000000Z`, so names sort by time), the
platform, the user id in unpadded URL-safe base64 (any id, no path tricks) and the
reminder id, joined by dots, with `.due` at the end. The journal records index changes
by these names too.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from storage.base import DueEntry
from storage.keys import PersonKey

PLATFORM = re.compile(r"[A-Za-z0-9_-]+")
"""A platform names a folder, so it may not hold a path separator, a dot or a colon."""

SUFFIX = ".due"
_STAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"
_STAMP = re.compile(r"\d{8}T\d{12}Z", re.ASCII)
_STAMP_FIELDS = ((0, 4), (4, 6), (6, 8), (9, 11), (11, 13), (13, 15), (15, 21))
"""Where year, month, day, hour, minute, second and microsecond sit in a stamp."""
_REMINDER_ID = re.compile(r"[A-Za-z0-9_-]+")


def encoded_user(user_id: str) -> str:
    """A user id as it appears in a name: unpadded URL-safe base64."""
    return base64.urlsafe_b64encode(user_id.encode()).rstrip(b"=").decode()


def name_of(entry: DueEntry) -> str:
    """The entry's file name; ValueError for a platform or reminder id that is not plain."""
    person = entry.person
    if not PLATFORM.fullmatch(person.platform):
        raise ValueError(f"platform {person.platform!r} is not a plain name")
    if not _REMINDER_ID.fullmatch(entry.reminder_id):
        raise ValueError(f"reminder id {entry.reminder_id!r} is not a plain name")
    user = encoded_user(person.user_id)
    name = f"{entry.due:{_STAMP_FORMAT}}.{person.platform}.{user}.{entry.reminder_id}"
    if len(name) > 250:
        raise ValueError("user id too long for the due index")
    return name + SUFFIX


def parse(name: str) -> DueEntry | None:
    """The entry a name stands for; None for a name that is not an entry's (a stray file)."""
    parts = name.removesuffix(SUFFIX).split(".")
    if not name.endswith(SUFFIX) or len(parts) != 4:
        return None
    stamp, platform, user, reminder_id = parts
    if not _STAMP.fullmatch(stamp):
        return None
    try:  # slicing: strptime would take most of the start-up with 100,000 entries
        year, month, day, hour, minute, second, micro = (int(stamp[a:b]) for a, b in _STAMP_FIELDS)
        due = datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
        user_id = base64.urlsafe_b64decode(user + "=" * (-len(user) % 4)).decode()
    except ValueError:
        return None
    return DueEntry(due, PersonKey(platform, user_id), reminder_id)


def names_of_person(name: str, person: PersonKey) -> bool:
    """Whether a name in the index (readable or not) names `person`."""
    return name.split(".")[1:3] == [person.platform, encoded_user(person.user_id)]


def listed(folder: Path) -> Iterator[str]:
    """The names of the entries in a folder (none when it does not exist)."""
    with contextlib.suppress(FileNotFoundError), os.scandir(folder) as found:
        for item in found:
            if item.name.endswith(SUFFIX):
                yield item.name
