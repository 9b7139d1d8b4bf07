"""Words that depend on how typing reaches the bot are data: a text carries both its
chat wording and its form wording, and each platform picks by id (`Typing`).

On Discord (typing only through ✍️ Answer and 🧾) no prompt asks to type or paste in the
chat; Telegram and the terminal keep the chat wording.
"""

from __future__ import annotations

from adapters.discord_bot.render import markdown
from bot.events import Outbound, Word, words
from bot.reminders.outbox import Reply, Status
from flows.facts import FACTS_BY_ID
from flows.greeting import welcome_reply
from flows.steps.paste import INVITE
from flows.text import Typing, by_typing, join, plain, rich
from tests import discord_chat
from tests.chat import START, Chat
from tests.discord_chat import Bot, Person

fake, bot = discord_chat.fake, discord_chat.bot


def test_rich_and_join_keep_both_wordings_and_each_platform_picks_its_own() -> None:
    varied = by_typing("type it", "use the form")
    said = join([rich("**{name}**, {how}.", name="Ana", how=varied), plain("Thanks")])
    assert said.typed_in(Typing.CHAT).plain() == "Ana, type it.\nThanks"
    assert said.typed_in(Typing.FORM).plain() == "Ana, use the form.\nThanks"
    assert said.plain() == said.typed_in(Typing.CHAT).plain(), "the chat's is the default"
    same = rich("No typing here")
    assert same.typed_in(Typing.FORM) is same and same.in_form is None


def test_a_stored_reply_keeps_its_form_wording() -> None:
    message = Outbound(join([rich("Which shop?"), INVITE]))
    stored = Reply("o1", 1, (message,), START, Status.PENDING)
    [again] = Reply.from_json(stored.to_json()).messages
    assert again.text.typed_in(Typing.FORM) == message.text.typed_in(Typing.FORM)
    assert again.text.typed_in(Typing.CHAT) == message.text.typed_in(Typing.CHAT)


async def test_the_chat_keeps_the_chat_wording() -> None:
    chat = Chat()
    await chat.say("/new")
    shop = FACTS_BY_ID["merchant"]
    assert shop.question in chat.last_text()
    assert shop.in_form not in chat.last_text()


async def test_discord_never_asks_to_type_or_paste_in_the_chat(bot: Bot) -> None:
    ana = Person(bot, "ana")
    await ana.slash("new")
    [asked] = ana.last.messages
    shop = FACTS_BY_ID["merchant"]
    assert markdown(rich(shop.in_form)) in asked.content
    assert markdown(rich(shop.question)) not in asked.content
    assert markdown(INVITE.typed_in(Typing.FORM)) in asked.content
    assert markdown(INVITE.typed_in(Typing.CHAT)) not in asked.content
    assert {words(Word.ANSWER), words(Word.PASTE)} <= set(asked.labels()), "the ways to type"


def test_the_form_wording_names_the_buttons_as_they_are_labelled() -> None:
    """Where the flow says which button opens a form, it names it by its whole label, as
    the adapter draws it (not only its emoji)."""
    labels = [words(Word.ANSWER), words(Word.PASTE)]
    worded = {
        "the paste invitation": INVITE.typed_in(Typing.FORM).plain(),
        "the welcome": welcome_reply().text.typed_in(Typing.FORM).plain(),
        **{f"the question {fact.id}": fact.in_form for fact in FACTS_BY_ID.values()},
    }
    named = {
        (where, label)
        for where, text in worded.items()
        for label in labels
        if label.split()[0] in text
    }
    known = {"the paste invitation", "the welcome", "the question merchant"}
    assert known <= {where for where, _ in named}, "the wordings known to name a button"
    for where, label in named:
        assert label in worded[where], f"{where} names {label.split()[0]} but not {label!r}"
