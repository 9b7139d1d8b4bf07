"""The log a running bot writes: one INFO line per turn and per reminder outcome.

Read by structure (the fields of each line, as JSON lines carry them), never by wording:
which event, platform, kind, step, latency and outcome; people only as digests; nothing
a person typed, and no id.
"""

from __future__ import annotations

import json
import logging
import re

import pytest

from bot.logs import EventLog, JSONLines
from storage import PersonKey
from tests.chat import Chat, Story, at_case_menu
from tests.pings import Pings, scheduling

SHOP = "Zyxwv Curios of Wellington"
USER = "918273645"


def event_lines(caplog: pytest.LogCaptureFixture, event: str) -> list[dict]:
    return [
        record.fields  # type: ignore[attr-defined]
        for record in caplog.records
        if record.name == "fairshake.events" and record.fields["event"] == event  # type: ignore[attr-defined]
    ]


def logged(chat: Chat) -> None:
    chat.engine.observers.add(EventLog())


async def test_each_turn_logs_one_line_with_its_kind_step_latency_and_outcome(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    chat = Chat(user=USER, platform="telegram")
    logged(chat)
    await chat.say("/new")
    await chat.press_option(chat.options()[0])
    await chat.say(SHOP)

    turns = event_lines(caplog, "turn")
    assert [line["kind"] for line in turns] == ["command", "press", "text"]
    for line in turns:
        assert line["platform"] == "telegram"
        assert line["outcome"] == "ok"
        assert line["latency_ms"] >= 0
        assert line["person"] == PersonKey("telegram", USER).digest
        assert re.fullmatch(r"[0-9a-f]{32}", line["person"])
    steps = [line["step"].split("/") for line in turns]
    assert [step[0] for step in steps] == ["c1", "c1", "c1"]
    assert steps[0][1] == "gathering"


async def test_nothing_typed_and_no_id_reaches_the_log_at_info(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    chat = Chat(user=USER, platform="telegram")
    logged(chat)
    await at_case_menu(chat, Story(merchant=SHOP))
    await chat.say(f"/remind tomorrow 9am call {SHOP}")
    text = "\n".join(
        JSONLines().format(record) for record in caplog.records if record.levelno >= logging.INFO
    )
    assert event_lines(caplog, "turn")
    assert SHOP not in text and "Zyxwv" not in text
    assert USER not in text


async def test_json_lines_carry_the_fields_as_keys(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    chat = Chat(user=USER, platform="discord")
    logged(chat)
    await chat.say("/new")
    [record] = [r for r in caplog.records if r.name == "fairshake.events"]
    entry = json.loads(JSONLines().format(record))
    assert entry["event"] == "turn"
    assert entry["platform"] == "discord"
    assert entry["kind"] == "command"
    assert entry["level"] == "INFO"
    assert set(entry) >= {"step", "latency_ms", "outcome", "person", "time", "message"}


async def test_each_ping_logs_its_outcome_and_how_late_it_went(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    chat = Chat(user=USER, platform="telegram")
    logged(chat)
    await at_case_menu(chat, Story(order_date="skip", delivery_date="skip"))
    await chat.say("/remind in 2 hours call back")
    pings = Pings(failing={USER})
    async with scheduling(chat, pings) as running:
        await running.at(hours=2)
        await running.at(minutes=1)  # the first retry, refused again
        pings.failing.clear()
        await running.at(minutes=5)  # the second retry goes through

    reminders = event_lines(caplog, "reminder")
    assert [line["outcome"] for line in reminders] == ["retry", "retry", "sent"]
    assert [line["attempts"] for line in reminders] == [1, 2, 3]
    for line in reminders:
        assert line["platform"] == "telegram"
        assert line["kind"] == "custom"
        assert line["step"] == "c1"
        assert line["late_s"] >= 0
        assert line["person"] == PersonKey("telegram", USER).digest
    assert reminders[-1]["late_s"] >= 6 * 60
