"""The prompt as data: every reply that asks something says what it asks by ids and
kinds, so adapters (and these tests) never read its English."""

from __future__ import annotations

import json

from bot.events import BACK_ID, SKIP_ID, ButtonStyle, InputKind, Outbound, Prompt
from flows.facts import FACTS
from tests.chat import Chat, Story, answer, tell


def asked(chat: Chat) -> Prompt:
    prompt = chat.replies[-1].prompt
    assert prompt is not None, chat.last_text()
    return prompt


def options(message: Outbound) -> dict[str, ButtonStyle]:
    return {button.option: button.style for row in message.buttons for button in row}


async def test_each_fact_question_says_its_id_and_kind() -> None:
    chat = Chat()
    await chat.say("/new")
    kinds = {}
    story = Story()
    for _ in FACTS:  # each question once at most: an answer not taken fails, not loops
        if (prompt := asked(chat)).step != "gathering":
            break
        assert prompt.question is not None
        assert prompt.question.id not in kinds, f"{prompt.question.id} asked again"
        kinds[prompt.question.id] = prompt.question.kind
        assert prompt.kind == prompt.question.kind
        assert prompt.skip
        assert SKIP_ID in options(chat.replies[-1])
        await answer(chat, getattr(story, prompt.question.id))
    assert kinds["problem"] == InputKind.CHOICE
    assert kinds["delivery_date"] == InputKind.DATE
    assert asked(chat).step == "review"
    for fact, kind in (
        ("order_number", InputKind.TEXT),
        ("order_date", InputKind.DATE),
        ("amount", InputKind.AMOUNT),
    ):
        await chat.press_option(f"edit:{fact}")  # the optional facts, added from the review
        prompt = asked(chat)
        assert prompt.question is not None and prompt.question.id == fact
        assert prompt.kind == kind
        await chat.press_option("skip")


async def test_the_first_question_has_no_back_and_the_second_has() -> None:
    chat = Chat()
    await chat.say("/new")
    assert not asked(chat).back
    await chat.press_option("pick:amazon")
    assert asked(chat).back and BACK_ID in options(chat.replies[-1])


async def test_a_typed_question_says_its_kind() -> None:
    chat = Chat()
    await chat.say("/new")
    await chat.press_option("pick:amazon")
    await chat.press_option("pick:damaged")
    await chat.press_option("pick:merchant")
    prompt = asked(chat)
    assert prompt.question is not None and prompt.question.id == "delivery_date"
    assert prompt.kind == InputKind.DATE and prompt.typed


async def test_the_review_confirms_in_green_and_dropping_is_red() -> None:
    chat = Chat()
    await tell(chat)
    prompt = asked(chat)
    assert (prompt.step, prompt.kind) == ("review", InputKind.CONFIRM)
    assert options(chat.replies[-1])["do:confirm"] == ButtonStyle.SUCCESS
    await chat.say("/cancel")
    assert asked(chat).step == "case_menu"
    assert options(chat.replies[-1])["do:drop"] == ButtonStyle.DANGER
    await chat.press_option("do:drop")
    prompt = asked(chat)
    assert (prompt.step, prompt.kind) == ("confirm_drop", InputKind.CONFIRM)
    assert options(chat.replies[-1])["do:confirm"] == ButtonStyle.DANGER


async def test_the_session_own_prompts_have_steps() -> None:
    chat = Chat()
    await chat.say("/start")
    assert asked(chat).step == "welcome"
    assert options(chat.replies[-1])["new"] == ButtonStyle.PRIMARY
    await chat.say("/forget")
    prompt = asked(chat)
    assert (prompt.step, prompt.kind) == ("forget", InputKind.CONFIRM)
    assert options(chat.replies[-1])["forget:yes"] == ButtonStyle.DANGER


async def test_a_reply_that_asks_nothing_has_no_prompt() -> None:
    chat = Chat()
    await chat.say("/help")
    assert [message.prompt for message in chat.replies] == [None]


async def test_every_prompt_of_a_case_survives_the_outbox_as_json() -> None:
    """Replies wait in the outbox as JSON; what they ask must come back whole."""
    chat = Chat()
    await tell(chat)
    await chat.press_option("do:confirm")
    prompts = [m.prompt for turn in chat.history for m in turn if m.prompt is not None]
    assert len({prompt.step for prompt in prompts}) >= 3
    for prompt in prompts:
        assert Prompt.from_json(json.loads(json.dumps(prompt.to_json()))) == prompt
