"""A shop's policy rule or deadline, as a playbook (or one of its storefronts) states it.

Its own module because both a playbook (flows/playbook.py) and a storefront
(flows/sites.py) hold rules: a storefront's stand in for the playbook's of the same id
when the person bought there (amazon.co.uk's A-to-z page, not amazon.com's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Rule:
    """A policy rule or deadline, with where it comes from."""

    id: str
    text: str
    source: str
    checked: date
    days: int | None = None
    business_days: bool = False
    unconfirmed: str = ""
    """Empty when the figure was read on the cited page on `checked`; else how far it
    could be checked, and where the figure comes from."""
