"""The facts of the case: gathering (one question at a time), the review, and the
self-service step that often settles it before anyone is contacted."""

from __future__ import annotations

from flows import advice, machine
from flows.country import COUNTRY, SOURCES, inferred_country, settle_country
from flows.deadlines import return_window_closed
from flows.earlier import describe, merge_earlier, read_earlier
from flows.facts import FACTS_BY_ID, URGENCY, Fact, applicable, display
from flows.jurisdiction import country_name
from flows.prompt import BACK, ButtonStyle, Choice, InputKind
from flows.reply import Reply, rows
from flows.steps.base import ANSWER_VERBS, Step
from flows.steps.paste import INVITE, PasteSteps
from flows.text import RichText, join, rich
from flows.urgency import urgency


class FactSteps(PasteSteps):
    # -- gathering ---------------------------------------------------------------------

    def gathering_prompt(self) -> Reply:
        questions = self.gathering().questions
        current = self.record.question
        number = next((i for i, q in enumerate(questions, 1) if q.id == current), 1)
        # How many questions depends on the shop (Amazon asks who sold it): no total until then.
        total = f" of {len(questions)}" if "merchant" in self.facts else ", only a few in all"
        heading = "Changing one fact" if self.editing() else f"Question {number}{total}"
        reply = self.question_prompt(self.gathering().get(current), self.facts, heading)
        if self.facts or self.record.readings:
            return reply
        return Reply(join([reply.text, INVITE]), reply.prompt)

    def fact_chosen(self, verb: str, arg: str) -> None:
        if verb in ANSWER_VERBS:
            self.answer_fact(self.picked(self.gathering().get(self.record.question), verb, arg))

    def answer_fact(self, text: str | None) -> None:
        """Store the answer (or every fact of a pasted order text), point at the next
        question, and let the machine decide whether that was the last (to the review)."""
        question = self.gathering().get(self.record.question)
        pasted = text is not None and self.take_order_text(text)
        if not pasted and not self.store_answer(question, self.facts, text):
            return
        upcoming = self.gathering().next_unanswered(self.facts)
        self.record.question = upcoming.id if upcoming else None
        machine.fire(self, "answer")

    def start_questions(self) -> None:
        """Effect of `open`: the first question, and the case's first timeline entry."""
        self.record.question = self.gathering().questions[0].id
        self.note("opened", "Case opened.")

    def resume_questions(self) -> None:
        """Effect of `resume` into the questions: the first one not answered yet."""
        upcoming = self.gathering().next_unanswered(self.facts)
        self.record.question = upcoming.id if upcoming else self.gathering().questions[0].id

    def previous_question(self) -> None:
        """Effect of `back` within the questions (the guards decided it stays there)."""
        previous = self.gathering().before(self.record.question)
        if previous is not None:
            self.record.question = previous.id

    # -- review ------------------------------------------------------------------------

    def review_prompt(self) -> Reply:
        """Every fact, the optional ones too (a button adds one that was not asked)."""
        lines = [rich("**Here's your case. Is it all right?**")]
        edits = []
        for fact in applicable(self.case_facts()):
            lines.append(rich("**{label}:** {value}", label=fact.label, value=self.shown(fact)))
            mark = "\u2795" if fact.optional and fact.id not in self.facts else "✏️"
            edits.append(Choice(f"edit:{fact.id}", f"{mark} {fact.label}"))
        earlier = read_earlier(self.facts.get("earlier_contacts"), self.today, self.playbook)
        if earlier:
            lines.append(rich("**Earlier contacts I'll put on record:**"))
            lines += [rich("• {c}", c=describe(contact, self.playbook)) for contact in earlier]
        confirm = Choice("do:confirm", "✅ All correct", ButtonStyle.SUCCESS)
        # Four a row: every fact's button and the confirm row fit one Discord message.
        return self.ask(join(lines), ((confirm, BACK), *rows(edits, 4)), InputKind.CONFIRM)

    def shown(self, fact: Fact) -> RichText:
        """A fact as the review shows it: an optional one not given, or the urgency the
        dates point to, are said as such."""
        if fact.id == "urgency" and not self.facts.get("urgency"):
            value, _ = urgency(self)
            return rich("{urgency} _(from the problem and the dates)_", urgency=URGENCY[value])
        if fact.id == COUNTRY and fact.id not in self.facts:
            inferred = inferred_country(self.facts, self.playbook)
            if inferred:
                name = country_name(inferred[0])
                return rich("{name} _(from the {source})_", name=name, source=SOURCES[inferred[1]])
        if fact.optional and fact.id not in self.facts:
            return rich("_not given_")
        return display(fact, self.facts.get(fact.id), self.playbook, self.locale)

    def review_chosen(self, verb: str, arg: str) -> None:
        """`edit:<fact>` reopens one fact; back then returns to the review."""
        if verb == "edit" and arg in FACTS_BY_ID:
            self.record.question = arg
            self.record.editing = True
            machine.fire(self, "edit")

    def entered_review(self) -> None:
        """Effect of entering the review: whatever led here, an edit in progress is over."""
        self.record.editing = False

    def last_question(self) -> None:
        """Effect of `back` from the review: the last question again."""
        self.record.question = self.gathering().questions[-1].id

    def confirm_facts(self) -> None:
        """Effect of `confirm`: the facts are settled, and their deadlines can be set."""
        self.record.confirmed = True
        self.note("confirmed", "Facts confirmed.")
        earlier = read_earlier(self.facts.get("earlier_contacts"), self.today, self.playbook)
        if merge_earlier(self.record, earlier):
            for contact in earlier:
                self.note("contact", f"Earlier contact: {describe(contact, self.playbook)}.")
        settle_country(self.facts, self.playbook)
        self.set_deadlines()

    # -- self_service ------------------------------------------------------------------

    def self_service_prompt(self) -> Reply:
        problem = self.playbook.problem(self.facts.get("problem") or "")
        if return_window_closed(self):
            step = rich(self.playbook.closed_windows.self_service)
            link = RichText()
        elif problem is None:
            step = rich(
                "Check the order's page in your account first: it often shows what happened and offers a fix."
            )
            link = RichText()
        else:
            step = rich(self.linked(problem.self_service))
            link = (
                rich("Where: {link}", link=self.linked(problem.self_service_link))
                if problem.self_service_link
                else RichText()
            )
        text = [
            rich("**Try this first: it often settles it without waiting for anyone.**"),
            *self.not_late_lines(),
            step,
            link,
            rich("_Or go straight to a script: pick how to contact them._"),
        ]
        asks = [
            Choice(f"edit:{fact_id}", f"✏️ {FACTS_BY_ID[fact_id].label}")
            for fact_id in advice.undecided(self.facts, self.playbook)
        ]
        if asks:
            guarantee = self.playbook.guarantee
            text.append(
                rich(
                    "**Who sold it decides whom to contact first{claim}.** The order page says it under the item: tell me if you can.",
                    claim=f" and whether {guarantee.claim} is possible" if guarantee else "",
                )
            )
        choices = (
            Choice("do:solved", "🎉 That solved it", ButtonStyle.SUCCESS),
            Choice("do:need_help", "Still need help", ButtonStyle.PRIMARY),
        )
        channels = [
            Choice(f"channel:{channel}", self.playbook.channels[channel].label)
            for channel in self.ranked_channels()
        ]
        return self.ask(join(text), (choices, *rows(channels, 3), *rows(asks), (BACK,)))

    def self_service_chosen(self, verb: str, arg: str) -> None:
        """`edit:<fact>` for a fact that decides the advice: answered, then the review; a
        channel picked right here: still needing help, and that channel's script."""
        if verb == "edit" and arg in advice.undecided(self.facts, self.playbook):
            machine.fire(self, "back")
            self.review_chosen(verb, arg)
        elif (
            verb == "channel" and arg in self.playbook.channels and machine.fire(self, "need_help")
        ):
            self.channel_picked(arg)


STEPS: dict[str, Step[FactSteps]] = {
    machine.GATHERING: Step(
        FactSteps.gathering_prompt, FactSteps.answer_fact, FactSteps.fact_chosen
    ),
    machine.REVIEW: Step(
        FactSteps.review_prompt, FactSteps.pasted_at_review, FactSteps.review_chosen
    ),
    machine.SELF_SERVICE: Step(
        FactSteps.self_service_prompt, on_choice=FactSteps.self_service_chosen
    ),
}
