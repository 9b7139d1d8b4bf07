"""A later Fair Shake's stored layout, for tests of what reads older ones."""

from __future__ import annotations

import pytest

from storage import SCHEMA_VERSION, PersonRecord, migrations


def later_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Be a Fair Shake one layout later than this one, for the rest of the test: a
    test-only case migration from today's version gives each case a `tags` list (as
    migration 3 gave `readings`)."""

    def tagged(case: dict[str, object]) -> None:
        case.setdefault("tags", [])

    def every_case(record: PersonRecord) -> None:
        for case in record.cases.values():
            tagged(case)

    monkeypatch.setattr(migrations, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(migrations.CASE_MIGRATIONS, SCHEMA_VERSION, tagged)
    monkeypatch.setitem(migrations.MIGRATIONS, SCHEMA_VERSION, every_case)
