"""What every state's code works with: the case, the turn being built, and the helpers
two or more states share (answering a question, deadlines, reminders to cancel).

`Conversation` is a `CaseModel` (the record, its guards) plus the `Turn` this input
produces; the mixins in flows/steps/ add each state's prompt, input and effects to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from flows import advice, parsers
from flows.case import CaseModel
from flows.deadlines import deadline_reminders, deadline_summary
from flows.facts import Fact, display
from flows.prompt import BACK, SKIP, Choice, InputKind, Prompt
from flows.records import Case
from flows.reminders import DEADLINE, ReminderCancel
from flows.reply import Reply, Rows, Turn, rows
from flows.text import RichText, join, rich

ANSWER_VERBS = ("pick", "skip")
"""Button verbs that answer the current question: `pick:<value>`, `skip`."""


class Conversation(CaseModel):
    """One turn over one case: the case model and the turn's output.

    Args:
        record: the case (changed in place).
        now: the current time in the person's time zone.
    """

    def __init__(self, record: Case, now: datetime) -> None:
        super().__init__(record, now)
        self.turn = Turn()

    def say(self, text: RichText, choices: Rows = ()) -> None:
        self.turn.replies.append(self.ask(text, choices) if choices else Reply(text))

    def ask(self, text: RichText, options: Rows, kind: InputKind = InputKind.CHOICE) -> Reply:
        """A reply asking this state's question: the options, and what else answers it."""
        return Reply(text, Prompt(self.state, kind, options))

    def cancel_reminders(self, kinds: tuple[str, ...], reason: str) -> None:
        self.turn.cancels.append(ReminderCancel(self.record.id, kinds, reason))

    def cited(self, rule_id: str) -> RichText:
        """A playbook rule as the bot states it: its text, its source and when it was checked."""
        rule = self.playbook.rules[rule_id]
        return rich(
            "_Rule:_ {text} (source: {source}, checked {checked})",
            text=rule.text,
            source=rule.source,
            checked=rule.checked.isoformat(),
        )

    def not_late_lines(self) -> list[RichText]:
        """For a parcel whose latest estimated delivery is still ahead: that it is not late,
        when it will be, and when a claim could open (empty for any other case)."""
        late = advice.late_from(self.facts, self.today)
        if late is None:
            return []
        lines = [
            rich(
                "**Not late yet.** The latest estimated delivery is {estimate}, so it counts as late from {late}; I'll check with you that morning.",
                estimate=f"{late - timedelta(days=1):%a %-d %b}",
                late=f"{late:%a %-d %b}",
            )
        ]
        window = self.guarantee_window()
        guarantee = self.playbook.guarantee
        covered = advice.guarantee_applies(self.facts, self.playbook)
        if window and guarantee and covered is not False:
            lines.append(
                rich(
                    "{condition}{claim} opens on {opens} if it still hasn't come (sooner if tracking says delivered).",
                    condition="If a third-party seller sold and shipped it, "
                    if covered is None
                    else "After that, ",
                    claim=guarantee.claim,
                    opens=f"{window[0]:%a %-d %b}",
                )
            )
        return lines

    def set_deadlines(self) -> None:
        """The case's deadline warnings, afresh from its confirmed facts."""
        self.cancel_reminders((DEADLINE,), "the facts changed")
        self.turn.reminders.extend(deadline_reminders(self))
        summary = deadline_summary(self)
        if summary:
            self.say(summary)

    # -- questions: the facts (gathering) and a contact's details (logging) --------------

    def store_answer(
        self, question: Fact | None, answers: dict[str, Any], text: str | None
    ) -> bool:
        """Check and store an answer (None: skipped); False when there is no question or
        the answer does not parse (then the reason is said)."""
        if question is None:
            return False
        if text is None:
            answers[question.id] = None
            return True
        try:
            answers[question.id] = question.parse(text, self.case_facts())
        except parsers.ParseError as error:
            self.say(rich("{message}", message=error.message))
            return False
        return True

    def picked(self, question: Fact | None, verb: str, arg: str) -> str | None:
        """What a `pick:<value>` press answers (the choice's label), None for `skip`."""
        if verb == "skip" or question is None:
            return None
        labels = {c.value: c.label for c in question.choices(self.playbook)}
        return labels.get(arg, arg)

    def question_prompt(
        self,
        question: Fact | None,
        answers: dict[str, Any],
        heading: str,
        together: tuple[Fact, ...] = (),
    ) -> Reply:
        """The question with its options, skip and back; `together` are the questions
        from it on that a person may answer at once (see `Prompt.together`)."""
        if question is None:
            return Reply(rich("Something went missing here. Type /status to pick up again."))
        choices = [Choice(f"pick:{c.value}", c.label) for c in question.choices(self.playbook)]
        text = [rich("{heading}", heading=heading), rich(question.wording(self.playbook))]
        if question.hint:
            text.append(rich("_{hint}_", hint=question.hint))
        current = answers.get(question.id)
        if current is not None:
            text.append(rich("Currently: {value}", value=display(question, current, self.playbook)))
        nav = [SKIP, BACK] if question.id != "merchant" or answers else [SKIP]
        prompt = Prompt(
            self.state,
            question.kind,
            (*rows(choices), tuple(nav)),
            question.asked(),
            tuple(q.asked() for q in together),
        )
        return Reply(join(text), prompt)


C = TypeVar("C", bound=Conversation, contravariant=True)


@dataclass(frozen=True, slots=True)
class Step(Generic[C]):
    """One state's prompt and input handlers (see flows/steps/__init__.py).

    `on_text` takes typed text, `on_choice` a press's verb and argument; after either,
    the dialogue shows the prompt again (or the next state's).
    """

    prompt: Callable[[C], Reply]
    on_text: Callable[[C, str], None] | None = None
    on_choice: Callable[[C, str, str], None] | None = None
