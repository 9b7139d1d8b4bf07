"""A case's deadlines, from its playbook's rules and its dates, and the warnings before them.

Once the facts are confirmed, each deadline that applies becomes a reminder, `WARN_DAYS`
before the last day at 9:00 in the person's time zone (a window that opens later is
announced on the day it opens):

- the return window closing (a damaged or wrong item; `return_window`, days after delivery);
- a parcel not late yet: the day it counts as late (`delivery_estimate`);
- the marketplace guarantee's claim (Amazon's A-to-z) opening and closing, where it can
  cover the order (its `opens` and `closes` rules, from the latest delivery date); when
  who sold it is not known, the dates are given on that condition;
- the usual card dispute window closing (`card_dispute_window`, from the delivery date,
  or the order date when there is none), unless they paid some other way;
- the statutory rights of the country where they bought (flows/jurisdictions/): the UK's
  30-day right to reject, the EU's 14 days to withdraw and 2-year guarantee, ...;
- the money-back route's own limit for how they paid, where it has one (a route's
  `window`: PayPal's 180 days to open a dispute, from the order date, the payment's).

A window already closed is said to be closed, with what is still open (the card issuer,
the maker's warranty, small claims). A shop whose return window is unknown (the generic
playbook) is told up front to check it. Every warning cites its rule's source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flows import advice, law, parsers
from flows.case import CaseModel
from flows.jurisdiction import CARDS, LawRule
from flows.playbook import GENERIC, Guarantee
from flows.reminders import DEADLINE, ReminderRequest
from flows.rules import Rule
from flows.text import RichText, join, rich

WARN_DAYS = 3
"""Days before a window closes that the warning comes."""
WARN_AT = time(9)
RETURNABLE = ("damaged", "wrong_item")
"""Problems for which sending the item back is a way out, so the return window matters."""
RETURN_POLICY_MATTERS = (*RETURNABLE, "return_issue")
"""Problems for which a shop's own return policy is worth checking up front."""
_WORDS = {
    "return_window": ("The return window closes on", "The return window closed on"),
    "late": ("It counts as late from", ""),
    "guarantee_open": ("{Claim} can be filed from", ""),
    "guarantee_close": ("The {short} claim window closes on", "The {short} claim window closed on"),
    "card_dispute": (
        "The usual card dispute window closes on",
        "The usual card dispute window closed on",
    ),
}
_IF_THIRD_PARTY = "If a third-party seller sold and shipped it, "


@dataclass(frozen=True, slots=True)
class Deadline:
    """A day that matters to the case.

    Attributes:
        id: return_window, late, guarantee_open, guarantee_close, card_dispute, or
            `law_<right>` for a statutory right of the case's jurisdiction, `law_<route>`
            for a money-back route's window (a file giving both one id is refused).
        day: the last day something can be done, or the first when `opens`.
        rule: the playbook's or the jurisdiction's rule it comes from.
        opens: the day a window opens (or a parcel turns late) rather than the last day.
        conditional: it holds only if a fact not known yet turns out so (a third-party
            seller sold it).
        guarantee: the marketplace guarantee a guarantee deadline is of.
        label: a statutory right's name, which its sentence says.
    """

    id: str
    day: date
    rule: Rule | LawRule
    opens: bool = False
    conditional: bool = False
    guarantee: Guarantee | None = None
    label: str = ""

    def closed(self, today: date) -> bool:
        return not self.opens and self.day < today

    def warn_at(self, now: datetime) -> datetime:
        """When to warn, in the zone of `now`."""
        day = self.day if self.opens else self.day - timedelta(days=WARN_DAYS)
        return parsers.wall_time(day, WARN_AT, now)

    def sentence(self, today: date | None = None) -> str:
        if self.label:
            closed = today is not None and self.closed(today)
            word = "from" if self.opens else "ended" if closed else "until"
            return f"{self.label}: {word} {self.day:%a %-d %b %Y}"
        ahead, past = _WORDS[self.id]
        what = past if today is not None and self.closed(today) else ahead
        if self.guarantee is not None:
            claim = self.guarantee.claim
            what = what.format(Claim=claim[0].upper() + claim[1:], short=self.guarantee.short)
        if self.conditional:
            what = _IF_THIRD_PARTY + what[0].lower() + what[1:]
        return f"{what} {self.day:%a %-d %b %Y}"


@dataclass(frozen=True, slots=True)
class Windows:
    """The case's deadlines as of today: what is ahead, what has closed, what is still
    open once something has (`card_issuer`, `warranty`, `small_claims`), and the shop's
    return policy to check when its window is not known."""

    ahead: tuple[Deadline, ...]
    closed: tuple[Deadline, ...]
    still_open: tuple[str, ...]
    check_policy: Rule | LawRule | None


def case_rules(case: CaseModel) -> Mapping[str, Rule | LawRule]:
    """The shop's rules for this order (its storefront's where it states them); for a shop
    without a playbook of its own, the law's floor where the person bought stands in for
    the generic playbook's (US) rules of the same id, and for every shop the card schemes'
    window as that country states it (it is no shop's)."""
    rules: dict[str, Rule | LawRule] = dict(case.rules)
    where = case.jurisdiction
    if where is None:
        return rules
    if case.playbook.id == GENERIC:
        rules.update(where.shop_rules)
    elif advice.CARD_WINDOW in where.shop_rules:
        rules[advice.CARD_WINDOW] = where.shop_rules[advice.CARD_WINDOW]
    return rules


def case_deadlines(case: CaseModel) -> list[Deadline]:
    """The deadlines that apply to the case, earliest first (passed ones included)."""
    facts = case.facts
    playbook = case.playbook
    rules = case_rules(case)
    delivered = case.fact_date("delivery_date")
    found = []
    returns = rules.get("return_window")
    if returns and returns.days and delivered and facts.get("problem") in RETURNABLE:
        found.append(Deadline("return_window", delivered + timedelta(days=returns.days), returns))
    late = advice.late_from(facts, case.today)
    if late and "delivery_estimate" in rules:
        found.append(Deadline("late", late, rules["delivery_estimate"], opens=True))
    covered = advice.guarantee_applies(facts, playbook)
    window = case.guarantee_window()
    guarantee = playbook.guarantee
    if window and guarantee and covered is not False:
        conditional = covered is None
        if delivered and window[0] > delivered:
            wait = rules[guarantee.rules.opens]
            found.append(Deadline("guarantee_open", window[0], wait, True, conditional, guarantee))
        closes = rules[guarantee.rules.closes]
        found.append(Deadline("guarantee_close", window[1], closes, False, conditional, guarantee))
    card = rules.get(advice.CARD_WINDOW)
    since = delivered or case.fact_date("order_date")
    by_card = facts.get(law.PAYMENT) in (None, *CARDS)
    if card and card.days and since and by_card:
        found.append(Deadline("card_dispute", since + timedelta(days=card.days), card))
    found += law_deadlines(case)
    return sorted(found, key=lambda deadline: deadline.day)


def law_deadlines(case: CaseModel) -> list[Deadline]:
    """The windows of the statutory rights where the person bought, for this problem, and
    of the money-back route for how they paid, where it has one (PayPal's 180 days)."""
    where = case.jurisdiction
    if where is None:
        return []
    windows = law.right_windows(
        where,
        case.facts.get("problem"),
        case.fact_date("delivery_date"),
        case.fact_date("order_date"),
    )
    found = [
        Deadline(f"law_{w.right.id}", w.day, w.rule, opens=w.right.opens, label=w.right.label)
        for w in windows
    ]
    routes = law.route_windows(where, case.facts.get(law.PAYMENT), case.fact_date("order_date"))
    found += [Deadline(f"law_{w.route.id}", w.day, w.rule, label=w.route.label) for w in routes]
    return found


def case_windows(case: CaseModel) -> Windows:
    deadlines = case_deadlines(case)
    today = case.today
    closed = tuple(d for d in deadlines if d.closed(today))
    # A right that has opened stays open (cancelling an order that late): still ahead.
    ahead = tuple(d for d in deadlines if d.day >= today or (d.opens and d.label))
    closed_ids = {d.id for d in closed}
    still_open = []
    if "card_dispute" in closed_ids:
        still_open.append("card_issuer")
    if closed_ids & {"return_window", "card_dispute"}:
        still_open.append("warranty")
    if closed:
        still_open.append("small_claims")
    returns = case_rules(case).get("return_window")
    policy = case.facts.get("problem") in RETURN_POLICY_MATTERS and returns and not returns.days
    return Windows(ahead, closed, tuple(still_open), returns if policy else None)


def return_window_closed(case: CaseModel) -> bool:
    return any(d.id == "return_window" for d in case_windows(case).closed)


def deadline_reminders(case: CaseModel) -> list[ReminderRequest]:
    """A warning for each deadline still ahead whose warning time has not passed."""
    requests = []
    for deadline in case_windows(case).ahead:
        when = deadline.warn_at(case.now)
        if when <= case.now:
            continue
        if deadline.id == "late":
            lead = "Has it come yet?"
        else:
            lead = "Good news:" if deadline.opens else f"Heads-up, {WARN_DAYS} days to go:"
        requests.append(
            ReminderRequest(
                case.record.id,
                when,
                DEADLINE,
                f"{lead} {deadline.sentence()}.",
                slot=f"deadline:{deadline.id}",
                detail=deadline.rule.text,
                source=deadline.rule.source,
            )
        )
    return requests


def deadline_summary(case: CaseModel) -> RichText:
    """The shop's return policy to check, the deadlines still ahead with when each is
    warned, those already closed and what is still open (empty when there is nothing)."""
    windows = case_windows(case)
    lines = []
    if windows.check_policy:
        lines.append(rich("• {text}", text=windows.check_policy.text))
    for deadline in windows.ahead:
        when = deadline.warn_at(case.now)
        warned = f" (I'll remind you {when:%a %-d %b})" if when > case.now else ""
        lines.append(rich("• {deadline}{warned}", deadline=deadline.sentence(), warned=warned))
    parts = [rich("**Deadlines to keep in mind**"), *lines] if lines else []
    if windows.closed:
        parts.append(rich("**Already closed**"))
        parts += [rich("• {d}", d=d.sentence(case.today)) for d in windows.closed]
        closed_windows = case.playbook.closed_windows
        parts.append(rich("**Still open to you**"))
        parts += [rich("• {text}", text=getattr(closed_windows, i)) for i in windows.still_open]
    return join(parts) if parts else RichText()
