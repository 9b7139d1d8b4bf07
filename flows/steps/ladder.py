"""Escalation: the ladder of rungs, and each rung with why, what it needs and costs, its
steps, the rules it rests on and what this case's facts add to it."""

from __future__ import annotations

from datetime import timedelta

from flows import advice, law, machine
from flows.deadlines import case_rules, case_windows
from flows.jurisdiction import CARDS
from flows.prompt import BACK, ButtonStyle, Choice
from flows.reply import Reply, rows
from flows.script import email, template_values
from flows.steps.base import Step
from flows.steps.law import LawSteps
from flows.text import RichText, Snippet, join, plain, quote, rich

TRACKED_DELIVERED = "tracked:delivered"
"""The ladder's button for a parcel that tracking calls delivered but never came."""


class LadderSteps(LawSteps):
    # -- escalating --------------------------------------------------------------------

    def escalating_prompt(self) -> Reply:
        playbook = self.playbook
        tried = self.record.rungs_tried
        lines = [
            rich(
                "**The escalation ladder.** Go one rung at a time; each gives the merchant a fair chance to fix it."
            )
        ]
        choices = []
        for rung_id in advice.applicable_rungs(self.facts, playbook):
            rung = playbook.rungs[rung_id]
            label = self.rung_label(rung_id)
            mark = "✓ " if rung_id in tried else ""
            lines.append(rich("{mark}**{label}**: {why}", mark=mark, label=label, why=rung.why))
            if rung_id != machine.GUARANTEE or self.guarantee_open():
                choices.append(Choice(f"do:climb_{rung_id}", f"{mark}{label}"))
                continue
            blockers = self.guarantee_blockers()
            lines.append(
                rich(
                    "  _Not open yet:_ {why}",
                    why=" ".join(blocker.text for blocker in blockers),
                )
            )
            if any(blocker.id == "not_late_yet" for blocker in blockers):
                choices.append(Choice(TRACKED_DELIVERED, "📦 Tracking says delivered"))
        asks, answers = self.law_questions(None)
        return self.ask(join(lines + asks), (*rows(choices), *rows(answers, 3), (BACK,)))

    def rung_label(self, rung_id: str) -> str:
        label = self.playbook.rungs[rung_id].label
        return self.money_back_label(label) if rung_id == machine.CARD_DISPUTE else label

    def ladder_chosen(self, verb: str, arg: str) -> None:
        """Tracking says delivered but nothing came: a claim can open now (the rule
        guarantee's `opens` rule: whichever is sooner), so the dates are set again. A
        country pressed is stored (flows/steps/law.py)."""
        if self.law_chosen(verb, arg):
            return
        if f"{verb}:{arg}" == TRACKED_DELIVERED:
            self.facts[advice.TRACKING_DELIVERED] = self.today.isoformat()
            self.note("tracking", "Tracking says delivered, but the parcel never came.")
            self.set_deadlines()

    def escalation_started(self) -> None:
        """Effect of escalating from anywhere but the ladder (before the state changes,
        so that it comes before the rung on the timeline)."""
        self.note("escalation", "Escalation started.")

    def climb(self, rung: str) -> None:
        """`climb_<rung>` from the ladder; a closed guarantee says why it is closed."""
        before = self.state
        if machine.fire(self, f"climb_{rung}"):
            return
        if rung == machine.GUARANTEE and before == machine.ESCALATING:
            reasons = self.guarantee_blockers()
            self.say(
                join(
                    [
                        rich("**The guarantee claim isn't open yet:**"),
                        *(plain(reason.text) for reason in reasons),
                    ]
                )
            )

    def next_rung(self) -> str | None:
        """The lowest rung of the ladder not tried yet that the case can take now."""
        for rung in advice.applicable_rungs(self.facts, self.playbook):
            if rung in self.record.rungs_tried:
                continue
            if rung != machine.GUARANTEE or self.guarantee_open():
                return rung
        return None

    # -- the rungs ---------------------------------------------------------------------

    def reached_rung(self) -> None:
        """Effect of entering a rung, by a button or on its own (a declined offer, a
        contact without progress): marked as tried, and put on the timeline."""
        rung = self.state
        if rung not in self.record.rungs_tried:
            self.record.rungs_tried.append(rung)
        self.note("escalation", f"Escalated: {self.rung_label(rung)}.")

    def rung_prompt(self) -> Reply:
        playbook = self.playbook
        rung = playbook.rungs[self.state]
        values = template_values(self.facts, playbook)
        parts = [
            rich("**{label}**", label=self.rung_label(rung.id)),
            rich(rung.why, **values),
            rich("**What it needs:** {needs}", needs=rung.needs),
            rich("**What it costs:** {cost}", cost=rung.cost),
        ]
        # Where the law is known, the money-back rung's steps are its routes' own.
        routes_known = rung.id == machine.CARD_DISPUTE and self.jurisdiction is not None
        if rung.steps and not routes_known:
            parts.append(
                join(
                    [
                        rich("**Steps**"),
                        *(rich(f"{i}. " + s, **values) for i, s in enumerate(rung.steps, 1)),
                    ]
                )
            )
        specifics, snippets = self.rung_specifics(rung.id)
        parts.extend(specifics)
        parts += [
            self.cited(rule_id) for rule_id in advice.rung_rules(rung.id, self.facts, playbook)
        ]
        choices: list[Choice] = [Choice("do:log", "📝 Log what happened", ButtonStyle.PRIMARY)]
        if rung.id == machine.SWITCH_CHANNEL:
            choices.insert(0, Choice("do:plan", "📞 Pick another channel"))
        choices.append(Choice("do:resolve", "🎉 It's resolved", ButtonStyle.SUCCESS))
        answers: list[Choice] = []
        if rung.id in (machine.CARD_DISPUTE, machine.AGENCY):
            asks, answers = self.law_questions(rung.id)
            parts += asks
        return self.ask(
            join(parts, "\n\n"),
            (*rows(choices), *rows(answers, 3), (BACK,)),
            snippets=snippets,
        )

    def rung_chosen(self, verb: str, arg: str) -> None:
        """A country or payment method pressed on a rung: stored, and the rung again."""
        self.law_chosen(verb, arg)

    def rung_specifics(self, rung_id: str) -> tuple[list[RichText], tuple[Snippet, ...]]:
        """What a rung adds from this case's facts (a script, a letter, dates, a warning),
        and what of it is worth copying whole."""
        playbook = self.playbook
        if rung_id == machine.SUPERVISOR:
            said = rich(playbook.script.supervisor_ask, **template_values(self.facts, playbook))
            return [rich("**What to say**"), quote(said)], (Snippet("What to say", said.plain()),)
        if rung_id == machine.WRITTEN_COMPLAINT:
            letter = email(self.facts, playbook, complaint=True)
            return [rich("**Your complaint, ready to send**"), letter.shown()], letter.snippets()
        if rung_id == machine.GUARANTEE:
            window = self.guarantee_window()
            if window:
                claim = rich(
                    "**Your claim window:** from {start} until {end}.",
                    start=f"{window[0]:%a %-d %b %Y}",
                    end=f"{window[1]:%a %-d %b %Y}",
                )
                return [claim], ()
        if rung_id == machine.CARD_DISPUTE:
            return self.money_back_parts() + self.card_dispute_notes(), ()
        if rung_id == machine.AGENCY:
            return self.last_rung_parts(), ()
        return [], ()

    def card_dispute_notes(self) -> list[RichText]:
        """The chargeback's cost to a guarantee claim, where one is still possible and the
        playbook says a chargeback voids it, and the
        usual window: its last day, or that it has closed and the issuer may still help."""
        playbook = self.playbook
        notes = []
        windows = case_windows(self)
        claim_open = any(d.id == "guarantee_close" for d in windows.ahead)
        guarantee = playbook.guarantee
        if claim_open and guarantee and guarantee.rules.voided_by:
            notes.append(
                rich(
                    "⚠️ **Careful:** once you file a chargeback, this order can no longer get {claim} under the {name}. If that claim is still possible, try it first.",
                    claim=guarantee.claim,
                    name=guarantee.name,
                )
            )
        if self.facts.get(law.PAYMENT) not in (None, *CARDS):
            return notes  # not paid by card: no card network's window
        base = self.fact_date("delivery_date") or self.fact_date("order_date")
        rule = case_rules(self).get(advice.CARD_WINDOW)
        card = next((d for d in windows.closed if d.id == "card_dispute"), None)
        if card:
            notes.append(
                rich(
                    "**{closed}.** {issuer}",
                    closed=card.sentence(self.today),
                    issuer=playbook.closed_windows.card_issuer,
                )
            )
        elif base and rule and rule.days:
            notes.append(
                rich(
                    "**Dispute by about {day}** ({days} days from {since}; your card issuer's terms decide).",
                    day=f"{base + timedelta(days=rule.days):%a %-d %b %Y}",
                    days=str(rule.days),
                    since=f"{base:%-d %b}",
                )
            )
        return notes


STEPS: dict[str, Step[LadderSteps]] = {
    machine.ESCALATING: Step(LadderSteps.escalating_prompt, on_choice=LadderSteps.ladder_chosen),
    **{
        rung: Step(LadderSteps.rung_prompt, on_choice=LadderSteps.rung_chosen)
        for rung in machine.RUNG_STATES
    },
}
