"""Simulated people for the benchmarks: what they type, what each was last shown, records
left by real turns, and the driver that plays their turns against an `Engine`.

bench/turns.py (one turn at a time, populations) and bench/concurrent.py (many people
at once) share them. What a person was asked is read from the prompt's question id, and
a press left alone from the reply's notice, never from the words.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import tracemalloc
from array import array
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bot.engine import Engine
from bot.events import Button, ButtonPress, Command, Inbound, Notice, Outbound, TextMessage
from flows import machine
from storage import ConversationKey, MemoryStore, PersonRecord, TinyDBStore

PLATFORM = "telegram"
FIRST_USER_ID = 5_000_000_000
"""Person `i` is Telegram user FIRST_USER_ID + i, in a private chat of the same id."""

POPULATE_THREADS = 4
"""A save mostly waits on fsync; a few threads overlap those waits (each its own loop)."""

STATUS_SHARE = 0.15
PRESS_SHARE = 0.30
"""The turn mix: this share of `/status`, this share of button presses, the rest typed."""

PROMPT_TABLE = "prompts.json"
PROMPT_OF_PERSON = "prompt-of-person.bin"
"""Inside the temporary folder: what each person was last shown."""

# -- what people type ----------------------------------------------------------------------

MERCHANTS = ("Amazon", "Currys", "IKEA")
ITEMS = ("Bluetooth headphones", "a kettle", "running shoes, size 42", "a 55-inch TV")
AMOUNTS = ("$49.99", "49,99 €", "£120", "$18")
STORIES = (
    "It arrived with a cracked screen.",
    "Tracking says delivered, but nothing came.",
    "They sent the wrong colour and haven't answered my email.",
)
CHATTER = ("ok", "thanks", "what now?")

Typer = Callable[[random.Random], str]
TYPED: dict[str, Typer] = {
    "merchant": lambda rng: rng.choice(MERCHANTS),
    "order_number": lambda rng: (
        f"{rng.randrange(100, 1000)}-{rng.randrange(10**6, 10**7)}-{rng.randrange(10**6, 10**7)}"
    ),
    "order_date": lambda rng: f"{rng.randrange(3, 30)} days ago",
    "delivery_date": lambda rng: rng.choice(("yesterday", "today", "2 days ago")),
    "item": lambda rng: rng.choice(ITEMS),
    "amount": lambda rng: rng.choice(AMOUNTS),
    "what_happened": lambda rng: rng.choice(STORIES),
    "earlier_contacts": lambda rng: "Phoned them on Monday, reference 55123",
    "when": lambda rng: "yesterday",
    "rep": lambda rng: "Sam",
    "reference": lambda rng: "CS-88213",
    "notes": lambda rng: "They promised a refund within 5 days.",
}
"""A typed answer per question id; questions missing here are answered with a button label."""


@dataclass(frozen=True, slots=True)
class Prompt:
    """What a person was last shown: the question asked (if any) and the valid buttons."""

    question: str | None
    buttons: tuple[Button, ...]


def prompt_after(messages: list[Outbound], previous: Prompt | None) -> Prompt:
    """The prompt a turn left. A turn without buttons leaves the earlier ones valid.

    Buttons are copied, so that the bench holds none of the engine's objects: what
    tracemalloc sees the bench keep is then the bench's own (see `Driver.kept`).
    """
    asked = [m.prompt.question for m in messages if m.prompt and m.prompt.question]
    question = _copy(asked[-1].id) if asked else None
    buttons = tuple(
        Button(_copy(button.label), _copy(button.data))
        for message in messages
        for row in message.buttons
        for button in row
    )
    if not buttons and previous is not None:
        buttons = previous.buttons
    return Prompt(question, buttons)


def _copy(text: str) -> str:
    return text.encode().decode()  # a new str object (str() and slicing return the same one)


def typed_answer(prompt: Prompt, rng: random.Random) -> str:
    """What a person might type: an answer to the question, a button's label, or chatter."""
    labels = [b.label for b in prompt.buttons if "|pick:" in b.data]
    typer = TYPED.get(prompt.question or "")
    if typer is not None and (not labels or rng.random() < 0.5):
        return typer(rng)
    if prompt.question is not None and labels:
        return rng.choice(labels)  # a choice question accepts its label typed out
    return rng.choice(CHATTER)


class Prompts:
    """What each person was last shown, kept in little memory (a chat client's side).

    A person's entry is an index into a table of the distinct prompts seen. They are
    few (a question and its stamped buttons, and stamps count per person), so what the
    bench holds grows by 4 bytes a person, not by a prompt per person touched: the
    memory figures stay the engine's. Person `i` starts with template `i % templates`.
    """

    def __init__(self, templates: list[Prompt], people: int) -> None:
        self.table = list(templates)
        self.index = {prompt: i for i, prompt in reversed(list(enumerate(templates)))}
        self.of_person = array("I", (person % len(templates) for person in range(people)))

    def __getitem__(self, person: int) -> Prompt:
        return self.table[self.of_person[person]]

    def __setitem__(self, person: int, prompt: Prompt) -> None:
        index = self.index.setdefault(prompt, len(self.table))
        if index == len(self.table):
            self.table.append(prompt)
        self.of_person[person] = index

    def save(self, folder: Path) -> None:
        table = [(p.question, [(b.label, b.data) for b in p.buttons]) for p in self.table]
        (folder / PROMPT_TABLE).write_text(json.dumps(table))
        with open(folder / PROMPT_OF_PERSON, "wb") as file:
            self.of_person.tofile(file)

    def load(self, folder: Path) -> None:
        """Take up what an earlier worker saved, for the people it had."""
        if not (folder / PROMPT_TABLE).exists():
            return
        table = json.loads((folder / PROMPT_TABLE).read_text())
        self.table = [Prompt(q, tuple(Button(*b) for b in buttons)) for q, buttons in table]
        self.index = {prompt: i for i, prompt in reversed(list(enumerate(self.table)))}
        saved = array("I")
        with open(folder / PROMPT_OF_PERSON, "rb") as file:
            saved.fromfile(file, (folder / PROMPT_OF_PERSON).stat().st_size // saved.itemsize)
        self.of_person[: len(saved)] = saved


def conversation(person: int) -> ConversationKey:
    user = str(FIRST_USER_ID + person)
    return ConversationKey(PLATFORM, user, user)


# -- realistic records ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Template:
    """A record left by real turns, and the prompt its person was left with."""

    record: PersonRecord
    prompt: Prompt

    def record_for(self, person: int) -> PersonRecord:
        """The same record for another person (their chat id); shares the template's dicts."""
        (chat,) = self.record.conversations.values()
        return PersonRecord(
            profile=self.record.profile,
            conversations={conversation(person).chat_id: chat},
            cases=self.record.cases,
            reminders=self.record.reminders,
        )


async def build_templates() -> list[Template]:
    """Records with one case, 1 to 3 facts answered (short of the review: only the facts
    that change the advice are asked), for each merchant; made by the engine.

    Deterministic, so that the parent (which writes them) and a worker (which needs
    each person's prompt) build the same list: person `i` has template `i % len(list)`.
    """
    rng = random.Random(0)
    templates = []
    for merchant in MERCHANTS:
        for answered in range(1, 4):
            store = MemoryStore()
            engine = Engine(store)
            key = ConversationKey(PLATFORM, "template", "template")
            # A person's first button stamp is random; the worker rebuilds these templates,
            # so they start from a known stamp to come out the same in both processes.
            await store.save(key.person, PersonRecord(profile={"offered": {"stamp": "0"}}))
            prompt = prompt_after(await engine.handle(Command(key, "start")), None)
            (new,) = (b for b in prompt.buttons if b.data.endswith("|new"))
            prompt = prompt_after(await engine.handle(ButtonPress(key, new.data)), prompt)
            for number in range(answered):
                text = merchant if number == 0 else typed_answer(prompt, rng)
                prompt = prompt_after(await engine.handle(TextMessage(key, text)), prompt)
            record = await store.load(key.person)
            case = record.cases["c1"]
            if case["state"] != machine.GATHERING or len(case["facts"]) != answered:
                raise RuntimeError(f"template {merchant}/{answered} did not come out as planned")
            templates.append(Template(record, prompt))
    return templates


def populate(data_dir: Path, start: int, stop: int, templates: list[Template]) -> float:
    """Write people `start` to `stop - 1` through `TinyDBStore.save`; seconds taken."""
    store = TinyDBStore(data_dir)

    def write(first: int) -> None:
        async def save_all() -> None:
            for person in range(first, stop, POPULATE_THREADS):
                record = templates[person % len(templates)].record_for(person)
                await store.save(conversation(person).person, record)

        asyncio.run(save_all())

    started = time.perf_counter()
    with ThreadPoolExecutor(POPULATE_THREADS) as pool:
        list(pool.map(write, range(start, start + POPULATE_THREADS)))
    return time.perf_counter() - started


# -- driving turns (in the worker) ---------------------------------------------------------


@dataclass
class Driver:
    """Plays people's turns against the engine, remembering what each was last shown."""

    engine: Engine
    people: int
    rng: random.Random
    prompts: Prompts
    kinds: Counter[str] = field(default_factory=Counter)
    stale: int = 0
    traced: bool = False
    """Whether tracemalloc is on: then the fields below are filled."""
    kept: int = 0
    """Bytes the bench allocated and still holds since tracing began (new prompts seen)."""
    traced_peak: int = 0
    """Peak of traced memory, less what the bench kept: the engine's peak."""
    turn_peaks: list[int] = field(default_factory=list)
    """Each turn's allocation peak above what was allocated when it began."""

    def event_for(self, person: int) -> tuple[str, Inbound]:
        key = conversation(person)
        prompt = self.prompts[person]
        roll = self.rng.random()
        if roll < STATUS_SHARE:
            return "status", Command(key, "status")
        if roll < STATUS_SHARE + PRESS_SHARE and prompt.buttons:
            return "press", ButtonPress(key, self.rng.choice(prompt.buttons).data)
        return "text", TextMessage(key, typed_answer(prompt, self.rng))

    async def run(self, turns: int) -> list[float]:
        """Play `turns` turns, one after another; each turn's latency in seconds."""
        latencies: list[float] = []
        before = after = 0
        for _ in range(turns):
            person = self.rng.randrange(self.people)
            kind, event = self.event_for(person)
            if self.traced:
                before = tracemalloc.get_traced_memory()[0]
                tracemalloc.reset_peak()
            started = time.perf_counter()
            messages = await self.engine.handle(event)
            latency = time.perf_counter() - started
            if self.traced:
                after, peak = tracemalloc.get_traced_memory()
                self.turn_peaks.append(peak - before)
                self.traced_peak = max(self.traced_peak, peak - self.kept)
            latencies.append(latency)
            self.kinds[kind] += 1
            self.stale += bool(messages) and messages[0].notice == Notice.STALE_BUTTON
            self.prompts[person] = prompt_after(messages, self.prompts[person])
            if self.traced:
                self.kept += tracemalloc.get_traced_memory()[0] - after
            del messages  # the turn's output, freed outside the measured stretches
        return latencies
