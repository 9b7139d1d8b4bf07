"""A script and a reminder in the terminal chat, as a person reading it sees them: the
lines to say behind a bar, the part kept for when it is needed behind a bar of its own,
`/copy N` printing a snippet exactly as it is to be pasted, and a ping set apart from
the conversation it arrives in. Read by structure (bars, rules, numbers, escapes) and
by the engine's own replies, never by the English."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import UTC, datetime
from pathlib import Path

from adapters.console import ConsoleAdapter
from adapters.console_view import QUOTES
from bot.config import load_settings
from bot.events import PING, Block, ButtonPress, ButtonStyle, Command, Outbound
from bot.reminders.ping import ping
from bot.reminders.record import Reminder
from flows.reminders import CUSTOM
from flows.text import runs
from storage import ConversationKey, MemoryStore, PersonRecord
from tests.conformance.driver import RecordingEngine, pinged, prompt_of
from tests.conformance.terminal_driver import SGR, quoted, terminal
from tests.terminal import Terminal

WIDTH = 60
TO_THE_EMAIL = ["/new", "Corner Books", "damaged", "skip", "refund", "confirm", "email"]
"""A shop without a playbook, each option pressed by name, to the script for an email."""
SAY_BAR, SPARE_BAR = QUOTES[Block.SAY][0], QUOTES[Block.SPARE][0]
NUMBERED_LINE = re.compile(r"^\s*\d+\) ")
"""A line of numbered options."""


def marked(message: Outbound, block: Block) -> list[list[str]]:
    """The words of each run of lines of `block` in the message."""
    return [
        " ".join("".join(span.text for span in line) for line in lines).split()
        for kind, lines in runs(message.text.lines())
        if kind == block
    ]


def the_script(engine: RecordingEngine) -> Outbound:
    (script,) = [m for replies in engine.replies for m in replies if m.snippets]
    return script


async def chat(tmp_path: Path, lines: list[str]) -> tuple[str, RecordingEngine]:
    """The terminal chat over piped lines (not a terminal: plain output), to the end."""
    settings = load_settings({"FAIRSHAKE_DATA_DIR": str(tmp_path)}, env_file=tmp_path / ".env")
    engine = RecordingEngine(MemoryStore())
    out = io.StringIO()
    stdin = io.StringIO("\n".join(lines) + "\n")
    adapter = ConsoleAdapter(engine, settings, stdin, out, width=WIDTH)
    await asyncio.wait_for(adapter.run(), 60)
    return out.getvalue(), engine


async def test_the_lines_to_say_are_quoted_and_the_spare_part_set_apart(tmp_path):
    """Plain output (piped): no escape at all, yet each run of lines to say is behind
    one bar and the calm phrases behind another, word for word; no other line is."""
    shown, engine = await chat(tmp_path, TO_THE_EMAIL)
    script = the_script(engine)
    assert "\x1b" not in shown
    runs_shown = quoted(shown)
    assert [run.split() for run in runs_shown[Block.SAY]] == marked(script, Block.SAY)
    assert [run.split() for run in runs_shown[Block.SPARE]] == marked(script, Block.SPARE)
    assert len(marked(script, Block.SAY)) >= 4, "the opening, the ask, the closing, the email"
    assert max(len(line) for line in shown.splitlines()) <= WIDTH, "quotes wrap in the width"


async def test_copy_prints_each_snippet_exactly_unwrapped_and_bare(tmp_path):
    """`/copy N` for each snippet listed: its text alone, exactly, with lines longer
    than the terminal left whole; a number out of range lists them again."""
    shown, engine = await chat(tmp_path, [*TO_THE_EMAIL, *(f"/copy {n}" for n in range(1, 9))])
    script = the_script(engine)
    first = shown.index("📋 /copy 1 ")
    listed = re.findall(r"/copy (\d+) ", shown[first : shown.index("\n\n", first)])
    assert listed == [str(n) for n in range(1, len(script.snippets) + 1)]
    assert any(len(line) > WIDTH for s in script.snippets for line in s.text.splitlines())
    for snippet in script.snippets:
        assert f"\n\n{snippet.text}\n\n" in shown, snippet.label
        for line in snippet.text.splitlines():
            assert not line.startswith((SAY_BAR, SPARE_BAR, " ")), "no bar, no indent"
    relisted = shown.count(f"/copy {len(script.snippets)} ")
    assert relisted == 1 + (8 - len(script.snippets)), "each /copy out of range lists them"
    assert not [e for e in engine.events if isinstance(e, Command) and e.name == "copy"]


async def test_in_colour_the_two_quotes_and_a_copy_look_their_part(tmp_path, monkeypatch):
    """On a terminal: the bar of the lines to say in colour, the spare part's dimmed,
    and what `/copy` prints without one escape inside it."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    async with terminal(tmp_path) as driver:
        await driver.command("new")
        await driver.type("Corner Books")
        for option in ("pick:damaged", "skip", "pick:refund", "do:confirm", "channel:email"):
            await driver.press(option)
        raw = driver.screen.getvalue()
        mark = len(raw)
        copies = await driver.copies()
        printed = driver.screen.getvalue()[mark:]
    bars = {block: set(re.findall(SGR + re.escape(QUOTES[block][0]), raw)) for block in QUOTES}
    assert bars[Block.SAY] and bars[Block.SPARE], "both bars are styled"
    assert bars[Block.SAY].isdisjoint(bars[Block.SPARE]), "each its own way"
    assert "2" in {code for codes in bars[Block.SPARE] for code in codes.split(";")}, "dim"
    script = driver.engine.asked()
    assert [copy.text for copy in copies] == [snippet.text for snippet in script.snippets]
    for snippet in script.snippets:
        assert snippet.text in printed, "copied with no escape inside"


async def test_a_ping_comes_set_apart_numbered_after_the_question_and_answers(tmp_path):
    """A reminder arriving while a question waits: a rule sets it apart, its options
    are numbered on after the question's, a row of its prompt to a line, styled as its
    prompt asks, and typing one's number marks the reminder done; the question's own
    numbers still answer it."""
    async with terminal(tmp_path) as driver:
        await driver.command("new")
        await driver.type("Corner Books")
        question = driver.engine.asked()
        await driver.command("remind", "in 2 days")
        async with pinged(driver, days=2, minutes=1):
            ping = driver.engine.asked()
            shown = driver.shown()
            offered = len([b for row in question.buttons for b in row])
            done = next(b for row in ping.buttons for b in row if b.style == ButtonStyle.SUCCESS)
            await driver.press(done.option)
            pressed = driver.engine.events[-1]
            await driver.press("pick:damaged")
        record = await driver.engine.store.load(driver.key.person)
    assert prompt_of(ping).step == PING
    lines = shown.text.split("\n")
    (rule,) = [n for n, line in enumerate(lines) if line and set(line) == {"─"}]
    assert lines[rule + 1] == ping.text.plain().split("\n")[0], "a rule right above the ping"
    listed = [re.findall(r"(\d+)\) ", line) for line in lines[rule:] if NUMBERED_LINE.match(line)]
    assert [len(row) for row in listed] == [len(row) for row in prompt_of(ping).options]
    numbers = [int(number) for row in listed for number in row]
    assert numbers == list(range(offered + 1, offered + 1 + len(prompt_of(ping).choices())))
    assert [o.label for o in shown.options] == [c.label for c in prompt_of(ping).choices()]
    assert [o.style for o in shown.options] == [c.style for c in prompt_of(ping).choices()]
    assert isinstance(pressed, ButtonPress) and pressed.data == done.data
    (reminder,) = record.reminders.values()
    assert reminder["status"] == "done"
    case = record.cases[record.profile["active_case"]]
    assert case["facts"]["problem"] == "damaged", "the question's number, under the ping"


def test_a_script_under_no_color_on_a_pty_quotes_and_copies_without_an_escape(tmp_path):
    """The real terminal chat on a pty with NO_COLOR: the script's bars show, no SGR is
    written, and `/copy 1` prints the opening whole on one line, longer than the
    terminal is wide (the terminal folds it only on screen, so it copies as one)."""
    terminal = Terminal(tmp_path / "data", columns=WIDTH, NO_COLOR="1")
    for line in TO_THE_EMAIL:
        terminal.prompted(">")
        terminal.type(line)
    terminal.wait_for("📋 /copy 1 ")
    terminal.prompted(">")
    before = terminal.seen
    terminal.type("/copy 1")
    terminal.wait_for("/copy 1", count=before.count("/copy 1") + 1)
    terminal.prompted(">")
    assert terminal.leave() == 0
    assert terminal.styles() == set(), "no SGR at all"
    assert SAY_BAR in before and SPARE_BAR in before
    printed = terminal.seen[len(before) :].split("\n")
    assert max(len(line.rstrip()) for line in printed) > WIDTH, "one line, as it copies"
    assert not [line for line in printed if line.startswith((SAY_BAR, SPARE_BAR))]


async def test_a_bullets_wrapped_lines_start_under_its_words(tmp_path):
    """Have-at-hand items and calm phrases wrap under their first word, not under the
    bullet: each line that goes on a bullet's words is indented by the bullet's width."""
    shown, engine = await chat(tmp_path, TO_THE_EMAIL)
    lines = [line.removeprefix(SAY_BAR).removeprefix(SPARE_BAR) for line in shown.split("\n")]
    bullets = [n for n, line in enumerate(lines) if line.startswith("• ")]
    wrapped = [n + 1 for n in bullets if n + 1 < len(lines) and lines[n + 1].startswith("  ")]
    assert wrapped, "some bullet is longer than the width"
    for n in wrapped:
        assert lines[n][2] != " ", "under the first word, not further"
    script = the_script(engine)
    bulleted = [line for line in script.text.plain().split("\n") if line.startswith("• ")]
    for item in bulleted:
        first = item.split()[1]
        assert any(line.startswith(f"• {first}") for line in lines), item


async def test_a_ping_row_wider_than_the_line_has_its_options_one_a_line(tmp_path):
    """Where a row of the ping's would not fit the terminal's width, its options go one a
    line rather than one broken over two."""
    settings = load_settings({"FAIRSHAKE_DATA_DIR": str(tmp_path)}, env_file=tmp_path / ".env")
    key = ConversationKey("console", "ana", "terminal")
    reminder = Reminder("r1", "c1", CUSTOM, "Call them back", datetime.now(UTC), key)
    [message] = ping(PersonRecord(), reminder)
    rows = [len(row) for row in prompt_of(message).options]
    widest = max(
        sum(len(f"{n}) {button.label}") for n, button in enumerate(row, 1))
        for row in message.buttons
    )
    laid_out = {}
    for width in (widest + 12, widest):
        out = io.StringIO()
        adapter = ConsoleAdapter(
            RecordingEngine(MemoryStore()), settings, io.StringIO(), out, width=width
        )
        await adapter.send(key, [message])
        listed = [line for line in out.getvalue().split("\n") if NUMBERED_LINE.match(line)]
        laid_out[width] = [len(re.findall(r"(\d+)\) ", line)) for line in listed]
    assert laid_out[widest + 12] == rows and max(rows) > 1
    assert laid_out[widest] == [1] * sum(rows), "too narrow: one a line"
