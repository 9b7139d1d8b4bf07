"""Turn what a person typed into a checked fact, or into a kind reply saying what was expected.

People paste whole e-mails, emoji, markup and fullwidth digits into a chat, so every parser
here returns a valid value or raises ParseError, whatever the input. Replies never repeat
what was typed, so they are safe to send as they are on any platform.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

MAX_TEXT = 1000
"""Characters kept for a free-text fact."""

_MAX_SHORT = 200
"""No date, amount or order number is longer; longer input is refused before any regex runs."""


class ParseError(ValueError):
    """What the person typed cannot be used; str(err) / err.message is the reply to show."""

    message: str

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _tidy(text: str, refusal: str) -> str:
    """Fold look-alike input into the plain form the small, strict grammars below expect.

    NFKC turns fullwidth characters into ASCII, invisible format characters (zero-width
    spaces, direction marks) go, digits of any script become 0-9 and whitespace runs
    become one space.
    """
    if len(text) > _MAX_SHORT:
        raise ParseError(refusal)
    kept = (
        str(unicodedata.decimal(char)) if char.isdecimal() else char
        for char in unicodedata.normalize("NFKC", text)
        if unicodedata.category(char) != "Cf"
    )
    return " ".join("".join(kept).split())


def _words(text: str, refusal: str) -> str:
    """`_tidy`, case-folded and without closing punctuation: the form keyword grammars read."""
    words = _tidy(text, refusal).casefold().rstrip(".!?,;: ")
    if not words:
        raise ParseError(refusal)
    return words


def _without_lead(lead: re.Pattern[str], words: str) -> str:
    """`words` after the optional lead-in `lead` matches at their start ('order #', 'on the')."""
    found = lead.match(words)
    return words[found.end() :] if found else words


# --- order numbers -------------------------------------------------------------------------

_AMAZON_EXAMPLE = "in three groups, like 112-3456789-0123456."
_AMAZON_UNREAD = (
    f"That doesn't look like an Amazon order number. It has 17 digits {_AMAZON_EXAMPLE}"
)
_ORDER_UNREAD = (
    "That doesn't look like an order number. It's 3 to 40 letters or digits "
    "(dashes, dots and slashes are fine), like W123-4567."
)
_ORDER_LABEL = re.compile(r"(?:(?:amazon )?order(?: ?(?:number|no|nr|id))?\.?:? ?)?#? ?")
_DASHES = r"[ .\-\u2010-\u2015\u2212]+"
_AMAZON_ORDER = re.compile(rf"(\d{{3}}){_DASHES}(\d{{7}}){_DASHES}(\d{{7}})|(\d{{17}})", re.ASCII)
_ORDER_PUNCTUATION = frozenset("-_#/. ")


def parse_order_number(text: str, amazon: bool) -> str:
    """An Amazon order number in its canonical form, or another shop's as the person wrote it.

    Amazon numbers arrive with spaces, dots or typographic dashes from copy-paste and
    phone keyboards; they are stored one way so that cases can be matched.
    """
    if not amazon:
        number = _tidy(text, _ORDER_UNREAD)
        if (
            3 <= len(number) <= 40
            and any(char.isalnum() for char in number)
            and all(char.isalnum() or char in _ORDER_PUNCTUATION for char in number)
        ):
            return number
        raise ParseError(_ORDER_UNREAD)
    words = _words(text, _AMAZON_UNREAD)
    number = _without_lead(_ORDER_LABEL, words)
    found = _AMAZON_ORDER.fullmatch(number)
    if found:
        digits = found[4] or "".join(found.group(1, 2, 3))
        return f"{digits[:3]}-{digits[3:10]}-{digits[10:]}"
    count = sum(char.isdigit() for char in number)
    if count in (0, 17):
        raise ParseError(_AMAZON_UNREAD)
    raise ParseError(
        f"I count {count} digit{'' if count == 1 else 's'} there, but an Amazon order number "
        f"has 17, {_AMAZON_EXAMPLE}"
    )


# --- calendar days -------------------------------------------------------------------------

_DATE_EXAMPLE = "For example: yesterday, Nov 2 or 2026-11-02."
_DATE_UNREAD = "I couldn't read a date there. Something like yesterday, Nov 2 or 2026-11-02 works."
_DATE_AMBIGUOUS = (
    "That could be two different days, depending on the country. "
    "Could you write it like Nov 2 or 2026-11-02?"
)
_DATE_MISSING = f"I can't find that day in the calendar. Could you check it? {_DATE_EXAMPLE}"
_DATE_FUTURE = "That date is still to come. Which day was it? For example: yesterday or Nov 2."
_DATE_TOO_OLD = f"That's more than 10 years ago. Could you check the year? {_DATE_EXAMPLE}"

_MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12,
}  # fmt: skip
_RELATIVE_DAYS = {"today": 0, "yesterday": -1, "tomorrow": 1}

_DAY_LEAD = re.compile(r"(?:on )?(?:the )?")
_AGO = re.compile(r"(\d{1,4}|[a-z]+) (day|week|month)s? ago", re.ASCII)
_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", re.ASCII)
_NUMERIC_DATE = re.compile(r"(\d{1,2})([-/.])(\d{1,2})(?:\2(\d{4}|\d{2}))?", re.ASCII)
_ORDINAL = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,? (\d{4}))?"
_DAY_MONTH = re.compile(rf"{_ORDINAL} ?(?:of )?([a-z]+)\.?{_YEAR}", re.ASCII)
_MONTH_DAY = re.compile(rf"([a-z]+)\.? ?{_ORDINAL}{_YEAR}", re.ASCII)
_WEEKDAY = re.compile(r"(?:(last|this|next) )?([a-z]+)", re.ASCII)
_STEPS = {None: 0, "this": 0, "last": -1, "next": 1}


@dataclass(frozen=True)
class _Day:
    """A day as a person says it: one fixed date, or a month-day or weekday that recurs.

    `step` is -1 for 'last friday' and +1 for 'next friday'; today itself then does not count.
    """

    fixed: date | None = None
    month_day: tuple[int, int] | None = None
    weekday: int | None = None
    step: int = 0


def _named(token: str, names: tuple[str, ...]) -> int | None:
    """Which of `names` the token abbreviates ('nov', 'sept', 'thurs'), if any."""
    token = token.rstrip(".")
    if len(token) >= 3:
        for index, name in enumerate(names):
            if name.startswith(token):
                return index
    return None


def _add_months(day: date, months: int) -> date:
    """The same day `months` later (earlier if negative), or the month's last day if shorter."""
    year, index = divmod(day.year * 12 + day.month - 1 + months, 12)
    next_month = date(year, index + 2, 1) if index < 11 else date(year + 1, 1, 1)
    return date(year, index + 1, min(day.day, (next_month - timedelta(days=1)).day))


def _calendar_day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _dated(year: str | None, month: int, day: int) -> _Day:
    """A fixed date when a year was given, else a month-day that recurs."""
    if _calendar_day(int(year) if year else 2000, month, day) is None:  # 2000 has a 29 February
        raise ParseError(_DATE_MISSING)
    if year:
        return _Day(fixed=date(int(year), month, day))
    return _Day(month_day=(month, day))


def _numeric(first: str, separator: str, second: str, year: str | None) -> _Day:
    """2.11.2026 is day-first (no country writes month-first with dots); with / or - the
    date is used only when a single reading is a real day, so 25/11 is fine and 02/11 is asked.
    """
    if year and len(year) == 2:
        year = f"20{year}"
    readings = {(int(second), int(first))}
    if separator != ".":
        readings.add((int(first), int(second)))
    real = {reading for reading in readings if _calendar_day(int(year or 2000), *reading)}
    if len(real) > 1:
        raise ParseError(_DATE_AMBIGUOUS)
    if not real:
        raise ParseError(_DATE_MISSING)
    return _dated(year, *real.pop())


def _read_day(words: str, today: date) -> _Day | None:
    """The day `words` names, or None when they are not a day at all."""
    words = _without_lead(_DAY_LEAD, words)
    if words in _RELATIVE_DAYS:
        return _Day(fixed=today + timedelta(days=_RELATIVE_DAYS[words]))
    if found := _AGO.fullmatch(words):
        count, unit = found.groups()
        number = int(count) if count.isdigit() else _NUMBER_WORDS.get(count)
        if number is None:
            return None
        if unit == "month":
            return _Day(fixed=_add_months(today, -number))
        return _Day(fixed=today - timedelta(days=number * (7 if unit == "week" else 1)))
    if found := _ISO_DATE.fullmatch(words):
        year, month, day = found.groups()
        return _dated(year, int(month), int(day))
    if found := _NUMERIC_DATE.fullmatch(words):
        return _numeric(*found.groups())
    if found := _DAY_MONTH.fullmatch(words):
        day, month_name, year = found.groups()
    elif found := _MONTH_DAY.fullmatch(words):
        month_name, day, year = found.groups()
    elif found := _WEEKDAY.fullmatch(words):
        weekday = _named(found[2], _WEEKDAYS)
        return None if weekday is None else _Day(weekday=weekday, step=_STEPS[found[1]])
    else:
        return None
    month = _named(month_name, _MONTHS)
    return None if month is None else _dated(year, month + 1, int(day))


def _occurrences(day: _Day, today: date, step: int) -> Iterator[date]:
    """Days matching a recurring `day` from today back (step -1) or on (+1), nearest first:
    a weekday's next two, so 'friday 10am' said on a Friday at noon means next week."""
    start = today + timedelta(days=step) if day.step else today
    if day.weekday is not None:
        first = start + timedelta(days=step * ((day.weekday - start.weekday()) * step % 7))
        yield from (first + timedelta(weeks=step * n) for n in range(2))
        return
    assert day.month_day is not None, "a recurring day is a weekday or a month-day"
    month_day = day.month_day
    for year in range(start.year, start.year + 9 * step, step):  # 29 February recurs within 8
        found = _calendar_day(year, *month_day)
        if found and (found - start).days * step >= 0:
            yield found  # only the nearest: 'Nov 22 2pm' said at 3pm is a slip, not next year
            return


def parse_date(text: str, today: date, *, allow_future: bool = False) -> date:
    """A calendar day the person named, such as when they ordered or when a parcel arrived.

    A month-day or weekday without a year means the most recent one, or with
    `allow_future` the nearest one; 'last friday' and 'next friday' skip today.
    """
    day = _read_day(_words(text, _DATE_UNREAD), today)
    if day is None:
        raise ParseError(_DATE_UNREAD)
    found: date | None
    if day.fixed:
        found = day.fixed
    else:
        back = next(_occurrences(day, today, -1), None)
        ahead = next(_occurrences(day, today, 1), None)
        if day.step or not allow_future:
            found = ahead if day.step > 0 else back
        else:
            found = min(filter(None, (back, ahead)), key=lambda option: abs(option - today))
    if found is None:
        raise ParseError(_DATE_UNREAD)
    if found > today and not allow_future:
        raise ParseError(_DATE_FUTURE)
    if found < _add_months(today, -120):
        raise ParseError(_DATE_TOO_OLD)
    return found


# --- money ---------------------------------------------------------------------------------

_MONEY_UNREAD = "I couldn't read an amount there. Something like 49.99, $49.99 or 49,99 € works."
_MONEY_NEGATIVE = "That looks like a negative amount. Just the amount itself works, like 49.99."
_MONEY_ZERO = "That comes to zero. What was the amount? For example: 49.99."
_MONEY_TOO_LARGE = (
    "That's over 1,000,000, which is more than an order usually costs. "
    "Could you check the amount? For example: 1,299.00."
)
_MONEY_TWO_CURRENCIES = (
    "I see two different currencies there. One is enough, like $49.99 or 49.99 EUR."
)
_MONEY_CEILING = Decimal(1_000_000)
_CENT = Decimal("0.01")

_DOLLARS = ("USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN")
_ISO_CURRENCIES = (
    *_DOLLARS, "EUR", "GBP", "JPY", "CNY", "INR", "BRL", "CHF", "SEK", "NOK", "DKK",
    "PLN", "CZK", "HUF", "TRY", "AED", "SAR", "EGP", "ZAR", "ILS", "KRW",
)  # fmt: skip
_CURRENCY_MARKERS: dict[str, tuple[str, ...]] = {
    **{code.casefold(): (code,) for code in _ISO_CURRENCIES},
    **dict.fromkeys(("$", "dollar", "dollars", "bucks"), _DOLLARS),
    **dict.fromkeys(("€", "euro", "euros"), ("EUR",)),
    **dict.fromkeys(("£", "pound", "pounds"), ("GBP",)),
    **dict.fromkeys(("zł", "zl"), ("PLN",)),
    **dict.fromkeys(("₹", "rupee", "rupees"), ("INR",)),
    "us$": ("USD",), "c$": ("CAD",), "ca$": ("CAD",), "a$": ("AUD",), "au$": ("AUD",),
    "nz$": ("NZD",), "s$": ("SGD",), "hk$": ("HKD",), "mx$": ("MXN",), "r$": ("BRL",),
    "¥": ("JPY", "CNY"), "yen": ("JPY",), "kr": ("SEK", "NOK", "DKK"), "₺": ("TRY",),
    "₩": ("KRW",), "₪": ("ILS",),
}  # fmt: skip
"""What people write next to an amount, and the currencies each can mean (the first unless
the shop's own currency is among them, so '$' on amazon.ca is Canadian dollars)."""
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}

_NUMBER = re.compile(r"\d(?:[\d.,' ]*\d)?", re.ASCII)
_GROUP_MARK = re.compile(r"[.,' ]")
_CENTS = re.compile(r"\d{1,2}", re.ASCII)
_FIRST_GROUP = re.compile(r"[1-9]\d{0,2}", re.ASCII)


@dataclass(frozen=True)
class Money:
    """An amount of money; `currency` is an ISO code, or None when nobody said which."""

    amount: Decimal
    currency: str | None

    def to_json(self) -> dict[str, str | None]:
        return {"amount": str(self.amount), "currency": self.currency}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Money:
        return cls(Decimal(str(data["amount"])), data.get("currency"))

    def __str__(self) -> str:
        number = f"{self.amount:,.2f}"
        if self.currency is None:
            return number
        if self.currency in _SYMBOLS:
            return f"{_SYMBOLS[self.currency]}{number}"
        return f"{self.currency} {number}"


def _amount(number: str) -> Decimal | None:
    """Read 1,299.00, 1.299,00, 1 299,00, 1'299 or 49,99 the way the writer meant it.

    The last mark is the decimal point unless it is the only kind of mark and it either
    repeats or has exactly three digits after it: then it groups thousands.
    """
    marks = [char for char in number if char in ".,"]
    point = marks[-1] if marks else ""
    if len(set(marks)) == 1 and (len(marks) > 1 or number[-4:-3] == point):
        point = ""
    whole, cents = number.rsplit(point, 1) if point else (number, "00")
    groups = _GROUP_MARK.split(whole)
    grouped = len(groups) == 1 or (
        _FIRST_GROUP.fullmatch(groups[0]) and all(len(group) == 3 for group in groups[1:])
    )
    if not grouped or len(set(_GROUP_MARK.findall(whole))) > 1 or not _CENTS.fullmatch(cents):
        return None
    return Decimal(f"{''.join(groups)}.{cents}")


def _currency(markers: tuple[str, str], default: str | None) -> str | None:
    """The currency the words around an amount agree on ('$ ... CAD' is Canadian), else the shop's."""
    options: tuple[str, ...] | None = None
    for marker in filter(str.strip, markers):
        these = _CURRENCY_MARKERS.get(marker.replace(" ", "").rstrip("."))
        if these is None:
            raise ParseError(_MONEY_UNREAD)
        options = these if options is None else tuple(code for code in options if code in these)
    if options is None:
        return default
    if not options:
        raise ParseError(_MONEY_TWO_CURRENCIES)
    return default if default in options else options[0]


def parse_money(text: str, default_currency: str | None = None) -> Money:
    """An amount the person paid or is owed, in the currency they wrote or else the shop's."""
    words = _words(text, _MONEY_UNREAD)
    found = _NUMBER.search(words)
    if found is None:
        raise ParseError(_MONEY_UNREAD)
    before, after = words[: found.start()], words[found.end() :]
    if any(sign in before for sign in "-\u2212\u2013"):
        raise ParseError(_MONEY_NEGATIVE)
    amount = _amount(found[0])
    if amount is None:
        raise ParseError(_MONEY_UNREAD)
    currency = _currency((before, after), default_currency)
    if not amount:
        raise ParseError(_MONEY_ZERO)
    if amount > _MONEY_CEILING:  # before rounding: Decimal's 28 digits would overflow
        raise ParseError(_MONEY_TOO_LARGE)
    return Money(amount.quantize(_CENT), currency)


# --- free text -----------------------------------------------------------------------------

_TEXT_EMPTY = "I didn't catch any words there. Could you tell me in a sentence?"
_TEXT_SHORT = "Could you tell me a little more? A sentence or two is plenty."
_INVISIBLE = frozenset("\u200b\u2060\ufeff")  # zero-width space, word joiner, byte order mark


def _kept(char: str) -> str:
    """Whitespace becomes a space; control characters and invisible spaces go."""
    if char.isspace():
        return " "
    if char in _INVISIBLE or unicodedata.category(char) in ("Cc", "Cs"):
        return ""
    return char


def parse_text(text: str, *, max_len: int = MAX_TEXT, min_len: int = 1) -> str:
    """A free-text fact, tidied but otherwise as written: markup is escaped where it is shown."""
    lines = (" ".join("".join(map(_kept, line)).split()) for line in text.splitlines())
    tidy = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if all(char.isspace() or unicodedata.category(char) == "Cf" for char in tidy):
        raise ParseError(_TEXT_EMPTY)
    if len(tidy) < min_len:
        raise ParseError(_TEXT_SHORT)
    if len(tidy) > max_len:
        raise ParseError(
            f"That's {len(tidy):,} characters, and I can keep up to {max_len:,}. "
            "Could you shorten it a little?"
        )
    return tidy


# --- lengths of time and moments ahead -----------------------------------------------------

_DURATION_UNREAD = (
    "I couldn't read a length of time there. Something like 2 days, 3 hours or 1 day 3 hours works."
)
_DURATION_NO_UNIT = "Could you add a unit? For example: 2 days or 2 hours."
_DURATION_ZERO = "That comes to no time at all. How long should it be? For example: 2 days."
_DURATION_TOO_LONG = "That's more than a year. Could you pick something shorter, like 3 weeks?"
_MAX_DURATION = timedelta(days=365)
_UNITS = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), (60, False)),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), (3600, False)),
    **dict.fromkeys(("d", "day", "days"), (86400, True)),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), (604800, True)),
}
"""Seconds in each unit, and whether it counts calendar days (which keep the clock time
across a DST change) rather than elapsed time."""
_DURATION_PART = re.compile(
    r"(?:(\d{1,6}(?:[.,]\d{1,3})?) ?|([a-z]+) )([a-z]+)(?:,? (?:and )?|(?=\d)|$)", re.ASCII
)
_BARE_NUMBER = re.compile(r"\d+(?:[.,]\d+)?", re.ASCII)


def _span(words: str) -> tuple[Decimal, Decimal] | None:
    """Seconds of calendar days and of clock time in '1 day 3 hours', '1d3h' or 'an hour',
    or None if the words are not a length of time."""
    totals = {True: Decimal(0), False: Decimal(0)}
    position = 0
    while position < len(words):
        part = _DURATION_PART.match(words, position)
        if part is None:
            return None
        count, count_word, unit = part.groups()
        number = Decimal(count.replace(",", ".")) if count else _NUMBER_WORDS.get(count_word)
        if number is None or unit not in _UNITS:
            return None
        seconds, calendar = _UNITS[unit]
        totals[calendar] += number * seconds
        position = part.end()
    return totals[True], totals[False]


def _duration(text: str) -> tuple[timedelta, timedelta]:
    """The calendar days and the clock time of a length of time the person gave."""
    words = _words(text, _DURATION_UNREAD).removeprefix("in ")
    span = _span(words)
    if span is None:
        raise ParseError(_DURATION_NO_UNIT if _BARE_NUMBER.fullmatch(words) else _DURATION_UNREAD)
    calendar, clock = (timedelta(seconds=int(seconds)) for seconds in span)
    if calendar + clock > _MAX_DURATION:
        raise ParseError(_DURATION_TOO_LONG)
    if not calendar + clock:
        raise ParseError(_DURATION_ZERO)
    return calendar, clock


def parse_duration(text: str) -> timedelta:
    """How long to wait, as in 'remind me in 2d' or 'they promised a reply within 3 days'."""
    calendar, clock = _duration(text)
    return calendar + clock


_WHEN_UNREAD = (
    "I couldn't read a time there. Something like tomorrow 9am, friday, in 3 hours "
    "or 2026-12-01 14:00 works."
)
_WHEN_PAST = "That time has already passed. How about a later one, like tomorrow 9am or in 2 days?"
_WHEN_TOO_FAR = (
    "That's more than a year away. Could you pick a time within the next year, like in 3 weeks?"
)
_WHEN_HALF_DAY = "Is that morning or evening? For example: 9am, 9pm or 21:00."
_CLOCK_IMPOSSIBLE = "I can't find that time on a clock. Something like 9am or 17:30 works."
_DEFAULT_CLOCK = time(9)
_CLOCK_WORDS = {
    "morning": time(9), "noon": time(12), "midday": time(12),
    "afternoon": time(15), "evening": time(18),
}  # fmt: skip
_CLOCK = rf"\d{{1,2}}(?:[:.]\d{{2}})? ?[ap]\.?m\.?|\d{{1,2}}[:.h]\d{{2}}|{'|'.join(_CLOCK_WORDS)}"
_CLOCK_LAST = re.compile(rf"(?:(.+?)(?:[ ,]+|(?<=\d)t))??(?:at |@ ?)?({_CLOCK})", re.ASCII)
_CLOCK_FIRST = re.compile(rf"(?:at |@ ?)?({_CLOCK}),? (?:on )?(.+)", re.ASCII)
_CLOCK_PARTS = re.compile(r"(\d{1,2})(?:[:.h](\d{2}))? ?(?:([ap])\.?m\.?)?", re.ASCII)
_HOUR_ONLY = re.compile(r"(?:.* )?at \d{1,2}", re.ASCII)


def _clock(words: str) -> time:
    """The time of day in '9am', '9:30 p.m.', '17:30', '17h30' or 'morning'."""
    if words in _CLOCK_WORDS:
        return _CLOCK_WORDS[words]
    parts = _CLOCK_PARTS.fullmatch(words)
    if parts is None:
        raise ParseError(_CLOCK_IMPOSSIBLE)
    hour_text, minute_text, half = parts.groups()
    hour, minute = int(hour_text), int(minute_text or 0)
    if half:
        if not 1 <= hour <= 12:
            raise ParseError(_CLOCK_IMPOSSIBLE)
        hour = hour % 12 + (12 if half == "p" else 0)
    if hour > 23 or minute > 59:
        raise ParseError(_CLOCK_IMPOSSIBLE)
    return time(hour, minute)


def _day_and_clock(words: str) -> tuple[str, time | None]:
    """Split 'tomorrow at 17:30' or '9am on friday' into the day's words and the clock time."""
    if found := _CLOCK_LAST.fullmatch(words):
        return found[1] or "", _clock(found[2])
    if found := _CLOCK_FIRST.fullmatch(words):
        return found[2], _clock(found[1])
    return words, None


def wall_time(day: date, clock: time, now: datetime) -> datetime:
    """`clock` on `day` in now's zone; a time skipped by a DST change moves on by the gap."""
    return datetime.combine(day, clock, tzinfo=now.tzinfo).astimezone(UTC).astimezone(now.tzinfo)


def _after(now: datetime, calendar: timedelta, clock: timedelta) -> datetime:
    """Whole days keep the clock time across a DST change; hours and minutes are elapsed time."""
    days = timedelta(days=calendar.days)
    start = now + days if days else now  # adding clears `fold`, the mark of a repeated hour
    return (start.astimezone(UTC) + (calendar - days) + clock).astimezone(now.tzinfo)


def parse_when(text: str, now: datetime) -> datetime:
    """A moment ahead, for a reminder. A day without a time means 09:00; a weekday, month-day
    or bare time means the first one still ahead; an explicit date in the past is refused.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    words = _words(text, _WHEN_UNREAD)
    if words.startswith("in ") or _span(words) is not None:
        return _after(now, *_duration(text))
    day_words, clock = _day_and_clock(words)
    today = now.date()
    if not day_words:
        days: Iterable[date] = (today, today + timedelta(days=1))
    else:
        day = _read_day(day_words, today)
        if day is None:
            raise ParseError(_WHEN_HALF_DAY if _HOUR_ONLY.fullmatch(words) else _WHEN_UNREAD)
        days = (day.fixed,) if day.fixed else _occurrences(day, today, day.step or 1)
    for candidate in days:  # nearest first
        if candidate > _add_months(today, 12):
            raise ParseError(_WHEN_TOO_FAR)
        if candidate < today:  # also keeps year 1 and 9999 clear of overflow in astimezone
            continue
        found = wall_time(candidate, clock or _DEFAULT_CLOCK, now)
        if found.astimezone(UTC) > now.astimezone(UTC):  # same tzinfo compares wall clocks
            return found
    raise ParseError(_WHEN_PAST)


# --- time zones ----------------------------------------------------------------------------

_ZONE_UNREAD = (
    "I don't know that time zone. A place works best, like Europe/Berlin, America/New_York or UTC."
)
_ZONE_OFFSET = (
    "A fixed offset doesn't follow summer time. Could you send a place instead, "
    "like Europe/Berlin or New York?"
)
_ZONE_UNAVAILABLE = (
    "I can't look up time zones on this server just now, so I'll keep using UTC for the moment."
)
_ZONE_ALIASES = {
    **dict.fromkeys(("z", "utc"), "UTC"),
    **dict.fromkeys(("gmt", "bst", "uk"), "Europe/London"),
    **dict.fromkeys(("cet", "cest"), "Europe/Berlin"),
    **dict.fromkeys(("est", "edt", "eastern"), "America/New_York"),
    **dict.fromkeys(("cst", "cdt", "central"), "America/Chicago"),
    **dict.fromkeys(("mst", "mdt", "mountain"), "America/Denver"),
    **dict.fromkeys(("pst", "pdt", "pacific"), "America/Los_Angeles"),
    **dict.fromkeys(("akst", "akdt", "alaska"), "America/Anchorage"),
    **dict.fromkeys(("hst", "hawaii"), "Pacific/Honolulu"),
    "jst": "Asia/Tokyo",
    "aest": "Australia/Sydney",
}
"""Abbreviations people use for their clock, mapped to a zone that follows its summer time
(tzdata's own 'EST' or 'GMT' never change, which is not what someone in New York or London means)."""
_OFFSET = re.compile(r"(?:utc|gmt)? ?[-+\u2212]\d.*", re.ASCII)


def _zone_key(text: str) -> str:
    """'São Paulo', 'sao_paulo' and 'America / Sao Paulo' all compare alike."""
    plain = "".join(
        char
        for char in unicodedata.normalize("NFKD", text.casefold())
        if not unicodedata.combining(char)
    )
    return re.sub(r" ?/ ?", "/", plain).replace(" ", "_")


@cache
def _zone_index() -> dict[str, str]:
    """Lookup key -> IANA name. Aliases win over full names, which win over a city alone
    ('berlin'); where a city is in two names ('istanbul'), the shorter wins: both are one zone.
    """
    names = available_timezones() - {"localtime", "Factory"}
    index: dict[str, str] = {}
    for name in sorted(names, key=lambda name: (len(name), name)):
        if not name.startswith("Etc/"):  # 'gmt-5' alone must not find Etc/GMT-5, which is UTC+5
            index.setdefault(_zone_key(name.rsplit("/", 1)[-1]), name)
    index |= {_zone_key(name): name for name in names}
    index |= {alias: zone for alias, zone in _ZONE_ALIASES.items() if zone in names}
    return index


def parse_timezone(text: str) -> str:
    """The IANA zone the person lives in, so reminders and deadlines use their clock."""
    if not _zone_index():
        raise ParseError(_ZONE_UNAVAILABLE)
    key = _zone_key(_tidy(text, _ZONE_UNREAD))
    name = _zone_index().get(key)
    if name is None:
        raise ParseError(_ZONE_OFFSET if _OFFSET.fullmatch(key) else _ZONE_UNREAD)
    try:
        ZoneInfo(name)
    except ZoneInfoNotFoundError:
        raise ParseError(_ZONE_UNAVAILABLE) from None
    return name
