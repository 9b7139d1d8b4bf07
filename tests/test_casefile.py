"""The case file: the whole story of a case as Markdown to keep, and all of a person's
data as JSON. A long case must come out complete and readable."""

from __future__ import annotations

import json
import re
from dataclasses import asdict

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
            labels = [b.label for m in pings.sent[index][1] for r in m.buttons for b in r]
            if "👎 No" in labels:
                await chat.press_data(pings.button(answer, index).data)
        answered = len(pings.sent)

    async with scheduling(chat, pings) as running:
        for n in range(1, 13):
            result = "No progress" if n % 4 == 0 else "Waiting on them"
            notes = f"Call {n}: they said a reply within {n + 1} days."
            if n % 3 == 0:
                notes = f"Call {n}: they promised to look into it."
            await log_contact(
                chat, result, rep=f"Rep {n}", reference=f"REF-{n}", notes=notes, channel="Email"
            )
            if n == 2:
                await chat.say("/remind in 1 hour check the bank statement")
            await running.at(days=1, hours=1)
            await answer_check_ins("No")
        await running.at(days=10)
        await answer_check_ins("Yes")


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

    sections = re.findall(r"^## (.+)$", markdown, re.MULTILINE)
    assert sections == [
        "Facts",
        "Contacts",
        "Promises they made",
        "Deadlines",
        "Reminders",
        "Timeline",
    ]
    for n in range(1, 13):
        assert f"Representative: Rep {n}; Reference: REF-{n}; What was said: Call {n}:" in markdown
    timeline = markdown.split("## Timeline\n\n", 1)[1].splitlines()
    assert len(timeline) == len(case["timeline"]) > 40
    kinds = {entry["kind"] for entry in case["timeline"]}
    assert kinds >= {"opened", "confirmed", "contact", "promise", "reminder", "escalation"}
    assert kinds >= {"resolved"}
    assert all(re.match(r"- 2026-1[12]-\d\d \d\d:\d\d CET: \S", line) for line in timeline)

    promises = markdown.split("## Promises they made\n\n", 1)[1].split("\n\n", 1)[0]
    assert len(promises.splitlines()) == len(case["promises"]) == 8
    assert {p["status"] for p in case["promises"]} >= {"kept", "broken"}
    assert "“within 2 days” (reply), made 2026-11-11 (contact 1): broken" in promises

    assert "The A-to-z claim window closes on Sun 7 Feb 2027 (ahead)." in markdown
    assert "Source: https://www.amazon.com/gp/help/customer/display.html?nodeId=200783670" in (
        markdown
    )
    reminders = markdown.split("## Reminders\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(reminders) == sum(r["case_id"] == "c1" for r in record.reminders.values())
    assert "check the bank statement (sent)" in markdown
    assert "(cancelled)" in markdown
    assert "Escalated: Ask for a supervisor." in markdown or "Escalation started." in markdown

    assert "**" not in markdown and "{" not in markdown
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", markdown), "no raw timestamps"
    assert all(len(line) < 400 for line in markdown.splitlines())


async def test_a_fresh_case_exports_with_every_section_saying_so() -> None:
    """A case with nothing logged yet still gives a file that says so in each section."""
    chat = Chat()
    await chat.say("/new")

    markdown = await chat.export()

    assert "No contacts logged yet." in markdown
    assert "## Promises they made\n\nNone." in markdown
    assert "## Deadlines\n\nNone known from the facts given." in markdown
    assert "## Reminders\n\nNone." in markdown
    assert "Opened 2026-11-11 15:00 UTC; exported 2026-11-11 15:00 UTC." in markdown
