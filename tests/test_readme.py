"""The README tells the truth: its diagram, settings and commands come from the code."""

import re
from pathlib import Path

from bot.adapter import available_adapters
from bot.config import SETTINGS
from bot.session import COMMANDS, Session
from flows import diagram

README = Path(__file__).resolve().parent.parent / "README.md"


def table_after(marker: str) -> list[list[str]]:
    text = README.read_text("utf-8").split(f"<!-- {marker} -->", 1)[1].lstrip()
    rows = []
    for line in text.splitlines():
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows[2:]


def test_flow_diagram_is_the_machine():
    """Run `make diagram` when this fails: the README's diagram no longer matches the flow."""
    assert diagram.readme_block() in README.read_text("utf-8")


def test_diagram_shows_every_state_and_a_guard():
    source = diagram.mermaid()
    for state in ("gathering", "review", "escalating", "guarantee", "resolved", "dropped"):
        assert f'state "{state}"' in source
    assert "guarantee_open" in source


def test_settings_table_lists_every_setting_with_its_default():
    rows = {row[0].strip("`"): row[1].strip("`") for row in table_after("settings-table")}
    adapters = [
        setting for adapter in available_adapters().values() for setting in adapter.SETTINGS
    ]
    assert rows == {setting.name: setting.default for setting in (*SETTINGS, *adapters)}


def test_commands_table_lists_exactly_the_commands_the_bot_answers():
    documented = {row[0].strip("`/") for row in table_after("commands-table")}
    handled = {name.removeprefix("cmd_") for name in dir(Session) if name.startswith("cmd_")}
    assert documented == set(COMMANDS) == handled


def test_readme_gives_two_commands_for_a_fresh_machine():
    text = README.read_text("utf-8")
    assert re.search(r"^make run\b", text, re.MULTILINE)
    assert re.search(r"^make test\b", text, re.MULTILINE)
