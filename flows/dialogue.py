"""What the bot says and accepts in each state of a case, over the shared machine.

`Dialogue` is one turn's view of a case: `prompt()` is the current question with its
buttons, and `on_text`, `on_choice` and `on_command` take the person's input, fire the
machine's events and answer. Button values are short (`verb` or `verb:arg`): `do:<event>`
fires an event, `pick:<value>` answers the current question, `skip` skips it,
`edit:<fact>` reopens a fact from the review, `channel:<id>` picks a channel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from flows import machine, parsers
from flows.case import LOG, CaseModel
from flows.contacts import RESULTS
from flows.deadlines import deadline_reminders, deadline_summary
from flows.facts import FACTS_BY_ID, Choice, Fact, display
from flows.playbook import RUNGS
from flows.promises import record_promises, settle
from flows.reminders import (
    CHECK_IN,
    DEADLINE,
    FOLLOW_UP,
    KINDS,
    ReminderCancel,
    ReminderRequest,
)
from flows.script import contact_script, email_text, template_values
from flows.text import RichText, join, plain, rich

Rows = tuple[tuple[Choice, ...], ...]

BACK = Choice("do:back", "⬅ Back")
SKIP = Choice("skip", "Don't know / skip")


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to the person: text, button rows, and whether free text is expected."""

    text: RichText
    choices: Rows = ()
    typed_only: bool = False
    """The question is answered by typing (an amount, an item): its only buttons are skip
    and back, so a typed "2" is an answer, not a press."""


@dataclass
class Turn:
    """What a turn produced: replies in order, reminders to cancel, then to schedule."""

    replies: list[Reply] = field(default_factory=list)
    reminders: list[ReminderRequest] = field(default_factory=list)
    cancels: list[ReminderCancel] = field(default_factory=list)


def rows(choices: list[Choice], per_row: int = 2) -> Rows:
    return tuple(tuple(choices[i : i + per_row]) for i in range(0, len(choices), per_row))


class Dialogue:
    """One turn over one case.

    Args:
        record: the case record (changed in place).
        now: the current time in the person's time zone.
    """

    def __init__(self, record: dict[str, Any], now: datetime) -> None:
        self.case = CaseModel(record, now)
        self.turn = Turn()

    # -- entry points ----------------------------------------------------------------------

    def open(self) -> Turn:
        """Start the case: the first question."""
        machine.fire(self.case, "open")
        self.case.record["question"] = self.case.gathering().questions[0].id
        self.case.note("opened", "Case opened.")
        return self._say_prompt()

    def prompt(self) -> Reply:
        """The current question with its buttons, for `/status`, resumes and stale presses."""
        return _PROMPTS[self.case.state](self)

    def on_text(self, text: str) -> Turn:
        handler = _TEXT_HANDLERS.get(self.case.state)
        if handler is None:
            # Only the buttons again, not the whole prompt (a script can be long).
            self._say(
                rich(
                    "Please use the buttons; /status shows this step again, /help what else I can do."
                ),
                self.prompt().choices,
            )
            return self.turn
        return handler(self, text)

    def on_choice(self, value: str) -> Turn:
        """A button press; the caller has checked that the value is on the current prompt."""
        verb, _, arg = value.partition(":")
        if verb == "do":
            return self.on_command(arg)
        if verb in ("pick", "skip"):
            question = self._current_question()
            if question is None:
                return self._say_prompt()
            label = dict((c.value, c.label) for c in question.choices(self.case.playbook)).get(
                arg, arg
            )
            return self._answer(question, None if verb == "skip" else label)
        if verb == "edit" and arg in FACTS_BY_ID:
            self.case.record.update(question=arg, editing=True)
            machine.fire(self.case, "edit")
            return self._say_prompt()
        if verb == "channel" and arg in self.case.playbook.channels:
            self.case.record["channel"] = arg
            label = self.case.playbook.channels[arg].label.lower()
            self.case.note("channel", f"Chose to contact them by {label}.")
            machine.fire(self.case, "pick_channel")
        return self._say_prompt()

    def on_command(self, event: str) -> Turn:
        """Fire a flow event (`back`, `cancel`, `log`, `escalate`, `climb_…`, …)."""
        before = self.case.state
        if event.startswith("climb_") and event.removeprefix("climb_") in RUNGS:
            return self._climb(event.removeprefix("climb_"))
        if not machine.fire(self.case, event):
            self._say(self._refusal(event))
            return self._say_prompt()
        if event == "back":
            self._stepped_back(before)
        if event == "log" and before != machine.LOGGING:
            self.case.record.update(log_draft={}, log_question=LOG.questions[0].id)
        self._after(before, event)
        return self._say_prompt()

    # -- answers -----------------------------------------------------------------------------

    def _current_question(self) -> Fact | None:
        if self.case.state == machine.GATHERING:
            return self.case.gathering().get(self.case.record["question"])
        if self.case.state == machine.LOGGING:
            return LOG.get(self.case.record["log_question"])
        return None

    def _answer_text(self, text: str) -> Turn:
        question = self._current_question()
        if question is None:
            return self._say_prompt()
        return self._answer(question, text)

    def _answer(self, question: Fact, text: str | None) -> Turn:
        """Check and store an answer (None: skipped), then move to what comes next."""
        record = self.case.record
        logging = self.case.state == machine.LOGGING
        answers = record["log_draft"] if logging else record["facts"]
        if text is None:
            answers[question.id] = None
        else:
            try:
                answers[question.id] = question.parse(text, self.case.case_facts())
            except parsers.ParseError as error:
                self._say(rich("{message}", message=error.message))
                return self._say_prompt()
        if logging:
            return self._after_log_answer()
        upcoming = self.case.gathering().next_unanswered(record["facts"])
        record["question"] = upcoming.id if upcoming else None
        machine.fire(self.case, "answer")
        return self._say_prompt()

    def _after_log_answer(self) -> Turn:
        record = self.case.record
        upcoming = LOG.next_unanswered(record["log_draft"])
        if upcoming is not None:
            record["log_question"] = upcoming.id
            machine.fire(self.case, "answer")
            return self._say_prompt()
        contact = dict(record["log_draft"])
        record["contacts"].append(contact)
        result = RESULTS.get(contact.get("result") or "", "not recorded")
        channel = self.case.playbook.channels.get(contact.get("channel") or "")
        how = channel.label.lower() if channel else "an unknown channel"
        self.case.note("contact", f"Contact by {how}: {result}.")
        self._say(rich("Logged. ✅ Every contact on record makes the next step easier."))
        self._cancel((FOLLOW_UP,), "a newer contact was logged")
        checks, said = record_promises(self.case, contact)
        self.turn.reminders.extend(checks)
        for text in said:
            self._say(text)
        if contact.get("result") == "waiting" and not checks:
            self._schedule_follow_up(contact)
        machine.fire(self.case, "logged")
        self._after(machine.LOGGING, "logged")
        if self.case.state == machine.SUPERVISOR:
            self._say(
                rich(
                    "For a store credit or a large refund, a manager is usually the one who can say yes."
                )
            )
        return self._say_prompt()

    def _schedule_follow_up(self, contact: dict[str, Any]) -> None:
        """A contact left waiting gets a follow-up: two business days, at 9:00 their time."""
        rule_days = 2
        due_day = parsers.business_days_after(self.case.today, rule_days)
        due = parsers.wall_time(due_day, time(9), self.case.now)
        self.turn.reminders.append(
            ReminderRequest(
                self.case.record["id"],
                due,
                FOLLOW_UP,
                "No answer yet? Time to follow up.",
                slot=FOLLOW_UP,
            )
        )
        self._say(
            rich(
                "I'll remind you to follow up on {day} if nothing has moved.",
                day=f"{due:%a %-d %b}",
            )
        )

    # -- moving ------------------------------------------------------------------------------

    def _stepped_back(self, before: str) -> None:
        """After `back` fired: point at the question before, when it stayed in the questions.

        The machine's guards (first question? editing?) decide where `back` leads, so the
        pointer moves only after them.
        """
        record = self.case.record
        state = self.case.state
        if state == machine.GATHERING and before == machine.REVIEW:
            record["question"] = self.case.gathering().questions[-1].id
        elif state == machine.GATHERING == before:
            previous = self.case.gathering().before(record["question"])
            if previous is not None:
                record["question"] = previous.id
        elif state == machine.LOGGING == before:
            previous = LOG.before(record["log_question"])
            if previous is not None:
                record["log_question"] = previous.id

    def _after(self, before: str, event: str) -> None:
        record = self.case.record
        state = self.case.state
        if event == "confirm" and state == machine.SELF_SERVICE:
            record["confirmed"] = True
            self.case.note("confirmed", "Facts confirmed.")
            self._set_deadlines()
        elif state == machine.GATHERING and before == machine.CASE_MENU:
            upcoming = self.case.gathering().next_unanswered(record["facts"])
            record["question"] = upcoming.id if upcoming else self.case.gathering().questions[0].id
        elif event in ("decline", "escalate") and before != machine.ESCALATING:
            self.case.note("escalation", "Escalation started.")
        if state in machine.RUNG_STATES and before != state:
            self._reached(state)
        if state in machine.CLOSED_STATES:
            self._closed_note()
        elif event == "reopen":
            self.case.note("reopened", "Case reopened.")
            if self.case.facts_confirmed():
                self._set_deadlines()

    def _climb(self, rung: str) -> Turn:
        before = self.case.state
        if not machine.fire(self.case, f"climb_{rung}"):
            if rung == machine.GUARANTEE and before == machine.ESCALATING:
                reasons = self.case.guarantee_blockers()
                self._say(
                    join([rich("**The guarantee claim isn't open yet:**"), *map(plain, reasons)])
                )
            return self._say_prompt()
        self._reached(rung)
        return self._say_prompt()

    def _reached(self, rung: str) -> None:
        """A rung the case has moved onto, by a button or on its own (a declined offer, a
        contact without progress): marked as tried, and put on the timeline."""
        if rung not in self.case.record["rungs_tried"]:
            self.case.record["rungs_tried"].append(rung)
        self.case.note("escalation", f"Escalated: {self.case.playbook.rungs[rung].label}.")

    def _closed_note(self) -> None:
        self.case.record["closed_at"] = self.case.now.isoformat()
        self.case.note(self.case.state, f"Case {self.case.state}.")
        # A case resolved on a promise ("refund in 3-5 business days") still has it checked.
        kept = (CHECK_IN,) if self.case.state == machine.RESOLVED else ()
        self._cancel(tuple(k for k in KINDS if k not in kept), f"case {self.case.state}")

    def _cancel(self, kinds: tuple[str, ...], reason: str) -> None:
        self.turn.cancels.append(ReminderCancel(self.case.record["id"], kinds, reason))

    def _set_deadlines(self) -> None:
        """The case's deadline warnings, afresh from its confirmed facts."""
        self._cancel((DEADLINE,), "the facts changed")
        self.turn.reminders.extend(deadline_reminders(self.case))
        summary = deadline_summary(self.case)
        if summary:
            self._say(summary)

    # -- promises ------------------------------------------------------------------------------

    def on_promise(self, promise_id: str, kept: bool) -> Turn:
        """The answer to a promise's check-in: kept settles the case, broken climbs a rung."""
        promise = settle(self.case, promise_id, kept)
        if promise is None:
            self._say(rich("I've already noted what became of that promise."))
            return self._say_prompt()
        if kept:
            self._say(rich("Good to hear they kept their word. 👍"))
            if self.case.state not in machine.CLOSED_STATES:
                return self.on_command("resolve")
            return self._say_prompt()
        self._say(
            rich("Sorry, that's frustrating. A broken promise is a fair reason to go a step up.")
        )
        closed = self.case.state in machine.CLOSED_STATES
        for event in ("reopen", "escalate") if closed else ("escalate",):
            before = self.case.state
            if not machine.fire(self.case, event):
                self._say(self._refusal(event))
                return self._say_prompt()
            self._after(before, event)
        rung = self._next_rung()
        return self._climb(rung) if rung else self._say_prompt()

    def _next_rung(self) -> str | None:
        """The lowest rung of the ladder not tried yet that the case can take now."""
        for rung in RUNGS:
            if rung not in self.case.playbook.rungs or rung in self.case.record["rungs_tried"]:
                continue
            if rung != machine.GUARANTEE or self.case.guarantee_open():
                return rung
        return None

    def _refusal(self, event: str) -> RichText:
        if event in ("log", "escalate", "plan", "resolve") and not self.case.facts_confirmed():
            return rich("Let's finish the facts first: that comes right after the review.")
        if event == "cancel":
            return rich("There's nothing in progress to cancel.")
        return rich("That isn't possible from this step.")

    # -- output --------------------------------------------------------------------------------

    def _say(self, text: RichText, choices: Rows = ()) -> None:
        self.turn.replies.append(Reply(text, choices))

    def _say_prompt(self) -> Turn:
        self.turn.replies.append(self.prompt())
        return self.turn

    # -- prompts, one per state -------------------------------------------------------------

    def _question_prompt(
        self, question: Fact | None, answers: dict[str, Any], heading: str
    ) -> Reply:
        if question is None:
            return Reply(rich("Something went missing here. Type /status to pick up again."))
        choices = [Choice(f"pick:{c.value}", c.label) for c in question.choices(self.case.playbook)]
        text = [rich("{heading}", heading=heading), rich(question.question)]
        if question.hint:
            text.append(rich("_{hint}_", hint=question.hint))
        current = answers.get(question.id)
        if current is not None:
            text.append(
                rich("Currently: {value}", value=display(question, current, self.case.playbook))
            )
        nav = [SKIP, BACK] if question.id != "merchant" or answers else [SKIP]
        return Reply(join(text), (*rows(choices), tuple(nav)), typed_only=not choices)

    def _gathering_prompt(self) -> Reply:
        questions = self.case.gathering().questions
        current = self.case.record["question"]
        number = next((i for i, q in enumerate(questions, 1) if q.id == current), 1)
        # How many questions depends on the shop (Amazon asks who sold it): no total until then.
        total = (
            f" of {len(questions)}" if "merchant" in self.case.facts else ", about a dozen in all"
        )
        return self._question_prompt(
            self.case.gathering().get(current), self.case.facts, f"Question {number}{total}"
        )

    def _logging_prompt(self) -> Reply:
        record = self.case.record
        return self._question_prompt(
            LOG.get(record["log_question"]), record["log_draft"], "Logging a contact"
        )

    def _review_prompt(self) -> Reply:
        playbook = self.case.playbook
        lines = [rich("**Here's your case. Is it all right?**")]
        for fact in self.case.gathering().questions:
            lines.append(
                rich(
                    "**{label}:** {value}",
                    label=fact.label,
                    value=display(fact, self.case.facts.get(fact.id), playbook),
                )
            )
        edits = [Choice(f"edit:{f.id}", f"✏️ {f.label}") for f in self.case.gathering().questions]
        return Reply(join(lines), ((Choice("do:confirm", "✅ All correct"), BACK), *rows(edits, 3)))

    def _self_service_prompt(self) -> Reply:
        problem = self.case.playbook.problem(self.case.facts.get("problem") or "")
        if problem is None:
            step = rich(
                "Check the order's page in your account first: it often shows what happened and offers a fix."
            )
            link = RichText()
        else:
            step = rich(problem.self_service)
            link = (
                rich("Where: {link}", link=problem.self_service_link)
                if problem.self_service_link
                else RichText()
            )
        text = join(
            [
                rich("**Try this first: it often settles it without waiting for anyone.**"),
                step,
                link,
            ]
        )
        return Reply(
            text,
            (
                (
                    Choice("do:solved", "🎉 That solved it"),
                    Choice("do:need_help", "Still need help"),
                ),
                (BACK,),
            ),
        )

    def _channel_prompt(self) -> Reply:
        playbook = self.case.playbook
        ranked = self._ranked_channels()
        lines = [
            rich(
                "**How to contact {merchant}, best first for your case:**",
                merchant=template_values(self.case.facts, playbook)["merchant"],
            )
        ]
        for index, channel_id in enumerate(ranked, 1):
            channel = playbook.channels[channel_id]
            lines.append(
                rich(
                    "{n}. **{label}**: {reason}",
                    n=str(index),
                    label=channel.label,
                    reason=channel.reason,
                )
            )
        choices = [Choice(f"channel:{c}", playbook.channels[c].label) for c in ranked]
        return Reply(join(lines), (*rows(choices, 3), (BACK,)))

    def _ranked_channels(self) -> list[str]:
        """The problem's ranking; an urgent case puts the phone first."""
        problem = self.case.playbook.problem(self.case.facts.get("problem") or "")
        ranked = list(problem.channels if problem else self.case.playbook.channels)
        if self.case.facts.get("urgency") == "urgent" and "phone" in ranked:
            ranked.remove("phone")
            ranked.insert(0, "phone")
        return ranked

    def _preparing_prompt(self) -> Reply:
        channel_id = self.case.record["channel"] or "chat"
        playbook = self.case.playbook
        channel = playbook.channels[channel_id]
        script = contact_script(
            channel_id, self.case.facts, playbook, manager=self.case.needs_manager()
        )
        text = join(
            [
                rich("**Your {label} script**", label=channel.label.lower()),
                rich("_How to reach them:_ {how}", how=channel.how),
                script,
                rich("\nWhen you've been in touch, log it here so nothing gets lost."),
            ]
        )
        return Reply(text, ((Choice("do:log", "📝 Log the contact"), BACK),))

    def _case_menu_prompt(self) -> Reply:
        record = self.case.record
        if not self.case.facts_confirmed():
            return Reply(
                rich("**This case is paused.** Carry on with the questions, or drop it."),
                ((Choice("do:resume", "▶️ Continue"), Choice("do:drop", "🗑 Drop this case")),),
            )
        contacts = len(record["contacts"])
        text = rich(
            "**What next?** {count} logged so far.",
            count=f"{contacts} contact{'s' if contacts != 1 else ''}",
        )
        return Reply(
            text,
            (
                (Choice("do:plan", "📞 Plan a contact"), Choice("do:log", "📝 Log a contact")),
                (Choice("do:escalate", "⬆️ Escalate"), Choice("do:resolve", "🎉 It's resolved")),
                (Choice("do:drop", "🗑 Drop this case"),),
            ),
        )

    def _offer_prompt(self) -> Reply:
        notes = (
            self.case.record["contacts"][-1].get("notes") if self.case.record["contacts"] else None
        )
        text = [rich("**They made an offer.** Does it put things right for you?")]
        if notes:
            text.append(rich("What you noted: {notes}", notes=notes))
        text.append(
            rich(
                "If it's less than you're owed, it's fine to say no politely and ask again higher up."
            )
        )
        return Reply(
            join(text),
            ((Choice("do:accept", "👍 Accept it"), Choice("do:decline", "👎 Not enough")), (BACK,)),
        )

    def _escalating_prompt(self) -> Reply:
        playbook = self.case.playbook
        tried = self.case.record["rungs_tried"]
        lines = [
            rich(
                "**The escalation ladder.** Go one rung at a time; each gives the merchant a fair chance to fix it."
            )
        ]
        choices = []
        for rung_id in RUNGS:
            rung = playbook.rungs.get(rung_id)
            if rung is None:
                continue
            mark = "✓ " if rung_id in tried else ""
            lines.append(
                rich("{mark}**{label}**: {why}", mark=mark, label=rung.label, why=rung.why)
            )
            if rung_id != machine.GUARANTEE or self.case.guarantee_open():
                choices.append(Choice(f"do:climb_{rung_id}", f"{mark}{rung.label}"))
            else:
                lines.append(
                    rich("  _Not open yet:_ {why}", why=" ".join(self.case.guarantee_blockers()))
                )
        return Reply(join(lines), (*rows(choices), (BACK,)))

    def _rung_prompt(self) -> Reply:
        playbook = self.case.playbook
        rung = playbook.rungs[self.case.state]
        values = template_values(self.case.facts, playbook)
        parts = [
            rich("**{label}**", label=rung.label),
            rich(rung.why, **values),
            rich("**What it needs:** {needs}", needs=rung.needs),
            rich("**What it costs:** {cost}", cost=rung.cost),
        ]
        if rung.steps:
            parts.append(
                join(
                    [
                        rich("**Steps**"),
                        *(rich(f"{i}. " + s, **values) for i, s in enumerate(rung.steps, 1)),
                    ]
                )
            )
        parts.extend(self._rung_specifics(rung.id))
        for rule_id in rung.rules:
            rule = playbook.rules[rule_id]
            parts.append(
                rich(
                    "_Rule:_ {text} (source: {source}, checked {checked})",
                    text=rule.text,
                    source=rule.source,
                    checked=rule.checked.isoformat(),
                )
            )
        choices: list[Choice] = [Choice("do:log", "📝 Log what happened")]
        if rung.id == machine.SWITCH_CHANNEL:
            choices.insert(0, Choice("do:plan", "📞 Pick another channel"))
        choices.append(Choice("do:resolve", "🎉 It's resolved"))
        return Reply(join(parts, "\n\n"), (*rows(choices), (BACK,)))

    def _rung_specifics(self, rung_id: str) -> list[RichText]:
        """What a rung adds from this case's facts: a script, a letter, dates, a warning."""
        playbook = self.case.playbook
        if rung_id == machine.SUPERVISOR:
            return [
                rich("**What to say**"),
                rich(playbook.script.supervisor_ask, **template_values(self.case.facts, playbook)),
            ]
        if rung_id == machine.WRITTEN_COMPLAINT:
            return [
                rich("**Your complaint, ready to send**"),
                email_text(self.case.facts, playbook, complaint=True),
            ]
        if rung_id == machine.GUARANTEE:
            window = self.case.guarantee_window()
            if window:
                return [
                    rich(
                        "**Your claim window:** from {start} until {end}.",
                        start=f"{window[0]:%a %-d %b %Y}",
                        end=f"{window[1]:%a %-d %b %Y}",
                    )
                ]
        if rung_id == machine.CARD_DISPUTE:
            notes = []
            if playbook.marketplace and self.case.facts.get("seller") == "third_party":
                notes.append(
                    rich(
                        "⚠️ **Careful:** once you file a chargeback, this order can no longer get an A-to-z Guarantee claim. If that claim is still possible, try it first."
                    )
                )
            base = self.case.fact_date("delivery_date") or self.case.fact_date("order_date")
            rule = playbook.rules.get("card_dispute_window")
            if base and rule and rule.days:
                notes.append(
                    rich(
                        "**Dispute by about {day}** ({days} days from {since}; your card issuer's terms decide).",
                        day=f"{base + timedelta(days=rule.days):%a %-d %b %Y}",
                        days=str(rule.days),
                        since=f"{base:%-d %b}",
                    )
                )
            return notes
        return []

    def _closed_prompt(self) -> Reply:
        word = "resolved 🎉" if self.case.state == machine.RESOLVED else "dropped"
        text = rich(
            "**This case is {word}.** Type /export for the case file, or /new to start another case.",
            word=word,
        )
        return Reply(text, ((Choice("do:reopen", "↩️ Reopen it"),),))

    def _confirm_drop_prompt(self) -> Reply:
        return Reply(
            rich(
                "**Drop this case?** Its record stays in /cases and /export, but I'll stop reminding you about it."
            ),
            ((Choice("do:confirm", "Yes, drop it"), Choice("do:back", "No, keep it")),),
        )

    def _idle_prompt(self) -> Reply:
        return Reply(rich("No case is open. Type /new to start one."))


_PROMPTS: dict[str, Callable[[Dialogue], Reply]] = {
    machine.IDLE: Dialogue._idle_prompt,
    machine.GATHERING: Dialogue._gathering_prompt,
    machine.REVIEW: Dialogue._review_prompt,
    machine.SELF_SERVICE: Dialogue._self_service_prompt,
    machine.CHOOSING_CHANNEL: Dialogue._channel_prompt,
    machine.PREPARING: Dialogue._preparing_prompt,
    machine.LOGGING: Dialogue._logging_prompt,
    machine.OFFER: Dialogue._offer_prompt,
    machine.CASE_MENU: Dialogue._case_menu_prompt,
    machine.ESCALATING: Dialogue._escalating_prompt,
    **{rung: Dialogue._rung_prompt for rung in machine.RUNG_STATES},
    machine.CONFIRM_DROP: Dialogue._confirm_drop_prompt,
    machine.RESOLVED: Dialogue._closed_prompt,
    machine.DROPPED: Dialogue._closed_prompt,
}
_TEXT_HANDLERS: dict[str, Callable[[Dialogue, str], Turn]] = {
    machine.GATHERING: Dialogue._answer_text,
    machine.LOGGING: Dialogue._answer_text,
}
