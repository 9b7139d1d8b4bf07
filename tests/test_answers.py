"""Answers inside sentences: an order number, a day or an amount among other words, and
every reading when there are two, so that the dialogue asks instead of guessing."""

from __future__ import annotations

from datetime import date

import pytest

from flows.answers import find_amount, find_date, find_order_number
from flows.parsers import ParseError
from flows.playbook import load_playbook

TODAY = date(2026, 11, 11)  # a Wednesday
AMAZON = load_playbook("amazon").order_number


def options(found: object) -> tuple[object, ...] | None:
    return None if found is None else found.options  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text",
    [
        "Order #116-4408837-1190256 😀",
        "it's **116-4408837-1190256**!",
        "my order number is 116 4408837 1190256, thanks",
        "order 116\u20114408837\u20111190256 (from the app)",  # non-breaking hyphens
        "11644088371190256",
    ],
)
def test_an_amazon_order_number_anywhere_in_a_message(text: str) -> None:
    assert options(find_order_number(text, AMAZON)) == ("116-4408837-1190256",)


def test_two_amazon_order_numbers_are_both_offered() -> None:
    found = find_order_number("either 112-3456789-0123456 or 113-9876543-7654321", AMAZON)
    assert options(found) == ("112-3456789-0123456", "113-9876543-7654321")
    assert find_order_number("I don't have it", AMAZON) is None


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Order #W123-4567 🙂", "W123-4567"),
        ("the number is 12-03456-78901 on eBay", "12-03456-78901"),
        ("bestellnummer: A-99812", "A-99812"),
        ("It's BBY01-806123456789", "BBY01-806123456789"),
    ],
)
def test_another_shops_order_number_inside_a_message(text: str, number: str) -> None:
    assert options(find_order_number(text)) == (number,)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("got it on the 3rd", "2026-11-03"),
        ("last Tuesday I think", "2026-11-10"),
        ("it came yesterday, finally", "2026-11-10"),
        ("about 2 weeks ago", "2026-10-28"),
        ("a couple of days ago", "2026-11-09"),
        ("the day before yesterday", "2026-11-09"),
        ("I ordered it on Nov 2 in the evening", "2026-11-02"),
        ("on the 2nd of November", "2026-11-02"),
        ("ordered 2026-10-30, I believe", "2026-10-30"),
        ("on Monday", "2026-11-09"),
    ],
)
def test_a_day_inside_a_sentence(text: str, day: str) -> None:
    assert options(find_date(text, TODAY)) == (day,)


def test_a_day_of_the_month_alone_is_the_near_one_or_asked() -> None:
    assert options(find_date("due on the 15th", TODAY, allow_future=True)) == ("2026-11-15",)
    assert options(find_date("due on the 3rd", TODAY, allow_future=True)) == ("2026-11-03",)
    both = find_date("it should come on the 26th", TODAY, allow_future=True)
    assert options(both) == ("2026-10-26", "2026-11-26")


def test_two_days_or_an_unclear_numeric_day_give_every_reading() -> None:
    assert options(find_date("ordered Nov 2, arrived Nov 5", TODAY)) == (
        "2026-11-02",
        "2026-11-05",
    )
    assert set(options(find_date("it was 02/11 I think", TODAY)) or ()) == {
        "2026-11-02",
        "2026-02-11",
    }


def test_words_that_only_look_like_days_are_not_days() -> None:
    for text in ("it sat on the porch", "I may return it", "3.5 stars at best", "$49.99"):
        assert find_date(text, TODAY) is None, text


def test_a_day_still_to_come_is_refused_with_the_parsers_reason() -> None:
    with pytest.raises(ParseError):
        find_date("I think it was next Friday", TODAY)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("about $50", {"amount": "50.00", "currency": "USD"}),
        ("I paid 49,99 € for it", {"amount": "49.99", "currency": "EUR"}),
        ("it was £18.49 in the end", {"amount": "18.49", "currency": "GBP"}),
        ("around 30 bucks", {"amount": "30.00", "currency": "USD"}),
        ("paid 49.99", {"amount": "49.99", "currency": None}),
    ],
)
def test_an_amount_with_words_around_it(text: str, amount: dict[str, str | None]) -> None:
    assert options(find_amount(text)) == (amount,)


def test_an_amount_and_its_shipping_are_offered_with_their_sum() -> None:
    found = find_amount("$49.99 plus $5 shipping")
    assert options(found) == (
        {"amount": "49.99", "currency": "USD"},
        {"amount": "5.00", "currency": "USD"},
        {"amount": "54.99", "currency": "USD"},
    )


def test_two_amounts_not_added_up_are_offered_without_a_sum() -> None:
    found = find_amount("I paid $50 but they refunded $20")
    assert options(found) == (
        {"amount": "50.00", "currency": "USD"},
        {"amount": "20.00", "currency": "USD"},
    )


def test_a_number_in_a_word_or_a_date_is_no_amount() -> None:
    assert find_amount("no idea") is None
    assert find_amount("the 3rd") is None
    assert find_amount("on 11/02") is None
