"""A case as the shared machine's model: its record, its playbook, and the guards.

The record is a typed `Case` (flows/records.py); the person's `PersonRecord.cases` holds
its JSON form, which `Dialogue` reads at the start of a turn and writes back at the end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flows import advice, machine, parsers
from flows.contacts import LOG_QUESTIONS
from flows.country import case_country
from flows.facts import CaseFacts, applicable, locale_of, playbook_for, storefront
from flows.jurisdiction import Jurisdiction, jurisdiction_for
from flows.playbook import Playbook
from flows.questions import Questionnaire
from flows.records import Case, JSONDict, TimelineEntry
from flows.rules import Rule
from flows.workdays import business_days_after

LOG = Questionnaire(LOG_QUESTIONS)


def new_case(case_id: str, now: datetime) -> JSONDict:
    """A fresh case record as stored, before the flow's `open` event."""
    return Case(case_id, machine.IDLE, now).to_json()


class CaseModel:
    """The model the shared machine runs on, for one turn.

    Args:
        record: the case (changed in place).
        now: the current time in the person's time zone.
    """

    def __init__(self, record: Case, now: datetime) -> None:
        self.record = record
        self.now = now

    # -- the machine's state lives in the record -----------------------------------------

    @property
    def state(self) -> str:
        return self.record.state

    @state.setter
    def state(self, value: str) -> None:
        self.record.state = value

    # -- derived views -------------------------------------------------------------------

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def facts(self) -> dict[str, Any]:
        return self.record.facts

    @property
    def playbook(self) -> Playbook:
        return playbook_for(self.facts)

    @property
    def country(self) -> str:
        """Whose public holidays are not business days: the case's country (flows/country.py)
        when something told it, else the playbook's."""
        return case_country(self.facts, self.playbook) or self.playbook.country

    @property
    def jurisdiction(self) -> Jurisdiction | None:
        """The law where the person bought; None while nothing has told the country."""
        return jurisdiction_for(case_country(self.facts, self.playbook))

    @property
    def locale(self) -> str:
        """How the case's amounts are written (its storefront's locale)."""
        return locale_of(self.facts)

    @property
    def storefront_id(self) -> str:
        """Where the person bought: the storefront a paste or the shop's address named,
        else the shop's storefront in the case's country (a £ order: amazon.co.uk); empty
        when neither tells (the shop's first is then meant)."""
        front = storefront(self.facts)
        if front is None:
            country = case_country(self.facts, self.playbook)
            fronts = self.playbook.storefronts.values()
            front = next((f for f in fronts if f.country == country), None)
        return front.id if front else ""

    @property
    def rules(self) -> Mapping[str, Rule]:
        """The shop's rules for this order: as the storefront it was bought on states
        them (amazon.ca's A-to-z page), else the playbook's."""
        return self.playbook.rules_at(self.storefront_id)

    def linked(self, text: str) -> str:
        """A playbook text with its `{contact}`-style links to the pages of the storefront
        the person bought on (amazon.de's for an order there)."""
        return self.playbook.linked(text, self.storefront_id)

    def case_facts(self) -> CaseFacts:
        return CaseFacts(self.facts, self.today, self.playbook)

    def gathering(self) -> Questionnaire:
        """The questions asked one by one: the facts the advice turns on, an optional one
        being edited from the review, and one a paste gave two readings of."""
        asking = (self.record.question, *self.record.readings)
        return Questionnaire(
            tuple(f for f in applicable(self.case_facts()) if not f.optional or f.id in asking)
        )

    def fact_date(self, fact_id: str) -> date | None:
        value = self.facts.get(fact_id)
        return date.fromisoformat(value) if value else None

    def note(self, kind: str, text: str) -> None:
        """Put an event on the case's timeline."""
        self.record.timeline.append(TimelineEntry(self.now, kind, text))

    # -- guards named in flows/machine.py --------------------------------------------------

    def facts_complete(self) -> bool:
        return self.gathering().complete(self.facts)

    def editing(self) -> bool:
        """A fact reopened from the review: back returns there."""
        return self.record.editing

    def at_first_fact(self) -> bool:
        first = self.gathering().questions[0]
        return self.record.question in (None, first.id)

    def facts_confirmed(self) -> bool:
        return self.record.confirmed

    def _log_result(self) -> str | None:
        return self.record.log_draft.get("result")

    def at_first_log_question(self) -> bool:
        return self.record.log_question in (None, LOG.questions[0].id)

    def result_resolved(self) -> bool:
        return self._log_result() == "resolved"

    def result_offer(self) -> bool:
        return self._log_result() == "offer"

    def result_no_progress(self) -> bool:
        return self._log_result() == "no_progress"

    def needs_manager(self) -> bool:
        """Store credit, or a refund at or above the playbook's threshold, needs a manager."""
        outcome = self.facts.get("outcome")
        if outcome == "store_credit":
            return True
        amount = self.facts.get("amount")
        if outcome == "refund" and amount:
            return parsers.Money.from_json(amount).amount >= self.playbook.large_refund
        return False

    def supervisor_untried(self) -> bool:
        return machine.SUPERVISOR not in self.record.rungs_tried

    def guarantee_open(self) -> bool:
        return not self.guarantee_blockers()

    # -- the marketplace guarantee's conditions, in words ----------------------------------

    def guarantee_window(self) -> tuple[date, date] | None:
        """First and last day to claim, from the latest estimated delivery date.

        The wait after delivery applies to a package that has not come, unless tracking
        says it was delivered (then from the day that was said, whichever is sooner); an
        item that arrived damaged or wrong can be claimed for from its delivery date.
        """
        delivered = self.fact_date("delivery_date")
        guarantee = self.playbook.guarantee
        if delivered is None or guarantee is None:
            return None
        rules = self.rules
        late = self.facts.get("problem") == "late"
        wait = (rules[guarantee.rules.opens].days or 0) if late else 0
        opens = delivered + timedelta(days=wait)
        scanned = self.fact_date(advice.TRACKING_DELIVERED)
        if late and scanned:
            opens = min(opens, scanned)
        window = rules[guarantee.rules.closes].days or 0
        return opens, delivered + timedelta(days=window)

    def guarantee_blockers(self) -> list[Blocker]:
        """Why the guarantee rung is not open yet (empty when it is)."""
        playbook = self.playbook
        guarantee = playbook.guarantee
        if guarantee is None:
            return [Blocker("no_guarantee", f"{playbook.name} has no marketplace guarantee.")]
        blockers = []
        seller = advice.sold_by(self.facts, playbook)
        if seller is None:
            blockers.append(
                Blocker(
                    "seller_unknown",
                    "It covers only items a third-party seller sold and shipped: tell me who sold it (✏️ Sold by, in the review).",
                )
            )
        elif not advice.guarantee_applies(self.facts, playbook):
            blockers.append(
                Blocker(
                    "not_covered",
                    f"It covers only items a third-party seller sold and shipped, not items sold or shipped by {playbook.name}, whose own customer service handles them.",
                )
            )
        wait_rule = self.rules[guarantee.rules.seller_wait]
        seller_wait = wait_rule.days or 0
        contacted = advice.seller_contact_day(self.record.contacts, playbook)
        if contacted is None:
            blockers.append(
                Blocker(
                    "seller_not_contacted",
                    f"Message the seller from the order first, and log it here (a chat with {playbook.name} doesn't count).",
                )
            )
        else:
            # 2 business days on amazon.com, 48 hours (2 days) on amazon.ca.
            ready = (
                business_days_after(contacted, seller_wait, self.country)
                if wait_rule.business_days
                else contacted + timedelta(days=seller_wait)
            )
            if ready > self.today:
                unit = "business days" if wait_rule.business_days else "days"
                blockers.append(
                    Blocker(
                        "seller_wait",
                        f"Give the seller {seller_wait} {unit} to answer: "
                        f"you can claim from {ready:%a %-d %b}.",
                    )
                )
        window = self.guarantee_window()
        if window and self.today < window[0]:
            blockers.append(
                Blocker(
                    "not_late_yet",
                    f"A parcel that hasn't come can be claimed for from {window[0]:%a %-d %b}, "
                    "or as soon as tracking says it was delivered.",
                )
            )
        if window and self.today > window[1]:
            blockers.append(
                Blocker("window_closed", f"The claim window closed on {window[1]:%a %-d %b %Y}.")
            )
        return blockers


@dataclass(frozen=True, slots=True)
class Blocker:
    """A reason the guarantee claim is not open: `id` for the flow, `text` for the person."""

    id: str
    text: str
