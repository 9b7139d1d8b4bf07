"""What every state's code works with: the case, the turn being built, and the helpers
two or more states share (answering a question, deadlines, reminders to cancel).

`Conversation` is a `CaseModel` (the record, its guards) plus the `Turn` this input
produces; the mixins in flows/steps/ add each state's prompt, input and effects to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from flows import advice, machine, parsers
from flows.answers import found_inside, valid
from flows.case import CaseModel
from flows.deadlines import deadline_reminders, deadline_summary
from flows.facts import Fact, display
from flows.playbook import CHANNELS, SELLER
from flows.prompt import BACK, SKIP, Choice, InputKind, Prompt
from flows.records import Case
from flows.reminders import DEADLINE, ReminderCancel
from flows.reply import Notice, Reply, Rows, Turn, rows
from flows.text import RichText, Snippet, by_typing, join, rich
from flows.urgency import urgency

ANSWER_VERBS = ("pick", "skip", "reading")
"""Button verbs that answer the current question: `pick:<value>`, `skip`, and
`reading:<n>`, one of the readings a text allowed."""


class Conversation(CaseModel):
    """One turn over one case: the case model and the turn's output.

    Args:
        record: the case (changed in place).
        now: the current time in the person's time zone.
    """

    def __init__(self, record: Case, now: datetime) -> None:
        super().__init__(record, now)
        self.turn = Turn()

    def say(
        self,
        text: RichText,
        choices: Rows = (),
        notice: Notice | None = None,
        details: tuple[tuple[str, str], ...] = (),
    ) -> None:
        reply = self.ask(text, choices) if choices else Reply(text)
        told = replace(reply, notice=notice, details=details) if notice else reply
        self.turn.replies.append(told)

    def ask(
        self,
        text: RichText,
        options: Rows,
        kind: InputKind = InputKind.CHOICE,
        snippets: tuple[Snippet, ...] = (),
    ) -> Reply:
        """A reply asking this state's question: the options, and what else answers it."""
        return Reply(text, Prompt(self.state, kind, options), snippets=snippets)

    def cancel_reminders(self, kinds: tuple[str, ...], reason: str) -> None:
        self.turn.cancels.append(ReminderCancel(self.record.id, kinds, reason))

    def cited(self, rule_id: str) -> RichText:
        """A shop's rule as the bot states it (as the storefront bought on states it, where
        it does): its text, its source and when it was checked."""
        rule = self.rules[rule_id]
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

    def ranked_channels(self) -> list[str]:
        """The channels for this case, best first (the channel list, and the self-service
        step's shortcut to a script).

        The shop's own follow the problem's ranking, the phone first when it is urgent
        (as the person said, or as the problem and the dates say: flows/urgency.py).
        A third-party seller's message comes first when the seller is to be contacted
        first, and only it until the seller has been; otherwise after the shop's own.
        """
        playbook = self.playbook
        problem = playbook.problem(self.facts.get("problem") or "")
        ranked = list(problem.channels if problem else CHANNELS)
        if urgency(self)[0] == "urgent" and "phone" in ranked:
            ranked.remove("phone")
            ranked.insert(0, "phone")
        if not advice.has_seller(self.facts, playbook):
            return ranked
        to_seller = [c.id for c in playbook.channels.values() if c.party == SELLER]
        if advice.first_party(self.facts, playbook) != SELLER:
            return ranked + to_seller
        if advice.seller_contact_day(self.record.contacts, playbook) is None:
            return to_seller
        return to_seller + ranked

    def channel_picked(self, channel: str) -> None:
        """A channel chosen (from the list, or right at the self-service step): its script."""
        self.record.channel = channel
        label = self.playbook.channels[channel].label.lower()
        self.note("channel", f"Chose to contact them by {label}.")
        machine.fire(self, "pick_channel")

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
            self.record.readings.pop(question.id, None)
            return True
        try:
            answers[question.id] = question.parse(text, self.case_facts())
        except parsers.ParseError as error:
            # Not a bare answer: perhaps one inside a sentence ("got it on the 3rd").
            found = found_inside(question, text, self.case_facts())
            if len(found) == 1:
                answers[question.id] = found[0][1]
                return True
            if len(found) > 1 and answers is self.facts:
                self.record.readings[question.id] = [reading for reading, _ in found]
                self.say(
                    rich("I can read that more than one way. Which did you mean?"),
                    notice=Notice.AMBIGUOUS,
                )
            else:
                self.say(
                    rich("{message}", message=error.message),
                    notice=Notice.UNREADABLE,
                    details=(("reason", error.reason),),
                )
            return False
        self.record.readings.pop(question.id, None)
        return True

    def picked(self, question: Fact | None, verb: str, arg: str) -> str | None:
        """What a `pick:<value>` press answers (the choice's label), None for `skip`."""
        if verb == "skip" or question is None:
            return None
        if verb == "reading":
            options = self.record.readings.get(question.id, [])
            return options[int(arg)] if arg.isdigit() and int(arg) < len(options) else None
        labels = {c.value: c.label for c in question.choices(self.playbook)}
        return labels.get(arg, arg)

    def question_prompt(
        self, question: Fact | None, answers: dict[str, Any], heading: str
    ) -> Reply:
        """The question with its options (the readings a text gave first), skip and back."""
        if question is None:
            return Reply(rich("Something went missing here. Type /status to pick up again."))
        choices = [Choice(f"pick:{c.value}", c.label) for c in question.choices(self.playbook)]
        text = [rich("{heading}", heading=heading), question.text(self.playbook)]
        if question.hint:
            text.append(rich("_{hint}_", hint=question.hint))
        current = answers.get(question.id)
        if current is not None:
            text.append(
                rich(
                    "Currently: {value}",
                    value=display(question, current, self.playbook, self.locale),
                )
            )
        readings = self.record.readings.get(question.id, []) if answers is self.facts else []
        if readings:
            text.append(
                by_typing(
                    "_I found more than one; press the right one, or type it._",
                    "_I found more than one; press the right one, or give it with ✍️ Answer._",
                )
            )
            labels = {choice.label for choice in choices}  # a choice's own button is enough
            offered = [
                Choice(f"reading:{index}", label)
                for index, reading in enumerate(readings)
                if (found := valid(question, [reading], self.case_facts()))
                and (
                    label := display(question, found[0][1], self.playbook, self.locale).plain()[:60]
                )
                not in labels
            ]
            choices = offered + choices
        nav = [SKIP, BACK] if question.id != "merchant" or answers else [SKIP]
        options = (*rows(choices), tuple(nav))
        pastable = answers is self.facts  # a fact of the case: an order email fills it
        prompt = Prompt(self.state, question.kind, options, question.asked(), pastable)
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
