"""Jurisdictions: the law where the customer bought, kept as data in TOML files.

A playbook knows a shop; a jurisdiction file (flows/jurisdictions/*.toml, one per country)
knows what the law and the payment schemes there give a customer whatever the shop:

- `rights`: statutory rights with a window (the UK's 30-day short-term right to reject,
  the EU's 14 days to withdraw from an online order and its 2-year legal guarantee), each
  for the problems it answers, counted from the delivery or the order;
- `money_back`: the ways to get money back through how the person paid (a US credit
  card's Fair Credit Billing Act letter, the UK's Section 75 between its bounds, a debit
  card's chargeback, PayPal Buyer Protection), each for the payment methods it serves;
- `last_rungs`: where to turn when the shop will not put it right (the CFPB, FTC and
  state attorneys general; Citizens Advice, ombudsman schemes and small claims; the
  European Consumer Centres; a provincial consumer office).

Operators add countries as files in a folder of their own (`FAIRSHAKE_JURISDICTIONS_DIR`,
read after the packaged ones: an Irish consumer group's `ie.toml` within the EU adds its own
agency). Each of them cites rules from the file's `[rules]`, and every rule carries the address it
was read from, the date it was checked and, where the figure could not be confirmed on a
stored copy of that page, `unconfirmed` saying so. The dataclasses are the schema
(flows/schema.py reads a file into them); `check` adds what a type cannot say. Every file
is read and checked when the bot starts (and by `fairshake check` and `fairshake
playbooks`), so a bad one names its file and key before any customer meets it.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal

from babel import Locale

from flows.schema import SchemaError, data_files, load_toml

Payment = Literal["credit_card", "debit_card", "paypal", "gift_card", "bnpl"]
PAYMENTS: dict[str, str] = {
    "credit_card": "Credit card",
    "debit_card": "Debit card",
    "paypal": "PayPal",
    "gift_card": "Gift card or balance",
    "bnpl": "Buy now, pay later",
}
"""How a person can have paid, with the button each has."""
CARDS = ("credit_card", "debit_card")
"""The payment methods a card issuer's dispute serves."""
WINDOW_STARTS = ("delivery", "order")


@dataclass(frozen=True, slots=True)
class LawRule:
    """A rule of law or of a payment scheme, with where it was read and when."""

    id: str
    text: str
    source: str
    checked: date
    days: int | None = None
    years: int | None = None
    unconfirmed: str = ""
    """Empty when the figure was read on a stored copy of the cited page on `checked`;
    else how far it could be checked."""


@dataclass(frozen=True, slots=True)
class Right:
    """A statutory right with a window, for the problems it answers."""

    id: str
    label: str
    says: str
    """What the bot tells the person about it (our own words)."""
    rule: str
    """The rule whose `days` or `years` is the window."""
    problems: tuple[str, ...]
    counts_from: Literal["delivery", "order"] = "delivery"
    opens: bool = False
    """The window opens (rather than closes) once its time has passed: a right to cancel a
    parcel that is that late."""


@dataclass(frozen=True, slots=True)
class MoneyBack:
    """A way to get the money back through how the person paid."""

    id: str
    label: str
    why: str
    payments: tuple[Payment, ...]
    steps: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    window: str = ""
    """The rule whose days are the route's own time limit, counted from the order date
    (the day of the payment: PayPal's 180 days to open a dispute): once the person says
    they paid this way, a deadline with its reminder, like a right's window."""
    above: float | None = None
    """The price (in the jurisdiction's currency) must be over this."""
    up_to: float | None = None
    """... and at most this."""


@dataclass(frozen=True, slots=True)
class LastRung:
    """Somewhere to turn once the shop has had its chance: an agency, a scheme, a court."""

    id: str
    label: str
    how: str
    rules: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Country:
    """Which country a file is for, and what points a case at it."""

    id: str
    """ISO 3166 code: US, GB, DE, CA."""
    name: str
    currency: str
    """ISO 4217 code of its money: an amount in it points here."""
    sites: tuple[str, ...] = ()
    """How a shop's web address ends there ('.co.uk', '.de')."""
    note: str = ""
    """Said once with its rights (the EU's are every member state's floor)."""
    members: tuple[str, ...] = ()
    """The countries (ISO codes) whose cases this file serves besides its own id: the EU's
    member states, so that an order on amazon.fr (FR) gets the EU's rules. A member with
    a file of its own is served by that one."""
    within: str = ""
    """The file this one adds to (Germany: EU): its rights, money-back routes, last rungs
    and rules are the union's, with this file's own on top (the same id stands in)."""


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    """One country's file."""

    country: Country
    rules: Mapping[str, LawRule]
    rights: Mapping[str, Right] = field(default_factory=dict)
    money_back: Mapping[str, MoneyBack] = field(default_factory=dict)
    last_rungs: Mapping[str, LastRung] = field(default_factory=dict)
    shop_rules: Mapping[str, LawRule] = field(default_factory=dict)
    """For a shop without a playbook of its own: the law's floor in place of the generic
    playbook's rules of the same id (when a parcel is late, what returns the law gives);
    `card_dispute_window`, the card schemes' and no shop's, in place of every playbook's."""
    file: str = field(default="", compare=False)

    @property
    def id(self) -> str:
        return self.country.id

    def cited(self) -> tuple[str, ...]:
        """Every rule id the file's rights, routes and rungs cite."""
        found = [right.rule for right in self.rights.values()]
        for route in self.money_back.values():
            found += route.rules
        for rung in self.last_rungs.values():
            found += rung.rules
        return tuple(found)


def check(jurisdiction: Jurisdiction, where: str) -> None:
    """What the types cannot say: cited rules exist, windows have a length, bounds are in
    order, no route with a window shares a right's id, and every rule was checked on a
    date with an address."""
    rules = jurisdiction.rules
    for right_id, right in jurisdiction.rights.items():
        rule = rules.get(right.rule)
        if rule is None:
            raise SchemaError(where, f"rights.{right_id}.rule", f"unknown rule '{right.rule}'")
        if rule.days is None and rule.years is None:
            raise SchemaError(where, f"rules.{right.rule}", "a right's rule needs days or years")
    for table, entries in (
        ("money_back", jurisdiction.money_back),
        ("last_rungs", jurisdiction.last_rungs),
    ):
        for entry_id, entry in entries.items():
            for rule_id in entry.rules:
                if rule_id not in rules:
                    raise SchemaError(
                        where, f"{table}.{entry_id}.rules", f"unknown rule '{rule_id}'"
                    )
    for route_id, route in jurisdiction.money_back.items():
        window = rules.get(route.window) if route.window else None
        if route.window and window is None:
            raise SchemaError(
                where, f"money_back.{route_id}.window", f"unknown rule '{route.window}'"
            )
        if window is not None and window.days is None and window.years is None:
            raise SchemaError(where, f"rules.{route.window}", "a route's window needs days")
        if window is not None and route_id in jurisdiction.rights:
            # Both deadlines would be `law_<id>`: one reminder would stand in for the other.
            raise SchemaError(where, f"money_back.{route_id}", "a right has this id too")
        if route.above is not None and route.up_to is not None and route.above >= route.up_to:
            raise SchemaError(where, f"money_back.{route_id}.up_to", "must be over `above`")
    stated = [("rules", rules), ("shop_rules", jurisdiction.shop_rules)]
    for kind, found in stated:
        for rule_id, law_rule in found.items():
            if not law_rule.source.startswith("https://"):
                raise SchemaError(
                    where, f"{kind}.{rule_id}.source", "give the https address it was read at"
                )
    if not jurisdiction.last_rungs:
        raise SchemaError(where, "last_rungs", "a jurisdiction names where to turn last")


def parse_jurisdiction(text: str, where: str) -> Jurisdiction:
    """A jurisdiction from the text of its TOML file, checked; errors name `where` and the key."""
    jurisdiction = load_toml(Jurisdiction, text, where)
    check(jurisdiction, where)
    return jurisdiction


def scan(operator_dir: Path | None = None) -> dict[str, Jurisdiction]:
    """Every jurisdiction: the packaged files, then the operator's folder, by country code;
    a file `within` another is read as the union's entries with its own on top, and each
    is checked once merged.

    Raises `SchemaError` for the first bad file, or for two files with one code.
    """
    read: dict[str, Jurisdiction] = {}
    for where, text in data_files("flows.jurisdictions", operator_dir, "jurisdictions"):
        jurisdiction = load_toml(Jurisdiction, text, where)
        if jurisdiction.id in read:
            raise SchemaError(
                where, "country.id", f"'{jurisdiction.id}' is already {read[jurisdiction.id].file}"
            )
        read[jurisdiction.id] = jurisdiction
    found = {code: _within(jurisdiction, read) for code, jurisdiction in read.items()}
    for jurisdiction in found.values():
        check(jurisdiction, jurisdiction.file)
    return found


_installed: dict[str, Jurisdiction] = {}


def use_jurisdictions_dir(operator_dir: Path | None) -> dict[str, Jurisdiction]:
    """Read and check every jurisdiction now, with the operator's folder if any
    (`FAIRSHAKE_JURISDICTIONS_DIR`), and use them. Called at start; raises `SchemaError`
    (the file and the key) and keeps the ones in use as they were when one is bad."""
    found = scan(operator_dir)
    _installed.clear()
    _installed.update(found)
    return found


def jurisdictions() -> Mapping[str, Jurisdiction]:
    """The jurisdictions in use, by country code (the packaged ones until
    `use_jurisdictions_dir`)."""
    if not _installed:
        use_jurisdictions_dir(None)
    return _installed


def _within(jurisdiction: Jurisdiction, read: Mapping[str, Jurisdiction]) -> Jurisdiction:
    """A file with its union's entries under its own (itself when it is within none)."""
    union_id = jurisdiction.country.within
    if not union_id:
        return jurisdiction
    union = read.get(union_id)
    if union is None or union.country.within:
        raise SchemaError(
            jurisdiction.file, "country.within", f"no file for '{union_id}' to add to"
        )

    def merged(table: str) -> Mapping[str, Any]:
        return types.MappingProxyType({**getattr(union, table), **getattr(jurisdiction, table)})

    return replace(
        jurisdiction,
        rules=merged("rules"),
        rights=merged("rights"),
        money_back=merged("money_back"),
        last_rungs=merged("last_rungs"),
        shop_rules=merged("shop_rules"),
    )


def jurisdiction_for(country: str | None) -> Jurisdiction | None:
    """The jurisdiction of a country code: its own file, else the file it is a member of
    (FR: the EU's); None for a country neither names."""
    if not country:
        return None
    found = jurisdictions()
    if country in found:
        return found[country]
    return next((j for j in found.values() if country in j.country.members), None)


def by_currency(currency: str | None) -> str | None:
    """Where an amount in `currency` points, if to one place: the file whose money it is,
    or the union of the files that share it (EUR: the EU, not Germany alone)."""
    found = {
        j.country.within or j.id for j in jurisdictions().values() if j.country.currency == currency
    }
    return found.pop() if len(found) == 1 else None


def by_site(address: str) -> str | None:
    """The country a web address's ending points to ('currys.co.uk': GB): the longest
    ending that fits, a country's own file before the union it is within ('.ie')."""
    host = address.casefold().strip(" ./")
    fits = [
        (len(ending), bool(j.country.within), j.id)
        for j in jurisdictions().values()
        for ending in j.country.sites
        if host.endswith(ending)
    ]
    return max(fits)[2] if fits else None


def countries() -> dict[str, str]:
    """Each country with a file, by code, as a button names it."""
    return {code: j.country.name for code, j in jurisdictions().items()}


def country_name(code: str) -> str:
    """A country as the review names it: its file's name, else (a member without a file
    of its own, as a storefront's country: FR) its English name, else the code."""
    if code in jurisdictions():
        return jurisdictions()[code].country.name
    return str(Locale("en").territories.get(code, code))
