"""The Discord adapter, run with the real discord.py client against the fake Discord.

People are played through tests/discord_chat.py's `Person`: a slash command, a button
press or a form is an interaction the fake sends over the gateway; the test then waits
until Discord has been answered and the adapter is idle, and reads what the person would
see.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import pytest

from adapters.discord_bot import DiscordAdapter, render, sync_commands
from adapters.discord_bot import cli as sync_step
from adapters.discord_bot.forms import ANSWER_KIND, PASTE_KIND
from bot.cli import main as fairshake
from bot.config import Settings, load_settings
from bot.engine import Engine
from bot.events import Button, Outbound, Word, said
from bot.observe import Observer
from bot.session import COMMANDS
from flows import machine
from flows.text import plain, rich
from storage import Store
from storage.event_claims import Claim
from tests import discord_chat
from tests.chat import FACT_LABELS, Clock
from tests.discord_chat import PASTED, SHOP, Bot, Person, has_form, menu_options_on, options_on
from tests.fakes.discord import (
    DEFERRED,
    DEFERRED_UPDATE,
    MESSAGE,
    UPDATE,
    Message,
)

fake, bot = discord_chat.fake, discord_chat.bot


def every_message(person: Person) -> list[Message]:
    return [message for interaction in person.seen for message in interaction.messages]


# -- whole cases -------------------------------------------------------------------------------


async def test_a_whole_case_in_a_dm_from_new_to_resolved(bot: Bot) -> None:
    ana = Person(bot, "ana")
    await ana.slash("new")
    assert SHOP in ana.options() and await ana.cases() == ["c1"]
    [asked] = ana.last.messages
    assert not asked.selects(), "five shops: buttons"
    await ana.submit(await ana.opens(PASTE_KIND), order_text=PASTED)
    assert "pick:damaged" in menu_options_on([ana.prompt()]), "more problems: a select menu"
    for option in ("pick:damaged", "pick:replacement"):
        await ana.press(option)
    [review] = ana.prompt().embeds
    fields = {one["name"]: one["value"] for one in review["fields"]}
    assert fields[FACT_LABELS["order_number"]] == "113-9876543-7654321"
    await ana.press("do:confirm")
    assert await ana.at() == (machine.SELF_SERVICE, None) and ana.text()
    await ana.press("do:solved")
    assert await ana.at() == (machine.RESOLVED, None) and ana.text()
    assert not any(message.ephemeral for message in every_message(ana)), "a DM needs no ephemeral"
    await ana.slash("export")
    files = [name for message in ana.last.messages for name, _ in message.attachments]
    assert files == ["fairshake-case-c1.md", "fairshake-my-data.json"]


async def test_a_case_in_a_server_channel_escalates_and_every_reply_is_ephemeral(bot: Bot) -> None:
    bob = Person(bot, "bob", in_server=True)
    await bob.tell()
    await bob.press("do:confirm")
    await bob.press("do:need_help")
    await bob.press("channel:chat")
    await bob.press("do:log")
    await bob.press("pick:now")
    await bob.press("pick:chat")
    await bob.answer(rep="Sam")
    await bob.press("skip")
    await bob.answer(notes="They said it's out of their hands.")
    await bob.press("pick:no_progress")
    assert (await bob.at())[0] == machine.ESCALATING
    ladder = bob.options()
    assert f"do:climb_{machine.SUPERVISOR}" in ladder
    await bob.press("do:climb_supervisor")
    assert (await bob.at())[0] == machine.SUPERVISOR and bob.options() != ladder
    messages = every_message(bob)
    assert len(messages) > 10
    assert all(message.ephemeral for message in messages), "case replies must stay private"
    assert all(message.allowed_mentions == {"parse": []} for message in messages)


async def test_help_and_commands_read_as_discord_subcommands(bot: Bot) -> None:
    cy = Person(bot, "cy")
    await cy.slash("help")
    assert "/dispute new" in cy.text()
    assert "/dispute forget" in cy.text()
    await cy.slash("timezone", zone="Europe/Berlin")
    record = await bot.store.load(cy.key.person)
    assert record.profile["timezone"] == "Europe/Berlin" and "Europe/Berlin" in cy.text()
    await cy.slash("new")
    await cy.slash("remind", when="in 2 days", what="call back")
    [reminder] = (await bot.store.load(cy.key.person)).reminders.values()
    assert (reminder["text"], reminder["due"]) == ("call back", "2026-11-13T15:00:00+00:00")
    assert "Fri 13 Nov at 16:00" in cy.text(), "the time in Berlin"
    await cy.slash("reminders")
    assert "call back (c1)" in cy.text()


async def test_a_typed_answer_by_subcommand(bot: Bot) -> None:
    dee = Person(bot, "dee")
    await dee.slash("new")
    await dee.slash("answer", text="Corner Books")
    assert await dee.at() == (machine.GATHERING, "problem")


# -- buttons over time -------------------------------------------------------------------------


async def test_buttons_decode_after_a_restart_and_a_stale_one_gets_a_kind_answer(bot: Bot) -> None:
    eve = Person(bot, "eve")
    await eve.slash("new")
    shop_question = eve.screen()
    await eve.press("pick:amazon")
    problem_question = eve.screen()
    await bot.restart()
    await eve.press("pick:damaged", on=problem_question)
    asked = eve.options()
    assert await eve.at() == (machine.GATHERING, "seller")
    late = await eve.press("pick:amazon", on=shop_question)
    assert eve.options() == asked, "left alone: the question it is at, still there"
    assert late.followups and not options_on(late.followups), "and not a second time"


async def test_the_same_button_pressed_twice_acts_once(bot: Bot) -> None:
    fay = Person(bot, "fay", in_server=True)
    await fay.slash("new")
    shop_question = fay.screen()
    first = await fay.press("pick:amazon", on=shop_question)
    assert first.in_place and first.callbacks == [UPDATE]
    problems = fay.prompt().options()
    second = await fay.press("pick:amazon", on=shop_question)
    assert second.callbacks == [DEFERRED_UPDATE] and second.followups == []
    assert fay.prompt().options() == problems, "still the problem question, asked once"


async def test_an_old_answer_button_gets_the_current_question(bot: Bot) -> None:
    gus = Person(bot, "gus")
    await gus.slash("new")
    await gus.press("pick:amazon")
    await gus.press("pick:damaged")
    await gus.press("pick:merchant")
    date_question = gus.screen()
    await gus.answer(delivery_date="2 days ago")
    asked = gus.options()
    late = await gus.opens(ANSWER_KIND, on=date_question)
    assert late.modal is None
    assert gus.options() == asked, "left alone: the current question, still there"
    assert late.followups and not options_on(late.followups), "and not a second time"
    assert await gus.at() == (machine.GATHERING, "outcome")


async def test_after_a_restart_only_the_current_questions_form_opens(bot: Bot) -> None:
    """What the process remembered is gone; the engine's stamps still tell old from current."""
    hal = Person(bot, "hal")
    await hal.slash("new")
    shop_question = hal.screen()
    await hal.press("pick:amazon")
    await hal.press("pick:damaged")
    await hal.press("pick:merchant")
    date_question = hal.screen()
    await hal.answer(delivery_date="2 days ago")
    await hal.press("pick:refund")
    await hal.press("edit:item")  # added from the review: a question answered by typing
    item_question = hal.screen()
    await bot.restart()
    old = await hal.opens(ANSWER_KIND, on=date_question)
    assert old.modal is None
    assert hal.options() == options_on([item_question]), "the current question, still there"
    assert old.followups and not options_on(old.followups), "and not a second time"
    current = await hal.opens(ANSWER_KIND, on=item_question)
    assert current.modal is not None
    assert has_form(shop_question, ANSWER_KIND), "the shop can be typed"


async def test_a_question_answered_by_buttons_has_no_answer_form(bot: Bot) -> None:
    """Typing cannot reach the bot on Discord: a form only where words are the answer."""
    ivo = Person(bot, "ivo")
    await ivo.slash("new")
    await ivo.press("pick:amazon")
    assert not has_form(ivo.prompt(), ANSWER_KIND)


# -- forms -------------------------------------------------------------------------------------


async def test_forget_also_drops_what_was_typed_but_not_saved(bot: Bot) -> None:
    ivy = Person(bot, "ivy")
    await ivy.tell(stop_at="delivery date")
    await ivy.answer(delivery_date="the day after never")
    assert bot.adapter is not None
    assert ivy.user["id"] in bot.adapter._kept
    await ivy.slash("forget")
    await ivy.press("forget:yes")
    assert ivy.user["id"] not in bot.adapter._kept, "what was typed is gone from memory too"
    assert ivy.user["id"] not in bot.adapter._asking


async def test_an_order_email_pasted_in_the_form_fills_the_facts(bot: Bot) -> None:
    hal = Person(bot, "hal", in_server=True)
    await hal.slash("new")
    form = await hal.opens(PASTE_KIND)
    assert form.modal is not None and len(form.modal["components"]) == 1
    await hal.submit(form, order_text=PASTED)
    person = await bot.store.load(hal.key.person)
    facts = person.cases["c1"]["facts"]
    assert facts["order_number"] == "113-9876543-7654321"
    assert facts["merchant"] == {"playbook": "amazon", "name": "Amazon", "storefront": "amazon.com"}
    assert facts["amount"] == {"amount": "129.99", "currency": "USD"}
    assert facts["seller"] == "merchant"
    assert person.cases["c1"]["question"] == "problem"
    assert "Late or lost package" in hal.prompt().options()


async def test_an_answer_the_flow_refuses_is_kept_for_the_next_try(bot: Bot) -> None:
    ian = Person(bot, "ian")
    await ian.tell(stop_at="delivery date")
    await ian.answer(delivery_date="the day after never")
    again = await ian.opens(ANSWER_KIND)
    assert again.modal is not None
    assert again.modal["components"][0]["component"].get("value") == "the day after never"
    await ian.submit(again, delivery_date="2 days ago")
    assert "A replacement" in ian.prompt().labels()


async def test_user_text_is_escaped(bot: Bot) -> None:
    jo = Person(bot, "jo")
    await jo.slash("new")
    await jo.answer(merchant="**Evil** @everyone <@1234567890123456789> `shop`")
    await jo.slash("status")
    raw = "\n".join(message.content for message in jo.last.messages)
    assert "\\*\\*Evil\\*\\* @\u200beveryone \\<@\u200b1234567890123456789\\> \\`shop\\`" in raw


# -- timing --------------------------------------------------------------------------------------


class SlowEngine(Engine):
    """An engine whose turns take longer than Discord waits for an acknowledgement."""

    def __init__(self, store: Store, clock: Clock, delay: float) -> None:
        super().__init__(store, clock=clock)
        self.delay = delay

    async def answer(self, event: Any, deliver: Any, *, every: bool = False) -> bool:
        await asyncio.sleep(self.delay)
        return await super().answer(event, deliver, every=every)


async def test_a_slow_turn_is_deferred_then_answered_once(bot: Bot) -> None:
    bot.fake.ack_deadline = 1.0
    await bot.stop()
    await bot.start(SlowEngine(bot.store, bot.clock, delay=1.2), ack_within=0.1)
    kim = Person(bot, "kim", in_server=True)
    asked = await kim.slash("new")
    assert asked.callbacks == [DEFERRED]
    assert asked.original is not None and not asked.original.loading
    assert asked.original.edits == 1
    assert all(message.ephemeral for message in asked.messages)
    assert SHOP in kim.options() and await kim.cases() == ["c1"]
    assert asked.rejected == []


async def test_a_stop_lets_the_answer_in_progress_go_out_first(bot: Bot) -> None:
    await bot.stop()
    adapter = await bot.start(SlowEngine(bot.store, bot.clock, delay=0.5), ack_within=0.05)
    una = Person(bot, "una")
    asked = await bot.fake.slash(una.user, una.channel, "new")
    await bot.fake.wait(lambda: asked.acknowledged)
    adapter.stop()
    await bot.stop()
    assert asked.original is not None and not asked.original.loading
    assert SHOP in options_on([asked.original, *asked.followups])


async def test_an_answer_too_late_is_refused_like_discord_does(bot: Bot) -> None:
    bot.fake.ack_deadline = 0.2
    await bot.stop()
    await bot.start(SlowEngine(bot.store, bot.clock, delay=0.5), ack_within=5)
    lee = Person(bot, "lee")
    asked = await lee.slash("new")
    assert asked.rejected == [10062]
    bot.fake.rejections.clear()


# -- pings, layout, commands ---------------------------------------------------------------------


async def test_a_reminder_ping_arrives_as_a_dm(bot: Bot) -> None:
    max_ = Person(bot, "max", in_server=True)
    assert bot.adapter is not None
    ping = Outbound(
        rich("**Reminder:** {text}", text="call back about c1"),
        buttons=((Button("✅ Done", "7|done"), Button("⏰ Snooze", "7|snooze")),),
    )
    await bot.adapter.send(max_.key, [ping])
    dm = bot.fake.dm(max_.user)
    [sent] = bot.fake.channel_messages
    assert sent.channel_id == int(dm["id"])
    assert sent.content == "**Reminder:** call back about c1"
    assert [b["custom_id"] for b in sent.buttons()] == ["fs:b:7|done", "fs:b:7|snooze"]


class Alone:
    """A stand-in engine's claims: alone on its store, it wins every one."""

    async def claim_event(self, person: Any, event_id: Any, lease: float) -> Claim:
        return Claim(won=True)

    async def renew_event(self, person: Any, event_id: Any, lease: float) -> None:
        return None

    async def event_done(self, person: Any, event_id: Any) -> None:
        return None


class Chatty(Alone):
    """An engine with a lot to say: long text and many buttons."""

    on_forget: ClassVar[list[Any]] = []
    observers = Observer()

    def __init__(self) -> None:
        paragraph = "A fairly long sentence about what to do next, said calmly. " * 8
        rows = tuple(
            tuple(Button(f"Option {r}.{c}", f"1|o{r}{c}") for c in range(7)) for r in range(6)
        )
        self.reply = Outbound(plain("\n\n".join([paragraph] * 8)), rows)

    async def answer(self, event: Any, deliver: Any, *, every: bool = False) -> bool:
        await deliver(event.key, [self.reply])
        return True


async def test_long_replies_and_many_buttons_are_split_within_discord_limits(bot: Bot) -> None:
    await bot.stop()
    await bot.start(Chatty())  # type: ignore[arg-type]
    ned = Person(bot, "ned")
    await ned.slash("status")
    messages = ned.last.messages
    assert all(len(message.content) <= 2000 for message in messages)
    assert all(len(message.components) <= 5 for message in messages)
    assert all(len(row["components"]) <= 5 for m in messages for row in m.components)
    assert sum(len(message.buttons()) for message in messages) == 42
    texts = [m.content for m in messages if m.content]
    assert len(texts) > 1 and all(text.rstrip().endswith("said calmly.") for text in texts)
    assert sum(text.count("said calmly") for text in texts) == 64


async def test_time_zones_are_suggested_while_typing(bot: Bot) -> None:
    oz = Person(bot, "oz")
    asked = await bot.fake.autocomplete(oz.user, oz.channel, "timezone", "zone", zone="berl")
    await bot.fake.wait(lambda: asked.acknowledged)
    assert asked.choices is not None
    assert {"name": "Europe/Berlin", "value": "Europe/Berlin"} in asked.choices


async def test_commands_are_synced_to_one_server_on_request(bot: Bot) -> None:
    synced = await sync_commands(bot.settings, bot.fake.guild_id)
    assert "/dispute new" in synced and "/dispute timezone" in synced
    [command] = bot.fake.commands[bot.fake.guild_id]
    names = {option["name"] for option in command["options"]}
    assert names == {*COMMANDS, "answer"}, "one subcommand per command the engine answers"
    assert command["contexts"] == [0, 1]


def test_enabled_only_with_a_token(tmp_path: Any) -> None:
    assert not DiscordAdapter.enabled(load_settings({}, env_file=tmp_path / ".env"))
    with_token = load_settings({"DISCORD_BOT_TOKEN": "x"}, env_file=tmp_path / ".env")
    assert DiscordAdapter.enabled(with_token)


def test_the_sync_step_says_what_it_registered(monkeypatch, tmp_path, capsys) -> None:
    async def registered(settings: Settings, guild_id: int | None) -> list[str]:
        return ["/dispute new", "/dispute help"] if guild_id == 42 else []

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sync_step, "sync_commands", registered)
    assert sync_step.main(["sync", "--guild", "42"]) == 0
    assert (
        "Registered 2 commands in server 42: /dispute new, /dispute help" in capsys.readouterr().out
    )


def test_the_sync_step_needs_the_token(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DISCORD_BOT_TOKEN", raising=False)
    assert sync_step.main(["sync"]) == 1
    assert "DISCORD_BOT_TOKEN is not set" in capsys.readouterr().err


class Broken(Alone):
    """An engine that fails every turn."""

    on_forget: ClassVar[list[Any]] = []
    observers = Observer()

    async def answer(self, event: Any, deliver: Any, *, every: bool = False) -> bool:
        raise RuntimeError("the store is on fire")


async def test_a_failing_turn_still_gets_one_kind_answer(bot: Bot) -> None:
    await bot.stop()
    await bot.start(Broken())  # type: ignore[arg-type]
    pat = Person(bot, "pat", in_server=True)
    asked = await pat.slash("status")
    assert asked.callbacks == [MESSAGE]
    [sorry] = asked.messages
    assert sorry.content == render.markdown(said(Word.SORRY)) and not sorry.components


# -- rendering -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (rich("**New case {id}.** Go", id="c1"), "**New case c1.** Go"),
        (rich("**Item:**_{note}_", note="odd"), "**Item:**\u200b*odd*"),
        (rich("`{code}`", code="a`b"), "`a\u02cbb`"),
        (rich("Where: {link}", link="https://x.test/a_b."), "Where: <https://x.test/a_b>."),
        (
            rich("{said}", said="# not a heading\n> nor a quote\n- nor a list"),
            "\\# not a heading\n\\> nor a quote\n\\- nor a list",
        ),
        (
            rich("Type /new or `/timezone Europe/Berlin`"),
            "Type /dispute new or `/dispute timezone Europe/Berlin`",
        ),
        (rich("**{x}**", x="  spaced  "), "  **spaced**  "),
    ],
)
def test_markdown_keeps_people_s_words_as_typed(text: Any, expected: str) -> None:
    assert render.markdown(text) == expected


def test_splitting_prefers_paragraphs_then_lines_and_never_parts_an_escape() -> None:
    text = "a" * 1500 + "\n\n" + "b" * 1000 + "\n" + "c" * 900
    assert [len(chunk) for chunk in render.split(text)] == [1500, 1901]
    escaped = "x" * 1999 + "\\*" + "y" * 10
    assert render.split(escaped)[1].startswith("\\*")


def test_settings_discord_would_refuse_are_reported(tmp_path: Any) -> None:
    def settings(token: str) -> Settings:
        return load_settings({"DISCORD_BOT_TOKEN": token}, env_file=tmp_path / ".env")

    assert DiscordAdapter.problems(settings("")) == []
    assert DiscordAdapter.problems(settings("MTIz.Gx7a_Q.abc-DEF_ghi")) == []
    [problem] = DiscordAdapter.problems(settings("not a token"))
    assert "DISCORD_BOT_TOKEN does not look like a bot token" in problem
    assert "not a token" not in problem


def test_fairshake_discord_reaches_the_sync_step(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DISCORD_BOT_TOKEN", raising=False)
    assert fairshake(["discord", "sync", "--guild", "7"]) == 1
    assert capsys.readouterr().err.startswith("discord sync: DISCORD_BOT_TOKEN is not set")
    with pytest.raises(SystemExit):
        fairshake(["discord", "--help"])
    assert "usage: fairshake discord" in capsys.readouterr().out


async def test_cases_are_offered_by_name_and_a_pick_switches_to_it(bot: Bot) -> None:
    """`/dispute cases case:` suggests the person's own cases; picking one makes it active."""
    ida, other = Person(bot, "ida"), Person(bot, "olga")
    await ida.slash("new")
    await ida.answer(merchant="Corner Books")
    await ida.slash("new")
    await other.slash("new")
    asked = await bot.fake.autocomplete(ida.user, ida.channel, "cases", "case", case="corner")
    await bot.fake.wait(lambda: asked.acknowledged)
    assert asked.choices is not None
    assert [choice["value"] for choice in asked.choices] == ["c1"]
    assert "Corner Books" in asked.choices[0]["name"]
    await ida.slash("cases", case="c1")
    record = await bot.store.load(ida.key.person)
    assert record.profile["active_case"] == "c1"
