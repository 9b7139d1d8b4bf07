"""What a person sees on Discord, scrolling back: one message that moves on with each
press, embeds for the review, the ladder and the script, select menus for long lists,
coloured buttons where the flow says so, and a form only where words are the answer.

Asserted by structure (embeds' fields, components, styles, custom ids), never by the
bot's English; run with the real discord.py client against the fake Discord.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from adapters.discord_bot.forms import ANSWER_KIND, PASTE_KIND
from bot.events import BACK_ID, SKIP_ID, ButtonPress
from flows.facts import FACTS
from tests import discord_chat
from tests.conformance.discord_driver import discord_bot
from tests.discord_chat import PASTED, SHOP, Bot, Person, has_form, options_on
from tests.fakes.discord import DEFERRED_UPDATE, UPDATE, Message

fake, bot = discord_chat.fake, discord_chat.bot

SECONDARY, PRIMARY, SUCCESS, DANGER = 2, 1, 3, 4
"""Discord's button styles: grey, blurple, green, red."""
FACT_LABELS = {fact.label for fact in FACTS}


def styles(message: Message) -> dict[str, int]:
    """Each button's engine option id (the end of its custom id) and its style."""
    return {b["custom_id"].rsplit("|", 1)[-1]: b["style"] for b in message.buttons()}


def fields(message: Message) -> dict[str, str]:
    return {one["name"]: one["value"] for embed in message.embeds for one in embed["fields"]}


async def at_review(person: Person) -> Message:
    await person.slash("new")
    await person.submit(await person.opens(PASTE_KIND), order_text=PASTED)
    await person.press("pick:damaged")
    await person.press("pick:replacement")
    return person.prompt()


async def test_presses_move_one_message_on_instead_of_piling_up_new_ones(bot: Bot) -> None:
    ana = Person(bot, "ana", in_server=True)
    opened = await ana.slash("new")
    [question] = opened.messages
    for option in (SHOP, "pick:damaged", "pick:merchant"):
        pressed = await ana.press(option)
        assert pressed.callbacks == [UPDATE] and pressed.in_place
        assert pressed.messages[0].id == question.id
    assert question.edits == 3
    date = question
    assert has_form(date, ANSWER_KIND), "a date is typed: its form button is there"
    answered = await ana.answer(delivery_date="2 days ago")
    assert answered.in_place and answered.messages[0].id == question.id, "a form's answer too"
    assert all(message.ephemeral for message in ana.last.messages)


async def test_the_review_is_an_embed_with_a_field_per_fact_and_a_green_all_correct(
    bot: Bot,
) -> None:
    bea = Person(bot, "bea")
    review = await at_review(bea)
    [embed] = review.embeds
    assert embed["title"] and not review.content
    shown = fields(review)
    assert set(shown) <= FACT_LABELS and len(shown) >= 10
    assert "113-9876543-7654321" in shown.values()
    buttons = styles(review)
    assert buttons["do:confirm"] == SUCCESS
    assert buttons[BACK_ID] == SECONDARY
    [menu] = review.selects()
    values = [option["value"].rsplit("|", 1)[-1] for option in menu["options"]]
    assert all(value.startswith("edit:") for value in values), "corrections in one menu"
    assert len(values) == len(shown)
    item = await bea.press("edit:item")  # a correction chosen in the menu: typed, so a form
    assert item.in_place
    assert {"a", "g"} & {b["custom_id"][3] for b in bea.prompt().buttons()}


async def test_a_choice_of_more_than_five_is_a_select_menu_with_skip_and_back_as_buttons(
    bot: Bot,
) -> None:
    cy = Person(bot, "cy")
    await cy.slash("new")
    await cy.press("pick:amazon")
    problem = cy.prompt()
    [menu] = problem.selects()
    assert len(menu["options"]) > 5
    assert set(styles(problem)) == {SKIP_ID, BACK_ID}, "only skip and back stay buttons"
    assert not any(b["custom_id"].startswith("fs:a:") for b in problem.buttons()), (
        "a choice question has no answer form"
    )
    await cy.press("pick:late")
    record = await bot.store.load(cy.key.person)
    assert record.cases["c1"]["facts"]["problem"] == "late"


async def test_the_ladder_and_the_script_are_embeds(bot: Bot) -> None:
    dee = Person(bot, "dee", in_server=True)
    await at_review(dee)
    await dee.press("do:confirm")
    await dee.press("do:need_help")
    channels = [option for option in dee.options() if option.startswith("channel:")]
    await dee.press(channels[0])
    script, buttons = dee.last.messages
    assert script.embeds and not script.content and not script.components
    sections = fields(script)
    assert len(sections) >= 5
    assert all(len(value) <= 1024 for value in sections.values())
    assert styles(buttons)["do:log"] == PRIMARY, "the script's buttons under it"
    await dee.slash("escalate")
    ladder = dee.prompt()
    rungs = [
        button["label"]
        for button in ladder.buttons()
        if button["custom_id"].partition("|")[2].startswith("do:climb_")
    ] + [
        entry["label"]
        for menu in ladder.selects()
        for entry in menu["options"]
        if entry["value"].partition("|")[2].startswith("do:climb_")
    ]
    assert rungs and set(rungs) <= set(fields(ladder)), "a field for every rung offered"


async def test_deleting_everything_is_the_red_button(bot: Bot) -> None:
    eve = Person(bot, "eve")
    await eve.slash("new")
    await eve.slash("forget")
    offered = styles(eve.prompt())
    assert DANGER in offered.values()
    danger = next(option for option, style in offered.items() if style == DANGER)
    await eve.press(danger)
    assert (await bot.store.load(eve.key.person)).is_empty()


@pytest.mark.parametrize("in_server", [False, True])
async def test_a_stale_press_leaves_its_message_and_shows_the_live_question_once(
    bot: Bot, in_server: bool
) -> None:
    """Scrolling back after a press on an old message: the old message still shows what
    it asked, the notice has no buttons, and the live question is in one message only."""
    ida = Person(bot, "ida", in_server=in_server)
    [old] = (await ida.slash("new")).messages
    asked_then = copy.deepcopy((old.content, old.embeds, old.components))
    [live] = (await ida.slash("status")).messages
    await ida.press("pick:amazon", on=live)
    live_options = options_on([live])
    assert live_options and SHOP not in live_options, "the problem question, asked in place"
    other = next(option for option in options_on([old]) if option != SHOP)
    stale = await ida.press(other, on=old)
    assert stale.callbacks == [DEFERRED_UPDATE], "acknowledged, the message not edited"
    assert (old.content, old.embeds, old.components) == asked_then
    [notice] = stale.followups
    assert notice.buttons() == [] and notice.ephemeral == in_server
    assert live.content not in notice.content
    shown = [m for m in bot.fake.messages.values() if m.channel_id == int(ida.channel["id"])]
    assert [m.id for m in shown if options_on([m]) == live_options] == [live.id]
    assert [m.id for m in shown if m.content == live.content] == [live.id]
    assert options_on([live]) == live_options, "the live question keeps its buttons"


async def test_the_conformance_driver_chooses_a_long_choice_s_option_in_its_menu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The adapter suite presses options by id; on Discord, one of more than five is an
    entry in a select menu, chosen as Discord sends it (component type 3, its values)."""
    async with discord_bot(tmp_path, monkeypatch) as driver:
        await driver.command("new")
        await driver.type("Corner Books")
        choice = driver.engine.button("pick:damaged")
        [menu] = copy.deepcopy(driver.person.prompt()).selects()
        assert len(menu["options"]) > 5
        await driver.press("pick:damaged")
        chosen = driver.person.last
        assert chosen.data == {
            "custom_id": menu["custom_id"],
            "component_type": 3,
            "values": [choice.data],
        }
        event = driver.engine.events[-1]
        assert isinstance(event, ButtonPress) and event.data == choice.data
