"""Pasted order texts, read into facts: each shop's confirmation, dispatch email and order
page (written for these tests in the shape those shops use, in tests/orders/), and the
texts that allow two readings, which must come back as two readings and never as one."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from flows.intake import (
    CONFIRMATION,
    DISPATCH,
    ORDER_PAGE,
    is_order_text,
    message_text,
    read_order_text,
)
from flows.storefronts import storefronts

TODAY = date(2026, 11, 11)
ORDERS = Path(__file__).parent / "orders"


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


def amazon(storefront: str) -> dict[str, Any]:
    return {"merchant": {"playbook": "amazon", "name": "Amazon"}, "storefront": storefront}


def shop(name: str, storefront: str) -> dict[str, Any]:
    """A shop with a playbook of its own (eBay, Walmart, Best Buy, Target)."""
    playbook = storefronts()[storefront].shop
    return {"merchant": {"playbook": playbook, "name": name}, "storefront": storefront}


EXPECTED: dict[str, tuple[str, dict[str, Any]]] = {
    "amazon_us_confirmation.eml": (
        CONFIRMATION,
        {
            **amazon("amazon.com"),
            "order_number": "112-3456789-0123456",
            "order_date": "2026-11-02",  # the email's own date: it confirms the order
            "delivery_date": "2026-11-05",
            "item": "Blue Electric Kettle 1.7L, Stainless Steel, Auto Shut-Off",
            "amount": usd("54.37"),  # the order total, not the item price or the subtotal
            "seller": "third_party",
            "seller_name": "KitchenPro Direct",
        },
    ),
    "amazon_us_shipped.txt": (
        DISPATCH,
        {
            **amazon("amazon.com"),
            "order_number": "113-9876543-7654321",
            "delivery_date": "2026-11-12",  # the latest day of the estimate
            "item": "Wireless Noise Cancelling Headphones, Black",
            "amount": usd("129.99"),
            "seller": "merchant",
        },
    ),
    "amazon_us_order_page.txt": (
        ORDER_PAGE,
        {
            **amazon("amazon.com"),  # no shop named: the 3-7-7 order number is Amazon's
            "order_number": "114-2233445-5566778",
            "order_date": "2026-10-28",
            "delivery_date": "2026-11-03",  # delivered, not the return window's end
            "item": "Ceramic Plant Pots, Set of 3, White",
            "amount": usd("32.37"),
            "seller": "third_party",
            "seller_name": "GreenNest Home",
        },
    ),
    "amazon_uk_dispatched.eml": (
        DISPATCH,
        {
            **amazon("amazon.co.uk"),
            "order_number": "204-5566778-8899001",
            "delivery_date": "2026-11-06",
            "item": "Stainless Steel Water Bottle 750ml, Leak-Proof, Graphite",
            "amount": {"amount": "18.49", "currency": "GBP"},
            "seller": "third_party",
            "seller_name": "HydroGoods UK",
            "fulfilled_by": "merchant",
        },
    ),
    "amazon_de_bestellung.eml": (
        CONFIRMATION,
        {
            **amazon("amazon.de"),
            "order_number": "302-1234567-7654321",
            "order_date": "2026-11-02",
            "delivery_date": "2026-11-05",
            "item": "Kaffeemühle elektrisch, Edelstahl, 200 W",
            "amount": {"amount": "39.99", "currency": "EUR"},
            "seller": "third_party",
            "seller_name": "Küchenwelt Handels GmbH",
        },
    ),
    "amazon_de_versand.txt": (
        DISPATCH,
        {
            **amazon("amazon.de"),
            "order_number": "028-7777777-1111111",
            "delivery_date": "2026-11-06",
            "item": "Bluetooth-Lautsprecher, wasserdicht, Blau",
            "amount": {"amount": "29.99", "currency": "EUR"},
            "seller": "merchant",
        },
    ),
    "ebay_confirmed.eml": (
        CONFIRMATION,
        {
            **shop("eBay", "ebay.com"),
            "order_number": "12-03456-78901",
            "order_date": "2026-11-01",
            "delivery_date": "2026-11-09",
            "item": "Vintage Brass Desk Lamp, 1970s, Working",
            "amount": usd("43.50"),
            "seller": "third_party",
            "seller_name": "retro_finds_shop",
        },
    ),
    "walmart_confirmation.txt": (
        CONFIRMATION,
        {
            **shop("Walmart", "walmart.com"),
            "order_number": "2000123-45678901",
            "order_date": "2026-11-02",
            "delivery_date": "2026-11-05",
            "item": "Mainstays 12-Cup Coffee Maker, Black",
            "amount": usd("26.62"),
            "seller": "merchant",
        },
    ),
    "walmart_marketplace.txt": (
        DISPATCH,
        {
            **shop("Walmart", "walmart.com"),
            "order_number": "200012345678901",
            "delivery_date": "2026-11-09",
            "item": "Kids Balance Bike, 12 inch, Red",
            "amount": usd("64.19"),
            "seller": "third_party",
            "seller_name": "SpeedyToys LLC",
        },
    ),
    "bestbuy_confirmation.txt": (
        CONFIRMATION,
        {
            **shop("Best Buy", "bestbuy.com"),
            "order_number": "BBY01-806123456789",
            "order_date": "2026-11-01",
            "delivery_date": "2026-11-04",
            "item": "Insignia 32-inch Class F20 Series Smart HD TV",
            "amount": usd("96.29"),
        },
    ),
    "target_confirmation.txt": (
        CONFIRMATION,
        {
            **shop("Target", "target.com"),
            "order_number": "102000987654321",
            "order_date": "2026-11-02",
            "delivery_date": "2026-11-06",
            "item": "Threshold Woven Throw Blanket, Gray",
            "amount": usd("32.25"),
            "seller": "merchant",
        },
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_shops_order_text_gives_every_fact_it_holds(name: str) -> None:
    kind, facts = EXPECTED[name]
    found = read_order_text((ORDERS / name).read_text(encoding="utf-8"), TODAY)
    assert found.facts() == facts
    assert found.unsure() == []
    assert found.kind == kind
    assert is_order_text(found)


def test_every_fixture_is_checked() -> None:
    assert {path.name for path in ORDERS.iterdir()} == {*EXPECTED, "amazon_us_two_items.txt"}


def test_two_items_give_two_readings_of_what_differs_between_them() -> None:
    found = read_order_text((ORDERS / "amazon_us_two_items.txt").read_text(), TODAY)
    unsure = {reading.fact: reading.options for reading in found.unsure()}
    assert unsure == {
        "item": ("Garden Hose Nozzle, 8 Patterns", "Solar Path Lights, 12 Pack"),
        "delivery_date": ("2026-11-06", "2026-11-10"),
        "seller": ("merchant", "third_party"),
        "amount": (usd("12.99"), usd("36.50"), usd("52.81")),
    }
    assert found.facts()["order_number"] == "111-2222333-4445556"
    assert "seller_name" not in found.facts()  # whose name it is depends on the item


def test_a_weekday_that_does_not_fit_the_date_leaves_the_date_out() -> None:
    text = "Your Amazon.com order #112-3456789-0123456\nArriving: Thursday, November 6\n"
    found = read_order_text(text + "Order Total: $20.00\n", TODAY)
    assert "delivery_date" not in found.facts()
    assert found.get("delivery_date") is None


def test_numeric_dates_follow_the_storefront_and_are_asked_when_it_is_unknown() -> None:
    us = "Walmart.com\nOrder# 2000123-45678901\nOrder date: 11/02/2026\nTotal $5.00\n"
    uk = "Amazon.co.uk\nOrder #204-5566778-8899001\nOrder date: 11/02/2026\nOrder Total: £5.00\n"
    nowhere = "Order #W-1234\nOrder date: 11/02/2026\nTotal 5.00\n"
    assert read_order_text(us, TODAY).facts()["order_date"] == "2026-11-02"
    assert read_order_text(uk, TODAY).facts()["order_date"] == "2026-02-11"
    reading = read_order_text(nowhere, TODAY).get("order_date")
    assert reading is not None and set(reading.options) == {"2026-11-02", "2026-02-11"}


def test_today_and_tomorrow_count_from_the_emails_date_and_are_left_out_without_one() -> None:
    body = "Your package has shipped!\nArriving tomorrow\nOrder # 113-9876543-7654321\n"
    sent = "Subject: Shipped\nDate: Fri, 6 Nov 2026 08:00:00 -0500\n" + body
    assert read_order_text(sent, TODAY).facts()["delivery_date"] == "2026-11-07"
    assert "delivery_date" not in read_order_text(body, TODAY).facts()


def test_a_text_naming_two_shops_alike_gives_both() -> None:
    text = "Order from ebay.com\nOrder number: 12-03456-78901\nSee also amazon.com deals\n"
    reading = read_order_text(text, TODAY).get("merchant")
    assert reading is not None
    assert [option["name"] for option in reading.options] == ["eBay", "Amazon"]


def test_the_subject_gives_the_item_when_the_body_does_not_and_not_when_more_are_hidden() -> None:
    one = (
        'Subject: Your Amazon.com order of "Blue Kettle" has shipped\n\nOrder #112-3456789-0123456'
    )
    more = 'Subject: Your Amazon.com order of "Blue Kettle" and 2 more items\n\nOrder #112-3456789-0123456'
    assert read_order_text(one, TODAY).facts()["item"] == "Blue Kettle"
    assert "item" not in read_order_text(more, TODAY).facts()


def test_ordinary_messages_are_not_order_texts() -> None:
    for text in ("It arrived broken", "Amazon", "112-3456789-0123456", "$49.99 plus $5 shipping"):
        assert not is_order_text(read_order_text(text, TODAY))


def test_an_email_file_is_read_as_its_text() -> None:
    raw = (ORDERS / "amazon_de_bestellung.eml").read_bytes()
    text = message_text(raw)
    assert "Kaffeemühle elektrisch" in text
    assert text.startswith("Subject: Ihre Amazon.de Bestellung")
    assert message_text("plain words") == "plain words"


def test_any_text_is_read_without_error() -> None:
    for text in ("", "\x00\ud800", "Order #" * 5000, "€" * 100_000, "Date: garbage\nSubject:"):
        read_order_text(text, TODAY)
