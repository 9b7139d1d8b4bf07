"""Dates as shops write them in emails and order pages, in English and German.

"Thursday, November 5", "Fri 6 Nov", "6. November 2026", "Do., 5. Nov.", "11/05/2026"
(month first in the US, day first elsewhere), "Nov 5 - Nov 9". A date without a year is
the one nearest the email's own date; a weekday that does not fit any year near it means
the date is not taken at all rather than taken wrong.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from flows.answers import fold

_GERMAN = {
    "januar": "january", "jänner": "january", "februar": "february", "märz": "march",
    "maerz": "march", "mär": "mar", "mai": "may", "juni": "june", "juli": "july",
    "oktober": "october", "okt": "oct", "dezember": "december", "dez": "dec",
    "montag": "monday", "dienstag": "tuesday", "mittwoch": "wednesday",
    "donnerstag": "thursday", "freitag": "friday", "samstag": "saturday",
    "sonnabend": "saturday", "sonntag": "sunday", "heute": "today", "morgen": "tomorrow",
    "gestern": "yesterday",
}  # fmt: skip
_GERMAN_WORD = re.compile(r"\b(" + "|".join(map(re.escape, _GERMAN)) + r")\b")
_GERMAN_SHORT_WEEKDAY = re.compile(r"\b(mo|di|mi|do|fr|sa|so)\.,? (?=\d)")
_GERMAN_SHORT = {"mo": "mon", "di": "tue", "mi": "wed", "do": "thu", "fr": "fri", "sa": "sat"}

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_WD = r"(?:(?P<wd>(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?)\.?,? )?"
_DATE = re.compile(
    "(?<![\\w])(?:"
    rf"{_WD}(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\.? (?:of )?(?P<m>{_MONTH})\.?(?:,? (?P<y>\d{{4}}))?"
    rf"|{_WD.replace('wd', 'wd2')}(?P<m2>{_MONTH})\.? (?P<d2>\d{{1,2}})(?:st|nd|rd|th)?"
    r"(?: ?- ?(?P<end>\d{1,2})(?![\d.:]))?(?:,? (?P<y2>\d{4}))?"
    r"|(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})"
    r"|(?P<na>\d{1,2})(?P<sep>[./])(?P<nb>\d{1,2})(?P=sep)(?P<ny>\d{4}|\d{2})"
    r"|(?P<rel>today|tomorrow|yesterday)"
    ")(?![\\w])"
)
_NEAREST = timedelta(days=200)
"""A year-less date is at most this far from the email's date (or today)."""
_RELATIVE = {"today": 0, "tomorrow": 1, "yesterday": -1}


def english(text: str) -> str:
    """Folded text with German month and weekday names in English, for the pattern above."""
    words = _GERMAN_WORD.sub(lambda found: _GERMAN[found[1]], fold(text))
    return _GERMAN_SHORT_WEEKDAY.sub(lambda found: f"{_GERMAN_SHORT.get(found[1], 'sun')} ", words)


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _near(month: int, day: int, weekday: str | None, reference: date) -> date | None:
    """The year-less date nearest `reference` that falls on `weekday` (when one is given)."""
    candidates = [
        found
        for year in (reference.year - 1, reference.year, reference.year + 1)
        if (found := _day(year, month, day)) and abs(found - reference) <= _NEAREST
    ]
    if weekday:
        wanted = _WEEKDAYS.index(weekday[:3]) if weekday[:3] in _WEEKDAYS else 6
        candidates = [found for found in candidates if found.weekday() == wanted]
    return min(candidates, key=lambda found: abs(found - reference), default=None)


def _fits(found: date | None, weekday: str | None) -> date | None:
    """A dated day whose written weekday contradicts it is not taken."""
    if found is None or not weekday:
        return found
    wanted = _WEEKDAYS.index(weekday[:3]) if weekday[:3] in _WEEKDAYS else 6
    return found if found.weekday() == wanted else None


def dates_in(
    text: str, reference: date, *, day_first: bool | None, relative_to: date | None = None
) -> list[tuple[date, ...]]:
    """Each date written in `text`, as its possible readings (two for an unclear 02/11).

    Args:
        reference: the email's date, or today: year-less dates are the nearest to it.
        day_first: how the storefront writes 05/11/2026 (None: unknown, both readings).
        relative_to: the day 'today' and 'tomorrow' are counted from, if the text says.
    """
    found: list[tuple[date, ...]] = []
    for match in _DATE.finditer(english(text)):
        day: date | None
        if match["m"]:
            month, number, weekday = _MONTHS.index(match["m"][:3]) + 1, int(match["d"]), match["wd"]
            year = match["y"]
        elif match["m2"]:
            month, weekday, year = _MONTHS.index(match["m2"][:3]) + 1, match["wd2"], match["y2"]
            number = int(match["end"] or match["d2"])
            if match["end"]:
                weekday = None  # 'Thu, Nov 5-9': the weekday is the first day's
        elif match["iy"]:
            if day := _day(int(match["iy"]), int(match["im"]), int(match["id"])):
                found.append((day,))
            continue
        elif match["na"]:
            found += _numeric(match, day_first)
            continue
        else:
            if relative_to is not None:
                found.append((relative_to + timedelta(days=_RELATIVE[match["rel"]]),))
            continue
        if year:
            day = _fits(_day(int(year), month, number), weekday)
        else:
            day = _near(month, number, weekday, reference)
        if day:
            found.append((day,))
    return found


def _numeric(match: re.Match[str], day_first: bool | None) -> list[tuple[date, ...]]:
    first, second, year = int(match["na"]), int(match["nb"]), int(match["ny"])
    year += 2000 if year < 100 else 0
    if match["sep"] == ".":
        day_first = True  # nobody writes month first with dots
    orders = [(second, first)] if day_first else [(first, second)]
    if day_first is None:
        orders.append((second, first))
    readings = tuple(dict.fromkeys(d for m, n in orders if (d := _day(year, m, n))))
    return [readings] if readings else []
