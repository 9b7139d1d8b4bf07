"""Business days: Monday to Friday, less the public holidays of the customer's country.

"About 2 business days" for a seller to answer, a promise of "3-5 business days", a
follow-up two business days on: counted here, so that Wed 30 Dec + 2 lands on Mon 4 Jan
in the US rather than on New Year's Day. The country is one input, the case's (see
`CaseModel.country`), taken for now from the playbook's storefront.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import holidays


@cache
def _calendar(country: str) -> holidays.HolidayBase:
    """The country's public holidays (and its weekend), every year on demand; for a code
    with no calendar of its own (EU, a union of countries), Saturdays and Sundays only."""
    try:
        return holidays.country_holidays(country)
    except NotImplementedError:
        return holidays.HolidayBase()


def business_days_after(start: date, days: int, country: str) -> date:
    """The day `days` business days after `start` in `country`; `start` itself when 0."""
    if days < 0:
        raise ValueError("days must not be negative")
    if days == 0:
        return start
    return _calendar(country).get_nth_working_day(start, days)
