"""Every adapter renders every kind of prompt and turns every input back into the right
event: one set of tests, run against the terminal, Telegram and Discord (like the store
contract over the backends), each through its driver (tests/conformance/).

What is checked is structure: the prompt the engine asked with (its step, question id,
kind, options and their ids and styles), what the platform shows for it (each option
pressable by its label, styled as asked where the platform has styles, a way to type
where the answer is typed and the platform needs one), and the event that came back (a
command by name, typed words verbatim, a press as the very data of the option pressed).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.events import (
    BACK_ID,
    SKIP_ID,
    Button,
    ButtonPress,
    ButtonStyle,
    Command,
    InputKind,
    Outbound,
    Prompt,
    TextMessage,
)
from flows import machine
from flows.prompt import PING, Choice
from flows.text import rich
from tests.conformance.discord_driver import discord_bot
from tests.conformance.driver import Driver, Shown, pinged, prompt_of
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
        """A ping is sent unprompted (the adapter's `send`), beside the open question."""
        await driver.command("new")
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
