"""Business days skip weekends and the public holidays of the customer's country."""

from __future__ import annotations

from datetime import date

import pytest

from flows.workdays import business_days_after

US = "US"


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (date(2026, 11, 16), 0, date(2026, 11, 16)),  # Monday
        (date(2026, 11, 16), 2, date(2026, 11, 18)),
        (date(2026, 11, 16), 5, date(2026, 11, 23)),
        (date(2026, 11, 20), 1, date(2026, 11, 23)),  # Friday to Monday
        (date(2026, 11, 18), 3, date(2026, 11, 23)),  # Wednesday over a weekend
        (date(2026, 11, 21), 1, date(2026, 11, 23)),  # Saturday
        (date(2026, 11, 21), 0, date(2026, 11, 21)),
        (date(2026, 12, 7), 10, date(2026, 12, 21)),
    ],
)
def test_business_days_skip_weekends(start: date, days: int, due: date) -> None:
    assert business_days_after(start, days, US) == due


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Wed 30 Dec + 2: Fri 1 Jan is New Year's Day, so Mon 4 Jan.
        (date(2026, 12, 30), 2, date(2027, 1, 4)),
        # Wed 25 Nov + 1: Thu 26 Nov is Thanksgiving, so Fri 27 Nov.
        (date(2026, 11, 25), 1, date(2026, 11, 27)),
        # Sun 22 Nov + 5 business days: Thanksgiving is skipped, so Mon 30 Nov.
        (date(2026, 11, 22), 5, date(2026, 11, 30)),
        # Thu 24 Dec + 1: Christmas Day, then the weekend.
        (date(2026, 12, 24), 1, date(2026, 12, 28)),
        # Tue 10 Nov + 1: Wed 11 Nov is Veterans Day.
        (date(2026, 11, 10), 1, date(2026, 11, 12)),
    ],
)
def test_us_public_holidays_are_not_business_days(start: date, days: int, due: date) -> None:
    assert business_days_after(start, days, US) == due


def test_each_country_has_its_own_holidays() -> None:
    """Boxing Day is a holiday in the UK, not in the US; Thanksgiving the other way round."""
    # Christmas, then the weekend; Boxing Day (Sat 26 Dec) is observed on Mon 28 Dec.
    assert business_days_after(date(2026, 12, 24), 1, "GB") == date(2026, 12, 29)
    assert business_days_after(date(2026, 12, 24), 1, US) == date(2026, 12, 28)
    # Thanksgiving (Thu 26 Nov) is a working day in the UK.
    assert business_days_after(date(2026, 11, 25), 1, "GB") == date(2026, 11, 26)


def test_a_policy_range_over_a_holiday() -> None:
    ordered = date(2026, 11, 20)  # Friday: "3-5 business days", Thanksgiving in between
    assert business_days_after(ordered, 3, US) == date(2026, 11, 25)
    assert business_days_after(ordered, 5, US) == date(2026, 11, 30)


def test_business_days_cannot_count_backwards() -> None:
    with pytest.raises(ValueError, match="negative"):
        business_days_after(date(2026, 11, 22), -1, US)
