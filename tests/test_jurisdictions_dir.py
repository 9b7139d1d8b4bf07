"""An operator's own countries' law files (`FAIRSHAKE_JURISDICTIONS_DIR`), read beside the
packaged ones: an Irish consumer group's `ie.toml`, within the EU, gives Irish cases the
EU's rules and a last rung of its own; a bad file is named by file and key by `fairshake
playbooks`, `fairshake check` and the start; the real bot places a case at an .ie shop in
Ireland with the file, where without it the case is only in the EU."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.facts import OUTCOMES
from flows.jurisdiction import (
    by_site,
    jurisdiction_for,
    jurisdictions,
    scan,
    use_jurisdictions_dir,
)
from flows.playbook import load_playbook
from flows.schema import SchemaError
from tests.test_cli import fairshake
from tests.test_console import run_bot
from tests.test_jurisdictions import MINIMAL

IRELAND = MINIMAL.replace(
    'id = "XX"\nname = "Nowhere"\ncurrency = "XXX"',
    'id = "IE"\nname = "Ireland"\ncurrency = "EUR"\nsites = [".ie"]\nwithin = "EU"',
)
"""Ireland as an operator's file: the EU's rules, and a court of its own among the last rungs."""

DAMAGED = next(p.label for p in load_playbook("generic").problems if p.id == "damaged")


@pytest.fixture
def laws_dir(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "laws"
    folder.mkdir()
    (folder / "ie.toml").write_text(IRELAND, "utf-8")
    yield folder
    use_jurisdictions_dir(None)


def test_an_operators_country_within_the_eu_gets_the_eu_s_rules_and_its_own(
    laws_dir: Path,
) -> None:
    assert "IE" not in jurisdictions() and by_site("argos.ie") == "EU"
    use_jurisdictions_dir(laws_dir)
    ireland, eu = jurisdictions()["IE"], jurisdictions()["EU"]
    assert ireland.file == f"{laws_dir}/ie.toml"
    assert set(ireland.rights) == set(eu.rights) and set(eu.rules) < set(ireland.rules)
    assert set(ireland.last_rungs) == {*eu.last_rungs, "court"}
    assert jurisdiction_for("IE") == ireland
    assert by_site("argos.ie") == "IE", "its own file before the EU's"
    assert jurisdiction_for("FR") == eu


BROKEN = {
    "within a file that is not there": (('within = "EU"', 'within = "XX"'), "country.within"),
    "a code a packaged file has": (('id = "IE"', 'id = "GB"'), "country.id"),
    "a rung citing no rule": (
        ('rules = ["court"]', 'rules = ["courts"]'),
        "last_rungs.court.rules",
    ),
    "a route with a window sharing an id with one of the EU's rights": (
        (
            "[last_rungs.court]",
            "[money_back.withdrawal]\nlabel = 'x'\nwhy = 'x'\npayments = ['paypal']\n"
            "window = 'days'\n\n[rules.days]\ntext = 'x'\nsource = 'https://example.org/days'\n"
            "checked = 2026-12-02\ndays = 14\n\n[last_rungs.court]",
        ),
        "money_back.withdrawal",
    ),
}


@pytest.mark.parametrize(("change", "key"), BROKEN.values(), ids=BROKEN)
def test_a_bad_file_is_named_by_file_and_key(
    laws_dir: Path, change: tuple[str, str], key: str
) -> None:
    (laws_dir / "ie.toml").write_text(IRELAND.replace(*change), "utf-8")
    before = dict(jurisdictions())
    with pytest.raises(SchemaError) as raised:
        use_jurisdictions_dir(laws_dir)
    assert (raised.value.where, raised.value.key) == (f"{laws_dir}/ie.toml", key)
    assert dict(jurisdictions()) == before, "the ones in use stay"


def test_a_missing_folder_is_said(tmp_path: Path) -> None:
    with pytest.raises(SchemaError) as raised:
        scan(tmp_path / "nowhere")
    assert raised.value.where == str(tmp_path / "nowhere")


def test_fairshake_playbooks_lists_it_and_check_and_start_refuse_a_bad_one(
    laws_dir: Path,
) -> None:
    env = {"FAIRSHAKE_JURISDICTIONS_DIR": str(laws_dir), "FAIRSHAKE_DATA_DIR": str(laws_dir)}
    listing = fairshake("playbooks", env=env, cwd=laws_dir)
    assert listing.returncode == 0, listing.stderr
    rows = [line.split() for line in listing.stdout.splitlines()]
    assert ["IE", "Ireland", "EUR"] in [row[:3] for row in rows]
    assert any(row and row[-1] == f"{laws_dir}/ie.toml" for row in rows)

    (laws_dir / "ie.toml").write_text(IRELAND.replace("checked = 2026-12-02", "checked = 2"))
    for done in (
        fairshake("playbooks", env=env, cwd=laws_dir),
        fairshake("check", env=env, cwd=laws_dir),
        fairshake(env=env, cwd=laws_dir),
    ):
        assert done.returncode == 1
        assert "ie.toml" in done.stdout + done.stderr
        assert "rules.court.checked" in done.stdout + done.stderr


def test_the_bot_started_with_the_folder_places_an_irish_shop_s_case_in_ireland(
    laws_dir: Path, tmp_path: Path
) -> None:
    """The product as an operator runs it: `python -m bot` in the terminal with the
    folder set, a case at an .ie shop, exported: its country is Ireland, and the EU's
    withdrawal window is a reminder citing the EU's rule."""
    typed = [
        "/new",
        "argos.ie",
        DAMAGED,  # the options typed by name, as the playbook and the flow word them
        "2 days ago",
        OUTCOMES["refund"],
        "yes",
        "/export",
    ]
    countries = {}
    for setting, folder in (("with", laws_dir), ("without", None)):
        data = tmp_path / setting
        data.mkdir()
        extra = {"FAIRSHAKE_JURISDICTIONS_DIR": str(folder)} if folder else {}
        run_bot(data, typed, **extra)
        exported = json.loads((data / "exports" / "fairshake-my-data.json").read_text("utf-8"))
        (case,) = exported["cases"].values()
        countries[setting] = case["facts"]["country"]
        slots = {r["slot"]: r["source"] for r in exported["reminders"].values()}
        eu = jurisdictions()["EU"].rules["eu_withdrawal"].source
        assert slots["deadline:law_withdrawal"] == eu, setting
    assert countries == {
        "with": {"code": "IE", "from": "site"},
        "without": {"code": "EU", "from": "site"},
    }
