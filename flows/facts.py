"""The facts of a case: what is asked, in which order, and how each answer is checked.

Each `Fact` knows its question, whether it applies to the case (the seller question
only where a marketplace has third-party sellers), its buttons, and how to turn what a
person typed into a stored value. A skipped fact is stored as None ("don't know").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flows import parsers
from flows.jurisdiction import PAYMENTS, countries, country_name
from flows.playbook import GENERIC, Playbook, playbook_or_generic, playbooks
from flows.prompt import Choice, InputKind, Question
from flows.sites import Storefront
from flows.storefronts import storefronts
from flows.text import RichText, by_typing, plain, rich

OUTCOMES = {
    "refund": "A refund",
    "replacement": "A replacement",
    "store_credit": "Store credit",
    "return": "To return it",
    "explanation": "An explanation",
}
URGENCY = {"urgent": "Urgent", "soon": "This week", "relaxed": "No rush"}
_ORDER_AFTER_DELIVERY = (
    "That's before the order date ({ordered}), and a parcel can't come before it's ordered. "
    "Which day was it due? If the order page shows a range, give the latest date."
)
_DELIVERY_BEFORE_ORDER = (
    "That's after the delivery date you gave ({delivered}), and an order comes before its "
    "delivery. Which day did you order? For example: Nov 2 or 2026-11-02."
)


@dataclass(frozen=True, slots=True)
class Fact:
    id: str
    label: str
    question: str
    parse: Callable[[str, CaseFacts], Any]
    options: Callable[[Playbook], dict[str, str]] | None = None
    applies: Callable[[CaseFacts], bool] = lambda facts: True
    hint: str = ""
    kind: InputKind = InputKind.TEXT
    """What answers it besides its buttons (`CHOICE`: only they do)."""
    long: bool = False
    """Answered in sentences rather than a word or two."""
    optional: bool = False
    """Not asked one by one: the advice does not turn on it (the script has a blank for
    it), so the review offers it instead, and a paste fills it."""

    worded_by: Callable[[Playbook], str] | None = None
    """The question in the shop's own terms, where the playbook words it."""
    in_form: str = ""
    """The question where typing arrives only through a form, if it speaks of typing."""

    def wording(self, playbook: Playbook) -> str:
        return (self.worded_by(playbook) if self.worded_by else "") or self.question

    def text(self, playbook: Playbook) -> RichText:
        """The question as said, worded for a form too where it speaks of typing."""
        worded = self.wording(playbook)
        if self.in_form and worded == self.question:
            return by_typing(worded, self.in_form)
        return rich(worded)

    def choices(self, playbook: Playbook) -> list[Choice]:
        options = self.options(playbook) if self.options else {}
        return [Choice(value, label) for value, label in options.items()]

    def asked(self) -> Question:
        """The question as a prompt carries it."""
        return Question(self.id, self.label, self.kind, self.long)


@dataclass(slots=True)
class CaseFacts:
    """Read access to a case's facts for parsers and guards, with the person's today."""

    values: dict[str, Any]
    today: date
    playbook: Playbook = field(default_factory=lambda: playbook_or_generic(GENERIC))


def _merchant(text: str, facts: CaseFacts) -> dict[str, str]:
    """A shop with a playbook, by its id, name or one of its aliases; else any shop's name."""
    name = parsers.parse_text(text, max_len=60)
    typed = name.casefold().strip(" .!")
    if front := storefronts().get(typed.removeprefix("www.")):  # 'amazon.co.uk', 'ebay.de'
        return {"playbook": front.shop, "name": front.name, "storefront": front.id}
    # A web address typed ('amazon.ca') is kept: its ending can tell the country.
    site = {"site": typed} if "." in typed and " " not in typed else {}
    for playbook in playbooks().values():
        if playbook.id != GENERIC and typed in playbook.merchant.names():
            return {"playbook": playbook.id, "name": playbook.name, **site}
    return {"playbook": GENERIC, "name": name}


def storefront(values: dict[str, Any]) -> Storefront | None:
    """Where the person bought (amazon.co.uk), when a paste or the shop's address said so."""
    return storefronts().get((values.get("merchant") or {}).get("storefront", ""))


def _amount(text: str, facts: CaseFacts) -> dict[str, str | None]:
    """An amount; a bare '$' or none at all is the storefront's currency when it is known."""
    front = storefront(facts.values)
    return parsers.parse_money(text, front.currency if front else None).to_json()


def choice_parser(options: Callable[[Playbook], dict[str, str]]) -> Callable[[str, CaseFacts], str]:
    """A parser for choice facts: a typed label or id counts as pressing its button."""

    def parse(text: str, facts: CaseFacts) -> str:
        typed = text.strip().casefold()
        for value, label in options(facts.playbook).items():
            if typed in (value.casefold(), label.casefold()):
                return value
        listed = ", ".join(options(facts.playbook).values())
        raise parsers.ParseError(f"Please press one of the buttons: {listed}.", "choice.unknown")

    return parse


def _countries(playbook: Playbook) -> dict[str, str]:
    return countries()


def _country(text: str, facts: CaseFacts) -> dict[str, str]:
    """Where the person bought, as they chose it (flows/country.py reads the rest)."""
    return {"code": choice_parser(_countries)(text, facts), "from": "asked"}


def _payments(playbook: Playbook) -> dict[str, str]:
    return PAYMENTS


def _earlier_contacts(text: str, facts: CaseFacts) -> str:
    said = parsers.parse_text(text)
    return "none" if said.casefold().strip(" .!") in {"not yet", "none", "no"} else said


def _delivery_date(text: str, facts: CaseFacts) -> str:
    """A delivery date, or the date a delivery was promised: at most a year ahead.

    Deadlines are counted from it (a claim window, a card dispute), so a far-off typo
    such as 9999-12-31 would put them past the end of the calendar.
    """
    day = parsers.parse_date(text, facts.today, allow_future=True)
    if day > facts.today + timedelta(days=366):
        raise parsers.ParseError(
            "That's more than a year ahead. Which day was it due? For example: Nov 20 or 2026-11-20.",
            "date.too_far",
        )
    ordered = facts.values.get("order_date")
    if ordered and day < date.fromisoformat(ordered):
        raise parsers.ParseError(
            _ORDER_AFTER_DELIVERY.format(ordered=f"{date.fromisoformat(ordered):%a %-d %b %Y}"),
            "date.before_order",
        )
    return day.isoformat()


def _order_date(text: str, facts: CaseFacts) -> str:
    """The order date: in the past, and not after the delivery date when that is known."""
    day = parsers.parse_date(text, facts.today)
    delivered = facts.values.get("delivery_date")
    if delivered and day > date.fromisoformat(delivered):
        raise parsers.ParseError(
            _DELIVERY_BEFORE_ORDER.format(
                delivered=f"{date.fromisoformat(delivered):%a %-d %b %Y}"
            ),
            "date.after_delivery",
        )
    return day.isoformat()


def _problems(playbook: Playbook) -> dict[str, str]:
    return {problem.id: problem.label for problem in playbook.problems}


def _merchant_options(playbook: Playbook) -> dict[str, str]:
    """A button for each shop with a playbook of its own."""
    return {p.id: p.name for p in playbooks().values() if p.id != GENERIC}


def _outcomes(playbook: Playbook) -> dict[str, str]:
    return OUTCOMES


def _urgency(playbook: Playbook) -> dict[str, str]:
    return URGENCY


def _sellers(playbook: Playbook) -> dict[str, str]:
    """The marketplace's kinds of seller, as its playbook labels them."""
    return {seller.id: seller.label for seller in playbook.sellers.values()}


FACTS: tuple[Fact, ...] = (
    Fact(
        "merchant",
        "Shop",
        "Which shop is this about? Press its button, or type the shop's name.",
        in_form="Which shop is this about? Press its button, or give its name with ✍️ Answer.",
        parse=_merchant,
        options=_merchant_options,
    ),
    Fact(
        "problem",
        "Problem",
        "What went wrong? Pick the closest one.",
        parse=choice_parser(_problems),
        options=_problems,
        kind=InputKind.CHOICE,
    ),
    Fact(
        "seller",
        "Sold by",
        "Who sold the item?",
        worded_by=lambda playbook: playbook.merchant.seller_question,
        parse=choice_parser(_sellers),
        options=_sellers,
        applies=lambda facts: len(facts.playbook.sellers) > 1,
        kind=InputKind.CHOICE,
    ),
    Fact(
        "order_number",
        "Order number",
        "What is the order number?",
        parse=lambda text, facts: parsers.parse_order_number(
            text, facts.playbook.order_number, facts.playbook.name
        ),
        hint="You'll find it in your order history and in the order confirmation email.",
        optional=True,
    ),
    Fact(
        "order_date",
        "Ordered on",
        "When did you place the order? For example _today_, _3 days ago_, _Nov 2_ or _2026-11-02_.",
        parse=_order_date,
        kind=InputKind.DATE,
        optional=True,
    ),
    Fact(
        "delivery_date",
        "Delivery date",
        "When was it delivered, or when was it supposed to arrive? If the order page shows a "
        "range, give the latest date.",
        parse=lambda text, facts: _delivery_date(text, facts),
        kind=InputKind.DATE,
    ),
    Fact(
        "item",
        "Item",
        "What is the item, in a few words?",
        parse=lambda text, facts: parsers.parse_text(text, max_len=200),
        optional=True,
    ),
    Fact(
        "amount",
        "Amount paid",
        "How much did you pay? For example _$49.99_ or _49,99 €_.",
        parse=_amount,
        kind=InputKind.AMOUNT,
        optional=True,
    ),
    Fact(
        "payment",
        "Paid with",
        "How did you pay? It decides how the money can come back if the shop won't refund.",
        parse=choice_parser(_payments),
        options=_payments,
        kind=InputKind.CHOICE,
        optional=True,
    ),
    Fact(
        "country",
        "Bought in",
        "Which country's shop or site did you buy from? Its law decides your rights.",
        parse=_country,
        options=_countries,
        kind=InputKind.CHOICE,
        optional=True,
    ),
    Fact(
        "what_happened",
        "What happened",
        "In a sentence or two, what happened?",
        parse=lambda text, facts: parsers.parse_text(text),
        long=True,
        optional=True,
    ),
    Fact(
        "outcome",
        "Outcome wanted",
        "What would put this right for you?",
        parse=choice_parser(_outcomes),
        options=_outcomes,
        kind=InputKind.CHOICE,
    ),
    Fact(
        "urgency",
        "Urgency",
        "How urgent is it?",
        parse=choice_parser(_urgency),
        options=_urgency,
        kind=InputKind.CHOICE,
        optional=True,
    ),
    Fact(
        "earlier_contacts",
        "Earlier contacts",
        "Have you already been in touch with them about this? Tell me when, how, and any "
        "reference number you were given, or press **Not yet**.",
        parse=_earlier_contacts,
        options=lambda playbook: {"none": "Not yet"},
        long=True,
        optional=True,
    ),
)
FACTS_BY_ID = {fact.id: fact for fact in FACTS}


def applicable(facts: CaseFacts) -> list[Fact]:
    """The facts of this case, in order: those asked, and the optional ones the review offers."""
    return [fact for fact in FACTS if fact.applies(facts)]


def playbook_for(values: dict[str, Any]) -> Playbook:
    merchant = values.get("merchant") or {}
    return playbook_or_generic(merchant.get("playbook", GENERIC))


def locale_of(values: dict[str, Any]) -> str:
    """How the case's amounts are written: as its storefront writes them, else as its
    shop's first storefront does, else US English."""
    front = storefront(values) or playbook_for(values).storefront()
    return front.locale if front else parsers.DEFAULT_LOCALE


def display(fact: Fact, value: Any, playbook: Playbook, locale: str) -> RichText:
    """How a stored fact value reads in the review and the case file (an amount as the
    case's `locale_of` writes it)."""
    if value is None:
        return rich("_don't know_")
    if fact.id == "merchant":
        return plain(value["name"])
    if fact.id == "country":
        return plain(country_name(value["code"]))
    if fact.id == "amount":
        return plain(parsers.Money.from_json(value).formatted(locale))
    if fact.id in ("order_date", "delivery_date"):
        return plain(date.fromisoformat(value).strftime("%a %-d %b %Y"))
    if fact.id == "earlier_contacts" and value == "none":
        return plain("none yet")
    if fact.options:
        return plain(fact.options(playbook).get(value, value))
    return plain(str(value))
