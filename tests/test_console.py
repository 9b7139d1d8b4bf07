"""The terminal chat, run as a person would: `python -m bot` with typed lines, piped or
on a pseudo-terminal, and read back by what is stored and what a person sees."""

from __future__ import annotations

import asyncio
import getpass
import io
import os
import re
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from adapters.console import ConsoleAdapter
from adapters.console_input import EditedLines
from bot.config import load_settings
from bot.engine import Engine
from bot.events import Outbound, Word, words
from flows import machine
from flows.facts import FACTS_BY_ID
from flows.playbook import load_playbook
from flows.text import rich
from storage import MemoryStore, PersonKey, PersonRecord, TinyDBStore
from tests.terminal import ESCAPE, Terminal

AMAZON = load_playbook("amazon")
PERSON = PersonKey("console", getpass.getuser())
TO_THE_REVIEW = ["1", "2", "1", "2026-11-02", "1"]
"""Amazon, damaged, sold by Amazon, the delivery date typed, a refund (by number)."""


def run_bot(data_dir: Path, lines: list[str], **environ: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FAIRSHAKE_", "NO_COLOR"))}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env.pop("DISCORD_BOT_TOKEN", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env={**env, "FAIRSHAKE_DATA_DIR": str(data_dir), **environ},
        cwd=data_dir,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def stored(data_dir: Path) -> PersonRecord:
    async def load() -> PersonRecord:
        store = TinyDBStore(data_dir)
        try:
            return await store.load(PERSON)
        finally:
            await store.close()

    return asyncio.run(load())


def active_case(data_dir: Path) -> dict[str, Any]:
    record = stored(data_dir)
    return record.cases[record.profile["active_case"]]


def test_numbers_press_options_and_a_number_typed_at_a_date_question_is_the_answer(tmp_path):
    """On a choice "2" presses the second option; at the delivery date question "2" is
    typed (and refused, being no date), and the options there are pressed by name."""
    run_bot(tmp_path, ["1", "2", "1", "2", "skip"])
    case = active_case(tmp_path)
    assert case["facts"]["merchant"]["playbook"] == "amazon"
    assert case["facts"]["problem"] == "damaged"
    assert case["facts"]["delivery_date"] is None, "skipped"
    assert case["question"] == "outcome", "skip, typed, pressed the skip option"
    run_bot(tmp_path, ["back", "2026-11-02", "1"])
    case = active_case(tmp_path)
    assert case["facts"]["delivery_date"] == "2026-11-02"
    assert case["facts"]["outcome"] == "refund"
    assert case["state"] == machine.REVIEW


def test_a_case_started_in_one_run_resumes_in_the_next(tmp_path):
    run_bot(tmp_path, ["1", "2"])
    shown = run_bot(tmp_path, [])
    assert active_case(tmp_path)["question"] == "seller"
    first = FACTS_BY_ID["seller"].choices(AMAZON)[0].label
    assert f"1) {first}" in shown, "the open question is shown again, with its options"


def test_the_review_is_a_table_of_the_facts(tmp_path):
    shown = run_bot(tmp_path, TO_THE_REVIEW, COLUMNS="80")
    review = shown[shown.rindex("╭") : shown.rindex("╯")]
    rows = dict(
        (label.strip(), value.strip())
        for label, value in re.findall(r"^│([^│]+)│([^│]+)│$", review, re.MULTILINE)
    )
    assert rows[FACTS_BY_ID["merchant"].label] == "Amazon"
    assert "2026" in rows[FACTS_BY_ID["delivery_date"].label]
    assert len(rows) >= 10
    options = re.findall(r"\b(\d+)\) ", shown[shown.rindex("╯") :])
    assert sorted(map(int, options)) == list(range(1, len(rows) + 3)), "confirm, back, each fact"


def test_export_then_forget_leaves_no_exported_file(tmp_path):
    """review.md S3: the case file /export wrote is the whole case; /forget deletes it."""
    run_bot(tmp_path, ["1", "/export"])
    exported = sorted(p.name for p in (tmp_path / "exports").iterdir())
    assert exported == ["fairshake-case-c1.md", "fairshake-my-data.json"]
    assert (tmp_path / "exports" / "fairshake-case-c1.md").stat().st_mode & 0o777 == 0o600
    run_bot(tmp_path, ["/forget", "1"])  # 1: "yes, delete it all"
    assert stored(tmp_path).is_empty()
    assert not (tmp_path / "exports").exists()


def test_the_terminals_own_lines_are_its_words_by_id(tmp_path):
    """The greeting, `/copy` with nothing to copy, where an export went and the goodbye
    are the terminal's words (flows/adapter_words.py), each where it belongs."""
    settings = load_settings({"FAIRSHAKE_DATA_DIR": str(tmp_path)}, env_file=tmp_path / ".env")
    out = io.StringIO()
    typed = io.StringIO("/copy\n1\n/export\n")
    adapter = ConsoleAdapter(Engine(MemoryStore()), settings, typed, out, width=500)
    asyncio.run(adapter.run())
    shown = out.getvalue()
    case_file = tmp_path / "exports" / "fairshake-case-c1.md"
    assert shown.startswith(words(Word.CONSOLE_HELLO))
    assert shown.rstrip().endswith(words(Word.CONSOLE_BYE))
    saved = words(Word.SAVED, path=str(case_file))
    assert shown.index(words(Word.NOTHING_TO_COPY)) < shown.index(saved) and case_file.exists()


def test_output_is_wrapped_to_the_width_between_words(tmp_path):
    settings = load_settings({"FAIRSHAKE_DATA_DIR": str(tmp_path)}, env_file=tmp_path / ".env")
    out = io.StringIO()
    adapter = ConsoleAdapter(Engine(MemoryStore()), settings, io.StringIO(), out, width=32)
    sentence = "a long sentence of **many words** that cannot fit on one line of thirty-two " * 3
    text = rich(sentence + "{typed}", typed="and <b>what someone typed</b> verbatim")
    asyncio.run(adapter.send(adapter.key, [Outbound(text)]))
    lines = out.getvalue().splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 32 < len(text.plain())
    assert out.getvalue().split() == text.plain().split(), "no word cut or lost"


@pytest.mark.parametrize("no_color", [None, "", "1"])
def test_no_color_set_to_anything_leaves_no_escape_at_all(tmp_path, no_color):
    """https://no-color.org: NO_COLOR non-empty turns colour off; empty counts as unset."""
    environ = {} if no_color is None else {"NO_COLOR": no_color}
    terminal = Terminal(tmp_path / "data", piped=True, **environ)
    for line in TO_THE_REVIEW:
        terminal.type(line)
    assert terminal.leave() == 0
    assert "╭" in terminal.seen
    if no_color:
        assert b"\x1b" not in terminal.raw
    else:
        assert "1" in terminal.styles(), "bold"


EDITING = re.compile(rb"\x1b\[(?:[0-9]*[ABCDJK]|\?(?:7|2004|1)[hl])")
"""What redrawing an edited line needs: cursor moves, erasing, wrapping off while it
draws, bracketed paste and the cursor keys' mode (adapters/console_input.py)."""


def test_no_color_on_a_pty_writes_no_colour_or_style_escape_at_all(tmp_path):
    """The line editor under NO_COLOR on a real pty, with a typo, Backspace and the up
    arrow: not one SGR sequence (not even a reset), and no escape but cursor moves."""
    terminal = Terminal(tmp_path / "data", NO_COLOR="1")
    terminal.prompted("1-2 >")
    terminal.keys(b"3\x7f1\r")  # a typo, Backspace, the first option
    terminal.wait_for("8) ")
    terminal.prompted("1-8 >")
    terminal.keys(b"/statux\x7fs\r")
    terminal.wait_for("8) ", count=2)
    terminal.prompted("1-8 >")
    terminal.keys(b"\x1b[A\r")  # up: /status again
    terminal.wait_for("8) ", count=3)
    terminal.prompted("1-8 >")
    assert terminal.leave() == 0
    assert terminal.styles() == set(), "no SGR: no colour, no style, no reset"
    escapes = ESCAPE.findall(terminal.raw)
    assert escapes and all(EDITING.fullmatch(escape) for escape in escapes), set(escapes)
    assert active_case(tmp_path / "data")["question"] == "problem", "edited and recalled"


def test_at_a_terminal_a_prompt_shows_and_lines_are_edited_and_recalled(tmp_path):
    """The line editor on a pty: the prompt says which numbers press, the output fits
    the width, Backspace edits and the up arrow brings the last line back."""
    terminal = Terminal(tmp_path / "data", columns=50)
    terminal.prompted("1-2 >")
    terminal.type("1")
    terminal.wait_for("8) ")
    terminal.prompted("1-8 >")
    terminal.keys(b"/statux\x7fs\r")  # a typo, Backspace, the right letter
    terminal.wait_for("8) ", count=2)
    terminal.prompted("1-8 >")
    terminal.keys(b"\x1b[A\r")  # up: /status again
    terminal.wait_for("8) ", count=3)
    terminal.prompted("1-8 >")
    assert terminal.leave() == 0
    output = [line for line in terminal.seen.splitlines() if not line.startswith("1-")]
    assert [line for line in output if len(line) > 50] == [], "the input line aside"
    assert f"1) {FACTS_BY_ID['problem'].choices(AMAZON)[0].label}" in terminal.seen
    assert "**" not in terminal.seen, "markup is rendered, not shown"
    assert "1" in terminal.styles(), "bold, with colour on"
    assert active_case(tmp_path / "data")["question"] == "problem"


async def test_history_and_editing_with_prompt_toolkit_over_a_pipe(tmp_path):
    """The same line editor in process: /new typed, recalled with the up arrow, and typed
    again with a correction: three cases."""
    settings = load_settings({"FAIRSHAKE_DATA_DIR": str(tmp_path)}, env_file=tmp_path / ".env")
    engine = Engine(MemoryStore())
    with create_pipe_input() as keys:
        reader = EditedLines(input=keys, output=DummyOutput())
        adapter = ConsoleAdapter(engine, settings, io.StringIO(), io.StringIO(), reader=reader)
        running = asyncio.create_task(adapter.run())
        # Each line once the one before is answered and the editor waits, as a person types.
        for cases, typed in enumerate(("/new\r", "\x1b[A\r", "/nex\x7fw\r")):
            await until(lambda n=cases: typed_after(engine, adapter, reader, n))
            keys.send_text(typed)
        await until(lambda: typed_after(engine, adapter, reader, 3))
        keys.close()
        await asyncio.wait_for(running, 30)
    record = await engine.store.load(adapter.key.person)
    assert len(record.cases) == 3


async def opened(engine: Engine, adapter: ConsoleAdapter) -> int:
    return len((await engine.store.load(adapter.key.person)).cases)


def reading(reader: EditedLines) -> bool:
    return reader.session.app.is_running


async def until(condition: Callable[[], Awaitable[bool]]) -> None:
    """Poll `condition` until it holds (no fixed wait: 30 s is only a deadline)."""
    async with asyncio.timeout(30):
        while not await condition():
            await asyncio.sleep(0.01)


async def typed_after(
    engine: Engine, adapter: ConsoleAdapter, reader: EditedLines, cases: int
) -> bool:
    """The editor waits for a line, with `cases` opened."""
    return reading(reader) and await opened(engine, adapter) == cases


async def holds(value: bool) -> bool:
    return value


async def test_stopping_ends_a_read_under_way(tmp_path):
    settings = load_settings({"FAIRSHAKE_DATA_DIR": str(tmp_path)}, env_file=tmp_path / ".env")
    with create_pipe_input() as keys:
        reader = EditedLines(input=keys, output=DummyOutput())
        adapter = ConsoleAdapter(Engine(MemoryStore()), settings, reader=reader)
        running = asyncio.create_task(adapter.run())
        await until(lambda: holds(adapter.ready() and reading(reader)))
        adapter.stop()
        await asyncio.wait_for(running, 30)
    assert not adapter.ready()
