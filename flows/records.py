"""A case as typed records: the case, its facts, the contacts logged, the promises the
shop made, and its timeline, each with its JSON form.

Layering: the store (storage/) keeps JSON documents and knows only their layout
version; it upgrades an old document with its own migrations (storage/migrations.py),
which work on plain JSON so that they keep working however these classes change.
These records read and write the current layout: `from_json` takes what the store
loaded (already upgraded), `to_json` gives what it saves. The flow (flows/) works on
the records, bot/ hands over the documents.

A turn converts only the case it is about, once each way (see `Dialogue`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

JSONDict = dict[str, Any]

FactValue = str | dict[str, str] | None
"""A fact as stored: text, a choice's id, an ISO date, a `Money` or the merchant as a
small JSON object; None when the person skipped it. Which facts a case has is playbook
data (flows/facts.py), so the facts are a mapping from fact id to value: a fact never
asked is absent, one skipped is None."""

Facts = dict[str, FactValue]


@dataclass(slots=True)
class Contact:
    """One contact with the shop, as logged (any detail may have been skipped).

    Attributes:
        party: whom it was with: `merchant` (the shop or marketplace itself) or `seller`
            (a marketplace's third-party seller); None in contacts from before it was
            recorded, which count as their channel reaches (flows/advice.py).
        source: `earlier` for a contact read from the facts (flows/earlier.py), None for
            one logged with /log.
    """

    when: date | None
    channel: str | None
    rep: str | None
    reference: str | None
    notes: str | None
    result: str | None
    party: str | None = None
    source: str | None = None

    @classmethod
    def from_json(cls, data: JSONDict) -> Contact:
        when = data["when"]
        return cls(
            date.fromisoformat(when) if when else None,
            data["channel"],
            data["rep"],
            data["reference"],
            data["notes"],
            data["result"],
            data["party"],
            data["source"],
        )

    def to_json(self) -> JSONDict:
        return {
            "when": self.when.isoformat() if self.when else None,
            "channel": self.channel,
            "rep": self.rep,
            "reference": self.reference,
            "notes": self.notes,
            "result": self.result,
            "party": self.party,
            "source": self.source,
        }


@dataclass(slots=True)
class CasePromise:
    """A promise the shop made in a contact, with its check-in and what became of it.

    Attributes:
        id: `p1`, `p2`… within the case.
        words: the words that gave the time ("in 3-5 business days").
        about: callback, refund, replacement, reply or other.
        made: the day of the contact it was made in.
        by: the latest moment promised.
        check_at: when the person is asked whether it happened.
        contact: the number of the contact it was made in (from 1).
        status: open, kept or broken (flows/promises.py).
        settled_at: when the person said whether it was kept.
    """

    id: str
    words: str
    about: str
    made: date
    by: datetime
    check_at: datetime
    contact: int
    status: str
    settled_at: datetime | None = None

    @classmethod
    def from_json(cls, data: JSONDict) -> CasePromise:
        settled = data["settled_at"]
        return cls(
            data["id"],
            data["words"],
            data["about"],
            date.fromisoformat(data["made"]),
            datetime.fromisoformat(data["by"]),
            datetime.fromisoformat(data["check_at"]),
            data["contact"],
            data["status"],
            datetime.fromisoformat(settled) if settled else None,
        )

    def to_json(self) -> JSONDict:
        return {
            "id": self.id,
            "words": self.words,
            "about": self.about,
            "made": self.made.isoformat(),
            "by": self.by.isoformat(),
            "check_at": self.check_at.isoformat(),
            "contact": self.contact,
            "status": self.status,
            "settled_at": self.settled_at.isoformat() if self.settled_at else None,
        }


@dataclass(slots=True)
class TimelineEntry:
    """Something that happened to the case, when (in the person's zone)."""

    at: datetime
    kind: str
    text: str

    @classmethod
    def from_json(cls, data: JSONDict) -> TimelineEntry:
        return cls(datetime.fromisoformat(data["at"]), data["kind"], data["text"])

    def to_json(self) -> JSONDict:
        return {"at": self.at.isoformat(), "kind": self.kind, "text": self.text}


@dataclass(slots=True)
class Case:
    """One dispute: where it stands in the flow, its facts, and its history.

    Attributes:
        state: the flow's state (flows/machine.py).
        question: the fact being asked (gathering), or None.
        editing: a fact reopened from the review: back returns there.
        confirmed: the person confirmed the facts at the review.
        channel: the channel picked for the next contact.
        log_draft: the answers so far of the contact being logged, by question id.
        log_question: the question of the log being asked.
        rungs_tried: the ladder's rungs the case has been on, in order.
        closed_at: when it was resolved or dropped (the latest time).
        readings: facts a text allowed more than one reading of, each as the texts to
            choose from (the question offers them as buttons until one is chosen).
    """

    id: str
    state: str
    opened_at: datetime
    facts: Facts = field(default_factory=dict)
    question: str | None = None
    editing: bool = False
    confirmed: bool = False
    channel: str | None = None
    log_draft: dict[str, str | None] = field(default_factory=dict)
    log_question: str | None = None
    contacts: list[Contact] = field(default_factory=list)
    rungs_tried: list[str] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    promises: list[CasePromise] = field(default_factory=list)
    closed_at: datetime | None = None
    readings: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: JSONDict) -> Case:
        closed = data["closed_at"]
        return cls(
            data["id"],
            data["state"],
            datetime.fromisoformat(data["opened_at"]),
            data["facts"],
            data["question"],
            data["editing"],
            data["confirmed"],
            data["channel"],
            data["log_draft"],
            data["log_question"],
            [Contact.from_json(c) for c in data["contacts"]],
            data["rungs_tried"],
            [TimelineEntry.from_json(e) for e in data["timeline"]],
            [CasePromise.from_json(p) for p in data["promises"]],
            datetime.fromisoformat(closed) if closed else None,
            data["readings"],
        )

    def to_json(self) -> JSONDict:
        return {
            "id": self.id,
            "state": self.state,
            "opened_at": self.opened_at.isoformat(),
            "facts": self.facts,
            "question": self.question,
            "editing": self.editing,
            "confirmed": self.confirmed,
            "channel": self.channel,
            "log_draft": self.log_draft,
            "log_question": self.log_question,
            "contacts": [c.to_json() for c in self.contacts],
            "rungs_tried": self.rungs_tried,
            "timeline": [e.to_json() for e in self.timeline],
            "promises": [p.to_json() for p in self.promises],
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "readings": self.readings,
        }
