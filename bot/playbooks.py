"""`fairshake playbooks`: the shops the bot knows, and whether each playbook is sound.

An operator adding a shop as a TOML file in `FAIRSHAKE_PLAYBOOKS_DIR`, or a country's law
in `FAIRSHAKE_JURISDICTIONS_DIR`, runs this to see it listed, or to be told the file and the
key to fix (exit 1).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from bot.config import Settings
from flows.jurisdiction import scan as scan_jurisdictions
from flows.playbook import scan
from flows.schema import SchemaError


def playbooks(settings: Settings) -> int:
    """One line per playbook (id, name, storefronts, rules, the oldest check, its file),
    then one per country's law file."""
    try:
        found = scan(settings.playbooks_dir)
    except SchemaError as error:
        print(f"invalid playbook: {error}", file=sys.stderr)
        return 1
    try:
        laws = scan_jurisdictions(settings.jurisdictions_dir)
    except SchemaError as error:
        print(f"invalid jurisdiction: {error}", file=sys.stderr)
        return 1
    rows = [("id", "name", "storefronts", "rules", "oldest check", "file")]
    for playbook in found.values():
        rows.append(
            (
                playbook.id,
                playbook.name,
                ", ".join(playbook.storefronts) or "any",
                str(len(playbook.rules)),
                playbook.oldest_check.isoformat(),
                playbook.file,
            )
        )
    _print_table(rows)
    print()
    laws_rows = [("country", "name", "currency", "rules", "oldest check", "file")]
    for law in laws.values():
        rules = [*law.rules.values(), *law.shop_rules.values()]
        oldest = min((rule.checked for rule in rules), default=None)
        laws_rows.append(
            (
                law.id,
                law.country.name,
                law.country.currency,
                str(len(rules)),
                oldest.isoformat() if oldest else "-",
                law.file,
            )
        )
    _print_table(laws_rows)
    return 0


def _print_table(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
