"""Typed words that press the buttons on offer, and only those."""

from __future__ import annotations

import pytest

from flows.intents import pressed
from flows.prompt import Choice
from flows.reply import BACK, SKIP

OUTCOMES = [
    Choice("pick:refund", "A refund"),
    Choice("pick:replacement", "A replacement"),
    Choice("pick:store_credit", "Store credit"),
    SKIP,
    BACK,
]
CHANNELS = [
    Choice("channel:chat", "Live chat"),
    Choice("channel:phone", "Phone (callback)"),
    Choice("channel:email", "Email"),
    BACK,
]
REVIEW = [Choice("do:confirm", "✅ All correct"), BACK, Choice("edit:item", "✏️ Item")]
SELLERS = [
    Choice("pick:merchant", "Sold by Amazon"),
    Choice("pick:third_party", "A third-party seller"),
    Choice("pick:third_party_fba", "A seller, shipped by Amazon"),
    SKIP,
    BACK,
]


def value(text: str, choices: list[Choice]) -> str | None:
    found = pressed(text, choices)
    return None if found is None else found.value


@pytest.mark.parametrize(
    "text",
    ["skip", "Skip it", "I don't have it", "I don't have it at hand", "no idea", "not sure",
     "Not sure, sorry", "dunno 🤷", "I don't know", "don\u2019t have the number with me"],
)  # fmt: skip
def test_words_that_skip(text: str) -> None:
    assert value(text, OUTCOMES) == SKIP.value


@pytest.mark.parametrize("text", ["yes", "Yes!", "looks good", "correct", "yep, all good"])
def test_words_that_confirm(text: str) -> None:
    assert value(text, REVIEW) == "do:confirm"


def test_back_goes_back() -> None:
    assert value("back", OUTCOMES) == BACK.value
    assert value("go back", REVIEW) == BACK.value


@pytest.mark.parametrize(
    ("text", "choices", "expected"),
    [
        ("phone", CHANNELS, "channel:phone"),
        ("by phone", CHANNELS, "channel:phone"),
        ("chat", CHANNELS, "channel:chat"),
        ("a refund", OUTCOMES, "pick:refund"),
        ("Refund!", OUTCOMES, "pick:refund"),
        ("store credit", OUTCOMES, "pick:store_credit"),
        ("third party", SELLERS, "pick:third_party"),
        ("sold by amazon", SELLERS, "pick:merchant"),
        ("item", REVIEW, "edit:item"),
    ],
)
def test_an_options_name_presses_it(text: str, choices: list[Choice], expected: str) -> None:
    assert value(text, choices) == expected


def test_nothing_is_pressed_that_is_not_on_offer_or_fits_two() -> None:
    assert value("skip", CHANNELS) is None  # no skip button here
    assert value("yes", OUTCOMES) is None  # nothing to confirm
    assert value("a", OUTCOMES) is None
    assert value("Blue kettle", OUTCOMES) is None
    assert value("", OUTCOMES) is None
    two = [Choice("pick:a", "Phone call"), Choice("pick:b", "Phone chat")]
    assert value("phone", two) is None
    assert value("amazon", SELLERS) is None  # sold by Amazon, or shipped by Amazon?
