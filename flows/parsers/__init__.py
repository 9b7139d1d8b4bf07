"""Turn what a person typed into a checked fact, or into a kind reply saying what was expected.

People paste whole e-mails, emoji, markup and fullwidth digits into a chat, so every parser
here returns a valid value or raises ParseError, whatever the input. Replies never repeat
what was typed, so they are safe to send as they are on any platform.

One module per kind of input: `orders` (order numbers), `dates` (calendar days), `money`
(amounts), `free_text`, `times` (lengths of time and moments ahead, wall-clock times) and
`zones` (time zones), `reminders` (what `/remind` is given), over `common` (the refusal and the folding of look-alike input).
Callers import from `flows.parsers`.
"""

from flows.parsers.common import MAX_TEXT, ParseError
from flows.parsers.dates import parse_date
from flows.parsers.free_text import parse_text
from flows.parsers.money import DEFAULT_LOCALE, Money, parse_money
from flows.parsers.orders import OrderNumberShape, parse_order_number
from flows.parsers.reminders import parse_reminder
from flows.parsers.times import parse_duration, parse_when, wall_time
from flows.parsers.zones import parse_timezone

__all__ = [
    "DEFAULT_LOCALE",
    "MAX_TEXT",
    "Money",
    "OrderNumberShape",
    "ParseError",
    "parse_date",
    "parse_duration",
    "parse_money",
    "parse_order_number",
    "parse_reminder",
    "parse_text",
    "parse_timezone",
    "parse_when",
    "wall_time",
]
