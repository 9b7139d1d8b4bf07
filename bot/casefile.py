"""The case file: a case's story as Markdown to keep, and a person's data as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, tzinfo
from typing import Any

from bot.events import Attachment
from flows.advice import contact_party
from flows.case import CaseModel
from flows.contacts import LOG_QUESTIONS
from flows.deadlines import case_deadlines
from flows.earlier import EARLIER
from flows.facts import applicable, display, playbook_for
from flows.playbook import SELLER
from flows.promises import OPEN
from flows.records import Case
from flows.script import template_values
from flows.text import RichText, rich
from storage import PersonRecord

STATE_WORDS = {
    "gathering": "gathering the facts",
    "review": "reviewing the facts",
    "self_service": "trying self-service",
    "choosing_channel": "choosing a channel",
    "preparing": "preparing a contact",
    "logging": "logging a contact",
    "offer": "considering an offer",
    "case_menu": "open",
    "escalating": "escalating",
    "confirm_drop": "about to be dropped",
    "resolved": "resolved",
    "dropped": "dropped",
}


def status_line(case: dict[str, Any], active: bool = False) -> RichText:
    """One line per case: id, shop, problem, where it stands."""
    facts = case["facts"]
    playbook = playbook_for(facts)
    shop = (facts.get("merchant") or {}).get("name", "shop not given")
    problem = playbook.problem(facts.get("problem") or "")
    rung = playbook.rungs.get(case["state"])
    stage = f"escalating: {rung.label}" if rung else STATE_WORDS.get(case["state"], case["state"])
    return rich(
        "{marker}**{case_id}** · {shop} · {problem} · {stage}",
        marker="▶ " if active else "",
        case_id=case["id"],
        shop=shop,
        problem=problem.label if problem else "problem not given",
        stage=stage,
    )


def case_markdown(case: dict[str, Any], reminders: list[dict[str, Any]], now: datetime) -> str:
    """The case as Markdown that reads well as plain text too (`now` in the person's zone)."""
    zone = now.tzinfo
    model = CaseModel(Case.from_json(case), now)
    playbook = model.playbook
    locale = model.locale
    lines = [
        f"# Fair Shake case file: {case['id']}",
        "",
        status_line(case).plain().replace("**", ""),
        "",
        f"Opened {_local(case['opened_at'], zone)}; exported {_local(now.isoformat(), zone)}."
        f" Times are in {zone}.",
    ]
    lines += ["", "## Facts", ""]
    for fact in applicable(model.case_facts()):
        lines.append(
            f"- {fact.label}: {display(fact, case['facts'].get(fact.id), playbook, locale).plain()}"
        )
    lines += ["", "## Contacts", ""]
    if not case["contacts"]:
        lines.append("No contacts logged yet.")
    shop = template_values(model.facts, playbook)["merchant"]
    for number, contact in enumerate(model.record.contacts, 1):
        party = "the seller" if contact_party(contact, playbook) == SELLER else shop
        told = " (told with the facts)" if contact.source == EARLIER else ""
        details = contact.to_json()
        lines.append(
            f"{number}. With {party}{told}; "
            + "; ".join(
                f"{q.label}: {display(q, details.get(q.id), playbook, locale).plain()}"
                for q in LOG_QUESTIONS
            )
        )
    lines += ["", "## Promises they made", ""]
    lines += [_promise_line(promise, zone) for promise in case.get("promises", [])] or ["None."]
    lines += ["", "## Deadlines", ""]
    deadlines = case_deadlines(model)
    for deadline in deadlines:
        state = "passed" if deadline.day < model.today else "ahead"
        rule = deadline.rule
        lines.append(
            f"- {deadline.sentence(model.today)} ({state}). {rule.text}"
            f" Source: {rule.source} (checked {rule.checked.isoformat()})."
        )
    if not deadlines:
        lines.append("None known from the facts given.")
    lines += ["", "## Reminders", ""]
    lines += [f"- {_local(r['due'], zone)}: {r['text']} ({r['status']})" for r in reminders] or [
        "None."
    ]
    lines += ["", "## Timeline", ""]
    lines += [f"- {_local(entry['at'], zone)}: {entry['text']}" for entry in case["timeline"]]
    return "\n".join(lines) + "\n"


def _promise_line(promise: dict[str, Any], zone: tzinfo | None) -> str:
    made = f"made {promise['made']} (contact {promise['contact']})"
    what = f"- “{promise['words']}” ({promise['about']}), {made}: "
    if promise["status"] == OPEN:
        return what + f"open; I check on {_local(promise['check_at'], zone)}."
    return what + f"{promise['status']} (noted {_local(promise['settled_at'], zone)})."


def _local(stamp: str, zone: tzinfo | None) -> str:
    return datetime.fromisoformat(stamp).astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def export(
    record: PersonRecord,
    active_case: str | None,
    now: datetime,
    archived: dict[str, dict[str, Any]] | None = None,
) -> list[Attachment]:
    """The active case as Markdown (when there is one) and the person's whole record as
    JSON, reminders included (`now` in the person's zone), with the cases of their
    archive (bot/archive.py) among the cases, oldest first: each once, a case in both
    places (a crash between archiving it and the save) as the record has it."""
    files = []
    case = record.cases.get(active_case or "")
    if case:
        reminders = sorted(
            (r for r in record.reminders.values() if r["case_id"] == case["id"]),
            key=lambda reminder: datetime.fromisoformat(reminder["due"]),
        )
        text = case_markdown(case, reminders, now)
        files.append(Attachment(f"fairshake-case-{case['id']}.md", text.encode()))
    everything = asdict(record)
    everything["cases"] = {**(archived or {}), **record.cases}
    data = json.dumps(everything, ensure_ascii=False, indent=2)
    files.append(Attachment("fairshake-my-data.json", data.encode()))
    return files
