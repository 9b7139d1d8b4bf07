"""Every adapter renders every kind of prompt and turns every input back into the right
event: one set of tests, run against the terminal, Telegram and Discord (like the store
contract over the backends), each through its driver (tests/conformance/).

What is checked is structure: the prompt the engine asked with (its step, question id,
kind, options and their ids and styles), what the platform shows for it (each option
pressable by its label, styled as asked where the platform has styles, a way to type
where the answer is typed and the platform needs one), and the event that came back (a
command by name, typed words verbatim, a press as the very data of the option pressed).
A script's lines to say and its spare part are each set apart their own way, exactly
its marked lines (`Block`), and its snippets copy whole; a ping is drawn from its
prompt, which retires nothing, so the question open under it still answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.events import (
    BACK_ID,
    SKIP_ID,
    Block,
    Button,
    ButtonPress,
    ButtonStyle,
    Command,
    InputKind,
    Outbound,
    Prompt,
    Snippet,
    TextMessage,
)
from flows import machine
from flows.prompt import PING, Choice
from flows.text import join, plain, quote, rich, runs
from tests.conformance.discord_driver import discord_bot
from tests.conformance.driver import Driver, Shown, ShownCopy, pinged, prompt_of
from tests.conformance.telegram_driver import telegram
from tests.conformance.terminal_driver import terminal

SHOP = "Corner <b>Books</b> & *Co*"
"""A shop without a playbook, named with what other platforms' markup would eat."""


def assert_renders(shown: Shown, asked: Outbound) -> None:
    """Every option of the prompt is pressable by its label, styled as asked where the
    platform styles options; a way to type is offered exactly where the answer is typed,
    on a platform that needs one."""
    prompt = prompt_of(asked)
    assert shown.text.strip(), "the question is shown"
    by_label = {option.label: option for option in shown.options}
    for row in asked.buttons:
        for button in row:
            assert button.label in by_label, f"{button.label!r} not among {list(by_label)}"
            style = by_label[button.label].style
            assert style is None or style == button.style, f"{button.label!r} is {style}"
    if shown.answer_box is not None:
        assert shown.answer_box == prompt.typed, f"a {prompt.kind} question"


def words(texts: tuple[str, ...] | list[str]) -> list[str]:
    return " ".join(texts).split()


def assert_sets_apart(shown: Shown, copies: tuple[ShownCopy, ...], asked: Outbound) -> None:
    """Each run of lines to say is shown as one quote and each spare run as one of its
    own kind, word for word, and nothing else is; every snippet copies whole, in order,
    under a name that says which it is."""
    marked: dict[Block, list[str]] = {Block.SAY: [], Block.SPARE: []}
    for block, lines in runs(asked.text.lines()):
        if block in marked:
            marked[block].append("\n".join("".join(span.text for span in line) for line in lines))
    assert marked[Block.SAY] and marked[Block.SPARE], "the message has both to show"
    for block, shown_runs in ((Block.SAY, shown.quoted), (Block.SPARE, shown.spare)):
        assert [run.split() for run in shown_runs] == [run.split() for run in marked[block]]
    assert asked.snippets, "the message offers something to copy"
    assert words([copy.text for copy in copies]) == words([s.text for s in asked.snippets])
    for snippet in asked.snippets:
        assert any(snippet.label in copy.label for copy in copies), snippet.label


def a_script() -> Outbound:
    """Lines to say (one of two paragraphs, longer than a Telegram copy button takes),
    a spare part and snippets, with what other platforms' markup would eat."""
    opening = plain(f"Hello: about my order from {SHOP}, number 111-2223334-5556667.")
    email = join([plain("I'm writing about my order. " * 12), plain("Kind <i>regards</i>")], "\n\n")
    text = join(
        [
            rich("**Open**"),
            quote(opening),
            rich("\n**The email**"),
            quote(email),
            rich("\n**If it gets tense**"),
            quote(
                join([plain("• Let me go over the facts once more."), plain("• *Thanks*.")]),
                Block.SPARE,
            ),
            rich("\nThen log the contact."),
        ]
    )
    log = Choice("test:log", "📝 Log it", ButtonStyle.PRIMARY)
    return Outbound(
        text,
        ((Button(log.label, log.value, log.value, log.style),),),
        prompt=Prompt("welcome", options=((log,),)),
        snippets=(Snippet("Opening", opening.plain()), Snippet("Email", email.plain())),
    )


class AdapterContract:
    """The tests; a subclass per platform provides the `driver` fixture."""

    async def test_every_style_renders_as_asked(self, driver: Driver) -> None:
        """A prompt sent straight through the adapter: each style once, and a label with
        what other platforms' markup would eat."""
        options = tuple(
            Button(f"{style} <b>*{number}*</b>", f"test:{number}", f"test:{number}", style)
            for number, style in enumerate(ButtonStyle)
        )
        asked = Outbound(
            rich("**Which?** {typed}", typed=SHOP),
            (options,),
            prompt=Prompt(
                "welcome", options=((*(Choice(b.option, b.label, b.style) for b in options),),)
            ),
        )
        await driver.command("start")  # someone the bot has talked with
        await driver.show(asked)

        assert_renders(driver.shown(), asked)

    async def test_lines_to_say_the_spare_part_and_snippets_are_set_apart(
        self, driver: Driver
    ) -> None:
        """A script-like message sent straight through the adapter."""
        asked = a_script()
        await driver.command("start")
        await driver.show(asked)

        assert_sets_apart(driver.shown(), await driver.copies(), asked)

    async def test_a_written_channels_script_is_quoted_and_copies_whole(
        self, driver: Driver
    ) -> None:
        """The script for an email, through the real flow: its lines to say, its calm
        phrases and its email set apart, and its key lines and email to copy."""
        await driver.command("new")
        await driver.type(SHOP)
        await driver.press("pick:damaged")
        await driver.press(SKIP_ID)
        await driver.press("pick:refund")
        await driver.press("do:confirm")
        await driver.press("channel:email")
        script = driver.engine.asked()
        assert "do:log" in {button.option for row in script.buttons for button in row}

        assert_sets_apart(driver.shown(), await driver.copies(), script)

    async def test_a_command_comes_back_as_that_command(self, driver: Driver) -> None:
        await driver.command("new")

        event = driver.engine.events[-1]
        assert isinstance(event, Command) and (event.name, event.args) == ("new", "")
        asked = driver.engine.asked()
        assert prompt_of(asked).kind == InputKind.TEXT
        question = prompt_of(asked).question
        assert question is not None and question.id == "merchant"
        assert_renders(driver.shown(), asked)

    async def test_the_welcome_shows_its_options_as_primary(self, driver: Driver) -> None:
        await driver.command("start")

        event = driver.engine.events[-1]
        assert isinstance(event, Command) and event.name == "start"
        asked = driver.engine.asked()
        assert prompt_of(asked).step == "welcome"
        assert {button.style for row in asked.buttons for button in row} == {ButtonStyle.PRIMARY}
        assert_renders(driver.shown(), asked)

    async def test_typed_words_come_back_verbatim(self, driver: Driver) -> None:
        await driver.command("new")
        await driver.type(SHOP)

        event = driver.engine.events[-1]
        assert isinstance(event, TextMessage) and event.text == SHOP
        asked = driver.engine.asked()
        assert prompt_of(asked).kind == InputKind.CHOICE
        assert_renders(driver.shown(), asked)

    async def test_a_press_comes_back_as_the_data_of_the_option_pressed(
        self, driver: Driver
    ) -> None:
        await driver.command("new")
        await driver.type(SHOP)
        pressed = driver.engine.button("pick:damaged")
        await driver.press("pick:damaged")

        assert driver.engine.events[-1] == ButtonPress(
            driver.engine.events[-1].key, pressed.data, driver.engine.events[-1].event_id
        )
        asked = driver.engine.asked()
        assert prompt_of(asked).kind == InputKind.DATE
        assert prompt_of(asked).skip and prompt_of(asked).back
        assert_renders(driver.shown(), asked)

    async def test_skip_and_back_come_back_as_presses_of_their_ids(self, driver: Driver) -> None:
        await driver.command("new")
        await driver.type(SHOP)
        await driver.press("pick:damaged")
        for option, then_asked in ((SKIP_ID, "outcome"), (BACK_ID, "delivery_date")):
            button = driver.engine.button(option)
            await driver.press(option)

            event = driver.engine.events[-1]
            assert isinstance(event, ButtonPress) and event.data == button.data
            asked = prompt_of(driver.engine.asked())
            assert asked.question is not None and asked.question.id == then_asked
            assert_renders(driver.shown(), driver.engine.asked())

    async def test_an_amount_and_a_confirm_render_with_their_styles(self, driver: Driver) -> None:
        await driver.command("new")
        await driver.type(SHOP)
        await driver.press("pick:damaged")
        await driver.press(SKIP_ID)
        await driver.press("pick:refund")
        review = driver.engine.asked()
        assert (prompt_of(review).step, prompt_of(review).kind) == (
            machine.REVIEW,
            InputKind.CONFIRM,
        )
        assert driver.engine.button("do:confirm").style == ButtonStyle.SUCCESS
        assert_renders(driver.shown(), review)

        await driver.press("edit:amount")
        amount = driver.engine.asked()
        assert prompt_of(amount).kind == InputKind.AMOUNT
        assert_renders(driver.shown(), amount)
        await driver.type("$49.99")

        event = driver.engine.events[-1]
        assert isinstance(event, TextMessage) and event.text == "$49.99"
        assert prompt_of(driver.engine.asked()).step == machine.REVIEW

    async def test_a_destructive_confirm_is_shown_as_dangerous(self, driver: Driver) -> None:
        await driver.command("new")
        await driver.command("forget")
        asked = driver.engine.asked()
        assert (prompt_of(asked).step, prompt_of(asked).kind) == ("forget", InputKind.CONFIRM)
        assert driver.engine.button("forget:yes").style == ButtonStyle.DANGER
        assert_renders(driver.shown(), asked)
        keep = driver.engine.button("forget:no")
        await driver.press("forget:no")

        event = driver.engine.events[-1]
        assert isinstance(event, ButtonPress) and event.data == keep.data
        record = await driver.engine.store.load(event.key.person)
        assert record.cases, "kept"

    async def test_a_reminders_ping_shows_its_options_and_a_press_comes_back(
        self, driver: Driver
    ) -> None:
        """A ping is sent unprompted (the adapter's `send`), beside the open question,
        drawn from its prompt (step `ping`, retiring nothing): its options as asked, and
        the question under it still answers."""
        await driver.command("new")
        open_question = prompt_of(driver.engine.asked()).question
        await driver.command("remind", "in 2 days")
        event = driver.engine.events[-1]
        assert isinstance(event, Command) and (event.name, event.args) == ("remind", "in 2 days")
        async with pinged(driver, days=2, minutes=1):
            ping = driver.engine.asked()
            assert prompt_of(ping).step == PING
            assert_renders(driver.shown(), ping)
            done = next(b for row in ping.buttons for b in row if b.style == ButtonStyle.SUCCESS)
            await driver.press(done.option)

            event = driver.engine.events[-1]
            assert isinstance(event, ButtonPress) and event.data == done.data
            skip = driver.engine.button(SKIP_ID)
            assert skip.data not in {button.data for row in ping.buttons for button in row}
            await driver.press(SKIP_ID)

        event = driver.engine.events[-1]
        assert isinstance(event, ButtonPress) and event.data == skip.data, "the question's"
        question = prompt_of(driver.engine.asked()).question
        assert open_question is not None and question is not None
        assert question.id != open_question.id, "skipped, under the ping"


class TestTerminal(AdapterContract):
    @pytest.fixture
    async def driver(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> AsyncIterator[Driver]:
        monkeypatch.delenv("NO_COLOR", raising=False)
        async with terminal(tmp_path) as driver:
            yield driver


class TestTelegram(AdapterContract):
    @pytest.fixture
    async def driver(self, tmp_path: Path) -> AsyncIterator[Driver]:
        async with telegram(tmp_path) as driver:
            yield driver


class TestDiscord(AdapterContract):
    @pytest.fixture
    async def driver(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> AsyncIterator[Driver]:
        async with discord_bot(tmp_path, monkeypatch) as driver:
            yield driver
