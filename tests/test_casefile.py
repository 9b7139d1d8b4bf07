"""The case file: the whole story of a case as Markdown to keep, and all of a person's
data as JSON. A long case must come out complete and readable."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flows.case import CaseModel
from flows.contacts import LOG_QUESTIONS
from flows.deadlines import case_deadlines
from flows.facts import playbook_for
from flows.records import Case
from tests.chat import Chat, at_case_menu, log_contact
from tests.pings import Pings, scheduling


async def long_case(chat: Chat, pings: Pings) -> None:
    """Three weeks of a case: twelve contacts, promises broken and one kept (which settles
    it), reminders sent, cancelled and done, escalations."""
    await at_case_menu(chat)
    answered = 0

    async def answer_check_ins(answer: str) -> None:
        nonlocal answered
        for index in range(answered, len(pings.sent)):
            actions = [
                b.option.rpartition("|")[2]
                for m in pings.sent[index][1]
                for r in m.buttons
                for b in r
            ]
            if "no" in actions:  # a check-in: did they keep their word?
                await chat.press_data(pings.button(answer, index).data)
        answered = len(pings.sent)

    async with scheduling(chat, pings) as running:
        for n in range(1, 13):
            result = "pick:no_progress" if n % 4 == 0 else "pick:waiting"
            notes = f"Call {n}: they said a reply within {n + 1} days."
            if n % 3 == 0:
                notes = f"Call {n}: they promised to look into it."
            await log_contact(
                chat,
                result,
                rep=f"Rep {n}",
                reference=f"REF-{n}",
                notes=notes,
                channel="pick:email",
            )
            if n == 2:
                await chat.say("/remind in 1 hour check the bank statement")
            await running.at(days=1, hours=1)
            await answer_check_ins("no")
        await running.at(days=10)
        await answer_check_ins("yes")


def sections(markdown: str) -> dict[str, list[str]]:
    """The case file's sections by heading: their non-blank lines."""
    found: dict[str, list[str]] = {}
    for part in re.split(r"^## ", markdown, flags=re.MULTILINE)[1:]:
        heading, _, body = part.partition("\n")
        found[heading] = [line for line in body.splitlines() if line]
    return found


LABELS = {question.id: question.label for question in LOG_QUESTIONS}


async def test_the_export_of_a_long_case_is_complete_and_readable() -> None:
    """Every contact, promise, escalation, reminder and status change is in the Markdown
    with its time, in the person's time zone; the JSON is the stored record, whole."""
    chat, pings = Chat(), Pings()
    await chat.say("/timezone Europe/Paris")
    await long_case(chat, pings)

    await chat.say("/export")

    files = chat.attachments()
    markdown = files["fairshake-case-c1.md"]
    record = await chat.store.load(chat.key.person)
    case = record.cases["c1"]
    assert json.loads(files["fairshake-my-data.json"]) == asdict(record)

    parts = sections(markdown)
    assert list(parts) == [
        "Facts",
        "Contacts",
        "Promises they made",
        "Deadlines",
        "Reminders",
        "Timeline",
    ]
    contacts = parts["Contacts"]
    assert len(contacts) == len(case["contacts"]) == 12
    for n, line in enumerate(contacts, 1):
        assert line.startswith(f"{n}. ")
        assert f"{LABELS['rep']}: Rep {n}; {LABELS['reference']}: REF-{n}" in line
        assert f"{LABELS['notes']}: Call {n}:" in line

    timeline = parts["Timeline"]
    assert len(timeline) == len(case["timeline"]) > 40
    for line, entry in zip(timeline, case["timeline"], strict=True):
        assert re.fullmatch(r"- 2026-1[12]-\d\d \d\d:\d\d CET: (.+)", line)
        assert line.endswith(f": {entry['text']}")
    kinds = {entry["kind"] for entry in case["timeline"]}
    assert kinds >= {"opened", "confirmed", "contact", "promise", "reminder", "escalation"}
    assert kinds >= {"resolved"}
    playbook = playbook_for(case["facts"])
    escalations = [e["text"] for e in case["timeline"] if e["kind"] == "escalation"]
    assert case["rungs_tried"] and all(
        any(playbook.rungs[rung].label in text for text in escalations)
        for rung in case["rungs_tried"]
    )

    promises = parts["Promises they made"]
    assert len(promises) == len(case["promises"]) == 8
    assert {p["status"] for p in case["promises"]} >= {"kept", "broken"}
    first = case["promises"][0]
    assert (first["words"], first["about"], first["contact"], first["status"]) == (
        "within 2 days",
        "reply",
        1,
        "broken",
    )
    for line, promise in zip(promises, case["promises"], strict=True):
        assert f"“{promise['words']}” ({promise['about']})" in line
        assert f"(contact {promise['contact']}): {promise['status']}" in line

    now = chat.clock.now.astimezone(ZoneInfo("Europe/Paris"))
    deadlines = case_deadlines(CaseModel(Case.from_json(case), now))
    assert {d.id: d.day for d in deadlines}["guarantee_close"] == date(2027, 2, 7)
    assert len(parts["Deadlines"]) == len(deadlines)
    for line, deadline in zip(parts["Deadlines"], deadlines, strict=True):
        assert deadline.rule.text in line and f"Source: {deadline.rule.source} " in line
    guarantee = next(d for d in deadlines if d.id == "guarantee_close")
    assert guarantee.rule.source.startswith("https://www.amazon.com/")
    assert line_of(parts["Deadlines"], guarantee.rule.source).endswith(
        f"(checked {guarantee.rule.checked.isoformat()})."
    )

    reminders = sorted(
        (r for r in record.reminders.values() if r["case_id"] == "c1"),
        key=lambda r: datetime.fromisoformat(r["due"]),
    )
    assert len(parts["Reminders"]) == len(reminders)
    for line, reminder in zip(parts["Reminders"], reminders, strict=True):
        assert line.endswith(f": {reminder['text']} ({reminder['status']})")
    statuses = {r["text"]: r["status"] for r in reminders}
    assert statuses["check the bank statement"] == "sent"
    assert "cancelled" in statuses.values()

    assert "**" not in markdown and "{" not in markdown
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", markdown), "no raw timestamps"
    assert all(len(line) < 400 for line in markdown.splitlines())


def line_of(lines: list[str], part: str) -> str:
    (found,) = [line for line in lines if part in line]
    return found


async def test_a_fresh_case_exports_with_every_section_saying_so() -> None:
    """A case with nothing logged yet still gives a file that says so in each section:
    one line, not a list item, where the list would be."""
    chat = Chat()
    await chat.say("/new")

    markdown = await chat.export()

    parts = sections(markdown)
    for heading in ("Contacts", "Promises they made", "Deadlines", "Reminders"):
        (line,) = parts[heading]
        assert not re.match(r"(- |\d+\. )", line), (heading, line)
    assert parts["Contacts"] != parts["Deadlines"]
    header = markdown.split("## ", 1)[0]
    assert header.count("2026-11-11 15:00 UTC") == 2
    assert [entry["kind"] for entry in (await chat.record())["timeline"]] == ["opened"]
    assert len(parts["Timeline"]) == 1
