"""How urgent a case is, from its problem and its dates, unless the person said.

Urgency decides one thing, the order of the channels (an urgent case calls first), so
it is not asked: a charge nobody agreed to is urgent, so is a window about to close
(return, A-to-z, card dispute: `URGENT_WITHIN`); a parcel whose delivery day is still
ahead has no rush; anything else is for this week. The review shows the urgency with
"from your dates", and choosing another one there is what counts from then on.
"""

from __future__ import annotations

from datetime import timedelta

from flows.case import CaseModel
from flows.deadlines import case_deadlines

URGENT_WITHIN = timedelta(days=7)
"""A window closing within this is urgent."""


def inferred_urgency(case: CaseModel) -> str:
    """The urgency the case's problem and dates point to (an URGENCY id)."""
    problem = case.facts.get("problem")
    if problem == "charge":
        return "urgent"
    closing = [
        deadline.day
        for deadline in case_deadlines(case)
        if not deadline.opens and case.today <= deadline.day <= case.today + URGENT_WITHIN
    ]
    if closing:
        return "urgent"
    due = case.fact_date("delivery_date")
    if problem == "late" and due is not None and due >= case.today:
        return "relaxed"
    return "soon"


def urgency(case: CaseModel) -> tuple[str, bool]:
    """The case's urgency, and whether it was inferred (the person did not choose one)."""
    chosen = case.facts.get("urgency")
    return (chosen, False) if chosen else (inferred_urgency(case), True)
