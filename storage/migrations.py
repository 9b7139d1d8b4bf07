"""Upgrades of stored records, one layout version at a time.

Each person's file says which layout version wrote it (`schema_version` beside the
owner in its meta table; files from before versions were kept per record are version
1). Loading an older record runs every migration from its version up to
`SCHEMA_VERSION`, in memory, and the next save writes it in the current layout, so an
upgrade of Fair Shake costs nothing at start-up however many people the folder holds.

A step that changes only what one case holds is a case migration (`@case_migration(n)`):
it runs on each case of a record as it loads, and on each archived case as the archive is
read (`upgrade_case`; archived cases keep the version they were written in, in their
stored body: storage/archive_layout.py), so a case moved to the archive follows every
later layout change too. A change to cases must be one of these.

Migrations work on the JSON documents, never on the flow's typed records (flows/records.py):
a migration must keep doing exactly the same thing however those records change later,
and storage/ knows nothing of flows/. To change the layout: bump `SCHEMA_VERSION` in
storage/base.py and register the step from the version before with `@migration(n)` (or
`@case_migration(n)`).
"""

from __future__ import annotations

from collections.abc import Callable

from storage.base import SCHEMA_VERSION, JSONDict, PersonRecord, StoreError

Migration = Callable[[PersonRecord], None]
"""Changes a record of version n, in place, into one of version n + 1."""
CaseMigration = Callable[[JSONDict], None]
"""Changes a case of version n, in place, into one of version n + 1."""

MIGRATIONS: dict[int, Migration] = {}
"""The migration from each version, by the version it upgrades from."""
CASE_MIGRATIONS: dict[int, CaseMigration] = {}
"""The case migrations among them (those an archived case needs), by the same versions."""


def migration(version: int) -> Callable[[Migration], Migration]:
    """Register `step` as the upgrade from `version` to `version + 1`."""

    def register(step: Migration) -> Migration:
        if version in MIGRATIONS:
            raise ValueError(f"two migrations from version {version}")
        MIGRATIONS[version] = step
        return step

    return register


def case_migration(version: int) -> Callable[[CaseMigration], CaseMigration]:
    """Register `step` as the upgrade of each case from `version` to `version + 1`: of a
    record's cases as it loads, and of an archived case as it is read."""

    def register(step: CaseMigration) -> CaseMigration:
        def every_case(record: PersonRecord) -> None:
            for case in record.cases.values():
                step(case)

        migration(version)(every_case)
        CASE_MIGRATIONS[version] = step
        return step

    return register


def latest() -> int:
    """The layout version written now (what `upgrade` and `upgrade_case` lead up to)."""
    return SCHEMA_VERSION


def _readable(version: int, what: str) -> None:
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{what} has schema version {version}, but this Fair Shake reads up to "
            f"version {SCHEMA_VERSION}: upgrade Fair Shake to read it"
        )


def upgrade(record: PersonRecord, version: int) -> PersonRecord:
    """The record in the current layout, from one stored in layout `version`."""
    _readable(version, "a record")
    for step in range(version, SCHEMA_VERSION):
        MIGRATIONS[step](record)
    return record


def upgrade_case(case: JSONDict, version: int) -> JSONDict:
    """An archived case in the current layout, from one stored in layout `version`: the
    case migrations since (the others change nothing a case holds)."""
    _readable(version, "an archived case")
    for step in range(version, SCHEMA_VERSION):
        if change := CASE_MIGRATIONS.get(step):
            change(case)
    return case


@case_migration(1)
def _every_case_field_present(case: JSONDict) -> None:
    """Version 1 added a case's `closed_at` when it closed, its `promises` with the
    first one, and a promise's `settled_at` when settled; from version 2 they are
    always there (null, or empty), so that a case reads as one typed record."""
    case.setdefault("closed_at", None)
    for promise in case.setdefault("promises", []):
        promise.setdefault("settled_at", None)


@case_migration(2)
def _contacts_say_whom_they_were_with(case: JSONDict) -> None:
    """Version 3 records whom each contact was with (`party`: the shop, or a marketplace's
    seller) and where it came from (`source`: told among the facts, or logged). Older
    contacts get null for both: not known, so each counts as its channel reaches."""
    for contact in case["contacts"]:
        contact.setdefault("party", None)
        contact.setdefault("source", None)


@case_migration(3)
def _readings_kept_per_case(case: JSONDict) -> None:
    """Version 4 keeps, per case, the readings of a fact a pasted text gave two of
    (empty for every case before)."""
    case.setdefault("readings", {})


@migration(4)
def _outbox_spans_say_their_block(record: PersonRecord) -> None:
    """Version 5 stores every span of a reply waiting in an outbox with three values,
    `[text, style, block]` (the block it sits in: plain text, a line to say, the part
    kept folded; bot/reminders/outbox.py), and every such message with its `snippets`
    (the parts to copy whole, `[label, text]` each). Older spans were `[text, style]`,
    all plain text, and older messages had nothing to copy."""
    for conversation in record.conversations.values():
        for reply in (conversation.get("outbox") or {}).values():
            for message in reply["messages"]:
                for spans in (message["text"], message.get("text_in_form") or []):
                    for span in spans:
                        if len(span) == 2:
                            span.append("text")
                message.setdefault("snippets", [])


if set(MIGRATIONS) != set(range(1, SCHEMA_VERSION)):
    raise RuntimeError(f"no migration path to version {SCHEMA_VERSION}: {sorted(MIGRATIONS)}")
