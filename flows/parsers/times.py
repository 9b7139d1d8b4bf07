"""Lengths of time (2 days, 3-5 business days) and moments ahead (tomorrow 9am), on the
person's wall clock across DST changes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from flows.parsers.common import ParseError, _words
from flows.parsers.dates import _NUMBER_WORDS, _add_months, _occurrences, _read_day

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
    words = _words(text, _DURATION_UNREAD, "duration.unread").removeprefix("in ")
    span = _span(words)
    if span is None:
        if _BARE_NUMBER.fullmatch(words):
            raise ParseError(_DURATION_NO_UNIT, "duration.no_unit")
        raise ParseError(_DURATION_UNREAD, "duration.unread")
    calendar, clock = (timedelta(seconds=int(seconds)) for seconds in span)
    if calendar + clock > _MAX_DURATION:
        raise ParseError(_DURATION_TOO_LONG, "duration.too_long")
    if not calendar + clock:
        raise ParseError(_DURATION_ZERO, "duration.zero")
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
        raise ParseError(_CLOCK_IMPOSSIBLE, "clock.impossible")
    hour_text, minute_text, half = parts.groups()
    hour, minute = int(hour_text), int(minute_text or 0)
    if half:
        if not 1 <= hour <= 12:
            raise ParseError(_CLOCK_IMPOSSIBLE, "clock.impossible")
        hour = hour % 12 + (12 if half == "p" else 0)
    if hour > 23 or minute > 59:
        raise ParseError(_CLOCK_IMPOSSIBLE, "clock.impossible")
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
    words = _words(text, _WHEN_UNREAD, "when.unread")
    if words.startswith("in ") or _span(words) is not None:
        return _after(now, *_duration(text))
    day_words, clock = _day_and_clock(words)
    today = now.date()
    if not day_words:
        days: Iterable[date] = (today, today + timedelta(days=1))
    else:
        day = _read_day(day_words, today)
        if day is None:
            if _HOUR_ONLY.fullmatch(words):
                raise ParseError(_WHEN_HALF_DAY, "when.half_day")
            raise ParseError(_WHEN_UNREAD, "when.unread")
        days = (day.fixed,) if day.fixed else _occurrences(day, today, day.step or 1)
    for candidate in days:  # nearest first
        if candidate > _add_months(today, 12):
            raise ParseError(_WHEN_TOO_FAR, "when.too_far")
        if candidate < today:  # also keeps year 1 and 9999 clear of overflow in astimezone
            continue
        found = wall_time(candidate, clock or _DEFAULT_CLOCK, now)
        if found.astimezone(UTC) > now.astimezone(UTC):  # same tzinfo compares wall clocks
            return found
    raise ParseError(_WHEN_PAST, "when.past")
