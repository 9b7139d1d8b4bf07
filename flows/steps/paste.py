"""A pasted order email or order page at any question: every fact it holds is filled in,
what was taken is shown, and a fact it gives two readings of is asked with both as buttons.

The reading itself is flows/intake.py's; here the readings become the case's facts, each
through the fact's own parser, so a pasted date is checked like a typed one (an order
date after the delivery date is refused the same way).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flows import machine
from flows.answers import as_text, valid
from flows.facts import FACTS, FACTS_BY_ID, display
from flows.intake import OrderText, is_order_text, read_order_text
from flows.steps.base import Conversation
from flows.text import by_typing, join, rich

INVITE = by_typing(
    "_Have the order confirmation email or the order page? Paste it here and I'll fill in "
    "what I can._",
    "_Have the order confirmation email or the order page? Press 🧾 Paste the order email "
    "and I'll fill in what I can._",
)


def _options(found: OrderText) -> Iterator[tuple[str, list[str]]]:
    """(fact, texts to parse) for each fact the text holds, the shop first (it decides the
    playbook, and so the other facts' shape) and the rest in the order they are asked."""
    for fact in FACTS:
        reading = found.get(fact.id)
        if reading is None:
            continue
        options: list[Any] = list(reading.options)
        if fact.id == "merchant" and reading.certain and (front := found.get("storefront")):
            options = [{**options[0], "storefront": front.value}]
        if fact.id == "seller" and options == ["third_party"] and found.get("fulfilled_by"):
            options = ["third_party_fba"]
        yield fact.id, [as_text(fact.id, option) for option in options]


class PasteSteps(Conversation):
    def take_order_text(self, text: str) -> bool:
        """Fill the facts a pasted order text holds; False when `text` was not one.

        A fact the person already answered is kept when the text gives two readings of
        it; a single reading replaces it (a paste is the order's own record).
        """
        found = read_order_text(text, self.today)
        if not is_order_text(found):
            return False
        taken: list[str] = []
        unsure: list[str] = []
        for fact_id, texts in _options(found):
            fact = FACTS_BY_ID[fact_id]
            if not fact.applies(self.case_facts()):
                continue
            readings = valid(fact, texts, self.case_facts())
            if len(readings) == 1:
                self.facts[fact_id] = readings[0][1]
                self.record.readings.pop(fact_id, None)
                taken.append(fact_id)
            elif len(readings) > 1 and self.facts.get(fact_id) is None:
                self.facts.pop(fact_id, None)
                self.record.readings[fact_id] = [reading for reading, _ in readings]
                unsure.append(fact_id)
        self.note("pasted", f"Filled from a pasted order text: {', '.join(taken) or 'nothing'}.")
        self.say_taken(taken, unsure)
        return True

    def say_taken(self, taken: list[str], unsure: list[str]) -> None:
        lines = [rich("**From what you pasted, I took:**")]
        for fact_id in taken:
            fact = FACTS_BY_ID[fact_id]
            lines.append(
                rich(
                    "• {label}: {value}",
                    label=fact.label,
                    value=display(fact, self.facts[fact_id], self.playbook, self.locale),
                )
            )
        if not taken:
            lines.append(rich("• nothing I could be sure of"))
        if unsure:
            labels = ", ".join(FACTS_BY_ID[fact_id].label.lower() for fact_id in unsure)
            lines.append(rich("It gives more than one {labels}: I'll ask which.", labels=labels))
        lines.append(rich("_You'll see everything in the review, to correct what's wrong._"))
        self.say(join(lines))

    def pasted_at_review(self, text: str) -> None:
        """Input of the review: a paste fills the facts there too (back to the questions
        when it gives two readings of one)."""
        if not self.take_order_text(text):
            self.say(rich("Press ✅ All correct, or the fact to change."))
            return
        upcoming = self.gathering().next_unanswered(self.facts)
        if upcoming is not None:
            self.record.question = upcoming.id
            machine.fire(self, "edit")
