"""The words of what the session tells without asking, by `Notice` id (flows/reply.py).

One table, so that the wording can change in one place and nothing that checks what was
said (tests, the benchmark) depends on it.
"""

from __future__ import annotations

from flows.reply import Notice
from flows.text import RichText, by_typing, rich

SAID: dict[Notice, str] = {
    Notice.UNKNOWN_COMMAND: "I don't know the command /{name}. Type /help to see what I can do.",
    Notice.FORGOTTEN: "Done. I've deleted everything I held about you. If you ever need me again, just say /start.",
    Notice.KEPT: "Nothing deleted. Your cases are as they were.",
    Notice.STALE_BUTTON: "That button is from an earlier step, so I've left it alone. Here's where we are now:",
    Notice.WELCOME_BACK: "Welcome back. Let's pick up where we left off.",
    Notice.TOO_MANY_CASES: "You have {count} cases open, which is as many as I keep at once. Resolve or drop one you're done with (see /cases), then start the new one.",
    Notice.ARCHIVED_CASES: "_{count} older closed cases are kept apart, out of this list; /export has them all._",
    Notice.CASE_OPENED: "**New case {case_id}.** One question at a time; skip anything you don't know.",
    Notice.CASE_SWITCHED: "Switched to case **{case_id}**.",
    Notice.NO_CASE: "You have no case open. Type /new to start one.",
    Notice.NO_CASE_YET: "You have no case open yet.",
    Notice.NO_CASES: "You have no cases yet. Type /new to start one.",
    Notice.NO_SUCH_CASE: "You have no case called {name}.",
    Notice.TIMEZONE: "Your time zone is **{tz}**. To change it, type e.g. `/timezone Europe/Berlin`.",
    Notice.TIMEZONE_SET: "Time zone set to **{tz}**. Dates and the reminders you set from now on follow it; reminders already set keep their time.",
    Notice.TIMEZONE_HINT: "_Not your time zone? Set it with /timezone, for example /timezone Europe/Berlin._",
    Notice.UNREADABLE: "{message}",
    Notice.NOTHING_TO_EXPORT: "There's nothing to export yet. Type /new to start a case.",
    Notice.EXPORTED: "Here is your case file, and all your data as JSON. Keep them somewhere safe: they're your record if you need to claim.",
    Notice.REMINDER_NEEDS_CASE: "Reminders belong to a case. Type /new to start one first.",
    Notice.REMIND_HOW: "When should I remind you? For example `/remind in 2 days call back` or `/remind tomorrow 9am`.",
    Notice.TOO_MANY_REMINDERS: "You already have {count} reminders waiting, which is as many as I keep. Mark some done when they ping, then set this one.",
    Notice.REMINDER_SET: "I'll remind you on {when}.",
    Notice.NO_REMINDERS: "You have no reminders set. Try `/remind in 2 days call back`.",
    Notice.REMINDER_GONE: "I no longer have that reminder, so there's nothing to do.",
    Notice.REMINDER_CASE_ARCHIVED: "Noted. Case {case_id} is closed and filed away with your older cases now, so I've left it as it is (/export has it).",
    Notice.REMINDER_ALREADY_DONE: "That reminder is already done. ✅",
    Notice.REMINDER_WAS_CANCELLED: "That reminder was cancelled ({reason}).",
    Notice.REMINDER_STILL_SET: "That one is already set for {when}.",
    Notice.REMINDER_SNOOZED: "OK, I'll remind you again on {when}.",
    Notice.REMINDER_DONE: "Marked done. ✅",
    Notice.DISCLAIMER: "_A quick note: I'm a guide, not a lawyer, and nothing here is legal advice._",
}

FOR_ONE: dict[Notice, str] = {
    Notice.ARCHIVED_CASES: "_1 older closed case is kept apart, out of this list; /export has it too._",
}
"""What is said instead when a notice's `count` is 1, where the words change with it
(English has one plural form besides the singular)."""

IN_FORM: dict[Notice, str] = {
    Notice.STALE_BUTTON: "That button is from an earlier step, so I've left it alone. The question we're on is in my latest message (`/dispute status` shows it again).",
}
"""Where typing arrives only through a form (Discord), what is said otherwise: a stale
press there leaves the old message as it was and shows no second copy of the live
question, so the notice says where that question is."""


def said(notice: Notice, **values: str) -> RichText:
    """The words of `notice`, its placeholders filled (by `count` where that changes them)."""
    if notice in IN_FORM:
        return by_typing(SAID[notice], IN_FORM[notice], **values)
    if values.get("count") == "1" and notice in FOR_ONE:
        return rich(FOR_ONE[notice], **values)
    return rich(SAID[notice], **values)
