"""The jurisdiction files (flows/jurisdictions/*.toml): each loads and is checked, names the
file and key when it is wrong, cites a source and a checked date for every rule, and its
windows open and close on the right days; the money-back routes follow the payment
method (Section 75 only for UK credit cards between its bounds); the country of a case is
told by its storefront, order number, currency or site, or asked."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from flows import advice, law
from flows.country import case_country, inferred_country, settle_country
from flows.jurisdiction import Jurisdiction, jurisdictions, parse_jurisdiction
from flows.playbook import load_playbook
from flows.schema import SchemaError

CHECKED = date(2026, 12, 2)
AMAZON = load_playbook("amazon")
GENERIC = load_playbook("generic")


def of(code: str) -> Jurisdiction:
    return jurisdictions()[code]


def gbp(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "GBP"}


# -- the files ---------------------------------------------------------------------------------


def test_the_us_uk_eu_and_canada_each_have_a_file() -> None:
    assert set(jurisdictions()) >= {"US", "GB", "DE", "EU", "CA"}
    for code, jurisdiction in jurisdictions().items():
        assert jurisdiction.file == f"{code.lower()}.toml"
        assert jurisdiction.last_rungs, code


@pytest.mark.parametrize("code", ["US", "GB", "DE", "EU", "CA"])
def test_every_rule_carries_a_source_and_the_date_it_was_checked(code: str) -> None:
    jurisdiction = of(code)
    for rule_id, rule in {**jurisdiction.rules, **jurisdiction.shop_rules}.items():
        assert rule.source.startswith("https://"), rule_id
        assert rule.checked == CHECKED, rule_id
    if code != "US":  # the generic playbook's own rules are the US's
        assert set(jurisdiction.shop_rules) == {
            "return_window",
            "delivery_estimate",
            "card_dispute_window",
        }
        assert jurisdiction.shop_rules["card_dispute_window"].days == 120
    assert set(jurisdiction.cited()) == set(jurisdiction.rules), "no rule stated for nothing"


FIGURES = {
    ("GB", "cra_short_term_reject"): (30, None),
    ("GB", "ccr_cancel"): (14, None),
    ("GB", "chargeback_uk"): (120, None),
    ("DE", "eu_withdrawal"): (14, None),
    ("DE", "eu_legal_guarantee"): (None, 2),
    ("CA", "ontario_late_delivery"): (30, None),
    ("CA", "ontario_chargeback"): (15, None),
    ("US", "fcba_letter"): (60, None),
}


@pytest.mark.parametrize(("where", "figure"), FIGURES.items())
def test_the_figures_are_the_law_s(where: tuple[str, str], figure: tuple[int, int]) -> None:
    rule = of(where[0]).rules[where[1]]
    assert (rule.days, rule.years) == figure


def test_section_75_is_for_uk_credit_cards_over_100_and_up_to_30000_pounds() -> None:
    route = of("GB").money_back["section_75"]
    assert route.payments == ("credit_card",)
    assert (route.above, route.up_to) == (100, 30000)
    assert of("GB").country.currency == "GBP"


def test_us_only_routes_and_rungs_live_in_the_us_file_alone() -> None:
    assert "fcba" in of("US").money_back
    assert {"state_ag", "ftc", "cfpb"} <= set(of("US").last_rungs)
    for code in ("GB", "DE", "CA"):
        assert "fcba" not in of(code).money_back
        assert not {"state_ag", "ftc", "cfpb"} & set(of(code).last_rungs)
    for playbook_id in ("amazon", "ebay", "walmart", "bestbuy", "target", "generic"):
        assert "fcba_letter" not in load_playbook(playbook_id).rules, playbook_id


MINIMAL = """
[country]
id = "XX"
name = "Nowhere"
currency = "XXX"

[last_rungs.court]
label = "Court"
how = "Go to court."
rules = ["court"]

[rules.court]
text = "Courts hear claims."
source = "https://example.org/court"
checked = 2026-12-02
"""


def test_a_minimal_file_loads() -> None:
    assert parse_jurisdiction(MINIMAL, "xx.toml").id == "XX"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (("[country]", "[country]\nflag = 'x'"), "country.flag"),
        (('rules = ["court"]', 'rules = ["courts"]'), "last_rungs.court.rules"),
        (("https://example.org/court", "example.org/court"), "rules.court.source"),
        (("checked = 2026-12-02", 'checked = "yesterday"'), "rules.court.checked"),
        (
            (
                "[last_rungs.court]",
                "[rights.cool_off]\nlabel = 'x'\nsays = 'x'\nrule = 'court'\nproblems = ['late']\n\n[last_rungs.court]",
            ),
            "rules.court",
        ),
        (
            (
                "[last_rungs.court]",
                "[money_back.pal]\nlabel = 'x'\nwhy = 'x'\npayments = ['paypal']\nwindow = 'pal'\n\n[last_rungs.court]",
            ),
            "money_back.pal.window",
        ),
        (
            (
                "[last_rungs.court]",
                "[money_back.pal]\nlabel = 'x'\nwhy = 'x'\npayments = ['paypal']\nwindow = 'court'\n\n[last_rungs.court]",
            ),
            "rules.court",
        ),
        (  # a right and a route with a window, one id: both deadlines would be law_pal
            (
                "[last_rungs.court]",
                "[rights.pal]\nlabel = 'x'\nsays = 'x'\nrule = 'days'\nproblems = ['late']\n\n"
                "[money_back.pal]\nlabel = 'x'\nwhy = 'x'\npayments = ['paypal']\nwindow = 'days'\n\n"
                "[rules.days]\ntext = 'x'\nsource = 'https://example.org/days'\n"
                "checked = 2026-12-02\ndays = 14\n\n[last_rungs.court]",
            ),
            "money_back.pal",
        ),
    ],
)
def test_a_bad_file_names_the_file_and_the_key(change: tuple[str, str], key: str) -> None:
    with pytest.raises(SchemaError) as raised:
        parse_jurisdiction(MINIMAL.replace(*change), "xx.toml")
    assert (raised.value.where, raised.value.key) == ("xx.toml", key)


# -- windows open and closed on given dates ---------------------------------------------------


def windows(
    code: str, problem: str, delivered: date, ordered: date | None = None
) -> dict[str, date]:
    return {w.right.id: w.day for w in law.right_windows(of(code), problem, delivered, ordered)}


def test_uk_right_to_reject_and_cancelling_count_from_delivery() -> None:
    found = law.right_windows(of("GB"), "damaged", date(2026, 11, 9), None)
    days = {w.right.id: w.day for w in found}
    assert days == {"cancel_online": date(2026, 11, 23), "short_term_reject": date(2026, 12, 9)}
    today = date(2026, 12, 2)
    assert {w.right.id: w.closed(today) for w in found} == {
        "cancel_online": True,
        "short_term_reject": False,
    }
    assert all(not w.closed(date(2026, 11, 23)) for w in found), "the last day is still open"


def test_uk_late_parcel_has_no_reject_window_and_a_return_has_only_cancelling() -> None:
    assert windows("GB", "late", date(2026, 11, 9)) == {}
    assert windows("GB", "return_issue", date(2026, 11, 9)) == {"cancel_online": date(2026, 11, 23)}


def test_eu_withdrawal_14_days_and_the_legal_guarantee_two_years_from_delivery() -> None:
    assert windows("DE", "wrong_item", date(2026, 11, 9)) == {
        "withdrawal": date(2026, 11, 23),
        "legal_guarantee": date(2028, 11, 9),
    }
    guarantee = law.right_windows(of("DE"), "damaged", date(2026, 11, 9), None)[-1]
    assert not guarantee.closed(date(2028, 11, 9)) and guarantee.closed(date(2028, 11, 10))
    # Two years from 29 February end on 28 February.
    assert windows("DE", "damaged", date(2028, 2, 29))["legal_guarantee"] == date(2030, 2, 28)


def test_canada_late_order_can_be_cancelled_from_30_days_after_its_date() -> None:
    found = law.right_windows(of("CA"), "late", date(2026, 10, 1), None)
    assert [(w.right.id, w.day, w.right.opens) for w in found] == [
        ("late_cancel", date(2026, 10, 31), True)
    ]
    assert not found[0].closed(date(2027, 6, 1)), "a window that opens does not close"
    assert windows("CA", "damaged", date(2026, 10, 1)) == {}


def test_the_us_gives_no_statutory_return_window() -> None:
    for problem in ("late", "damaged", "wrong_item", "return_issue"):
        assert windows("US", problem, date(2026, 11, 9)) == {}


# -- the money-back routes by payment method ------------------------------------------------------


def route_ids(code: str, **facts: Any) -> list[str]:
    return [found.route.id for found in law.routes(of(code), facts)]


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("150.00", ["section_75", "chargeback"]),
        ("100.00", ["chargeback"]),  # over £100, not at it
        ("100.01", ["section_75", "chargeback"]),
        ("30000.00", ["section_75", "chargeback"]),
        ("30000.01", ["chargeback"]),
    ],
)
def test_section_75_only_between_its_bounds(amount: str, expected: list[str]) -> None:
    assert route_ids("GB", payment="credit_card", amount=gbp(amount)) == expected


def test_section_75_without_a_price_is_offered_on_its_condition() -> None:
    found = law.routes(of("GB"), {"payment": "credit_card"})
    assert [f.route.id for f in found] == ["section_75", "chargeback"]
    assert "£100.00" in found[0].condition and "£30,000.00" in found[0].condition
    # A price in another currency is not a price in pounds.
    dollars = {"payment": "credit_card", "amount": {"amount": "500", "currency": "USD"}}
    assert law.routes(of("GB"), dollars)[0].condition


def test_each_payment_method_gets_its_own_routes() -> None:
    assert route_ids("GB", payment="debit_card", amount=gbp("150")) == ["chargeback"]
    assert route_ids("GB", payment="paypal", amount=gbp("150")) == ["paypal"]
    assert route_ids("GB", payment="bnpl") == ["bnpl"]
    assert route_ids("GB", payment="gift_card", amount=gbp("150")) == []
    assert route_ids("US", payment="credit_card") == ["fcba"]
    assert route_ids("US", payment="debit_card") == ["debit_dispute"]
    assert route_ids("DE", payment="credit_card") == ["chargeback"]
    assert route_ids("DE", payment="paypal") == ["paypal"]
    assert route_ids("CA", payment="credit_card") == ["credit_reversal"]
    assert route_ids("CA", payment="debit_card") == ["chargeback"]
    # Not known how they paid: the card routes (and the question).
    assert route_ids("US") == ["fcba", "debit_dispute"]


def test_a_gift_card_has_no_money_back_rung() -> None:
    facts: dict[str, Any] = {
        "seller": "merchant",
        "payment": "gift_card",
        "country": {"code": "GB", "from": "asked"},
    }
    assert advice.MONEY_BACK not in advice.applicable_rungs(facts, AMAZON)
    facts["payment"] = "debit_card"
    assert advice.MONEY_BACK in advice.applicable_rungs(facts, AMAZON)
    paypal = {**facts, "payment": "paypal"}
    assert advice.CARD_WINDOW not in advice.rung_rules(advice.MONEY_BACK, paypal, AMAZON)


# -- the country of a case -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "playbook", "told"),
    [
        (
            {"merchant": {"playbook": "amazon", "name": "Amazon", "storefront": "amazon.co.uk"}},
            "amazon",
            ("GB", "storefront"),
        ),
        (
            {
                "merchant": {"playbook": "amazon", "name": "Amazon"},
                "order_number": "302-1234567-1234567",
            },
            "amazon",
            ("DE", "order_number"),
        ),
        (
            {
                "merchant": {"playbook": "amazon", "name": "Amazon"},
                "amount": {"amount": "20", "currency": "EUR"},
            },
            "amazon",
            ("EU", "currency"),  # the EU's money, not Germany's alone
        ),
        (
            {"merchant": {"playbook": "amazon", "name": "Amazon", "site": "amazon.ca"}},
            "amazon",
            ("CA", "site"),
        ),
        ({"merchant": {"playbook": "generic", "name": "currys.co.uk"}}, "generic", ("GB", "site")),
        ({"merchant": {"playbook": "walmart", "name": "Walmart"}}, "walmart", ("US", "shop")),
        ({"merchant": {"playbook": "amazon", "name": "Amazon"}}, "amazon", None),
        ({"merchant": {"playbook": "generic", "name": "Corner Books"}}, "generic", None),
    ],
)
def test_the_country_is_told_by_the_facts(
    facts: dict[str, Any], playbook: str, told: tuple[str, str] | None
) -> None:
    assert inferred_country(facts, load_playbook(playbook)) == told


def test_an_answer_outranks_every_guess_and_a_guess_is_stored_once_confirmed() -> None:
    facts: dict[str, Any] = {
        "merchant": {"playbook": "amazon", "name": "Amazon", "storefront": "amazon.co.uk"},
        "amount": {"amount": "20", "currency": "GBP"},
    }
    settle_country(facts, AMAZON)
    assert facts["country"] == {"code": "GB", "from": "storefront"}
    facts["country"] = {"code": "CA", "from": "asked"}
    settle_country(facts, AMAZON)
    assert case_country(facts, AMAZON) == "CA"
    generic: dict[str, Any] = {"country": {"code": "GB", "from": "currency"}}
    settle_country(generic, GENERIC)  # the amount that told it is gone
    assert "country" not in generic
