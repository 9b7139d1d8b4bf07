"""The message a due reminder sends, and its buttons.

Ping buttons carry `R|<reminder id>|<action>` (upper-case R: never a flow button's
stamp), checked against the reminder's status rather than a stamp, as a ping may be
answered hours later: done, snooze an hour or a day, escalate (the case's next step);
a check-in asks yes or no. An action on a reminder already acted upon is answered kindly.
"""

from __future__ import annotations

from bot.casefile import status_line
from bot.events import Button, Outbound
from bot.reminders.record import Reminder
from flows.reminders import CHECK_IN
from flows.text import join, plain, rich
from storage import PersonRecord

DATA_PREFIX = "R|"


def ping(record: PersonRecord, reminder: Reminder) -> list[Outbound]:
    """The message a due reminder sends, with its buttons."""
    case = record.cases.get(reminder.case_id)
    parts = [rich("⏰ **Reminder**")]
    if case is not None:
        parts.append(status_line(case))
    parts.append(plain(reminder.text))
    if reminder.detail:
        parts.append(rich("_{detail}_", detail=reminder.detail))
    if reminder.source:
        parts.append(rich("Source: {source}", source=reminder.source))

    def button(label: str, action: str) -> Button:
        return Button(label, f"{DATA_PREFIX}{reminder.id}|{action}")

    rows: tuple[tuple[Button, ...], ...]
    if reminder.kind == CHECK_IN:
        rows = (
            (button("👍 Yes", "yes"), button("👎 No", "no")),
            (button("⏰ Ask me tomorrow", "1d"),),
        )
    else:
        rows = (
            (button("✅ Done", "done"), button("⬆️ Escalate", "escalate")),
            (button("⏰ In 1 hour", "1h"), button("⏰ Tomorrow", "1d")),
        )
    return [Outbound(join(parts), rows)]


def parse_data(data: str) -> tuple[str, str] | None:
    """`R|r12|done` → ('r12', 'done'); None for any other button."""
    if not data.startswith(DATA_PREFIX):
        return None
    reminder_id, _, action = data.removeprefix(DATA_PREFIX).partition("|")
    return (reminder_id, action) if reminder_id and action else None
