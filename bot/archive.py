"""Closed cases moved out of the record a turn rewrites, so a turn costs the same however
long a person's history grows.

Before a turn is saved, the oldest closed cases beyond the `keep` most recently closed
go into the person's archive (`Store.archive`): not the active case, nor one a pending
reminder still needs (a resolved case's check-in). The archive is written first and the
record drops them in the turn's save after it: a crash in between leaves a case in both
places, the next turn archives it again (kept once, by case id) and the record drops it
then. So no case is ever in neither place, and none is counted twice. (On PostgreSQL
a turn is one transaction: the archive and the save go in together or not at all.) /export reads the
archive back; /forget deletes it with the rest.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from bot.reminders import INDEXED, reminders_of
from flows.machine import CLOSED_STATES
from storage import DamagedRecord, PersonKey, PersonRecord, Store
from storage.base import JSONDict

log = logging.getLogger(__name__)

ARCHIVED = "archived_cases"
"""The profile's count of the person's cases in the archive (for /status and /cases)."""

OPENED = "cases_opened"
"""The profile's count of cases ever opened: the next case's id is c<count + 1>."""


def movable(record: PersonRecord, keep: int) -> dict[str, JSONDict]:
    """The record's closed cases beyond the `keep` most recently closed, oldest first,
    leaving the active case and those with a pending reminder where they are."""
    closed = [case for case in record.cases.values() if case["state"] in CLOSED_STATES]
    if len(closed) <= keep:
        return {}
    closed.sort(key=lambda case: datetime.fromisoformat(case["closed_at"] or case["opened_at"]))
    needed = {r.case_id for r in reminders_of(record) if r.status in INDEXED}
    needed.add(record.profile.get("active_case") or "")
    older = closed[: len(closed) - keep]
    return {case["id"]: case for case in older if case["id"] not in needed}


async def move_closed(store: Store, person: PersonKey, record: PersonRecord, keep: int) -> int:
    """Archive the cases `movable` picks, then drop them from the record (which the
    caller saves next); how many moved."""
    cases = movable(record, keep)
    if not cases:
        return 0
    await store.archive(person, cases)
    for case_id in cases:
        del record.cases[case_id]
    record.profile[ARCHIVED] = record.profile.get(ARCHIVED, 0) + len(cases)
    return len(cases)


async def carry_over(store: Store, person: PersonKey, fresh: PersonRecord) -> None:
    """A record started afresh (the old one damaged) still knows the archive it had: how
    many cases are there, and new case ids after theirs, so none is taken again."""
    archived = await readable(store, person)
    if not archived:
        return
    fresh.profile[ARCHIVED] = len(archived)
    numbers = [int(found[1]) for case_id in archived if (found := re.fullmatch(r"c(\d+)", case_id))]
    fresh.profile[OPENED] = max(numbers, default=0)


async def readable(store: Store, person: PersonKey) -> dict[str, JSONDict]:
    """The person's archive, for /export and a fresh start. A damaged archive file is
    named at ERROR for the operator (it stays where it is) and counts as none here: the
    person still gets their case file, or their fresh start, rather than an error."""
    try:
        return await store.archived(person)
    except DamagedRecord as damage:
        log.error(
            "the archive of %s cannot be read (%s, %s): left as it is, the record's cases used",
            person.digest,
            damage.where,
            damage.cause,
        )
        return {}
