"""A script on Discord as a person reading it sees it: the lines to say as quotes, the
calm phrases quoted and hidden as spoilers until tapped, and the key lines and the email
as code blocks to copy, all within Discord's limits and none breakable by a customer's
own markup. The real discord.py client against the fake Discord, and the layout itself
for the limits.
"""

from __future__ import annotations

import copy
import re

import aiohttp
import pytest

from adapters.discord_bot import cards, layout, render
from adapters.discord_bot.answering import send_all
from adapters.discord_bot.render import GRAVE
from bot.events import Outbound, PartlySent
from bot.observe import Observer
from flows.playbook import load_playbook
from flows.text import Block, Snippet, join, plain, quote, rich
from tests import discord_chat
from tests.discord_chat import Bot, Person, seen
from tests.fakes.discord import UPDATE, Message
from tests.test_discord_native import at_review

fake, bot = discord_chat.fake, discord_chat.bot

SPARE = re.compile(r"^> \|\|(.*)\|\|$")
CODE = re.compile(r"^```\n(.*)\n```$", re.DOTALL)


def words(text: str) -> str:
    return " ".join(text.split())


async def press(person: Person, option: str) -> None:
    """Press the button of `option` (its id) on the person's last message."""
    [button] = [b for b in person.prompt().buttons() if b["custom_id"].endswith(f"|{option}")]
    await person.settle(await person.fake.press(person.user, person.prompt(), button["custom_id"]))


async def the_script(person: Person, channel: str) -> tuple[Message, Message]:
    """The script for `channel`, and the message of its buttons under it."""
    await at_review(person)
    await press(person, "do:confirm")
    await press(person, "do:need_help")
    await press(person, f"channel:{channel}")
    script, buttons = person.last.messages
    assert script.embeds and not script.components
    assert any(b["custom_id"].endswith("|do:log") for b in buttons.buttons())
    return script, buttons


def lines(script: Message) -> list[str]:
    """Every line of the script's own fields (not the ones to copy)."""
    return [
        line
        for embed in script.embeds
        for one in embed["fields"]
        if not one["name"].startswith(cards.COPY_MARK)
        for line in one["value"].split("\n")
    ]


def copied(script: Message) -> dict[str, str]:
    """Each field to copy: its name and the text in its code block."""
    found = {}
    for embed in script.embeds:
        for one in embed["fields"]:
            if one["name"].startswith(cards.COPY_MARK):
                match = CODE.match(one["value"])
                assert match, one["value"]
                found[one["name"]] = match.group(1)
    return found


async def test_the_lines_to_say_are_quoted_and_the_calm_phrases_hidden(bot: Bot) -> None:
    script, _ = await the_script(Person(bot, "sam"), "chat")
    shown = lines(script)
    spare = [seen(m.group(1)) for line in shown if (m := SPARE.match(line))]
    said = [seen(line[2:]) for line in shown if line.startswith("> ") and not SPARE.match(line)]
    plain_lines = [seen(line) for line in shown if not line.startswith(">")]
    amazon = load_playbook("amazon").script
    assert all(any(phrase in line for line in spare) for phrase in amazon.calm_phrases)
    assert not any(phrase in line for phrase in amazon.calm_phrases for line in said)
    assert all(any(item in line for line in plain_lines) for item in amazon.have_at_hand)
    keys = copied(script)
    assert len(keys) >= 2, "the opening and the ask"
    for text in keys.values():
        assert words(text) in words(" ".join(said)), "each key line is quoted in the script"


async def test_the_key_lines_and_the_email_are_code_blocks_to_copy(bot: Bot) -> None:
    script, _ = await the_script(Person(bot, "tia"), "email")
    keys = copied(script)
    assert len(keys) >= 4, "the opening, the ask, the subject and the email"
    assert all(len(one["value"]) <= 1024 for e in script.embeds for one in e["fields"])
    said = words(" ".join(seen(line[2:]) for line in lines(script) if line.startswith("> ")))
    for text in keys.values():
        assert words(text) in said, "copied as it is quoted"
        assert "\\" not in text, "as it stands: no markdown escapes to copy along"


async def test_a_press_moves_the_buttons_on_and_the_script_stays(bot: Bot) -> None:
    uma = Person(bot, "uma", in_server=True)
    script, buttons = await the_script(uma, "email")
    before = copy.deepcopy((script.content, script.embeds, script.components))
    await press(uma, "do:log")
    pressed = uma.last
    assert pressed.callbacks == [UPDATE] and pressed.messages[0].id == buttons.id
    assert (script.content, script.embeds, script.components) == before, "still there to copy"


def test_a_customer_s_markup_cannot_break_a_quote_or_a_spoiler() -> None:
    typed = "**no** ||peek|| > `x` @everyone"
    text = join([quote(rich("I said {x}", x=typed)), quote(plain(f"{typed} ||"), Block.SPARE)])
    say, spare = render.markdown(text).split("\n")
    assert say.startswith("> ") and seen(say[2:]) == f"I said {typed}"
    assert "@\u200beveryone" in say, "a mention defused"
    match = SPARE.match(spare)
    assert match and "||" not in match.group(1).replace("\\|", "")
    assert seen(match.group(1)) == f"{typed} ||"


def test_a_long_snippet_is_copied_in_numbered_parts_no_code_fence_can_end() -> None:
    body = "\n\n".join(f"Paragraph {n}: " + "word " * 60 + "``` end" for n in range(8))
    [card] = cards.copies([Snippet("Email", body), Snippet("Subject", "Order `1`")])
    assert all(len(value) <= 1024 for _, value in card.fields)
    parts = [(name, CODE.match(value)) for name, value in card.fields]
    assert all(match for _, match in parts)
    names = [name for name, _ in parts]
    assert names[0].endswith(" 1/" + str(len(names) - 1)) and names[-1].endswith("Subject")
    inside = [match.group(1) for _, match in parts if match]
    assert not any("```" in text for text in inside)
    assert words(" ".join(inside[:-1])).replace(GRAVE, "`") == words(body)
    assert inside[-1] == "Order `1`"


def test_a_long_quote_as_messages_keeps_every_line_quoted_within_2000() -> None:
    said = " ".join(f"sentence {n} of what to say, word for word." for n in range(150))
    posts = layout.posts([Outbound(join([rich("**Say this**"), quote(plain(said))]))], {})
    assert len(posts) > 1
    assert all(len(post.content) <= render.MAX_CONTENT for post in posts)
    quoted = [line for post in posts for line in post.content.split("\n")][1:]
    assert all(line.startswith("> ") for line in quoted)
    assert words(" ".join(line[2:] for line in quoted)) == words(said)


async def test_a_message_to_copy_with_no_buttons_counts_as_sent_once_it_has_gone() -> None:
    """A send refused after a snippet-only message says that message went, so the outbox
    sends on from the next one instead of the snippet again."""
    [card] = cards.copies([Snippet("Subject", "Order 1")])
    out = render.posts([render.Piece("Copy this", copies=(card,)), render.Piece("Then this")])
    sent: list[render.Post] = []

    async def first(post: render.Post) -> None:
        sent.append(post)

    async def refused(post: render.Post) -> None:
        raise aiohttp.ClientConnectionError("down")

    with pytest.raises(PartlySent) as cut:
        await send_all(out, first, refused, Observer())
    assert cut.value.sent == 1, "the snippet's message went: it is not sent again"
    assert [post.embeds for post in sent] == [[card]]
