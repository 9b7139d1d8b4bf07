"""Time zones by the names people use: a city, an IANA name, a common abbreviation."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flows.parsers.common import ParseError, _tidy

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
        raise ParseError(_ZONE_UNAVAILABLE, "zone.unavailable")
    key = _zone_key(_tidy(text, _ZONE_UNREAD, "zone.unread"))
    name = _zone_index().get(key)
    if name is None:
        if _OFFSET.fullmatch(key):
            raise ParseError(_ZONE_OFFSET, "zone.offset")
        raise ParseError(_ZONE_UNREAD, "zone.unread")
    try:
        ZoneInfo(name)
    except ZoneInfoNotFoundError:
        raise ParseError(_ZONE_UNAVAILABLE, "zone.unavailable") from None
    return name
