"""A script on Telegram as a person scrolling back sees it: the lines to say quoted, the
calm phrases folded away in an expandable quote, and copy buttons for the key lines and
the email, each within Telegram's limit. Real python-telegram-bot against the fake."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from adapters import telegram_html
from flows.playbook import load_playbook
from flows.text import join, plain, quote, rich
from tests.fakes.telegram import COPY_TEXT_LIMIT, FakeTelegram, SentMessage, parse_html, utf16_len
from tests.telegram_chat import USER, Person, answer_the_log, fake, running, up_to_the_script

__all__ = ["fake"]

NUMBERED = re.compile(r" \d+/\d+$")


def covered(message: SentMessage, kind: str) -> list[str]:
    """The texts under each entity of `kind` (offsets in UTF-16 units, as Telegram's)."""
    units = message.visible_text.encode("utf-16-le")
    return [
        units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in message.api.get("entities", [])
        if e["type"] == kind
    ]


def copies(message: SentMessage) -> list[dict[str, Any]]:
    return [button for row in message.buttons for button in row if "copy_text" in button]


def words(text: str) -> str:
    return " ".join(text.split())


async def test_the_lines_to_say_are_quoted_and_the_calm_phrases_folded(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    async with running(fake, tmp_path) as adapter:
        script = await up_to_the_script(Person(fake, adapter.engine), "chat")
    quotes = covered(script, "blockquote")
    (folded,) = covered(script, "expandable_blockquote")
    calm = load_playbook("amazon").script.calm_phrases
    assert all(phrase in folded for phrase in calm)
    assert not any(phrase in quote for phrase in calm for quote in quotes)
    kit = load_playbook("amazon").script.have_at_hand
    assert not any(item in quote for item in kit for quote in (*quotes, folded))
    assert all(item in script.visible_text for item in kit), "what to have at hand, unquoted"
    for button in copies(script):
        copied = words(button["copy_text"]["text"])
        assert any(copied in words(quote) for quote in quotes), "each key line is quoted"


async def test_the_key_lines_and_the_email_come_with_copy_buttons(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    async with running(fake, tmp_path) as adapter:
        script = await up_to_the_script(Person(fake, adapter.engine), "email")
    buttons = copies(script)
    assert len(buttons) >= 4, "the opening, the ask, the subject and the email"
    texts = [button["copy_text"]["text"] for button in buttons]
    assert all(0 < len(text) <= COPY_TEXT_LIMIT for text in texts)
    quoted = [words(quote) for quote in covered(script, "blockquote")]
    for text in texts:
        assert any(words(text) in quote for quote in quoted)
    parts = [b["copy_text"]["text"] for b in buttons if NUMBERED.search(b["text"])]
    assert len(parts) > 1, "an email longer than one copy button copies in parts"
    (letter,) = [quote for quote in quoted if words(" ".join(parts)) in quote]
    assert letter.endswith(words(" ".join(parts))), "the parts, in order, copy the whole body"
    for row in script.buttons:
        assert len(row) <= 2


async def test_an_answered_script_keeps_its_quotes_and_copy_buttons(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    async with running(fake, tmp_path) as adapter:
        person = Person(fake, adapter.engine)
        script = await up_to_the_script(person, "email")
        quotes = [covered(script, kind) for kind in ("blockquote", "expandable_blockquote")]
        buttons = copies(script)
        await person.presses("do:log", "when")
    assert script.options == [], "its choices are gone once pressed"
    assert copies(script) == buttons, "scrolling back, it still copies"
    assert [covered(script, kind) for kind in ("blockquote", "expandable_blockquote")] == quotes
    assert len(script.history) == 1, "shown as chosen in one edit"


async def test_a_script_left_for_another_question_keeps_its_copy_buttons(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    """A newer question retires the script's choices, not what it offers to copy."""
    async with running(fake, tmp_path) as adapter:
        script = await up_to_the_script(Person(fake, adapter.engine), "chat")
        buttons = copies(script)
        status = await Person(fake, adapter.engine).says("/status", "preparing")
        await fake.wait_for(lambda f: not script.options, what="the script's choices retired")
    assert status.options and buttons
    assert copies(script) == buttons, "scrolling back, it still copies"


def test_a_quote_split_over_messages_is_quoted_in_each() -> None:
    """Cut under Telegram's limit, every piece is HTML Telegram takes, its part of the
    quote still a quote, and no word is lost or added."""
    lines = [f"Line {n} of what to say, word for word." for n in range(12)]
    text = join([rich("**Say this**"), quote(join([plain(line) for line in lines]))])
    chunks = [parse_html(chunk) for chunk in telegram_html.split(text, limit=200)]
    assert len(chunks) > 2
    for visible, entities in chunks[1:]:
        (quoted,) = [e for e in entities if e["type"] == "blockquote"]
        assert quoted["offset"] == 0 and quoted["length"] == utf16_len(visible)
    assert [line for visible, _ in chunks for line in visible.split("\n")][1:] == lines


async def test_logging_a_contact_answers_in_one_message(fake: FakeTelegram, tmp_path: Path) -> None:
    """It used to answer in four: logged, the promise noted, the case, what next."""
    async with running(fake, tmp_path) as adapter:
        person = Person(fake, adapter.engine)
        await up_to_the_script(person, "email")
        await person.presses("do:log", "when")
        await answer_the_log(person, "email", "Sam", "R-1", "They promised a refund by Friday.")
        before = len(fake.messages_in(USER))
        await person.presses("pick:waiting", "case_menu")
        after = fake.messages_in(USER)[before:]
    assert len(after) == 1 and after[0].options, "one message, asking what next"
