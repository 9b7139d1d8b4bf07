"""The reminder scheduler: pings on time, once, through restarts, crashes and failures.

Time is a clock the tests move (`running.at(hours=2)`); nothing sleeps. `Pings` stands
where the adapters' `send` is plugged in.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.adapter import route
from bot.events import MAX_BUTTON_DATA, Notice, Outbound
from bot.reminders import DATA_PREFIX
from flows import machine
from flows.prompt import PING
from storage import (
    ConversationKey,
    MemoryStore,
    PersonKey,
    PersonRecord,
    Store,
    TinyDBStore,
)
from tests.chat import Chat, Clock, Story, at_case_menu, log_contact
from tests.pings import Pings, scheduling


async def stored(chat: Chat) -> PersonRecord:
    return await chat.store.load(chat.key.person)


async def statuses(chat: Chat, kind: str = "custom") -> list[str]:
    """The statuses of the person's reminders of one kind (/remind ones by default; a
    confirmed case also has deadline warnings, weeks away in these tests)."""
    return [r["status"] for r in (await stored(chat)).reminders.values() if r["kind"] == kind]


async def noted(chat: Chat, text: str) -> list[str]:
    """What the active case's timeline says of the reminder `text`, each entry naming it."""
    return [
        entry["text"]
        for entry in (await chat.record())["timeline"]
        if entry["kind"] == "reminder" and entry["text"].endswith(f": {text}")
    ]


NO_DATES = Story(order_date="skip", delivery_date="skip")
"""A case with no dates, hence no deadline warnings beside the reminders a test sets."""


async def reminder_case(chat: Chat, *reminders: str) -> None:
    """An open case at its menu, with the given `/remind` arguments set."""
    await at_case_menu(chat, NO_DATES)
    for args in reminders:
        await chat.say(f"/remind {args}")


async def test_a_ping_asks_with_its_buttons_as_a_prompt_that_retires_no_other() -> None:
    """A ping's buttons are data like any reply's: a `ping` prompt whose option ids are
    what the buttons send, which leaves the case's own prompt live beside it."""
    chat, pings = Chat(), Pings()
    await reminder_case(chat, "in 1 hour call back")
    async with scheduling(chat, pings) as running:
        await running.at(hours=1)
    [(_, [message])] = pings.sent
    assert message.prompt is not None and message.prompt.step == PING
    assert not message.prompt.retires
    options = [choice.value for choice in message.prompt.choices()]
    assert options == [button.data for row in message.buttons for button in row]
    assert options == [button.option for row in message.buttons for button in row]
    assert [option.rpartition("|")[2] for option in options] == ["done", "escalate", "1h", "1d"]


async def test_a_reminder_is_pinged_at_its_time_and_not_before() -> None:
    """A reminder set for 'in 2 days' pings once, two days later, with its buttons."""
    chat, pings = Chat(), Pings()
    await reminder_case(chat, "in 2 days call the seller")
    async with scheduling(chat, pings) as running:
        await running.at(hours=47, minutes=59)
        assert pings.sent == []

        await running.at(minutes=1)

        assert len(pings.sent) == 1
        key, _ = pings.sent[0]
        assert key == chat.key
        assert "call the seller" in pings.texts()[0]
        assert "c1 · Amazon" in pings.texts()[0]
        labels = [b.label for row in pings.sent[0][1][0].buttons for b in row]
        assert labels == ["✅ Done", "⬆️ Escalate", "⏰ In 1 hour", "⏰ Tomorrow"]
        await running.at(days=3)
        assert len(pings.sent) == 1
    record = await stored(chat)
    assert await statuses(chat) == ["sent"]
    assert list(chat.store.due_entries()) == []
    [reminder] = [r for r in record.reminders.values() if r["kind"] == "custom"]
    assert reminder["due"] == datetime(2026, 11, 13, 15, tzinfo=UTC).isoformat()
    assert len(await noted(chat, "call the seller")) == 2, "set, then sent"


async def test_a_sooner_reminder_wakes_the_sleeping_scheduler() -> None:
    """While the scheduler sleeps until a reminder days away, one set for an hour from
    now still goes on time."""
    chat, pings = Chat(), Pings()
    await reminder_case(chat, "in 3 days later one")
    async with scheduling(chat, pings) as running:
        await chat.say("/remind in 1 hour sooner one")
        await running.at(minutes=59)
        assert pings.sent == []
        await running.at(minutes=1)
        assert ["sooner one" in text for text in pings.texts()] == [True]


async def test_each_persons_ping_goes_to_the_chat_it_was_set_in() -> None:
    """Two people, two chats: each ping reaches the chat its reminder was set from."""
    store, clock, pings = MemoryStore(), Clock(), Pings()
    ann = Chat(store, clock, user="ann", chat="ann-dm")
    bob = Chat(store, clock, user="bob", chat="bob-dm")
    await reminder_case(ann, "in 1 hour ann's")
    await reminder_case(bob, "in 1 hour bob's")
    async with scheduling(ann, pings) as running:
        await running.at(hours=1)
    assert sorted((key.chat_id, text.count("'s")) for key, text in zip(
        (k for k, _ in pings.sent), pings.texts(), strict=True
    )) == [("ann-dm", 1), ("bob-dm", 1)]  # fmt: skip


async def test_reminders_due_during_downtime_are_each_sent_once_at_start(tmp_path: Path) -> None:
    """Reminders that fell due while the bot was down go out once when it starts again,
    and never again after the next restart."""
    chat, pings = Chat(TinyDBStore(tmp_path)), Pings()
    await reminder_case(chat, "in 1 hour first", "tomorrow 9am second", "in 2 days third")
    await chat.say("/remind in 9 days not yet")
    chat.clock.advance(days=3)  # the bot is down meanwhile

    after = chat.restarted(TinyDBStore(tmp_path))
    async with scheduling(after, pings):
        pass
    again = after.restarted(TinyDBStore(tmp_path))
    async with scheduling(again, pings) as running:
        await running.at(hours=1)

    assert sorted(text.rsplit("\n", 1)[-1] for text in pings.texts()) == sorted(
        ["first", "second", "third"]
    )
    assert await statuses(again) == ["sent", "sent", "sent", "pending"]
    assert len(list((tmp_path / "due").rglob("*.due"))) == 1


async def test_a_crash_between_sending_and_recording_sends_it_again_once(
    tmp_path: Path,
) -> None:
    """The guarantee: a ping that went out but was not recorded (the process died in
    between) is sent once more at the next start, and never a third time."""
    chat, pings = Chat(TinyDBStore(tmp_path)), Pings(crashes=1)
    await reminder_case(chat, "in 1 hour check the refund")
    async with scheduling(chat, pings) as running:
        await running.at(hours=1)
    assert len(pings.sent) == 1
    assert await statuses(chat) == ["sending"]

    for _ in range(2):
        chat = chat.restarted(TinyDBStore(tmp_path))
        async with scheduling(chat, pings) as running:
            await running.at(minutes=5)

    assert len(pings.sent) == 2
    [reminder] = (await stored(chat)).reminders.values()
    assert (reminder["status"], reminder["attempts"], reminder["resent"]) == ("sent", 2, True)
    assert list(chat.store.due_entries()) == []


async def test_a_ping_cut_short_twice_is_not_sent_a_third_time_but_shown_as_failed(
    tmp_path: Path,
) -> None:
    """Dying twice in the middle of one ping: it is not sent a third time, and rather
    than vanish it is listed by /reminders as one that couldn't be delivered."""
    chat, pings = Chat(TinyDBStore(tmp_path)), Pings(crashes=2)
    await reminder_case(chat, "in 1 hour check the refund")
    async with scheduling(chat, pings) as running:
        await running.at(hours=1)
    for _ in range(2):
        chat = chat.restarted(TinyDBStore(tmp_path))
        async with scheduling(chat, pings) as running:
            await running.at(minutes=5)

    assert len(pings.sent) == 2
    assert await statuses(chat) == ["failed"]
    await chat.say("/reminders")
    assert chat.notices() == [Notice.REMINDERS]
    assert "check the refund (c1)" in chat.last_text()
    assert len(await noted(chat, "check the refund")) == 2, "set, then given up"
    assert list(chat.store.due_entries()) == []


async def test_a_failed_delivery_is_retried_then_recorded_while_others_still_go() -> None:
    """A platform that refuses (a blocked bot, closed DMs) gets retries after 1, 5 and 30
    minutes, then the reminder is marked failed; other people's pings go on time."""
    store, clock, pings = MemoryStore(), Clock(), Pings(failing={"ann"})
    ann = Chat(store, clock, user="ann")
    bob = Chat(store, clock, user="bob")
    await reminder_case(ann, "in 1 hour ann's reminder")
    await reminder_case(bob, "in 1 hour bob's reminder", "in 2 hours bob's second")
    async with scheduling(ann, pings) as running:
        await running.at(hours=1)
        assert pings.texts("bob") and pings.tries == 2
        for minutes, tries in ((1, 3), (5, 4), (29, 4), (1, 5), (60, 6)):
            await running.at(minutes=minutes)
            assert pings.tries == tries
        await running.at(days=1)

    assert len(pings.texts("bob")) == 2
    assert pings.texts("ann") == []
    assert pings.tries == 6
    assert await statuses(ann) == ["failed"]
    [reminder] = (await stored(ann)).reminders.values()
    assert (reminder["attempts"], reminder["failures"], reminder["error"]) == (
        4,
        4,
        "ConnectionError",
    )
    await ann.say("/reminders")
    assert ann.notices() == [Notice.REMINDERS]
    assert "ann's reminder (c1)" in ann.last_text()
    assert len(await noted(ann, "ann's reminder")) == 2, "set, then given up"
    assert list(store.due_entries()) == []


async def test_a_delivery_that_recovers_on_retry_is_sent_once() -> None:
    """A platform that fails once and then works: the ping goes on the first retry."""
    chat, pings = Chat(), Pings(failing={"1001"})
    await reminder_case(chat, "in 1 hour call back")
    async with scheduling(chat, pings) as running:
        await running.at(hours=1)
        pings.failing.clear()
        await running.at(minutes=1)
        await running.at(hours=2)
    assert len(pings.sent) == 1
    assert await statuses(chat) == ["sent"]


async def test_a_ping_held_back_by_flood_control_goes_once_the_wait_is_over() -> None:
    """Held back more times than there are retries, the ping still goes, each time as
    soon as the wait asked is over: no try counted, nothing given up."""
    chat, pings = Chat(), Pings(held_back=5, held_for=30)

    await reminder_case(chat, "in 1 hour call back")
    async with scheduling(chat, pings) as running:
        await running.at(hours=1)
        [reminder] = (await stored(chat)).reminders.values()
        assert (reminder["status"], reminder.get("failures", 0)) == ("pending", 0)
        for _ in range(pings.held_back + 1):  # each hold left, then the send
            await running.at(seconds=30)
    assert len(pings.sent) == 1
    assert await statuses(chat) == ["sent"]


class CountingStore(MemoryStore):
    """Counts the records loaded, and how often the due index is listed."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.listings = 0

    async def load(self, person: PersonKey) -> PersonRecord:
        self.loads.append(person.user_id)
        return await super().load(person)

    def due_entries(self):  # type: ignore[no-untyped-def]
        self.listings += 1
        return super().due_entries()


async def test_a_wake_up_reads_only_the_record_of_the_reminder_due() -> None:
    """With many people's reminders pending, a due one costs one person's record: the
    scheduler lists the index once at start and never scans the store."""
    store, clock, pings = CountingStore(), Clock(), Pings()
    for n in range(40):
        await reminder_case(Chat(store, clock, user=f"p{n}"), f"in {n + 2} days note {n}")
    ann = Chat(store, clock, user="ann")
    await reminder_case(ann, "in 1 hour ann's")
    async with scheduling(ann, pings) as running:
        store.loads.clear()
        await running.at(hours=1)
    assert store.loads == ["ann"] * 2  # claim it (and build the ping), record it as sent
    assert store.listings == 1
    assert len(running.scheduler) == 40


class FakeAdapter:
    """An adapter as far as reminders see one: a platform name and `send`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[str] = []

    async def send(self, key: ConversationKey, messages: list[Outbound]) -> None:
        self.sent += [f"{key.user_id}: {m.text.plain().rsplit(chr(10), 1)[-1]}" for m in messages]


async def test_each_ping_goes_through_the_adapter_of_its_platform() -> None:
    """One process, two platforms: each reminder is sent by its own platform's adapter."""
    store, clock = MemoryStore(), Clock()
    on_telegram = Chat(store, clock, user="42", platform="telegram")
    on_discord = Chat(store, clock, user="42", platform="discord")
    await reminder_case(on_telegram, "in 1 hour from telegram")
    await reminder_case(on_discord, "in 2 hours from discord")
    telegram, discord = FakeAdapter("telegram"), FakeAdapter("discord")
    async with scheduling(on_telegram, route([telegram, discord])) as running:
        await running.at(hours=2)
    assert (telegram.sent, discord.sent) == (["42: from telegram"], ["42: from discord"])


async def test_reminders_of_a_platform_not_running_wait_for_its_adapter() -> None:
    """A run without the Discord adapter leaves Discord reminders pending, untouched; the
    next run that has it sends them."""
    store, clock = MemoryStore(), Clock()
    chat = Chat(store, clock, user="42", platform="discord")
    await reminder_case(chat, "in 1 hour from discord")
    telegram, discord = FakeAdapter("telegram"), FakeAdapter("discord")
    async with scheduling(chat, route([telegram]), platforms=["telegram"]) as running:
        await running.at(hours=5)
    assert await statuses(chat) == ["pending"]
    again = chat.restarted(store)
    async with scheduling(again, route([discord]), platforms=["discord"]):
        pass
    assert discord.sent == ["42: from discord"]


# -- the buttons on a ping -------------------------------------------------------------------


async def test_done_marks_it_done_and_a_second_press_is_answered_kindly() -> None:
    """Done closes the reminder; pressing it again, however much later, says so."""
    chat, pings = Chat(), Pings()
    await reminder_case(chat, "in 1 hour call back")
    async with scheduling(chat, pings) as running:
        await running.at(hours=1)
        done = pings.button("done")
        await chat.press_data(done.data)
        assert chat.notices() == [Notice.REMINDER_DONE]
        await running.at(days=5)
        await chat.press_data(done.data)
        assert chat.notices() == [Notice.REMINDER_ALREADY_DONE]
        await chat.press_data(pings.button("1h").data)
        assert chat.notices() == [Notice.REMINDER_ALREADY_DONE]
    assert await statuses(chat) == ["done"]
    assert len(await noted(chat, "call back")) == 3, "set, sent, done"


async def test_a_ping_press_leaves_the_conversation_buttons_working() -> None:
    """Answering a ping does not retire the buttons of the step the person is on."""
    chat, pings = Chat(), Pings()
    await reminder_case(chat)
    menu = chat.button("do:log")
    await chat.say("/remind in 1 hour call back")
    async with scheduling(chat, pings) as running:
        await running.at(hours=1)
        await chat.press_data(pings.button("done").data)
    await chat.press_data(menu.data)
    assert chat.step() == machine.LOGGING


async def test_snoozing_an_hour_pings_again_an_hour_later() -> None:
    """Snooze 1 hour: the same reminder comes back an hour later, once."""
    chat, pings = Chat(), Pings()
    await reminder_case(chat, "in 1 hour call back")
    async with scheduling(chat, pings) as running:
        await running.at(hours=1)
        snooze = pings.button("1h")
        await running.at(minutes=10)
        await chat.press_data(snooze.data)
        assert chat.told(Notice.REMINDER_SNOOZED) == {"when": "Wed 11 Nov 17:10"}
        await chat.press_data(snooze.data)
        assert chat.told(Notice.REMINDER_STILL_SET) == {"when": "Wed 11 Nov 17:10"}
        await running.at(minutes=59)
        assert len(pings.sent) == 1
        await running.at(minutes=1)
        assert len(pings.sent) == 2
    assert await statuses(chat) == ["sent"]


async def test_snoozing_a_day_keeps_the_clock_time_across_a_dst_change() -> None:
    """In Berlin, a ping at 09:00 on the Saturday before clocks go back, snoozed a day,
    comes back at 09:00 on Sunday: one hour later in UTC than 24 hours would give."""
    chat = Chat(clock=Clock(datetime(2026, 10, 23, 12, 0, tzinfo=UTC)))
    pings = Pings()
    await chat.say("/timezone Europe/Berlin")
    await reminder_case(chat, "saturday 9am check the tracking")
    async with scheduling(chat, pings) as running:
        await running.at(hours=19)  # Sat 24 Oct 07:00 UTC = 09:00 CEST
        assert len(pings.sent) == 1
        await chat.press_data(pings.button("1d").data)
        assert chat.told(Notice.REMINDER_SNOOZED) == {"when": "Sun 25 Oct 09:00"}
        await running.at(hours=24)
        assert len(pings.sent) == 1
        await running.at(hours=1)  # Sun 25 Oct 08:00 UTC = 09:00 CET
        assert len(pings.sent) == 2


async def test_escalate_on_a_ping_continues_that_case() -> None:
    """Escalate on a ping makes its case the active one and opens the ladder."""
    chat, pings = Chat(), Pings()
    await reminder_case(chat, "in 1 hour chase them")
    await chat.say("/new")
    assert (await stored(chat)).profile["active_case"] == "c2"
    async with scheduling(chat, pings) as running:
        await running.at(hours=1)
        await chat.press_data(pings.button("escalate").data)
    assert chat.step() == machine.ESCALATING
    record = await stored(chat)
    assert record.profile["active_case"] == "c1"
    assert record.cases["c1"]["state"] == "escalating"
    assert await statuses(chat) == ["done"]


@pytest.mark.parametrize("action", ["escalate", "1h", "1d"])
async def test_a_press_on_an_old_ping_whose_case_was_archived_since_is_answered(
    action: str,
) -> None:
    """A ping left unanswered while its case closed and moved to the archive: Escalate or
    a snooze on it later ends the reminder (no ping comes back for an archived case),
    leaves the archived case where it is, and says why."""
    chat, pings = Chat(), Pings()
    chat.engine.closed_kept = 0
    await reminder_case(chat, "in 1 hour chase them")
    async with scheduling(chat, pings) as running:
        await running.at(hours=1)
        await chat.say("/cancel")
        await chat.press_option("do:drop")
        await chat.press_option("do:confirm")
        await chat.say("/new")  # c1 is no longer the active case: it moves to the archive
        assert "c1" in (await chat.store.archived(chat.key.person)).cases

        await chat.press_data(pings.button(action).data)
        await running.at(hours=48)

    assert chat.told(Notice.REMINDER_CASE_ARCHIVED) == {"case_id": "c1"}
    assert len(pings.sent) == 1
    record = await stored(chat)
    assert "c1" not in record.cases and record.profile["active_case"] == "c2"
    assert await statuses(chat) == ["done"]


async def test_a_ping_from_someone_elses_reminder_id_or_forged_data_does_nothing() -> None:
    """Ping button data that names no reminder of this person is answered, not obeyed."""
    chat = Chat()
    await reminder_case(chat, "in 1 hour call back")
    for data, answered in (
        (f"{DATA_PREFIX}r99|done", Notice.REMINDER_GONE),
        (f"{DATA_PREFIX}r1|explode", Notice.REMINDER_GONE),
        (f"{DATA_PREFIX}|", Notice.STALE_BUTTON),  # names no reminder: a button of no step
    ):
        await chat.press_data(data)
        assert chat.notices() == [answered]
    assert await statuses(chat) == ["pending"]


async def test_ping_button_data_stays_within_the_platform_limit() -> None:
    """Even after many reminders, a ping's button data fits in 64 bytes."""
    chat, pings = Chat(), Pings()
    await reminder_case(chat)
    record = await stored(chat)
    record.profile["reminders_made"] = 10**15
    await chat.store.save(chat.key.person, record)
    await chat.say("/remind in 1 hour x")
    async with scheduling(chat, pings) as running:
        await running.at(hours=1)
    data = [b.data for _, messages in pings.sent for m in messages for r in m.buttons for b in r]
    assert data and all(len(d.encode()) <= MAX_BUTTON_DATA for d in data)


async def test_a_press_while_the_ping_is_being_recorded_wins() -> None:
    """A snooze pressed in the instant between the ping going out and it being recorded
    stands: the reminder comes back later instead of being marked sent."""
    chat = Chat()

    class PressingPings(Pings):
        async def __call__(self, key, messages):  # type: ignore[no-untyped-def]
            await super().__call__(key, messages)
            await chat.press_data(self.button("1h").data)

    pings = PressingPings()
    await reminder_case(chat, "in 1 hour call back")
    async with scheduling(chat, pings) as running:
        await running.at(hours=1)
        assert await statuses(chat) == ["pending"]
        await running.at(hours=1)
    assert len(pings.sent) == 2


# -- closing and forgetting --------------------------------------------------------------------


async def test_resolving_a_case_cancels_its_reminders() -> None:
    """A resolved case's reminders are cancelled: /reminders is empty and nothing pings."""
    chat, pings = Chat(), Pings()
    await reminder_case(chat, "in 1 hour call back", "in 2 days chase")
    await chat.say("/status")
    await chat.press_option("do:resolve")
    await chat.say("/reminders")
    assert chat.notices() == [Notice.NO_REMINDERS]
    async with scheduling(chat, pings) as running:
        await running.at(days=3)
    assert pings.sent == []
    assert await statuses(chat) == ["cancelled", "cancelled"]
    reasons = {r["text"]: r["reason"] for r in (await stored(chat)).reminders.values()}
    assert reasons["chase"] == "case resolved"
    assert len(await noted(chat, "chase")) == 2, "set, then cancelled"
    assert list(chat.store.due_entries()) == []


async def test_dropping_a_case_cancels_its_reminders_but_not_other_cases() -> None:
    """Dropping one case cancels its reminders only."""
    chat, pings = Chat(), Pings()
    await reminder_case(chat, "in 1 hour first case")
    await reminder_case(chat, "in 1 hour second case")
    await chat.say("/status")
    await chat.press_option("do:drop")
    await chat.press_option("do:confirm")
    async with scheduling(chat, pings) as running:
        await running.at(hours=2)
    assert [text.rsplit("\n", 1)[-1] for text in pings.texts()] == ["first case"]


async def forget(chat: Chat) -> None:
    await chat.say("/forget")
    await chat.press_option("forget:yes")


async def test_forget_leaves_nothing_of_the_person_in_the_store(tmp_path: Path) -> None:
    """After /forget, no file in the data folder holds anything of the person: no record,
    no due-index entry; their pending reminders never ping."""
    store: Store = TinyDBStore(tmp_path)
    chat, pings = Chat(store, user="ann-7"), Pings()
    other = Chat(store, chat.clock, user="bob")
    await reminder_case(chat, "in 1 hour first", "in 3 days second")
    await log_waiting(chat)
    await reminder_case(other, "in 1 hour bob's")
    async with scheduling(chat, pings) as running:
        await forget(chat)
        await running.at(days=5)

    assert pings.texts("ann-7") == []
    assert await store.load(chat.key.person) == PersonRecord()
    assert [entry.person.user_id for entry in store.due_entries()] == []
    encoded = base64.urlsafe_b64encode(b"ann-7").rstrip(b"=").decode()
    files = [p for p in tmp_path.rglob("*") if p.is_file()]  # the store's journal included
    assert all(encoded not in p.name and b"ann-7" not in p.read_bytes() for p in files)
    await store.close()  # folds the journal: the person files and due folder hold it all
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    people = [p for p in files if "people" in p.parts]
    assert [p.name for p in files if p not in people] == ["meta.json"]
    assert len(people) == 1  # bob's


async def log_waiting(chat: Chat) -> None:
    await log_contact(chat, "pick:waiting", channel="pick:email", notes="Refund in 3 days.")


async def test_forget_with_a_pending_entry_in_a_running_scheduler_pings_nobody() -> None:
    """A scheduler that already holds a forgotten person's entry finds nothing when it
    wakes, sends nothing and leaves no trace."""
    chat, pings = Chat(), Pings()
    await reminder_case(chat, "in 1 hour call back")
    async with scheduling(chat, pings) as running:
        assert len(running.scheduler) == 1
        await forget(chat)
        await running.at(hours=2)
    assert pings.sent == []
    assert list(chat.store.people()) == []
    assert list(chat.store.due_entries()) == []
