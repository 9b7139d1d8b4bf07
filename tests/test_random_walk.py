"""Thousands of random turns from many people, with a fixed seed: whatever anyone sends
(current buttons, old buttons, forged button data, odd text, any command with any
arguments), the bot answers, never fails, and /status and /cancel always answer too."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

from bot.events import MAX_BUTTON_DATA, Outbound
from flows import machine
from storage import MemoryStore, Store, TinyDBStore
from tests.chat import AMAZON_ORDER, Chat, Clock

SEED = 20261111
FULLWIDTH = {ord(char): ord(char) + 0xFEE0 for char in "0123456789-"}
"""Digits and dashes as a phone keyboard in Japanese or Chinese mode types them."""

COMMANDS = (
    "start", "new", "status", "cases", "log", "remind", "reminders", "escalate",
    "export", "timezone", "cancel", "forget", "help", "back", "dispute", "x" * 60,
)  # fmt: skip

ODD_TEXT = (
    "", " ", "\n\t \n", "😀", "👨\u200d👩\u200d👧 🇺🇦", "\u202eevil\u202c", "שלום, החבילה לא הגיעה",
    "مرحبا، الطرد لم يصل", "\u200b", "\u200b\u200c\u200d\u2060\ufeff", "<b>bold</b> <script>x</script>",
    "&amp; &lt; &", "*bold* _it_ `code` ~~s~~ [a](http://x) ||spoiler||", "**", "_", "`",
    "{order_number}", "{0} %s %(x)s", "\\", "\x00\x07\x1b[31m", "\ud800", "A" * 10_000,
    AMAZON_ORDER.translate(FULLWIDTH), "١٢ نوفمبر", "NaN", "-1", "1e309", "9" * 300,
    "' OR 1=1; DROP TABLE cases; --", "null", "{}", "[]", "Ω≈ç√∫", "ﷺ", "ǅ", "İ",
)  # fmt: skip

GOOD_TEXT = (
    AMAZON_ORDER, "W123-4567", "Amazon", "Corner Books", "yesterday", "3 days ago", "Nov 2",
    "2026-11-02", "9999-12-31", "2016-01-01", "tomorrow", "$49.99", "49,99 €", "¥15000",
    "Blue kettle", "It arrived broken.", "Sam", "Just now", "now", "REF-1", "No progress",
    "Resolved", "They made an offer", "Waiting on them", "Urgent", "A refund", "Store credit",
    "Not yet", "none", "Live chat", "Email", "third_party", "merchant", "late",
)  # fmt: skip

ARGS = (
    "", "in 2 days call back", "tomorrow 9am", "friday", "2026-12-01 14:00", "in 0 days",
    "in 400 days", "yesterday", "0001-01-01 1am", "9999-12-31 23:59", "at 25:99", "Europe/Berlin",
    "berlin", "UTC", "+05:00", "Mars/Olympus", "est", "Asia/Kathmandu", "Pacific/Kiritimati",
    "in 2 days \ud800", "in 1 hour " + "x" * 2000, "😀 tomorrow", "\u202e", "<b>", "c1", "c999",
)  # fmt: skip


STEPS_BACK = ("Back", "Drop", "delete", "✏️", "No, keep it", "Reopen")
"""Buttons a walker presses less often, so that many walks get deep into a case."""


class Walker:
    """One person sending random events, remembering every button they were ever shown."""

    def __init__(self, store: Store, clock: Clock, person: int, rng: random.Random) -> None:
        self.chat = Chat(store, clock, user=str(person))
        self.rng = rng
        self.seen: list[str] = []
        self.log: list[str] = []
        self.pressed: str | None = None
        self.double_tap = False
        """The last event pressed what the one before pressed: it may be answered by the first."""

    async def step(self) -> list[Outbound]:
        previous, self.pressed = self.pressed, None
        replies = await self._step()
        self.double_tap = self.pressed is not None and self.pressed == previous
        return replies

    async def press(self, data: str) -> list[Outbound]:
        self.pressed = data
        return await self.chat.press_data(data)

    async def _step(self) -> list[Outbound]:
        kind = self.rng.choices(
            ("press", "stale", "forged", "text", "command"), weights=(50, 6, 6, 26, 12)
        )[0]
        if kind == "press" and self.chat.buttons():
            buttons = self.chat.buttons()
            onward = [b for b in buttons if not any(w in b.label for w in STEPS_BACK)]
            button = self.rng.choice(onward if onward and self.rng.random() < 0.8 else buttons)
            self.log.append(f"press {button.label!r} {button.data!r}")
            replies = await self.press(button.data)
        elif kind == "stale" and self.seen:
            data = self.rng.choice(self.seen)
            self.log.append(f"stale {data!r}")
            replies = await self.press(data)
        elif kind == "forged":
            data = self.forged()
            self.log.append(f"forged {data!r}")
            replies = await self.press(data)
        elif kind == "command":
            text = f"/{self.rng.choice(COMMANDS)} {self.rng.choice(ARGS)}".rstrip()
            self.log.append(f"say {text!r}")
            replies = await self.chat.say(text)
        else:
            text = self.rng.choice(GOOD_TEXT if self.rng.random() < 0.6 else ODD_TEXT)
            self.log.append(f"say {text[:60]!r}")
            replies = await self.chat.say(text)
        self.seen += [b.data for b in self.chat.buttons()]
        return replies

    def forged(self) -> str:
        current = self.chat.buttons()[0].data if self.chat.buttons() else "1|new"
        stamp = current.partition("|")[0]
        value = self.rng.choice(
            (
                "do:confirm", "do:climb_guarantee", "do:climb_nowhere", "do:resolve", "do:open",
                "do:__init__", "edit:nope", "edit:merchant", "pick:", "channel:fax", "case:c999",
                "forget:yes", "accept", "skip", "new", "", "|", "😀", "x" * 200,
            )
        )  # fmt: skip
        return self.rng.choice((f"{stamp}|{value}", value, f"zz|{value}", "", "|||", "\ud800"))


def check(replies: list[Outbound], what: str) -> None:
    assert replies, f"{what}: no reply"
    for message in replies:
        assert message.text.plain().strip() or message.attachment, f"{what}: an empty message"
        for row in message.buttons:
            for button in row:
                assert button.label.strip(), f"{what}: a button without a label"
                assert len(button.data.encode()) <= MAX_BUTTON_DATA, f"{what}: {button.data!r}"


async def status_and_cancel_answer(walker: Walker, store: Store) -> None:
    """On a copy of the person's record, /status and /cancel both answer."""
    person = walker.chat.key.person
    copy = MemoryStore()
    await copy.save(person, await store.load(person))
    twin = walker.chat.restarted(copy)
    for command in ("/status", "/cancel"):
        check(await twin.say(command), command)


async def walk(store: Store, people: int, events: int, seed: int) -> Counter[str]:
    """Run the walk; returns how often each case state was reached, to check coverage."""
    rng = random.Random(seed)
    clock = Clock()
    states: Counter[str] = Counter()
    for person in range(people):
        walker = Walker(store, clock, person, rng)
        for _ in range(events):
            if rng.random() < 0.05:
                clock.advance(hours=rng.choice((1, 20, 50, 24 * 40)))
            try:
                replies = await walker.step()
                if replies or not walker.double_tap:
                    check(replies, walker.log[-1])
                await status_and_cancel_answer(walker, store)
            except BaseException as error:
                trail = "\n  ".join(walker.log)
                raise AssertionError(f"person {person}, seed {seed}, after:\n  {trail}") from error
            record = await store.load(walker.chat.key.person)
            active = record.cases.get(record.profile.get("active_case", ""))
            if active:
                states[active["state"]] += 1
    return states


async def test_random_walk_in_memory() -> None:
    """24,000 random events from 300 people: no failure, and every step is reached."""
    states = await walk(MemoryStore(), people=300, events=80, seed=SEED)

    timely = {machine.IDLE, machine.GUARANTEE}  # idle is never kept; the guarantee needs luck
    assert set(machine.STATES) - timely <= set(states), f"the walk reached only: {states}"


async def test_random_walk_on_disk(tmp_path: Path) -> None:
    """The same kind of walk on the TinyDB store, where every turn is a file load and save."""
    await walk(TinyDBStore(tmp_path), people=20, events=60, seed=SEED + 1)
