"""From /start to a script in a few inputs: a pasted order email fills the facts it holds,
answers are found inside sentences, typed words press the buttons, and only what changes
the advice is asked (the rest is offered in the review). Every input a person makes is
counted, per problem type, and everything is checked by what is stored and offered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flows.dialogue import Dialogue
from flows.playbook import load_playbook
from tests.chat import START, Chat

ORDERS = Path(__file__).parent / "orders"
PROBLEMS = [f"pick:{problem.id}" for problem in load_playbook("amazon").problems]


def pasted(name: str) -> str:
    return (ORDERS / name).read_text(encoding="utf-8")


def values(chat: Chat) -> list[str]:
    """The values of the buttons on offer (what a press would send), stamps left out."""
    return [button.data.partition("|")[2] for button in chat.buttons()]


async def first_channel(chat: Chat) -> None:
    """Press the channel ranked first for the case (a seller's message, when it is theirs)."""
    button = next(b for b in chat.buttons() if b.data.partition("|")[2].startswith("channel:"))
    await chat.press_data(button.data)


async def case(chat: Chat) -> dict[str, Any]:
    return await chat.record()


async def at_question(chat: Chat) -> str | None:
    record = await case(chat)
    return record["question"] if record["state"] == "gathering" else None


# -- counting inputs ---------------------------------------------------------------------------


@pytest.mark.parametrize("problem", PROBLEMS)
async def test_a_pasted_order_email_reaches_a_script_in_six_inputs(problem: str) -> None:
    chat = Chat()
    await chat.say("/start")
    await chat.say(pasted("amazon_us_confirmation.eml"))
    await chat.press_option(problem)
    await chat.press_option("pick:refund")
    await chat.press_option("do:confirm")
    await first_channel(chat)

    assert len(chat.history) <= 6
    record = await case(chat)
    assert record["state"] == "preparing"
    assert record["channel"] == "seller_message", "a third-party seller is contacted first"
    assert record["facts"]["order_number"] == "112-3456789-0123456"
    assert record["facts"]["amount"] == {"amount": "54.37", "currency": "USD"}


@pytest.mark.parametrize("problem", PROBLEMS)
async def test_typed_answers_reach_a_script_in_eight_inputs(problem: str) -> None:
    chat = Chat()
    await chat.say("/start")
    assert values(chat) == ["new:amazon", "new"]
    await chat.press_option("new:amazon")
    assert "pick:amazon" not in values(chat), "the shop question is answered, not shown"
    await chat.press_option(problem)
    await chat.press_option("pick:third_party")
    await chat.say("2 days ago")
    await chat.press_option("pick:replacement")
    await chat.say("looks good")
    await first_channel(chat)

    assert len(chat.history) <= 8
    record = await case(chat)
    assert record["state"] == "preparing"
    assert record["confirmed"]


@pytest.mark.parametrize("problem", ["pick:late", "pick:charge"])
async def test_another_shop_typed_also_reaches_a_script_in_eight_inputs(problem: str) -> None:
    chat = Chat()
    await chat.say("/start")
    await chat.press_option("new")
    await chat.say("Corner Books")
    await chat.press_option(problem)
    await chat.say("last Tuesday I think")
    await chat.press_option("pick:explanation")
    await chat.press_option("do:confirm")
    await chat.press_option("channel:phone")

    assert len(chat.history) <= 8
    record = await case(chat)
    assert record["state"] == "preparing"
    assert record["facts"]["delivery_date"] == "2026-11-10"


# -- a paste -----------------------------------------------------------------------------------


async def test_a_paste_fills_every_fact_it_holds_and_asks_the_rest() -> None:
    chat = Chat()
    await chat.say("/new")
    await chat.say(pasted("amazon_uk_dispatched.eml"))

    record = await case(chat)
    assert record["facts"] == {
        "merchant": {"playbook": "amazon", "name": "Amazon", "storefront": "amazon.co.uk"},
        "order_number": "204-5566778-8899001",
        "delivery_date": "2026-11-06",
        "item": "Stainless Steel Water Bottle 750ml, Leak-Proof, Graphite",
        "amount": {"amount": "18.49", "currency": "GBP"},
        "seller": "third_party_fba",  # sold by a seller, fulfilled by Amazon
    }
    assert record["question"] == "problem"
    assert any(entry["kind"] == "pasted" for entry in record["timeline"])
    assert Dialogue(record, START).country == "GB"  # its business days are the UK's


async def test_an_order_email_sent_with_no_case_open_starts_one() -> None:
    chat = Chat()
    await chat.say(pasted("walmart_confirmation.txt"))
    record = await case(chat)
    assert record["facts"]["merchant"]["name"] == "Walmart"
    assert record["facts"]["order_number"] == "2000123-45678901"
    assert record["question"] == "problem"


async def test_two_readings_in_a_paste_are_asked_with_both_as_buttons() -> None:
    chat = Chat()
    await chat.say("/new")
    await chat.say(pasted("amazon_us_two_items.txt"))
    record = await case(chat)
    assert set(record["readings"]) == {"seller", "delivery_date", "item", "amount"}
    assert "item" not in record["facts"]

    await chat.press_option("pick:damaged")
    assert await at_question(chat) == "seller"
    assert "reading:0" not in values(chat), "the seller's own buttons are the readings"
    await chat.press_option("pick:third_party")
    assert await at_question(chat) == "delivery_date"
    assert values(chat)[:2] == ["reading:0", "reading:1"]
    await chat.press_option("reading:1")
    assert await at_question(chat) == "item"
    await chat.press_option("reading:1")
    assert await at_question(chat) == "amount"
    assert values(chat)[:3] == ["reading:0", "reading:1", "reading:2"]
    await chat.press_option("reading:1")
    assert await at_question(chat) == "outcome"

    facts = (await case(chat))["facts"]
    assert facts["delivery_date"] == "2026-11-10"
    assert facts["item"] == "Solar Path Lights, 12 Pack"
    assert facts["amount"] == {"amount": "36.50", "currency": "USD"}
    assert (await case(chat))["readings"] == {}


async def test_a_paste_at_the_review_fills_the_facts_there() -> None:
    chat = Chat()
    await chat.say("/start")
    await chat.press_option("new:amazon")
    await chat.press_option("pick:late")
    await chat.press_option("pick:third_party")
    await chat.say("yesterday")
    await chat.press_option("pick:refund")
    assert (await case(chat))["state"] == "review"

    await chat.say(pasted("amazon_us_shipped.txt"))

    record = await case(chat)
    assert record["state"] == "review"
    assert record["facts"]["order_number"] == "113-9876543-7654321"
    assert record["facts"]["delivery_date"] == "2026-11-12"
    assert record["facts"]["seller"] == "merchant"


# -- answers inside sentences --------------------------------------------------------------------


async def at_the_delivery_date(chat: Chat) -> None:
    await chat.say("/new")
    await chat.press_option("pick:amazon")
    await chat.press_option("pick:late")
    await chat.press_option("pick:merchant")
    assert await at_question(chat) == "delivery_date"


async def at_the_review(chat: Chat) -> None:
    await at_the_delivery_date(chat)
    await chat.say("on the 3rd")
    await chat.press_option("pick:refund")
    assert (await case(chat))["state"] == "review"


@pytest.mark.parametrize(
    ("typed", "day"),
    [("got it on the 3rd", "2026-11-03"), ("last Tuesday I think", "2026-11-10")],
)
async def test_a_day_inside_a_sentence_answers_the_question(typed: str, day: str) -> None:
    chat = Chat()
    await at_the_delivery_date(chat)
    await chat.say(typed)
    assert (await case(chat))["facts"]["delivery_date"] == day
    assert await at_question(chat) == "outcome"


async def test_a_day_of_the_month_that_could_be_two_is_asked() -> None:
    chat = Chat()
    await at_the_delivery_date(chat)
    await chat.say("it should come on the 26th")
    assert await at_question(chat) == "delivery_date"
    assert values(chat)[:2] == ["reading:0", "reading:1"]
    await chat.press_option("reading:1")
    assert (await case(chat))["facts"]["delivery_date"] == "2026-11-26"


async def test_an_order_number_with_words_and_emoji_around_it_is_taken() -> None:
    chat = Chat()
    await at_the_review(chat)
    await chat.press_option("edit:order_number")
    await chat.say("Order #116-4408837-1190256 😀")
    record = await case(chat)
    assert record["facts"]["order_number"] == "116-4408837-1190256"
    assert record["state"] == "review"


async def test_an_amount_and_its_shipping_are_asked_which() -> None:
    chat = Chat()
    await at_the_review(chat)
    await chat.press_option("edit:amount")
    await chat.say("$49.99 plus $5 shipping")
    assert await at_question(chat) == "amount"
    assert values(chat)[:3] == ["reading:0", "reading:1", "reading:2"]
    await chat.press_option("reading:2")
    assert (await case(chat))["facts"]["amount"] == {"amount": "54.99", "currency": "USD"}
    assert (await case(chat))["state"] == "review"


async def test_an_amount_with_words_around_it_is_taken_in_the_storefronts_currency() -> None:
    chat = Chat()
    await chat.say("/new")
    await chat.say(pasted("amazon_de_versand.txt"))
    await chat.press_option("pick:damaged")
    await chat.press_option("pick:refund")
    await chat.press_option("edit:amount")
    await chat.say("about 30 in the end")
    assert (await case(chat))["facts"]["amount"] == {"amount": "30.00", "currency": "EUR"}


# -- words that work like the buttons ------------------------------------------------------------


@pytest.mark.parametrize("typed", ["skip", "I don't have it at hand", "no idea", "not sure"])
async def test_words_that_skip_a_question(typed: str) -> None:
    chat = Chat()
    await at_the_delivery_date(chat)
    await chat.say(typed)
    record = await case(chat)
    assert record["facts"]["delivery_date"] is None
    assert record["question"] == "outcome"


@pytest.mark.parametrize("typed", ["yes", "looks good", "correct"])
async def test_words_that_confirm_the_review(typed: str) -> None:
    chat = Chat()
    await at_the_review(chat)
    await chat.say(typed)
    record = await case(chat)
    assert (record["state"], record["confirmed"]) == ("self_service", True)


async def test_back_and_an_options_name_typed_press_them() -> None:
    chat = Chat()
    await at_the_delivery_date(chat)
    await chat.say("back")
    assert await at_question(chat) == "seller"
    await chat.say("amazon")  # fits "Sold by Amazon" and "A seller, shipped by Amazon"
    assert await at_question(chat) == "seller"
    await chat.say("sold by amazon")
    assert (await case(chat))["facts"]["seller"] == "merchant"
    await chat.say("yesterday")
    await chat.say("a refund")
    assert (await case(chat))["facts"]["outcome"] == "refund"
    await chat.say("yes")
    await chat.say("phone")
    record = await case(chat)
    assert (record["state"], record["channel"]) == ("preparing", "phone")


# -- what is asked, and what is offered -------------------------------------------------------------


async def test_facts_the_advice_does_not_need_are_offered_in_the_review() -> None:
    chat = Chat()
    await at_the_review(chat)
    record = await case(chat)
    assert set(record["facts"]) == {"merchant", "problem", "seller", "delivery_date", "outcome"}
    offered = values(chat)
    for fact in ("order_number", "order_date", "item", "amount", "what_happened", "urgency"):
        assert f"edit:{fact}" in offered


async def test_urgency_comes_from_the_problem_and_the_dates_unless_chosen() -> None:
    chat = Chat()
    await chat.say("/new")
    await chat.press_option("pick:amazon")
    await chat.press_option("pick:charge")
    await chat.press_option("pick:merchant")
    await chat.say("yesterday")
    await chat.press_option("pick:explanation")
    await chat.press_option("do:confirm")
    channels = [value for value in values(chat) if value.startswith("channel:")]
    assert channels[0] == "channel:phone", "a charge nobody agreed to is urgent: call"
    assert "urgency" not in (await case(chat))["facts"]


async def test_a_parcel_not_due_yet_is_not_urgent_and_a_chosen_urgency_wins() -> None:
    chat = Chat()
    await at_the_delivery_date(chat)
    await chat.say("Nov 20")
    await chat.press_option("pick:refund")
    await chat.press_option("do:confirm")
    channels = [value for value in values(chat) if value.startswith("channel:")]
    assert channels[0] == "channel:chat", "not late yet: no need to call"

    await chat.press_option("do:back")
    await chat.press_option("edit:urgency")
    await chat.press_option("pick:urgent")
    assert (await case(chat))["facts"]["urgency"] == "urgent"
    await chat.press_option("do:confirm")
    channels = [value for value in values(chat) if value.startswith("channel:")]
    assert channels[0] == "channel:phone"


async def test_the_prompt_says_where_a_paste_is_taken() -> None:
    """Platforms that need a place to paste (Discord's form) learn it from the prompt."""
    chat = Chat()
    await at_the_review(chat)
    assert chat.replies[-1].prompt is not None and not chat.replies[-1].prompt.paste
    await chat.press_option("edit:item")
    prompt = chat.replies[-1].prompt
    assert prompt is not None and prompt.paste
    await chat.say("Blue kettle")
    await chat.press_option("do:confirm")
    await chat.press_option("channel:chat")
    await chat.press_option("do:log")
    prompt = chat.replies[-1].prompt
    assert prompt is not None and prompt.step == "logging" and not prompt.paste
