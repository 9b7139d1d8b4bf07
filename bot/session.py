"""One turn for one person: commands, case selection, and the case dialogue.

`Session` works on the person's loaded `PersonRecord` and answers with `flows` replies;
`bot.engine` loads and saves the record around it and turns replies into `Outbound`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import buttons, casefile, reminders
from bot.archive import ARCHIVED, OPENED
from bot.events import Attachment, ButtonPress, Command, Inbound, TextMessage
from bot.menu import COMMANDS
from bot.notices import said
from bot.reminders import INDEXED, Reminder, Status
from flows import parsers
from flows.case import new_case
from flows.dialogue import Dialogue, Reply, Turn
from flows.greeting import welcome_reply
from flows.intake import is_order_text, read_order_text
from flows.machine import CLOSED_STATES
from flows.prompt import ButtonStyle, Choice, InputKind, Prompt
from flows.reminders import CUSTOM, ReminderCancel, ReminderRequest
from flows.reply import Notice
from flows.text import RichText, join, rich
from storage import ConversationKey, PersonRecord
from storage.base import JSONDict

MAX_OPEN_CASES = 20
"""Cases a person may have open at once (resolved and dropped ones do not count)."""
MAX_PENDING_REMINDERS = 50
"""Reminders a person may have set with /remind and still waiting (the bot's own are
bounded by the cases: one per slot)."""
HELP = join(
    [
        rich("**Fair Shake** helps you sort out a problem with an order, step by step."),
        rich(
            "I ask about what happened, suggest the best way to contact the shop, give you a script, and help you log each contact and escalate if you need to."
        ),
        rich("\n**Commands**"),
        join(
            [
                rich("/{name}: {meaning}", name=name, meaning=meaning)
                for name, meaning in COMMANDS.items()
            ]
        ),
        rich("\nYou can skip any question you don't know the answer to, and go back at any time."),
    ]
)


@dataclass
class SessionResult:
    """What a turn produced, plus whether the person asked to be forgotten."""

    replies: list[Reply] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    reminders: list[ReminderRequest] = field(default_factory=list)
    cancels: list[ReminderCancel] = field(default_factory=list)
    forget: bool = False
    taken: bool = False
    """The event was a press that acted as offered (its choice may be shown as made)."""


class Session:
    """A person's turn.

    Args:
        record: the person's record (changed in place).
        key: the conversation the event came from.
        now_utc: the current time.
        default_timezone: time zone for people who have not set one.
        archived: the person's archived cases (bot/archive.py), read only for a turn
            that shows them (`wants_archive`).
    """

    def __init__(
        self,
        record: PersonRecord,
        key: ConversationKey,
        now_utc: datetime,
        default_timezone: str,
        archived: dict[str, JSONDict] | None = None,
    ) -> None:
        self.record = record
        self.archived = archived or {}
        self.key = key
        self.now_utc = now_utc
        self.profile = record.profile
        self.timezone = self.profile.get("timezone", default_timezone)
        self.zone = ZoneInfo(self.timezone)
        self.now = now_utc.astimezone(self.zone)
        self.result = SessionResult()

    @staticmethod
    def open_prompt(
        record: PersonRecord, now_utc: datetime, default_timezone: str
    ) -> Prompt | None:
        """What the active case is asking now (None: no case), without running a turn."""
        zone = ZoneInfo(record.profile.get("timezone", default_timezone))
        case = record.cases.get(record.profile.get("active_case") or "")
        return Dialogue(case, now_utc.astimezone(zone)).prompt().prompt if case else None

    @staticmethod
    def wants_archive(event: Inbound) -> bool:
        """Whether the turn shows the archived cases (/export), so they are read for it."""
        return isinstance(event, Command) and event.name == "export"

    # -- dispatch ----------------------------------------------------------------------------

    def handle(self, event: Inbound) -> SessionResult:
        just_pressed = self.profile.pop("pressed", None)
        self.record.conversations.setdefault(self.key.chat_id, {"platform": self.key.platform})
        self.record.conversations[self.key.chat_id]["last_seen"] = self.now_utc.isoformat()
        if isinstance(event, Command):
            self.command(event.name, event.args)
        elif isinstance(event, ButtonPress):
            ping_button = reminders.parse_data(event.data)
            if ping_button:
                self.reminder_press(*ping_button)
            elif (value := buttons.accept(self.profile, event.data)) is not None:
                self.profile["pressed"] = event.data
                self.result.taken = True
                self.press(value)
            elif event.data != just_pressed:
                self.stale()
            # else: the same button twice in a row (a double tap): answered once, by the first
        elif isinstance(event, TextMessage):
            self.text(event.text)
        reminders.apply(self.record, self.key, self.now, self.result.cancels, self.result.reminders)
        return self.result

    def command(self, name: str, args: str) -> None:
        handler = getattr(self, f"cmd_{name}", None)
        if handler is None:
            self.tell(Notice.UNKNOWN_COMMAND, name=name[:40])
            return
        handler(args)

    def text(self, text: str) -> None:
        dialogue = self.dialogue()
        closed = dialogue is None or dialogue.state in CLOSED_STATES
        if closed and is_order_text(read_order_text(text, self.now.date())):
            self.open_answered()  # an order email pasted with no case open starts one from it
            dialogue = self.dialogue()
        if dialogue is None:
            self.welcome()
            return
        self.absorb(dialogue.on_text(text))

    def press(self, value: str) -> None:
        """A press of a button that is on the latest prompt."""
        if value == "new":
            self.cmd_new("")
        elif value.startswith("new:"):  # a shop pressed on the welcome: its case, shop answered
            self.open_answered()
            self.press(f"pick:{value.removeprefix('new:')}")
        elif value.startswith("case:"):
            self.switch_case(value.removeprefix("case:"))
        elif value == "forget:yes":
            self.result.forget = True
            self.tell(Notice.FORGOTTEN)
        elif value == "forget:no":
            self.tell(Notice.KEPT)
            self.show_prompt()
        else:
            dialogue = self.dialogue()
            if dialogue is None:
                self.welcome()
            else:
                self.absorb(dialogue.on_choice(value))

    def stale(self) -> None:
        self.tell(Notice.STALE_BUTTON)
        self.show_prompt()

    # -- commands ----------------------------------------------------------------------------

    def cmd_start(self, args: str) -> None:
        """`/start`; a deep link's `/start <shop>` opens a case about that shop."""
        shop = " ".join(re.sub(r"[^A-Za-z0-9]+", " ", args).split())[:60]
        if shop:
            self.cmd_new("", shop=shop)
        elif self.dialogue() is None:
            self.welcome()
        else:
            self.tell(Notice.WELCOME_BACK)
            self.show_prompt()

    def cmd_new(self, args: str, shop: str | None = None) -> None:
        """A new case, from its first question (the shop), or answering it with `shop`."""
        open_cases = [c for c in self.record.cases.values() if c["state"] not in CLOSED_STATES]
        if len(open_cases) >= MAX_OPEN_CASES:
            self.tell(Notice.TOO_MANY_CASES, count=str(len(open_cases)))
            return
        self.disclaim_once()
        self.profile[OPENED] = self.profile.get(OPENED, 0) + 1
        case_id = f"c{self.profile[OPENED]}"
        self.record.cases[case_id] = new_case(case_id, self.now)
        self.profile["active_case"] = case_id
        self.tell(Notice.CASE_OPENED, case_id=case_id)
        dialogue = Dialogue(self.record.cases[case_id], self.now)
        turn = dialogue.open()
        if shop:
            turn.replies.pop()  # the shop question: answered right away
            turn = dialogue.on_text(shop)
        self.absorb(turn)

    def open_answered(self) -> None:
        """A new case whose first question this very input answers: that question is not
        shown (nor are its buttons offered) on top of the next one."""
        self.cmd_new("")
        self.result.replies.pop()

    def cmd_status(self, args: str) -> None:
        dialogue = self.dialogue()
        if dialogue is None:
            self.tell(Notice.NO_CASE_YET)
            self.tell_archived()
            self.welcome()
            return
        self.say(casefile.status_line(dialogue.document))
        self.tell_archived()
        self.show_prompt()

    def cmd_cases(self, args: str) -> None:
        if not self.record.cases:
            if self.profile.get(ARCHIVED):
                self.tell_archived()
            else:
                self.tell(Notice.NO_CASES)
            return
        wanted = args.strip().lower()
        if wanted in self.record.cases:
            self.switch_case(wanted)
            return
        if wanted:
            self.tell(Notice.NO_SUCH_CASE, name=args.strip()[:20])
        active = self.profile.get("active_case")
        lines = [rich("**Your cases**")]
        choices = []
        for case in self.record.cases.values():
            lines.append(casefile.status_line(case, active=case["id"] == active))
            if case["id"] != active:
                choices.append(Choice(f"case:{case['id']}", f"Switch to {case['id']}"))
        recent = choices[-15:]  # five rows of three: the most recent cases
        rows = tuple(tuple(recent[i : i + 3]) for i in range(0, len(recent), 3))
        if len(choices) > len(recent):
            lines.append(
                rich("_Older cases: type /cases and the case name, for example /cases c1._")
            )
        self.tell_archived()
        self.say(join(lines), Prompt("cases", options=rows) if rows else None, Notice.CASES)

    def cmd_help(self, args: str) -> None:
        self.say(HELP, notice=Notice.HELP)

    def cmd_timezone(self, args: str) -> None:
        if not args:
            self.tell(Notice.TIMEZONE, tz=self.timezone)
            return
        try:
            self.profile["timezone"] = parsers.parse_timezone(args)
        except parsers.ParseError as error:
            self.tell(Notice.UNREADABLE, message=error.message, reason=error.reason)
            return
        self.tell(Notice.TIMEZONE_SET, tz=self.profile["timezone"])

    def cmd_forget(self, args: str) -> None:
        self.say(
            rich(
                "**Delete everything I hold about you?** All your cases, contacts and reminders go, and it can't be undone. Use /export first if you want a copy."
            ),
            Prompt(
                "forget",
                InputKind.CONFIRM,
                (
                    (
                        Choice("forget:yes", "Yes, delete it all", ButtonStyle.DANGER),
                        Choice("forget:no", "No, keep it"),
                    ),
                ),
            ),
        )

    def cmd_export(self, args: str) -> None:
        dialogue = self.dialogue()
        if dialogue is None and not self.record.cases and not self.archived:
            self.tell(Notice.NOTHING_TO_EXPORT)
            return
        self.result.attachments.extend(
            casefile.export(self.record, self.profile.get("active_case"), self.now, self.archived)
        )
        self.tell(Notice.EXPORTED)

    def cmd_remind(self, args: str) -> None:
        dialogue = self.dialogue()
        if dialogue is None:
            self.tell(Notice.REMINDER_NEEDS_CASE)
            return
        if not args:
            self.tell(Notice.REMIND_HOW)
            return
        pending = [
            r
            for r in reminders.reminders_of(self.record)
            if r.kind == CUSTOM and r.status in INDEXED
        ]
        if len(pending) >= MAX_PENDING_REMINDERS:
            self.tell(Notice.TOO_MANY_REMINDERS, count=str(len(pending)))
            return
        try:
            due, note = parsers.parse_reminder(args, self.now)
        except parsers.ParseError as error:
            self.tell(Notice.UNREADABLE, message=error.message, reason=error.reason)
            return
        self.result.reminders.append(
            ReminderRequest(dialogue.record.id, due, CUSTOM, note or "Your reminder")
        )
        self.tell(Notice.REMINDER_SET, when=f"{due:%a %-d %b at %H:%M} ({self.timezone})")
        if "timezone" not in self.profile:
            self.tell(Notice.TIMEZONE_HINT)

    def cmd_reminders(self, args: str) -> None:
        def listed(statuses: frozenset[Status]) -> list[Reminder]:
            found = [r for r in reminders.reminders_of(self.record) if r.status in statuses]
            return sorted(found, key=lambda reminder: reminder.due)

        pending, failed = listed(INDEXED), listed(frozenset({Status.FAILED}))
        if not pending and not failed:
            self.tell(Notice.NO_REMINDERS)
            return
        lines = []
        for heading, found in (
            (rich("**Your reminders**"), pending),
            (rich("**Reminders I couldn't deliver**"), failed),
        ):
            if found:
                lines.append(heading)
            for reminder in found:
                lines.append(
                    rich(
                        "• {when}: {text} ({case})",
                        when=reminders.local(reminder.first_due or reminder.due, self.zone),
                        text=reminder.text,
                        case=reminder.case_id,
                    )
                )
        self.say(join(lines), notice=Notice.REMINDERS)

    def reminder_press(self, reminder_id: str, action: str) -> None:
        """A button on a ping: acts on the reminder as it is now, however old the ping."""
        stored = self.record.reminders.get(reminder_id)
        reminder = Reminder.from_json(stored) if stored else None
        if reminder is None or action not in _PING_ACTIONS:
            self.tell(Notice.REMINDER_GONE)
        elif reminder.status == Status.DONE:
            self.tell(Notice.REMINDER_ALREADY_DONE)
        elif reminder.status == Status.CANCELLED:
            self.tell(Notice.REMINDER_WAS_CANCELLED, reason=reminder.reason)
        elif reminder.status == Status.PENDING:
            self.tell(Notice.REMINDER_STILL_SET, when=reminders.local(reminder.due, self.zone))
        elif action != "done" and reminder.case_id not in self.record.cases:
            # Its case closed and moved to the archive since the ping (bot/archive.py):
            # there is nothing left to snooze or go on with, so the reminder ends here.
            reminders.finish(self.record, reminder, self.now, _CASE_ARCHIVED_OUTCOME)
            self.result.taken = True
            self.tell(Notice.REMINDER_CASE_ARCHIVED, case_id=reminder.case_id)
        elif action in ("1h", "1d"):
            due = parsers.parse_when(_PING_ACTIONS[action], self.now)
            reminders.snooze(self.record, reminder, due, self.now)
            self.result.taken = True
            when = reminders.local(due, self.zone)
            self.tell(Notice.REMINDER_SNOOZED, when=when)
        else:
            reminders.finish(self.record, reminder, self.now, _PING_ACTIONS[action])
            self.result.taken = True
            if action == "done":
                self.tell(Notice.REMINDER_DONE)
            else:
                if self.profile.get("active_case") != reminder.case_id:
                    self.profile["active_case"] = reminder.case_id
                    self.tell(Notice.CASE_SWITCHED, case_id=reminder.case_id)
                if action == "escalate":
                    self.case_event("escalate")
                else:
                    promise = reminder.slot.removeprefix("promise:")
                    case = Dialogue(self.record.cases[reminder.case_id], self.now)
                    self.absorb(case.on_promise(promise, kept=action == "yes"))

    def cmd_log(self, args: str) -> None:
        self.case_event("log")

    def cmd_escalate(self, args: str) -> None:
        self.case_event("escalate")

    def cmd_cancel(self, args: str) -> None:
        self.case_event("cancel")

    # -- helpers -----------------------------------------------------------------------------

    def case_event(self, event: str) -> None:
        dialogue = self.dialogue()
        if dialogue is None:
            self.tell(Notice.NO_CASE)
            return
        self.absorb(dialogue.on_command(event))

    def dialogue(self) -> Dialogue | None:
        case_id = self.profile.get("active_case")
        case = self.record.cases.get(case_id) if case_id else None
        return Dialogue(case, self.now) if case else None

    def step(self) -> str:
        """Where the person is: the active case, its state and its pending question."""
        case = self.record.cases.get(self.profile.get("active_case") or "")
        if case is None:
            return "no case"
        return "/".join(str(case.get(part)) for part in ("id", "state", "question", "log_question"))

    def switch_case(self, case_id: str) -> None:
        if case_id not in self.record.cases:
            self.stale()
            return
        self.profile["active_case"] = case_id
        self.tell(Notice.CASE_SWITCHED, case_id=case_id)
        self.show_prompt()

    def welcome(self) -> None:
        self.disclaim_once()
        self.result.replies.append(welcome_reply())

    def disclaim_once(self) -> None:
        if not self.profile.get("disclaimer_shown"):
            self.profile["disclaimer_shown"] = True
            self.tell(Notice.DISCLAIMER)

    def show_prompt(self) -> None:
        dialogue = self.dialogue()
        if dialogue is None:
            self.welcome()
        else:
            self.result.replies.append(dialogue.prompt())

    def absorb(self, turn: Turn) -> None:
        self.result.replies.extend(turn.replies)
        self.result.reminders.extend(turn.reminders)
        self.result.cancels.extend(turn.cancels)

    def say(
        self, text: RichText, prompt: Prompt | None = None, notice: Notice | None = None
    ) -> None:
        self.result.replies.append(Reply(text, prompt, notice))

    def tell_archived(self) -> None:
        """How many older closed cases are in the archive, when there are any."""
        if count := self.profile.get(ARCHIVED, 0):
            self.tell(Notice.ARCHIVED_CASES, count=str(count))

    def tell(self, notice: Notice, **values: str) -> None:
        """Say what `notice` tells (bot/notices.py), naming `values`."""
        self.result.replies.append(Reply(said(notice, **values), None, notice, (*values.items(),)))


_PING_ACTIONS = {
    "done": "Reminder done",
    "escalate": "Reminder answered: escalate",
    "yes": "Check-in answered: yes, it happened",
    "no": "Check-in answered: no, it didn't happen",
    "1h": "in 1 hour",
    "1d": "in 1 day",
}
"""A ping's buttons: what each puts on the timeline, or when it brings the reminder back."""

_CASE_ARCHIVED_OUTCOME = "Answered after its case was archived"
"""How a reminder ends when its ping is answered after its case moved to the archive."""
