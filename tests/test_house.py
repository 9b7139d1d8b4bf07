"""The house rules a newcomer relies on: no import cycles (none hidden behind
TYPE_CHECKING or inside a function), and no module too long to read in one go."""

from __future__ import annotations

from pathlib import Path

import grimp

PACKAGES = ("bot", "flows", "storage", "adapters")
MAX_MODULE_LINES = 500
ROOT = Path(__file__).resolve().parents[1]


def test_no_import_cycles() -> None:
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=False)
    cycles = sorted(
        (module, imported)
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if imported != module and graph.chain_exists(importer=imported, imported=module)
    )
    assert not cycles, f"modules importing each other, directly or through others: {cycles}"


def test_no_module_over_the_limit() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"
