"""Calendar days as people write them: yesterday, Nov 2, 2/11, last Friday, 3 days ago."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from flows.parsers.common import ParseError, _without_lead, _words

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
        raise ParseError(_DATE_MISSING, "date.missing")
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
        raise ParseError(_DATE_AMBIGUOUS, "date.ambiguous")
    if not real:
        raise ParseError(_DATE_MISSING, "date.missing")
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
    day = _read_day(_words(text, _DATE_UNREAD, "date.unread"), today)
    if day is None:
        raise ParseError(_DATE_UNREAD, "date.unread")
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
        raise ParseError(_DATE_UNREAD, "date.unread")
    if found > today and not allow_future:
        raise ParseError(_DATE_FUTURE, "date.future")
    if found < _add_months(today, -120):
        raise ParseError(_DATE_TOO_OLD, "date.too_old")
    return found
