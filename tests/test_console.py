"""The terminal chat, run as a person would: `python -m bot` with typed lines."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.console import ConsoleAdapter, render
from bot.config import load_settings
from bot.engine import Engine
from flows.text import rich
from storage import MemoryStore


def run_bot(data_dir: Path, lines: list[str]) -> str:
    env = {**os.environ, "FAIRSHAKE_DATA_DIR": str(data_dir)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env.pop("DISCORD_BOT_TOKEN", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=data_dir,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_case_started_in_one_run_resumes_in_the_next(tmp_path):
    first = run_bot(tmp_path, ["a", "b"])  # Amazon, the second problem
    assert "Question 3 of 5" in first
    assert "Bye for now" in first
    second = run_bot(tmp_path, ["/status"])
    assert "Welcome back" in second
    assert "Question 3 of 5" in second
    assert "Amazon" in second


def test_letters_press_options_and_commands_are_typed(tmp_path):
    out = run_bot(tmp_path, ["b", "/help", "/cases"])
    assert "  a) Amazon" in out
    assert "/forget" in out
    assert "Your cases" in out


def test_export_writes_the_case_file_into_the_data_folder(tmp_path):
    out = run_bot(tmp_path, ["a", "/export"])
    assert "[saved" in out
    exported = sorted(p.name for p in (tmp_path / "exports").iterdir())
    assert exported == ["fairshake-case-c1.md", "fairshake-my-data.json"]


@pytest.mark.parametrize("ansi", [False, True])
def test_rendering_keeps_user_text_verbatim(ansi):
    text = rich("**Item:** {item}", item="<b>**kettle**</b> & 🫖")
    shown = render(text, ansi)
    assert "<b>**kettle**</b> & 🫖" in shown
    assert ("\033[1m" in shown) is ansi


async def test_end_of_input_leaves_cleanly(tmp_path):
    import io

    settings = load_settings({"FAIRSHAKE_DATA_DIR": str(tmp_path)}, env_file=tmp_path / ".env")
    out = io.StringIO()
    adapter = ConsoleAdapter(Engine(MemoryStore()), settings, stdin=io.StringIO(""), stdout=out)
    await adapter.run()
    assert "Start a case" in out.getvalue()
    assert out.getvalue().rstrip().endswith("run fairshake again to carry on.")


def test_a_bare_number_is_always_typed_and_never_presses(tmp_path):
    """At a date question or a choice question alike, "2" is what was typed (refused
    there), never the second option; the letter presses."""
    story = ["a", "a", "a", "2", "2026-01-02", "1", "a"]  # Amazon, late, sold by Amazon
    out = run_bot(tmp_path, story)
    assert "  a) " in out and "  1. " not in out
    exported = run_bot(tmp_path, ["/export"])
    assert "[saved" in exported
    case_file = (tmp_path / "exports" / "fairshake-case-c1.md").read_text("utf-8")
    assert "- Delivery date: Fri 2 Jan 2026" in case_file
    assert "- Outcome wanted: A refund" in case_file
    assert (tmp_path / "exports" / "fairshake-case-c1.md").stat().st_mode & 0o777 == 0o600
