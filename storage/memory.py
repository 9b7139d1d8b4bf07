"""A store in a dict, for tests, that is as strict about values as the disk backend."""

from __future__ import annotations

import json
from collections.abc import Iterator

from storage import archive_layout
from storage.base import Archive, DamagedRecord, DueEntry, JSONDict, PersonRecord, Store
from storage.keys import PersonKey


class MemoryStore(Store):
    """Holds each person's record as JSON text.

    Going through JSON on every save and load makes tests fail here as they would on
    disk: a value JSON cannot hold is refused, and no record loaded or saved shares
    an object with the one held.
    """

    def __init__(self) -> None:
        self._records: dict[PersonKey, str] = {}
        self._due: set[DueEntry] = set()
        self._archives: dict[PersonKey, dict[str, str]] = {}
        """Each person's archived cases by case id, each its stored body as JSON text."""
        self.set_aside_records: dict[PersonKey, str] = {}
        """Damaged records moved out of the way, for tests to look at."""

    async def load(self, person: PersonKey) -> PersonRecord:
        text = self._records.get(person)
        try:
            return PersonRecord.from_json(text) if text else PersonRecord()
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise DamagedRecord(f"memory:{person.digest}", type(error).__name__) from error

    async def set_aside(self, person: PersonKey) -> str:
        self.set_aside_records[person] = self._records.pop(person, "")
        return f"memory:{person.digest}:damaged"

    async def save(self, person: PersonKey, record: PersonRecord) -> None:
        self._records[person] = record.to_json()

    async def delete(self, person: PersonKey) -> None:
        self._records.pop(person, None)
        self._archives.pop(person, None)
        self._due = {entry for entry in self._due if entry.person != person}

    async def archive(self, person: PersonKey, cases: dict[str, JSONDict]) -> None:
        bodies = {
            case_id: json.dumps(archive_layout.body(case), allow_nan=False)
            for case_id, case in cases.items()
        }
        if bodies:
            self._archives.setdefault(person, {}).update(bodies)

    async def archived(self, person: PersonKey) -> Archive:
        held = self._archives.get(person, {})
        return archive_layout.archive_of(held.items(), f"memory:{person.digest}:archive")

    def people(self) -> Iterator[PersonKey]:
        return iter(list(self._records))

    async def add_due(self, entry: DueEntry) -> None:
        self._due.add(entry)

    async def remove_due(self, entry: DueEntry) -> None:
        self._due.discard(entry)

    def due_entries(self) -> Iterator[DueEntry]:
        return iter(list(self._due))
