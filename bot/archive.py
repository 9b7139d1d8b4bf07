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
from storage import PersonKey, PersonRecord, Store
from storage.base import CASE_IDS_TRIED, Archive, JSONDict

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
    many cases are there, and new case ids after every one it holds, a damaged one's
    too, so none is taken again (archiving the new case would replace the old one).
    A damaged case whose id cannot be told keeps the numbering past every id it could be."""
    held = await _read(store, person)
    if not held.cases and not held.damaged:
        return
    fresh.profile[ARCHIVED] = len(held.cases)
    ids = [*held.cases, *(case.case_id for case in held.damaged if case.case_id)]
    numbers = [int(found[1]) for case_id in ids if (found := re.fullmatch(r"c(\d+)", case_id))]
    if any(case.case_id is None for case in held.damaged):
        numbers.append(CASE_IDS_TRIED)
    fresh.profile[OPENED] = max(numbers, default=0)


async def readable(store: Store, person: PersonKey) -> dict[str, JSONDict]:
    """The person's archived cases that can be read, for /export: the person still gets
    their case file with every other case when one is damaged."""
    return (await _read(store, person)).cases


async def _read(store: Store, person: PersonKey) -> Archive:
    """The person's archive, each damaged case in it named at ERROR for the operator (it
    stays where it is)."""
    held = await store.archived(person)
    for case in held.damaged:
        log.error(
            "an archived case of %s cannot be read (%s, %s): left as it is, the others used",
            person.digest,
            case.where,
            case.cause,
        )
    return held
