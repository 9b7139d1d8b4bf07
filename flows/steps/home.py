"""A case's home and its ends: no case yet (idle), the case menu, dropping a case, and a
case resolved or dropped (which can be reopened)."""

from __future__ import annotations

from flows import machine
from flows.prompt import ButtonStyle, Choice, InputKind
from flows.reminders import CHECK_IN, KINDS
from flows.reply import Reply
from flows.steps.base import Conversation, Step
from flows.text import rich

DROP = Choice("do:drop", "🗑 Drop this case", ButtonStyle.DANGER)


class HomeSteps(Conversation):
    # -- idle --------------------------------------------------------------------------

    def idle_prompt(self) -> Reply:
        return Reply(rich("No case is open. Type /new to start one."))

    # -- case_menu ---------------------------------------------------------------------

    def case_menu_prompt(self) -> Reply:
        if not self.facts_confirmed():
            return self.ask(
                rich("**This case is paused.** Carry on with the questions, or drop it."),
                ((Choice("do:resume", "▶️ Continue", ButtonStyle.PRIMARY), DROP),),
            )
        contacts = len(self.record.contacts)
        text = rich(
            "**What next?** {count} logged so far.",
            count=f"{contacts} contact{'s' if contacts != 1 else ''}",
        )
        return self.ask(
            text,
            (
                (
                    Choice("do:plan", "📞 Plan a contact", ButtonStyle.PRIMARY),
                    Choice("do:log", "📝 Log a contact"),
                ),
                (
                    Choice("do:escalate", "⬆️ Escalate"),
                    Choice("do:resolve", "🎉 It's resolved", ButtonStyle.SUCCESS),
                ),
                (DROP,),
            ),
        )

    # -- confirm_drop ------------------------------------------------------------------

    def confirm_drop_prompt(self) -> Reply:
        return self.ask(
            rich(
                "**Drop this case?** Its record stays in /cases and /export, but I'll stop reminding you about it."
            ),
            (
                (
                    Choice("do:confirm", "Yes, drop it", ButtonStyle.DANGER),
                    Choice("do:back", "No, keep it"),
                ),
            ),
            InputKind.CONFIRM,
        )

    # -- resolved, dropped -------------------------------------------------------------

    def closed_prompt(self) -> Reply:
        word = "resolved 🎉" if self.state == machine.RESOLVED else "dropped"
        text = rich(
            "**This case is {word}.** Type /export for the case file, or /new to start another case.",
            word=word,
        )
        return self.ask(text, ((Choice("do:reopen", "↩️ Reopen it"),),))

    def close_case(self) -> None:
        """Effect of entering resolved or dropped: the closing time, the timeline, and
        its reminders cancelled (a case resolved on a promise, "refund in 3-5 business
        days", still has the promise checked)."""
        self.record.closed_at = self.now
        self.note(self.state, f"Case {self.state}.")
        kept = (CHECK_IN,) if self.state == machine.RESOLVED else ()
        self.cancel_reminders(tuple(k for k in KINDS if k not in kept), f"case {self.state}")

    def reopened(self) -> None:
        """Effect of `reopen`: on the timeline, and the deadlines set again."""
        self.note("reopened", "Case reopened.")
        if self.facts_confirmed():
            self.set_deadlines()


STEPS: dict[str, Step[HomeSteps]] = {
    machine.IDLE: Step(HomeSteps.idle_prompt),
    machine.CASE_MENU: Step(HomeSteps.case_menu_prompt),
    machine.CONFIRM_DROP: Step(HomeSteps.confirm_drop_prompt),
    **{state: Step(HomeSteps.closed_prompt) for state in machine.CLOSED_STATES},
}
