"""Earlier contacts, told in the facts ("messaged the seller on Nov 26, ref 123"), as
logged contacts: a date, a channel, whom it was with, a name and a reference.

The review shows what was read, so the person confirms it with the other facts; on
confirming, each becomes a contact on record (`source: earlier`), so that a message to
the seller starts the A-to-z wait and the contact is on the timeline like any other.
Telling them again replaces them; contacts logged with /log are never touched.
"""

from __future__ import annotations

import re
from datetime import date

from flows import parsers
from flows.playbook import MERCHANT, SELLER, Playbook
from flows.records import Case, Contact

EARLIER = "earlier"
"""The `source` of a contact read from the earlier-contacts fact."""
_MAX_DATE_WORDS = 4
_SEGMENT = re.compile(r";|\n|\. +(?=[A-Z])|,? *\b(?:and )?then\b|\balso\b")
_TOKEN = re.compile(r"[^\s,;()]+")
_CHANNEL_WORDS = (
    ("chat", re.compile(r"\bchat", re.IGNORECASE)),
    ("phone", re.compile(r"\b(?:call|called|calling|phoned?|rang|ring)\b", re.IGNORECASE)),
    ("email", re.compile(r"\be-?mail", re.IGNORECASE)),
    ("message", re.compile(r"\b(?:messaged?|wrote|written|dm)\b", re.IGNORECASE)),
)
_SELLER_WORDS = re.compile(r"\bsellers?\b|\bvendor\b", re.IGNORECASE)
_REFERENCE = re.compile(
    r"\b(?:ref(?:erence)?|case|ticket|claim)(?: ?(?:no|number|nr|id))?[.:#]? *#? *"
    r"([A-Za-z0-9][A-Za-z0-9-]{1,39})|#([A-Za-z0-9][A-Za-z0-9-]{1,39})",
    re.IGNORECASE,
)
_REP = re.compile(r"\b(?:spoke|talked|chatted) (?:to|with) ([A-Z][a-z]+)|\bagent ([A-Z][a-z]+)")
_NOT_A_REFERENCE = frozenset({"number", "no", "id"})


def read_earlier(text: str | None, today: date, playbook: Playbook) -> list[Contact]:
    """The contacts told in `text` (the earlier-contacts fact), in the order told. A part
    that gives no date, channel or reference is not a contact of its own."""
    if not text or text == "none":
        return []
    found: list[Contact] = []
    for part in _SEGMENT.split(text):
        contact = _contact(part.strip(" ,."), today, playbook)
        if contact is not None:
            found.append(contact)
        elif found and part.strip(" ,."):
            found[-1].notes = f"{found[-1].notes}. {part.strip(' ,.')}"
    return found


def describe(contact: Contact, playbook: Playbook) -> str:
    """One earlier contact as the review lists it."""
    channel = playbook.channels.get(contact.channel or "")
    party = "the seller" if contact.party == SELLER else playbook.name
    parts = [
        f"{contact.when:%a %-d %b %Y}" if contact.when else "date not given",
        channel.label if channel else "channel not given",
        f"with {party}",
    ]
    if contact.rep:
        parts.append(contact.rep)
    if contact.reference:
        parts.append(f"ref {contact.reference}")
    return " · ".join(parts)


def _contact(part: str, today: date, playbook: Playbook) -> Contact | None:
    if not part:
        return None
    day = _first_date(part, today)
    kind = next((kind for kind, words in _CHANNEL_WORDS if words.search(part)), None)
    reference = _REFERENCE.search(part)
    if day is None and kind is None and reference is None:
        return None
    seller = playbook.marketplace and bool(_SELLER_WORDS.search(part))
    party = SELLER if seller else MERCHANT
    rep = _REP.search(part)
    return Contact(
        when=day,
        channel=_channel(kind, party, playbook),
        rep=(rep.group(1) or rep.group(2)) if rep else None,
        reference=_reference(reference),
        notes=part,
        result=None,
        party=party,
        source=EARLIER,
    )


def _first_date(part: str, today: date) -> date | None:
    """The first day named in the part, the longest reading first at each word."""
    words = [token.strip(".:") for token in _TOKEN.findall(part)]
    for start in range(len(words)):
        for size in range(min(_MAX_DATE_WORDS, len(words) - start), 0, -1):
            try:
                return parsers.parse_date(" ".join(words[start : start + size]), today)
            except parsers.ParseError:
                continue
    return None


def _channel(kind: str | None, party: str, playbook: Playbook) -> str | None:
    """The playbook's channel for what was said: a message to a seller is the seller's
    channel; to the shop, a message is an email."""
    if party == SELLER:
        return next((c.id for c in playbook.channels.values() if c.party == SELLER), None)
    if kind == "message":
        return "email"
    return kind


def _reference(match: re.Match[str] | None) -> str | None:
    if match is None:
        return None
    reference = match.group(1) or match.group(2)
    return None if reference.casefold() in _NOT_A_REFERENCE else reference


def merge_earlier(case: Case, found: list[Contact]) -> bool:
    """Put the contacts read from the facts on the case, first, in place of those read
    before; contacts logged with /log stay, and the promises keep pointing at theirs.
    True when anything changed."""
    before = [contact for contact in case.contacts if contact.source == EARLIER]
    if before == found:
        return False
    logged = [contact for contact in case.contacts if contact.source != EARLIER]
    case.contacts = found + logged
    shift = len(found) - len(before)
    for promise in case.promises:
        promise.contact += shift
    return True
