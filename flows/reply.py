"""What a turn of the dialogue gives back: replies with their prompts, and reminders.

Option ids are short (`verb` or `verb:arg`): `do:<event>` fires an event of the
machine, `pick:<value>` answers the current question, `skip` skips it, `edit:<fact>`
reopens a fact from the review, `channel:<id>` picks a channel. What a reply asks is
data (flows/prompt.py), so no adapter reads its English to decide anything; what a
message tells without asking (a case opened, a reminder marked done) is a `Notice` id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from flows.prompt import BACK, SKIP, Choice, Prompt, Rows
from flows.reminders import ReminderCancel, ReminderRequest
from flows.text import RichText, Snippet

__all__ = ["BACK", "SKIP", "Notice", "Reply", "Rows", "Turn", "rows"]


class Notice(StrEnum):
    """What a message tells, as an id, where its words are the only other sign of it: the
    English may change, the id stays (tests, and anything that must know, read this)."""

    CASE_OPENED = "case.opened"
    CASE_SWITCHED = "case.switched"
    CASES = "case.list"
    NO_CASE = "case.none"
    """Something that needs an open case, with none open."""
    NO_CASE_YET = "case.none_yet"
    NO_CASES = "case.none_at_all"
    NO_SUCH_CASE = "case.no_such"
    TOO_MANY_CASES = "case.too_many"
    ARCHIVED_CASES = "case.archived"
    """How many older closed cases are kept apart from the rest (`count`): in /export."""
    STALE_BUTTON = "button.stale"
    """A press of a button from an earlier step, left alone."""
    BUTTONS_ONLY = "button.only"
    """Words typed where only the buttons answer."""
    FACTS_FIRST = "refused.facts_first"
    NOTHING_TO_CANCEL = "refused.nothing_to_cancel"
    NOT_POSSIBLE = "refused.not_possible"
    UNREADABLE = "answer.unreadable"
    """An answer (or a command's argument) that does not parse: the reason is said."""
    AMBIGUOUS = "answer.ambiguous"
    """An answer that reads more than one way: the readings are offered."""
    UNKNOWN_COMMAND = "command.unknown"
    HELP = "help"
    WELCOME_BACK = "welcome.back"
    DISCLAIMER = "disclaimer"
    FORGOTTEN = "forget.done"
    KEPT = "forget.kept"
    EXPORTED = "export.done"
    NOTHING_TO_EXPORT = "export.nothing"
    TIMEZONE = "timezone.shown"
    TIMEZONE_SET = "timezone.set"
    TIMEZONE_HINT = "timezone.hint"
    REMIND_HOW = "reminder.how"
    REMINDER_SET = "reminder.set"
    REMINDER_NEEDS_CASE = "reminder.needs_case"
    REMINDERS = "reminder.list"
    NO_REMINDERS = "reminder.none"
    TOO_MANY_REMINDERS = "reminder.too_many"
    REMINDER_GONE = "reminder.gone"
    REMINDER_CASE_ARCHIVED = "reminder.case_archived"
    """A press on a ping whose case has since moved to the archive: marked, nothing else."""
    REMINDER_ALREADY_DONE = "reminder.already_done"
    REMINDER_WAS_CANCELLED = "reminder.was_cancelled"
    REMINDER_STILL_SET = "reminder.still_set"
    REMINDER_SNOOZED = "reminder.snoozed"
    REMINDER_DONE = "reminder.done"
    LOGGED = "contact.logged"
    FOLLOW_UP_SET = "contact.follow_up_set"
    """A contact left waiting: when the follow-up reminder comes (`day`)."""
    MANAGER_NEEDED = "contact.manager_needed"
    """No progress on an outcome a manager must approve: to the supervisor rung."""
    CHECK_IN_SET = "promise.check_in_set"
    """A promise noted (`words`), and when it is checked (`when`)."""
    PROMISE_PASSED = "promise.time_passed"
    """A promise noted whose time has already gone (`words`)."""
    PROMISE_SETTLED = "promise.already_settled"
    PROMISE_KEPT = "promise.kept"
    PROMISE_BROKEN = "promise.broken"


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to the person: its text, what it asks (None: it asks nothing), and
    what it tells as an id, where that is not already its prompt."""

    text: RichText
    prompt: Prompt | None = None
    notice: Notice | None = None
    details: tuple[tuple[str, str], ...] = ()
    """The values the notice names (`case_id`, `when`, …), as said."""
    snippets: tuple[Snippet, ...] = ()
    """Parts of the text worth copying whole (a script's key lines, an email)."""

    @property
    def choices(self) -> Rows:
        return self.prompt.options if self.prompt else ()


@dataclass
class Turn:
    """What a turn produced: replies in order, reminders to cancel, then to schedule."""

    replies: list[Reply] = field(default_factory=list)
    reminders: list[ReminderRequest] = field(default_factory=list)
    cancels: list[ReminderCancel] = field(default_factory=list)


def rows(choices: list[Choice], per_row: int = 2) -> Rows:
    return tuple(tuple(choices[i : i + per_row]) for i in range(0, len(choices), per_row))
