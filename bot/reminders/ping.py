"""The message a due reminder sends, and its buttons.

Ping buttons carry `R|<reminder id>|<action>` (upper-case R: never a flow button's
stamp), checked against the reminder's status rather than a stamp, as a ping may be
answered hours later: done, snooze an hour or a day, escalate (the case's next step);
a check-in asks yes or no. An action on a reminder already acted upon is answered kindly.
"""

from __future__ import annotations

from bot.casefile import status_line
from bot.events import Button, ButtonStyle, Outbound
from bot.reminders.record import Reminder
from flows.prompt import PING, Choice, Prompt, Rows
from flows.reminders import CHECK_IN
from flows.text import join, plain, rich
from storage import PersonRecord

DATA_PREFIX = "R|"


def ping(record: PersonRecord, reminder: Reminder) -> list[Outbound]:
    """The message a due reminder sends, with its buttons, asked as a `PING` prompt whose
    option ids are the buttons' data (they carry no stamp: see above)."""
    case = record.cases.get(reminder.case_id)
    parts = [rich("⏰ **Reminder**")]
    if case is not None:
        parts.append(status_line(case))
    parts.append(plain(reminder.text))
    if reminder.detail:
        parts.append(rich("_{detail}_", detail=reminder.detail))
    if reminder.source:
        parts.append(rich("Source: {source}", source=reminder.source))

    def option(label: str, action: str, style: ButtonStyle = ButtonStyle.DEFAULT) -> Choice:
        return Choice(f"{DATA_PREFIX}{reminder.id}|{action}", label, style)

    options: Rows
    if reminder.kind == CHECK_IN:
        options = (
            (option("👍 Yes", "yes", ButtonStyle.SUCCESS), option("👎 No", "no")),
            (option("⏰ Ask me tomorrow", "1d"),),
        )
    else:
        options = (
            (option("✅ Done", "done", ButtonStyle.SUCCESS), option("⬆️ Escalate", "escalate")),
            (option("⏰ In 1 hour", "1h"), option("⏰ Tomorrow", "1d")),
        )
    rows = tuple(tuple(Button(c.label, c.value, c.value, c.style) for c in row) for row in options)
    return [Outbound(join(parts), rows, prompt=Prompt(PING, options=options))]


def parse_data(data: str) -> tuple[str, str] | None:
    """`R|r12|done` → ('r12', 'done'); None for any other button."""
    if not data.startswith(DATA_PREFIX):
        return None
    reminder_id, _, action = data.removeprefix(DATA_PREFIX).partition("|")
    return (reminder_id, action) if reminder_id and action else None
