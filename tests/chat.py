"""A small driver for whole conversations in tests: one person talking to an `Engine`.

`Chat` sends what a person would send (`await chat.say("/new")`, `await chat.say("Blue
kettle")`, `await chat.press_option("pick:refund")`: a button is pressed by its option
id, never its words) and keeps what came back, so a test reads like the conversation it
checks. Time is a `Clock` the test moves; nothing here sleeps.

The helpers at the bottom walk the common stretches of a case (telling the facts,
logging a contact) so that each test spells out only the part it is about.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.engine import Engine
from bot.events import (
    Attachment,
    Button,
    ButtonPress,
    Notice,
    Outbound,
    Prompt,
    TextMessage,
    parse_command,
)
from flows import machine
from flows.contacts import LOG_QUESTIONS
from flows.facts import FACTS, playbook_for
from flows.playbook import Playbook, load_playbook
from flows.script import template_values
from flows.text import rich
from storage import ConversationKey, MemoryStore, Store

START = datetime(2026, 11, 11, 15, 0, tzinfo=UTC)
"""Wednesday 11 November 2026, 15:00 UTC: when every test conversation begins."""

AMAZON_ORDER = "112-3456789-0123456"


class Clock:
    """The engine's and the reminder scheduler's clock; tests move it forward instead of
    waiting, and `advance` wakes whoever sleeps until a moment it passes."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now
        self._sleepers: list[tuple[datetime, asyncio.Future[None]]] = []

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
        for when, sleeper in self._sleepers:
            if when <= self.now and not sleeper.done():
                sleeper.set_result(None)
        self._sleepers = [(w, s) for w, s in self._sleepers if not s.done()]

    async def sleep_until(self, when: datetime) -> None:
        if when <= self.now:
            await asyncio.sleep(0)
            return
        sleeper = asyncio.get_running_loop().create_future()
        self._sleepers.append((when, sleeper))
        await sleeper


class Chat:
    """One person in one chat with the bot.

    Args:
        store: where the engine keeps records (a fresh `MemoryStore` by default).
        clock: the engine's clock (a fresh `Clock` at `START` by default).
        user: the person's id; `chat` defaults to it (a private chat).
    """

    def __init__(
        self,
        store: Store | None = None,
        clock: Clock | None = None,
        *,
        user: str = "1001",
        chat: str | None = None,
        platform: str = "test",
    ) -> None:
        self.store = store if store is not None else MemoryStore()
        self.clock = clock if clock is not None else Clock()
        self.engine = Engine(self.store, clock=self.clock)
        self.key = ConversationKey(platform, user, chat or user)
        self.replies: list[Outbound] = []
        self.history: list[list[Outbound]] = []

    def restarted(self, store: Store) -> Chat:
        """The same person and clock talking to a new engine over `store` (a restart)."""
        twin = Chat(
            store,
            self.clock,
            user=self.key.user_id,
            chat=self.key.chat_id,
            platform=self.key.platform,
        )
        twin.replies, twin.history = self.replies, self.history
        return twin

    # -- sending ----------------------------------------------------------------------------

    async def send(self, event: Any) -> list[Outbound]:
        self.replies = await self.engine.handle(event)
        self.history.append(self.replies)
        return self.replies

    async def say(self, text: str) -> list[Outbound]:
        """Type a line: a command when it starts with a slash, else a message."""
        return await self.send(parse_command(self.key, text) or TextMessage(self.key, text))

    async def press_option(self, option: str) -> list[Outbound]:
        """Press the button whose option id is `option` (`do:plan`, `pick:refund`)."""
        return await self.press_data(self.button(option).data)

    async def press_data(self, data: str) -> list[Outbound]:
        return await self.send(ButtonPress(self.key, data))

    # -- reading ----------------------------------------------------------------------------

    def buttons(self) -> list[Button]:
        return [button for message in self.replies for row in message.buttons for button in row]

    def labels(self) -> list[str]:
        return [button.label for button in self.buttons()]

    def button(self, option: str) -> Button:
        """The one button on offer in the last replies for the option id `option`."""
        found = [button for button in self.buttons() if button.option == option]
        assert len(found) == 1, f"no single option {option!r} among {self.options()}"
        return found[0]

    def asking(self) -> Prompt | None:
        """What the last turn asks: the prompt of its last message that has one."""
        return next((m.prompt for m in reversed(self.replies) if m.prompt), None)

    def step(self) -> str | None:
        """The step the bot is waiting on (a state of flows/machine.py, or `welcome`, …)."""
        asking = self.asking()
        return asking.step if asking else None

    def question(self) -> str | None:
        """The id of the question open at that step (a fact, or a contact-log detail)."""
        asking = self.asking()
        return asking.question.id if asking and asking.question else None

    def options(self) -> list[str]:
        """The option ids on offer in the last replies (`do:plan`, `pick:refund`, `skip`)."""
        return [button.option for button in self.buttons()]

    def notices(self) -> list[Notice]:
        """What the last turn told without asking, by id, in order."""
        return [message.notice for message in self.replies if message.notice]

    def told(self, notice: Notice) -> dict[str, str]:
        """What the last turn's one message with `notice` names (a case id, a time, …)."""
        found = [dict(message.details) for message in self.replies if message.notice == notice]
        assert len(found) == 1, f"no single {notice} among {self.notices()}"
        return found[0]

    def texts(self) -> list[str]:
        return [message.text.plain() for message in self.replies]

    def last_text(self) -> str:
        """Everything the last turn said, as plain text."""
        return "\n".join(self.texts())

    def prompt(self) -> str:
        """The words of the last message of the last turn (what a person reads last)."""
        return self.texts()[-1]

    def attachments(self) -> dict[str, str]:
        return {
            message.attachment.filename: message.attachment.content.decode()
            for message in self.replies
            if isinstance(message.attachment, Attachment)
        }

    async def record(self) -> dict[str, Any]:
        """The active case as stored (for tests about the machine itself)."""
        person = await self.store.load(self.key.person)
        return person.cases[person.profile["active_case"]]

    async def timeline(self) -> list[str]:
        """The kinds of the active case's timeline entries, oldest first (`escalation`, …)."""
        return [entry["kind"] for entry in (await self.record())["timeline"]]

    async def rungs(self) -> list[str]:
        """The rungs of the ladder the active case has been on, in order."""
        return list((await self.record())["rungs_tried"])

    async def state(self) -> str:
        return (await self.record())["state"]

    async def playbook_line(self, markup: str) -> str:
        """One of the case's playbook's sentences (a script template), filled with the
        active case's facts, as the person reads it."""
        facts = (await self.record())["facts"]
        return rich(markup, **template_values(facts, playbook_for(facts))).plain()

    async def playbook(self) -> Playbook:
        """The playbook of the active case's shop."""
        return playbook_for((await self.record())["facts"])

    async def status(self) -> str:
        await self.say("/status")
        return self.last_text()

    async def export(self) -> str:
        """The Markdown case file that /export attaches."""
        await self.say("/export")
        return next(text for name, text in self.attachments().items() if name.endswith(".md"))


def said(messages: list[Outbound]) -> list[str]:
    """What each message asked or told, by id: its notice, else its prompt's step ('' for
    a message with neither, such as an attachment)."""
    return [str(m.notice or (m.prompt.step if m.prompt else "")) for m in messages]


# -- the common stretches of a case -----------------------------------------------------------


@dataclass(frozen=True)
class Story:
    """What a person answers to the fact questions: an option id to press (`pick:late`,
    `skip`), or text to type."""

    merchant: str = "pick:amazon"
    problem: str = "pick:damaged"
    seller: str = "pick:third_party"
    order_number: str = AMAZON_ORDER
    order_date: str = "5 days ago"
    delivery_date: str = "2 days ago"
    item: str = "Blue kettle"
    amount: str = "$49.99"
    payment: str = ""
    """How they paid (an option id: `pick:credit_card`), added in the review; empty: not
    given."""
    country: str = ""
    """Where they bought (an option id: `pick:GB`), added in the review; empty: not given."""
    what_happened: str = "It arrived with a cracked lid."
    outcome: str = "pick:replacement"
    urgency: str = "pick:soon"
    earlier_contacts: str = "pick:none"

    def but(self, **changes: str) -> Story:
        return replace(self, **changes)


GENERIC = Story(merchant="Corner Books", seller="", order_number="W123-4567")
"""A shop without a playbook of its own (no seller question, free-form order numbers)."""

QUESTIONS = {fact.id: rich(fact.question).plain() for fact in FACTS}
"""Each fact's question as the person reads it."""


def listed(fact: str, value: str, playbook: str = "amazon") -> str:
    """A fact as the review and the case file list it: its label (flows/facts.py), then
    the value as given; for an option id (`pick:soon`), the label of that option of the
    fact's question in `playbook`."""
    options = FACT_OPTIONS[fact]
    if value.startswith("pick:") and options is not None:
        value = options(load_playbook(playbook))[value.removeprefix("pick:")]
    return f"{FACT_LABELS[fact]}: {value}"


FACT_LABELS = {fact.id: fact.label for fact in FACTS}
FACT_OPTIONS = {fact.id: fact.options for fact in FACTS}


def current_fact(chat: Chat) -> str | None:
    """Which fact question the bot is asking now, if any."""
    prompt = chat.replies[-1].prompt if chat.replies else None
    if prompt is None or prompt.question is None or prompt.step != machine.GATHERING:
        return None
    return prompt.question.id if prompt.question.id in QUESTIONS else None


async def answer(chat: Chat, value: str) -> list[Outbound]:
    """Press the option with this id (`pick:refund`, `skip`) if one is on offer, else type
    `value` (never a button's label: a test that types one is pressing by wording)."""
    if value in chat.options():
        return await chat.press_option(value)
    assert value not in chat.labels(), f"{value!r} is a label: answer with its option id"
    return await chat.say(value)


async def answer_until(chat: Chat, story: Story, stop: str | None = None) -> None:
    """Answer the fact questions from the story until the bot asks `stop` (or none); at
    the review, add the optional facts the story has, one by one, as a person would."""
    for _ in range(3 * len(FACTS)):
        fact = current_fact(chat)
        if fact is not None and fact == stop:
            break
        if fact is None:
            given = (await chat.record())["facts"] if chat.step() == machine.REVIEW else {}
            optional = next(
                (
                    f
                    for f in OPTIONAL
                    if getattr(story, f.id)
                    and f.id not in given
                    and f"edit:{f.id}" in chat.options()
                ),
                None,
            )
            if optional is None:
                break
            await chat.press_option(f"edit:{optional.id}")
            continue
        await answer(chat, getattr(story, fact))
    assert current_fact(chat) == stop, chat.last_text()


OPTIONAL = tuple(fact for fact in FACTS if fact.optional)
"""The facts not asked one by one: the review offers them."""


async def tell(chat: Chat, story: Story = Story()) -> None:
    """Open a case and answer every question it asks, up to the review."""
    await chat.say("/new")
    await answer_until(chat, story)
    assert chat.step() == machine.REVIEW, chat.last_text()


async def confirmed(chat: Chat, story: Story = Story()) -> None:
    """Tell the story and confirm it: the self-service step is showing."""
    await tell(chat, story)
    await chat.press_option("do:confirm")


async def at_case_menu(chat: Chat, story: Story = Story()) -> None:
    """A confirmed case, parked at its menu (what /cancel leads to)."""
    await confirmed(chat, story)
    await chat.say("/cancel")
    assert chat.step() == machine.CASE_MENU, chat.last_text()


async def log_contact(
    chat: Chat,
    result: str,
    *,
    when: str = "pick:now",
    channel: str = "pick:chat",
    rep: str = "Sam",
    reference: str = "REF-42",
    notes: str = "They said they would look into it.",
    stop: str | None = None,
) -> None:
    """Log one contact through /log, answering its six questions as `answer` does (an
    option id, `pick:no_progress`, is pressed; anything else typed), up to the one with
    the id `stop`, when given (`rep`, `notes`, …). Typed while a log is under way, /log
    carries on with it, so only the questions still open are answered."""
    answers = (when, channel, rep, reference, notes, result)
    values = dict(zip((question.id for question in LOG_QUESTIONS), answers, strict=True))
    await chat.say("/log")
    answered: set[str] = set()
    while chat.step() == machine.LOGGING:
        asked = chat.question()
        assert asked in values and asked not in answered, chat.last_text()  # taken, not looped
        if asked == stop:
            return
        answered.add(asked)
        await answer(chat, values[asked])
    assert stop is None, f"never asked {stop!r}"
