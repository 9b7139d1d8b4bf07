"""What the bot says and accepts in each state of a case, over the shared machine.

`Dialogue` is one turn's view of a case, and the model the machine runs on: `prompt()`
is the current question with its buttons, and `on_text`, `on_choice` and `on_command`
take the person's input, fire the machine's events and answer. Each state's prompt,
input and effects are in one place, in flows/steps/ (see its `__init__` for the
layout); the machine (flows/machine.py) names the effects each event runs. This module
only routes input to the current state's `Step` and ends every input with the prompt.
Button values are described in flows/reply.py.
"""

from __future__ import annotations

from datetime import datetime

from flows import machine
from flows.intents import pressed
from flows.playbook import RUNGS
from flows.promises import settle
from flows.records import Case, JSONDict
from flows.reply import SKIP, Notice, Reply, Rows, Turn
from flows.steps import contact, facts, home, ladder
from flows.steps.base import Step
from flows.text import rich

__all__ = ["SKIP", "Dialogue", "Reply", "Rows", "Turn"]


class Dialogue(facts.FactSteps, contact.ContactSteps, ladder.LadderSteps, home.HomeSteps):
    """One turn over one case.

    Args:
        document: the case as stored (JSON); every entry point that takes input writes
            the case back into it before it returns.
        now: the current time in the person's time zone.
    """

    def __init__(self, document: JSONDict, now: datetime) -> None:
        super().__init__(Case.from_json(document), now)
        self.document = document

    # -- entry points ----------------------------------------------------------------------

    def open(self) -> Turn:
        """Start the case: the first question."""
        machine.fire(self, "open")
        return self.say_prompt()

    def prompt(self) -> Reply:
        """The current question with its buttons, for `/status`, resumes and stale presses."""
        return STEPS[self.state].prompt(self)

    def on_text(self, text: str) -> Turn:
        """Typed text: a button's words press it ("skip", "yes", "phone"), anything else
        is the state's to read."""
        offered = [choice for row in self.prompt().choices for choice in row]
        if (choice := pressed(text, offered)) is not None:
            return self.on_choice(choice.value)
        on_text = STEPS[self.state].on_text
        if on_text is None:
            # Only the buttons again, not the whole prompt (a script can be long).
            again = rich(
                "Please use the buttons; /status shows this step again, /help what else I can do."
            )
            self.turn.replies.append(Reply(again, self.prompt().prompt, Notice.BUTTONS_ONLY))
            return self.saved()
        on_text(self, text)
        return self.say_prompt()

    def on_choice(self, value: str) -> Turn:
        """A button press; the caller has checked that the value is on the current prompt."""
        verb, _, arg = value.partition(":")
        if verb == "do":
            return self.on_command(arg)
        on_choice = STEPS[self.state].on_choice
        if on_choice is not None:
            on_choice(self, verb, arg)
        return self.say_prompt()

    def on_command(self, event: str) -> Turn:
        """Fire a flow event (`back`, `cancel`, `log`, `escalate`, `climb_…`, …)."""
        if event.startswith("climb_") and event.removeprefix("climb_") in RUNGS:
            self.climb(event.removeprefix("climb_"))
        elif not machine.fire(self, event):
            self.refuse(event)
        return self.say_prompt()

    def on_promise(self, promise_id: str, kept: bool) -> Turn:
        """The answer to a promise's check-in: kept settles the case, broken climbs a rung."""
        promise = settle(self, promise_id, kept)
        if promise is None:
            self.say(
                rich("I've already noted what became of that promise."),
                notice=Notice.PROMISE_SETTLED,
            )
            return self.say_prompt()
        if kept:
            self.say(rich("Good to hear they kept their word. 👍"), notice=Notice.PROMISE_KEPT)
            if self.state not in machine.CLOSED_STATES:
                return self.on_command("resolve")
            return self.say_prompt()
        self.say(
            rich("Sorry, that's frustrating. A broken promise is a fair reason to go a step up."),
            notice=Notice.PROMISE_BROKEN,
        )
        closed = self.state in machine.CLOSED_STATES
        for event in ("reopen", "escalate") if closed else ("escalate",):
            if not machine.fire(self, event):
                self.refuse(event)
                return self.say_prompt()
        rung = self.next_rung()
        if rung:
            self.climb(rung)
        return self.say_prompt()

    def refuse(self, event: str) -> None:
        """Say why `event` cannot happen from this step."""
        if event in ("log", "escalate", "plan", "resolve") and not self.facts_confirmed():
            text, notice = (
                "Let's finish the facts first: that comes right after the review.",
                Notice.FACTS_FIRST,
            )
        elif event == "cancel":
            text, notice = "There's nothing in progress to cancel.", Notice.NOTHING_TO_CANCEL
        else:
            text, notice = "That isn't possible from this step.", Notice.NOT_POSSIBLE
        self.say(rich(text), notice=notice)

    def say_prompt(self) -> Turn:
        """End the input: the prompt of the state it led to, and the case saved."""
        self.turn.replies.append(self.prompt())
        return self.saved()

    def saved(self) -> Turn:
        self.document.clear()
        self.document.update(self.record.to_json())
        return self.turn


STEPS: dict[str, Step[Dialogue]] = {**facts.STEPS, **contact.STEPS, **ladder.STEPS, **home.STEPS}
"""Every state's `Step`; tests/test_machine_tree.py checks that each state has one."""
