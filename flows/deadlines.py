"""A case's deadlines, from its playbook's rules and its dates, and the warnings before them.

Once the facts are confirmed, each deadline that applies becomes a reminder, `WARN_DAYS`
before the last day at 9:00 in the person's time zone (a window that opens later is
announced on the day it opens):

- the return window closing (a damaged or wrong item; `return_window`, days after delivery);
- the A-to-z Guarantee claim opening and closing (a third-party seller on a marketplace;
  `atoz_wait_after_delivery` and `atoz_claim_window`, from the latest delivery date);
- the usual card dispute window closing (`card_dispute_window`, from the delivery date,
  or the order date when there is none).

Every warning cites its rule's source. A warning whose time has passed is not set; the
deadline still shows in the reply and in the case file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flows import parsers
from flows.case import CaseModel
from flows.playbook import Rule
from flows.reminders import DEADLINE, ReminderRequest
from flows.text import RichText, join, rich

WARN_DAYS = 3
"""Days before a window closes that the warning comes."""
WARN_AT = time(9)
RETURNABLE = ("damaged", "wrong_item")
"""Problems for which sending the item back is a way out, so the return window matters."""


@dataclass(frozen=True, slots=True)
class Deadline:
    """A day that matters to the case.

    Attributes:
        id: return_window, atoz_open, atoz_close or card_dispute.
        what: what happens on `day`, as a sentence start.
        day: the last day something can be done, or the first when `opens`.
        rule: the playbook rule it comes from.
        opens: the day a window opens rather than the last day of one.
    """

    id: str
    what: str
    day: date
    rule: Rule
    opens: bool = False

    def warn_at(self, now: datetime) -> datetime:
        """When to warn, in the zone of `now`."""
        day = self.day if self.opens else self.day - timedelta(days=WARN_DAYS)
        return parsers.wall_time(day, WARN_AT, now)

    def sentence(self) -> str:
        return f"{self.what} {self.day:%a %-d %b %Y}"


def case_deadlines(case: CaseModel) -> list[Deadline]:
    """The deadlines that apply to the case, earliest first (passed ones included)."""
    facts = case.facts
    rules = case.playbook.rules
    delivered = case.fact_date("delivery_date")
    found = []
    returns = rules.get("return_window")
    if returns and returns.days and delivered and facts.get("problem") in RETURNABLE:
        closes = delivered + timedelta(days=returns.days)
        found.append(Deadline("return_window", "The return window closes on", closes, returns))
    window = case.guarantee_window()
    if window and case.playbook.marketplace and facts.get("seller") == "third_party":
        if delivered and window[0] > delivered:
            wait = rules["atoz_wait_after_delivery"]
            found.append(
                Deadline("atoz_open", "An A-to-z claim can be filed from", window[0], wait, True)
            )
        found.append(
            Deadline(
                "atoz_close",
                "The A-to-z claim window closes on",
                window[1],
                rules["atoz_claim_window"],
            )
        )
    card = rules.get("card_dispute_window")
    since = delivered or case.fact_date("order_date")
    if card and card.days and since:
        closes = since + timedelta(days=card.days)
        found.append(
            Deadline("card_dispute", "The usual card dispute window closes on", closes, card)
        )
    return sorted(found, key=lambda deadline: deadline.day)


def deadline_reminders(case: CaseModel) -> list[ReminderRequest]:
    """A warning for each deadline still ahead whose warning time has not passed."""
    requests = []
    for deadline in case_deadlines(case):
        when = deadline.warn_at(case.now)
        if when <= case.now:
            continue
        lead = "Good news" if deadline.opens else f"Heads-up, {WARN_DAYS} days to go"
        requests.append(
            ReminderRequest(
                case.record.id,
                when,
                DEADLINE,
                f"{lead}: {deadline.sentence()}.",
                slot=f"deadline:{deadline.id}",
                detail=deadline.rule.text,
                source=deadline.rule.source,
            )
        )
    return requests


def deadline_summary(case: CaseModel) -> RichText:
    """The case's deadlines still ahead, with when each is warned (empty when none)."""
    lines = []
    for deadline in case_deadlines(case):
        if deadline.day < case.today:
            continue
        when = deadline.warn_at(case.now)
        warned = f" (I'll remind you {when:%a %-d %b})" if when > case.now else ""
        lines.append(rich("• {deadline}{warned}", deadline=deadline.sentence(), warned=warned))
    if not lines:
        return RichText()
    return join([rich("**Deadlines to keep in mind**"), *lines])
