"""The case file: a case's story as Markdown to keep, and a person's data as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.events import Attachment
from flows.case import CaseModel
from flows.contacts import LOG_QUESTIONS
from flows.facts import applicable, display, playbook_for
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


def case_markdown(case: dict[str, Any], reminders: list[dict[str, Any]], timezone: str) -> str:
    """The case as Markdown that reads well as plain text too."""
    zone = ZoneInfo(timezone)
    model = CaseModel(case, datetime.now(zone))
    playbook = model.playbook
    lines = [
        f"# Fair Shake case file: {case['id']}",
        "",
        status_line(case).plain().replace("**", ""),
        "",
    ]
    lines += ["## Facts", ""]
    for fact in applicable(model.case_facts()):
        lines.append(
            f"- {fact.label}: {display(fact, case['facts'].get(fact.id), playbook).plain()}"
        )
    lines += ["", "## Contacts", ""]
    if not case["contacts"]:
        lines.append("No contacts logged yet.")
    for number, contact in enumerate(case["contacts"], 1):
        lines.append(
            f"{number}. "
            + "; ".join(
                f"{q.label}: {display(q, contact.get(q.id), playbook).plain()}"
                for q in LOG_QUESTIONS
            )
        )
    lines += ["", "## Reminders", ""]
    lines += [f"- {_local(r['due'], zone)}: {r['text']} ({r['status']})" for r in reminders] or [
        "None."
    ]
    lines += ["", "## Timeline", ""]
    lines += [f"- {_local(entry['at'], zone)}: {entry['text']}" for entry in case["timeline"]]
    return "\n".join(lines) + "\n"


def _local(stamp: str, zone: ZoneInfo) -> str:
    return datetime.fromisoformat(stamp).astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def export(record: PersonRecord, active_case: str | None, timezone: str) -> list[Attachment]:
    """The active case as Markdown (when there is one) and the person's whole record as JSON."""
    files = []
    case = record.cases.get(active_case or "")
    if case:
        reminders = [r for r in record.reminders.values() if r["case_id"] == case["id"]]
        text = case_markdown(case, reminders, timezone)
        files.append(Attachment(f"fairshake-case-{case['id']}.md", text.encode(), "text/markdown"))
    data = json.dumps(asdict(record), ensure_ascii=False, indent=2)
    files.append(Attachment("fairshake-my-data.json", data.encode(), "application/json"))
    return files
