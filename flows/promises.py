"""Promises a shop makes during a contact, and the check-ins that hold it to them.

The notes of a logged contact ("refund in 3-5 business days", "she'll call me back
tomorrow at 3pm", "a reply within 48 hours", "by Friday") are read for the time the shop
gave. Each promise found goes on the case (`Case.promises`) and on its timeline, and
becomes a check-in reminder: did it happen? Yes settles the case; no is the cue for the
next rung of the escalation ladder.

When the check-in comes:

- a promise to the minute (a clock time, or hours: "within 48 hours") is checked
  `GRACE` after the time it gave;
- a promise to the day ("by Friday", "in 3-5 business days") is checked the next morning
  at 9:00, the next business morning when it counted business days.

Times are read in the person's time zone and counted from the day of the contact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta

from flows import parsers
from flows.case import CaseModel
from flows.records import CasePromise, Contact
from flows.reminders import CHECK_IN, ReminderRequest
from flows.reply import Notice, Reply
from flows.text import rich
from flows.workdays import business_days_after

GRACE = timedelta(minutes=30)
"""How long after a promised time the check-in comes ("shortly after")."""
CHECK_AT = time(9)
"""When a promise to the day is checked, the morning after."""
MAX_PROMISES = 3
"""Promises read from one contact's notes, at most."""

OPEN, KEPT, BROKEN = "open", "kept", "broken"

_COUNT = r"\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve"
_SPAN = re.compile(
    r"(?<![\w-])(?:(?:in|within|up to|about|around) )?"
    rf"(?:(?:{_COUNT}) ?(?:-|\u2013|to|or) ?)?(?P<count>{_COUNT}) "
    r"(?P<business>(?:business|working) )?(?P<unit>hours?|hrs?|days?|weeks?)\b(?! ago)"
)
"""'3-5 business days', '48 hours', 'a week', 'two to three days': the upper end counts."""
_NOT_A_PROMISE = re.compile(r"(?:for|waited|since|been|over) $")
"""Words before a span that make it a time already gone ('waited 3 days')."""
_TOKEN = re.compile(r"[a-z0-9]+(?:[:./-][a-z0-9]+)*")
_CUES = frozenset(("by", "on", "at", "before", "until", "till", "til"))
_DAY_STARTS = frozenset((
    "today", "tonight", "tomorrow", "next", "this", "end", "eod", "eow", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday", "sunday", "mon", "tue", "wed", "thu", "fri",
))  # fmt: skip
_END_OF = re.compile(r"(?:the )?end of (?:the )?(day|week)|eod|eow|today|tonight")
_CLOCK = re.compile(r"\d{1,2}(?:[:.h]\d{2})? ?[ap]\.?m|\d{1,2}[:h]\d{2}|noon|midday")
_PART_OF_DAY = {"morning": time(12), "afternoon": time(17), "evening": time(21)}
"""A part of the day promised ('tomorrow afternoon') runs until this time."""
_ABOUT = (
    ("callback", re.compile(r"call|ring|phone")),
    ("refund", re.compile(r"refund|money back|reimburs|credit")),
    ("replacement", re.compile(r"replace|resend|re-send|ship|deliver|arrive")),
    ("reply", re.compile(r"email|e-mail|reply|respond|answer|get back|hear")),
)
_QUESTIONS = {
    "callback": "They promised to call you back ({words}). Did they?",
    "refund": "They promised a refund ({words}). Has it arrived?",
    "replacement": "They promised to send it ({words}). Has it come?",
    "reply": "They promised to get back to you ({words}). Did they?",
    "other": "They made you a promise ({words}). Did they keep it?",
}


@dataclass(frozen=True, slots=True)
class Promise:
    """A time the shop gave in a contact.

    Attributes:
        words: the words that gave the time, as found in the notes (lower case).
        about: callback, refund, replacement, reply or other.
        by: the latest moment promised, in the person's zone; for a promise to the
            day, that day at 00:00.
        to_the_minute: a clock time or hours were given.
        business_days: the promise counted business days.
    """

    words: str
    about: str
    by: datetime
    to_the_minute: bool = False
    business_days: bool = False

    def check_at(self, country: str) -> datetime:
        """When to ask whether it happened (the business morning after, in `country`)."""
        if self.to_the_minute:
            return (self.by.astimezone(UTC) + GRACE).astimezone(self.by.tzinfo)
        day = self.by.date()
        after = business_days_after(day, 1, country) if self.business_days else day + timedelta(1)
        return parsers.wall_time(after, CHECK_AT, self.by)


def find_promises(notes: str, made: datetime, country: str) -> list[Promise]:
    """The times promised in a contact's notes, counted from `made` (aware, local), business
    days in `country`.

    Spans ('in 3-5 business days', 'within 48 hours') and days with an optional time
    ('by Friday', 'tomorrow at 3pm', 'on Nov 20', 'end of the week') are found; a time
    that is already past at `made` is not a promise.
    """
    text = " ".join(notes.casefold().split())
    found: list[Promise] = []
    taken: list[tuple[int, int]] = []
    for match in _SPAN.finditer(text):
        if _NOT_A_PROMISE.search(text[: match.start()]):
            continue
        promise = _span_promise(match, made, _about(text, match.start()), country)
        if promise is not None:
            found.append(promise)
            taken.append(match.span())
    tokens = [t for t in _TOKEN.finditer(text) if not any(a <= t.start() < b for a, b in taken)]
    index = 0
    while index < len(tokens):
        word = tokens[index].group()
        start = index + 1 if word in _CUES else index
        if word in _CUES or word in _DAY_STARTS:
            for end in range(min(len(tokens), start + 5), start, -1):
                phrase = text[tokens[start].start() : tokens[end - 1].end()]
                promise = _day_promise(phrase, made, _about(text, tokens[start].start()))
                if promise is not None:
                    words = text[tokens[index].start() : tokens[end - 1].end()]
                    promise = replace(promise, words=words)
                    found.append(promise)
                    index = end - 1
                    break
        index += 1
    unique = {promise.by: promise for promise in found}
    return sorted(unique.values(), key=lambda p: p.by)[:MAX_PROMISES]


def _about(text: str, position: int) -> str:
    """What the promise is about: the word nearest to it in its sentence that says."""
    start = max(text.rfind(mark, 0, position) for mark in ".;!?\n") + 1
    ends = [i for i in (text.find(mark, position) for mark in ".;!?\n") if i >= 0]
    sentence = text[start : min(ends, default=len(text))]
    here = position - start
    nearest = [
        (abs(found.start() - here), about)
        for about, words in _ABOUT
        for found in words.finditer(sentence)
    ]
    return min(nearest)[1] if nearest else "other"


def _span_promise(match: re.Match[str], made: datetime, about: str, country: str) -> Promise | None:
    try:
        length = parsers.parse_duration(f"{match['count']} {match['unit']}")
    except parsers.ParseError:
        return None
    words = match.group()
    if match["unit"].startswith("h"):
        by = (made.astimezone(UTC) + length).astimezone(made.tzinfo)
        return Promise(words, about, by, to_the_minute=True)
    if match["business"]:
        days = length.days if match["unit"].startswith("d") else length.days // 7 * 5
        day = business_days_after(made.date(), days, country)
        return Promise(words, about, parsers.wall_time(day, time(0), made), business_days=True)
    return Promise(words, about, parsers.wall_time(made.date() + length, time(0), made))


def _day_promise(phrase: str, made: datetime, about: str) -> Promise | None:
    end_of = _END_OF.fullmatch(phrase)
    if end_of:
        day = made.date()
        if end_of.group(1) == "week" or phrase == "eow":
            day += timedelta(days=(4 - day.weekday()) % 7)
        return Promise(phrase, about, parsers.wall_time(day, time(0), made))
    if _SPAN.fullmatch(phrase):
        return None  # read as a span already
    try:
        when = parsers.parse_when(phrase, made)
    except parsers.ParseError:
        return None
    if _CLOCK.fullmatch(phrase) and when.date() != made.date():
        return None  # 'at 3pm' with 3pm gone today tells of the past, not a promise
    part = next((_PART_OF_DAY[w] for w in _PART_OF_DAY if w in phrase.split()), None)
    if part is not None:
        return Promise(
            phrase, about, parsers.wall_time(when.date(), part, made), to_the_minute=True
        )
    if _CLOCK.search(phrase):
        return Promise(phrase, about, when, to_the_minute=True)
    return Promise(phrase, about, parsers.wall_time(when.date(), time(0), made))


# -- promises on the case -------------------------------------------------------------------


def contact_moment(contact: Contact, now: datetime) -> datetime:
    """When a logged contact happened: now if it was today, else that day at this time."""
    day = contact.when or now.date()
    return now if day == now.date() else parsers.wall_time(day, now.time(), now)


def record_promises(case: CaseModel, contact: Contact) -> tuple[list[ReminderRequest], list[Reply]]:
    """Put the promises in a just-logged contact on the case, with a check-in for each
    still ahead; returns the check-ins and what to tell the person."""
    promises = case.record.promises
    requests: list[ReminderRequest] = []
    said: list[Reply] = []
    made = contact_moment(contact, case.now)
    for promise in find_promises(contact.notes or "", made, case.country):
        check_at = promise.check_at(case.country)
        promise_id = f"p{len(promises) + 1}"
        promises.append(
            CasePromise(
                promise_id,
                promise.words,
                promise.about,
                made=contact.when or case.today,
                by=promise.by,
                check_at=check_at,
                contact=len(case.record.contacts),
                status=OPEN,
            )
        )
        case.note("promise", f"Promise noted: {promise.about}, {promise.words}.")
        if check_at <= case.now:
            said.append(
                Reply(
                    rich(
                        "They promised “{words}”, and that time has passed. If it hasn't happened, /escalate is your next step.",
                        words=promise.words,
                    ),
                    notice=Notice.PROMISE_PASSED,
                    details=(("words", promise.words),),
                )
            )
            continue
        question = _QUESTIONS[promise.about].format(words=promise.words)
        requests.append(
            ReminderRequest(
                case.record.id, check_at, CHECK_IN, question, slot=f"promise:{promise_id}"
            )
        )
        when = f"{check_at:%a %-d %b at %H:%M}"
        said.append(
            Reply(
                rich(
                    "I noted their promise, “{words}”. I'll check with you on {when}.",
                    words=promise.words,
                    when=when,
                ),
                notice=Notice.CHECK_IN_SET,
                details=(("words", promise.words), ("when", when)),
            )
        )
    return requests, said


def settle(case: CaseModel, promise_id: str, kept: bool) -> CasePromise | None:
    """Record what became of a promise (the answer to its check-in)."""
    promise = next((p for p in case.record.promises if p.id == promise_id), None)
    if promise is None or promise.status != OPEN:
        return None
    promise.status = KEPT if kept else BROKEN
    promise.settled_at = case.now
    word = "kept" if kept else "broken"
    case.note("promise", f"Promise {word}: {promise.about}, {promise.words}.")
    return promise
