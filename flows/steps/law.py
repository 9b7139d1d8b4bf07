"""The law where the person bought, as the ladder says it: the country asked once when
nothing told it, the payment method asked where it decides the money-back rung, that
rung's routes for how they paid, and the last rungs of the country (flows/law.py decides,
flows/jurisdictions/ holds the rules)."""

from __future__ import annotations

from collections.abc import Mapping

from flows import advice, law
from flows.country import COUNTRY, asked
from flows.jurisdiction import CARDS, PAYMENTS, LastRung, LawRule, countries
from flows.prompt import Choice
from flows.steps.base import Conversation
from flows.text import RichText, join, rich

COUNTRY_VERB, PAY_VERB = "country", "pay"
"""Button verbs: `country:<code>` answers where they bought, `pay:<method>` how they paid."""


class LawSteps(Conversation):
    def law_cited(self, rule: LawRule) -> RichText:
        """A jurisdiction's rule as the bot states it: text, source, checked date."""
        return rich(
            "_Rule:_ {text} (source: {source}, checked {checked})",
            text=rule.text,
            source=rule.source,
            checked=rule.checked.isoformat(),
        )

    def country_question(self) -> tuple[list[RichText], list[Choice]]:
        """While nothing has told the country: the question, and a button for each."""
        if self.jurisdiction is not None:
            return [], []
        text = rich(
            "**Where did you buy it?** The law of the shop's country decides your rights, the money-back routes and where to turn last."
        )
        return [text], [
            Choice(f"{COUNTRY_VERB}:{code}", name) for code, name in countries().items()
        ]

    def payment_question(self) -> tuple[list[RichText], list[Choice]]:
        """While how they paid is not known: the question, and a button for each method."""
        if self.facts.get(law.PAYMENT) is not None:
            return [], []
        text = rich("**How did you pay?** It decides how the money can come back.")
        return [text], [Choice(f"{PAY_VERB}:{key}", label) for key, label in PAYMENTS.items()]

    def law_chosen(self, verb: str, arg: str) -> bool:
        """A country or a payment method pressed: stored as a fact, and the deadlines set
        again (a country brings its rights' windows). False for any other press."""
        if verb == COUNTRY_VERB and arg in countries():
            self.facts[COUNTRY] = asked(arg)
            self.note("country", f"Bought in: {countries()[arg]}.")
        elif verb == PAY_VERB and arg in PAYMENTS:
            self.facts[law.PAYMENT] = arg
            self.note("payment", f"Paid with: {PAYMENTS[arg].lower()}.")
        else:
            return False
        self.set_deadlines()
        return True

    def money_back_label(self, label: str) -> str:
        """The money-back rung's name: the playbook's (a card dispute), or the one route's
        for a payment that is not a card (PayPal Buyer Protection)."""
        where = self.jurisdiction
        payment = self.facts.get(law.PAYMENT)
        if where is None or payment is None or payment in CARDS:
            return label
        found = law.routes(where, self.facts)
        return found[0].route.label if len(found) == 1 else label

    def money_back_parts(self) -> list[RichText]:
        """The money-back rung for this case: each route for how they paid (with its steps
        and rules), or that a gift card has none, and the questions not answered yet."""
        where = self.jurisdiction
        parts: list[RichText] = []
        if self.facts.get(law.PAYMENT) in law.NO_ROUTE:
            parts.append(
                rich(
                    "**A gift card or account balance can't be charged back.** Ask the shop to put the money back on it, and use the last rung if it won't."
                )
            )
        elif where is not None:
            for found in law.routes(where, self.facts):
                route = found.route
                condition = f" ({found.condition})" if found.condition else ""
                parts.append(
                    rich(
                        "**{label}**{condition}: {why}",
                        label=route.label,
                        condition=condition,
                        why=route.why,
                    )
                )
                parts += [rich(f"{i}. {step}") for i, step in enumerate(route.steps, 1)]
                parts += [self.law_cited(where.rules[rule_id]) for rule_id in route.rules]
        return [join(parts)] if parts else []

    def last_rung_parts(self) -> list[RichText]:
        """The last rungs of the country where they bought: who they are, how to reach them."""
        where = self.jurisdiction
        if where is None:
            return []
        lines = [rich("**Where to turn in {country}**", country=where.country.name)]
        if where.country.note:
            lines.append(rich("_{note}_", note=where.country.note))
        for rung in where.last_rungs.values():
            lines.append(rich("• **{label}**: {how}", label=rung.label, how=rung.how))
        lines += [self.law_cited(where.rules[rule_id]) for rule_id in _unique(where.last_rungs)]
        return [join(lines)]

    def law_questions(self, rung_id: str | None) -> tuple[list[RichText], list[Choice]]:
        """What the ladder (None) or a rung still needs to know: the country everywhere it
        decides something, how they paid on the money-back rung."""
        text, choices = self.country_question()
        if rung_id == advice.MONEY_BACK:
            more_text, more = self.payment_question()
            text, choices = text + more_text, choices + more
        return text, choices


def _unique(last_rungs: Mapping[str, LastRung]) -> list[str]:
    """The rules the last rungs cite, each once, in order."""
    seen: list[str] = []
    for rung in last_rungs.values():
        seen += [rule for rule in rung.rules if rule not in seen]
    return seen
