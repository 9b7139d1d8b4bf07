"""Getting in touch: choosing a channel, the script for it, logging what happened, and
an offer the shop made."""

from __future__ import annotations

from datetime import time

from flows import advice, machine, parsers
from flows.case import LOG
from flows.contacts import RESULTS
from flows.playbook import SELLER
from flows.promises import record_promises
from flows.prompt import BACK, ButtonStyle, Choice, InputKind
from flows.records import Contact
from flows.reminders import FOLLOW_UP, ReminderRequest
from flows.reply import Notice, Reply, rows
from flows.script import contact_script, template_values
from flows.steps.base import ANSWER_VERBS, Conversation, Step
from flows.text import join, rich
from flows.workdays import business_days_after


class ContactSteps(Conversation):
    # -- choosing_channel --------------------------------------------------------------

    def channel_prompt(self) -> Reply:
        playbook = self.playbook
        ranked = self.ranked_channels()
        if advice.first_party(self.facts, playbook) == SELLER:
            lines = [rich("**Contact the seller first.** The item is theirs to put right.")]
            if not advice.seller_contact_day(self.record.contacts, playbook):
                lines.append(self.cited("seller_first"))
        else:
            lines = [
                rich(
                    "**How to contact {merchant}, best first for your case:**",
                    merchant=template_values(self.facts, playbook)["merchant"],
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
        return self.ask(join(lines), (*rows(choices, 3), (BACK,)))

    def channel_chosen(self, verb: str, arg: str) -> None:
        if verb == "channel" and arg in self.playbook.channels:
            self.channel_picked(arg)

    # -- preparing ---------------------------------------------------------------------

    def preparing_prompt(self) -> Reply:
        channel_id = self.record.channel or "chat"
        playbook = self.playbook
        channel = playbook.channels[channel_id]
        script = contact_script(
            channel_id,
            self.facts,
            playbook,
            manager=self.needs_manager(),
            not_late_yet=advice.late_from(self.facts, self.today) is not None,
        )
        text = join(
            [
                rich("**Your {label} script**", label=channel.label.lower()),
                *self.not_late_lines(),
                rich("_How to reach them:_ {how}", how=self.linked(channel.how)),
                script.text,
                rich("\nWhen you've been in touch, log it here so nothing gets lost."),
            ]
        )
        return self.ask(
            text,
            ((Choice("do:log", "📝 Log the contact", ButtonStyle.PRIMARY), BACK),),
            snippets=script.snippets,
        )

    # -- logging -----------------------------------------------------------------------

    def logging_prompt(self) -> Reply:
        return self.question_prompt(
            LOG.get(self.record.log_question), self.record.log_draft, "Logging a contact"
        )

    def start_log(self) -> None:
        """Effect of entering the log: a fresh draft, from its first question."""
        self.record.log_draft = {}
        self.record.log_question = LOG.questions[0].id

    def previous_log_question(self) -> None:
        """Effect of `back` within the log (the guard decided it stays there)."""
        previous = LOG.before(self.record.log_question)
        if previous is not None:
            self.record.log_question = previous.id

    def log_chosen(self, verb: str, arg: str) -> None:
        if verb in ANSWER_VERBS:
            self.answer_log(self.picked(LOG.get(self.record.log_question), verb, arg))

    def answer_log(self, text: str | None) -> None:
        """Store the answer; after the last one the contact goes on record and the
        machine decides from its result where the case goes (`logged`)."""
        record = self.record
        if not self.store_answer(LOG.get(record.log_question), record.log_draft, text):
            return
        upcoming = LOG.next_unanswered(record.log_draft)
        if upcoming is not None:
            record.log_question = upcoming.id
            machine.fire(self, "answer")
            return
        contact = Contact.from_json({**record.log_draft, "party": None, "source": None})
        contact.party = advice.contact_party(contact, self.playbook)
        record.contacts.append(contact)
        result = RESULTS.get(contact.result or "", "not recorded")
        channel = self.playbook.channels.get(contact.channel or "")
        how = channel.label.lower() if channel else "an unknown channel"
        self.note("contact", f"Contact by {how}: {result}.")
        self.say(
            rich("Logged. ✅ Every contact on record makes the next step easier."),
            notice=Notice.LOGGED,
        )
        self.cancel_reminders((FOLLOW_UP,), "a newer contact was logged")
        checks, said = record_promises(self, contact)
        self.turn.reminders.extend(checks)
        self.turn.replies.extend(said)
        if contact.result == "waiting" and not checks:
            self.schedule_follow_up()
        machine.fire(self, "logged")

    def schedule_follow_up(self) -> None:
        """A contact left waiting gets a follow-up: two business days, at 9:00 their time."""
        rule_days = 2
        due_day = business_days_after(self.today, rule_days, self.country)
        due = parsers.wall_time(due_day, time(9), self.now)
        self.turn.reminders.append(
            ReminderRequest(
                self.record.id,
                due,
                FOLLOW_UP,
                "No answer yet? Time to follow up.",
                slot=FOLLOW_UP,
            )
        )
        day = f"{due:%a %-d %b}"
        self.say(
            rich("I'll remind you to follow up on {day} if nothing has moved.", day=day),
            notice=Notice.FOLLOW_UP_SET,
            details=(("day", day),),
        )

    def manager_needed(self) -> None:
        """Effect of a contact without progress going straight to the supervisor."""
        self.say(
            rich(
                "For a store credit or a large refund, a manager is usually the one who can say yes."
            ),
            notice=Notice.MANAGER_NEEDED,
        )

    # -- offer -------------------------------------------------------------------------

    def offer_prompt(self) -> Reply:
        notes = self.record.contacts[-1].notes if self.record.contacts else None
        text = [rich("**They made an offer.** Does it put things right for you?")]
        if notes:
            text.append(rich("What you noted: {notes}", notes=notes))
        text.append(
            rich(
                "If it's less than you're owed, it's fine to say no politely and ask again higher up."
            )
        )
        accept = Choice("do:accept", "👍 Accept it", ButtonStyle.SUCCESS)
        decline = Choice("do:decline", "👎 Not enough")
        return self.ask(join(text), ((accept, decline), (BACK,)), InputKind.CONFIRM)


STEPS: dict[str, Step[ContactSteps]] = {
    machine.CHOOSING_CHANNEL: Step(
        ContactSteps.channel_prompt, on_choice=ContactSteps.channel_chosen
    ),
    machine.PREPARING: Step(ContactSteps.preparing_prompt),
    machine.LOGGING: Step(
        ContactSteps.logging_prompt, ContactSteps.answer_log, ContactSteps.log_chosen
    ),
    machine.OFFER: Step(ContactSteps.offer_prompt),
}
