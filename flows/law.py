"""Which of a jurisdiction's rules apply to a case: the statutory windows with their days,
the ways to get money back for how the person paid, and where to turn last.

Everything here reads facts (the problem, the dates, the amount, the payment method) and a
jurisdiction file's data, and decides; it says nothing itself (flows/steps/law.py does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flows import parsers
from flows.jurisdiction import CARDS, Jurisdiction, LawRule, MoneyBack, Right

PAYMENT = "payment"
"""The fact of how the person paid (flows.jurisdiction.PAYMENTS)."""
NO_ROUTE = ("gift_card",)
"""Payment methods with no money-back route of their own: a shop's gift card or balance."""


@dataclass(frozen=True, slots=True)
class Window:
    """A statutory right's window for this case: its last day, or the day it opens."""

    right: Right
    rule: LawRule
    day: date

    def closed(self, today: date) -> bool:
        return not self.right.opens and self.day < today


@dataclass(frozen=True, slots=True)
class Route:
    """A way to get money back that fits how the person paid; `condition` names what is not
    known yet that it depends on (the price, when no amount in its currency was given)."""

    route: MoneyBack
    condition: str = ""


def window_end(start: date, rule: LawRule) -> date:
    """`start` plus the rule's days, or its years (on the same day of the month)."""
    if rule.years:
        try:
            return start.replace(year=start.year + rule.years)
        except ValueError:  # 29 February, in a year without one
            return start.replace(year=start.year + rule.years, day=28)
    return start + timedelta(days=rule.days or 0)


def right_windows(
    jurisdiction: Jurisdiction, problem: str | None, delivered: date | None, ordered: date | None
) -> list[Window]:
    """The windows of the rights that answer this problem, from the day each counts from."""
    found = []
    for right in jurisdiction.rights.values():
        start = delivered if right.counts_from == "delivery" else ordered
        if problem not in right.problems or start is None:
            continue
        rule = jurisdiction.rules[right.rule]
        found.append(Window(right, rule, window_end(start, rule)))
    return sorted(found, key=lambda window: window.day)


@dataclass(frozen=True, slots=True)
class RouteWindow:
    """A money-back route's own time limit for this case: its last day."""

    route: MoneyBack
    rule: LawRule
    day: date


def route_windows(
    jurisdiction: Jurisdiction, payment: str | None, ordered: date | None
) -> list[RouteWindow]:
    """The time limits of the routes for how the person paid (PayPal's 180 days), counted
    from the order date, the day of the payment; none while either is not known."""
    if payment is None or ordered is None:
        return []
    found = []
    for route in jurisdiction.money_back.values():
        if route.window and payment in route.payments:
            rule = jurisdiction.rules[route.window]
            found.append(RouteWindow(route, rule, window_end(ordered, rule)))
    return found


def _price(facts: Mapping[str, Any], currency: str) -> Decimal | None:
    amount = facts.get("amount")
    if not isinstance(amount, dict):
        return None
    money = parsers.Money.from_json(amount)
    return money.amount if money.currency == currency else None


def routes(jurisdiction: Jurisdiction, facts: Mapping[str, Any]) -> tuple[Route, ...]:
    """The money-back routes for how the person paid (all of them, for a card or not
    known, when the method is unknown); none for a gift card or balance. A route with
    price bounds (Section 75) is left out when the price is known to fall outside them,
    and says its bounds as a condition when the price is not known."""
    payment = facts.get(PAYMENT)
    if payment in NO_ROUTE:
        return ()
    found = []
    for route in jurisdiction.money_back.values():
        if payment is not None and payment not in route.payments:
            continue
        if payment is None and not set(route.payments) & set(CARDS):
            continue  # not knowing how they paid: the card routes, and the question
        if route.above is None and route.up_to is None:
            found.append(Route(route))
            continue
        price = _price(facts, jurisdiction.country.currency)
        low, high = route.above, route.up_to
        if price is None:
            found.append(Route(route, _bounds(jurisdiction, low, high)))
        elif (low is None or price > Decimal(str(low))) and (
            high is None or price <= Decimal(str(high))
        ):
            found.append(Route(route))
    return tuple(found)


def _bounds(jurisdiction: Jurisdiction, low: float | None, high: float | None) -> str:
    currency = jurisdiction.country.currency
    parts = []
    if low is not None:
        parts.append(f"over {parsers.Money(Decimal(str(low)), currency)}")
    if high is not None:
        parts.append(f"up to {parsers.Money(Decimal(str(high)), currency)}")
    return "if the item's price was " + " and ".join(parts)


def money_back_applies(jurisdiction: Jurisdiction | None, facts: Mapping[str, Any]) -> bool:
    """Whether the money-back rung has anything to offer: not for a gift card or balance,
    nor where the jurisdiction has no route for how they paid."""
    if facts.get(PAYMENT) in NO_ROUTE:
        return False
    if jurisdiction is None:
        return True
    return bool(routes(jurisdiction, facts))
