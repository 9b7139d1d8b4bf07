"""The conversation engine: one turn = load the person, run the session, save once.

Two events of the same person never interleave (a lock per person: their record is
saved whole, so two chats of one person must queue too); different people run
concurrently. Buttons carry a stamp of the prompt they were offered with, so a press
from an old message, a second press of the same button, or a press after a restart
is recognised and answered kindly instead of acting twice. An event the platform
delivers again (the same `EventId`) is not applied again at all (bot/inbound.py).

Every save keeps the store's due index in step with the record's pending reminders
(`Engine.commit`), and `Engine.update` lets work outside a turn (the reminder scheduler,
bot/reminders.py) change a record under the same lock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from bot import archive, buttons, damaged, inbound
from bot.casefile import status_line
from bot.config import CLOSED_CASES_KEPT
from bot.events import ButtonPress, Command, EventId, Inbound, Outbound, Prompt
from bot.observe import DUPLICATE, ERROR, FORGOT, OK, Observers, TurnDone, kind_of
from bot.ratelimit import SLOW_DOWN
from bot.reminders import Deliver, Status, due_index, outbox
from bot.reminders.outbox import Reply
from bot.session import Session
from flows.text import RichText
from storage import DamagedRecord, DueEntry, PersonKey, PersonRecord, Store
from storage.event_claims import Claim, EventKey
from storage.rate_limits import Verdict

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Settled = Callable[[bool], Awaitable[None]]
"""Told, for a press, whether it acted as offered (see `Engine.answer`)."""
T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Turn:
    """What a turn made, and where it left the person (`Session.step()`)."""

    messages: list[Outbound]
    reply: Reply | None
    direct: bool
    """The messages are kept in no outbox, to be sent as they are: the person was
    forgotten, or their record could not be read or saved."""
    step: str
    outcome: str
    taken: bool | None = None
    """For a press: whether it acted as offered (True) or was from an earlier prompt
    (False); None for anything else, and for a press left alone (delivered again, or
    nothing saved)."""


class Engine:
    """Runs conversation turns over a store; shared by every adapter in the process.

    Args:
        store: where people's records live.
        clock: the current time (tests move it).
        default_timezone: for people who have not set one.
        rate_limit: events a person may send per minute (0: no limit), counted by the
            store (storage/rate_limits.py): across every instance sharing it.
        closed_kept: closed cases a record keeps; older ones go to the archive before a
            turn is saved (bot/archive.py), so a turn's cost does not grow with history.
    """

    def __init__(
        self,
        store: Store,
        clock: Clock = utc_now,
        default_timezone: str = "UTC",
        rate_limit: int = 0,
        closed_kept: int = CLOSED_CASES_KEPT,
    ) -> None:
        self.store = store
        self.closed_kept = closed_kept
        self.clock = clock
        self.default_timezone = default_timezone
        self.on_due: Callable[[DueEntry], None] | None = None
        """Told of every due entry a save adds (the reminder scheduler hooks in here)."""
        self.on_forget: list[Callable[[PersonKey], None]] = []
        """Told of each person deleted by /forget, so adapters drop what they hold in memory."""
        self.observers = Observers()
        """Told of every turn and save (and, through the engine, of what the scheduler
        and the adapters do): the log lines and the metrics hook in here."""
        self._locks = store.person_locks()
        self.sending = store.delivery_locks()
        """One delivery of a person's replies at a time, so they arrive in order (across
        instances, for a store several share)."""
        self.limit = store.rate_limit(rate_limit)
        self._claims = store.event_claims()

    async def case_lines(self, person: PersonKey) -> list[tuple[str, str]]:
        """The person's cases as (id, one plain line), most recent first: for pickers."""
        record = await self.store.load(person)
        return [
            (case_id, status_line(case).plain()) for case_id, case in reversed(record.cases.items())
        ]

    async def offered(self, person: PersonKey, data: str) -> Prompt | None:
        """The case's open prompt if a button's data is on the person's latest one (not
        stale), else None: for an adapter that remembers nothing across a restart."""
        record = await self.store.load(person)
        if buttons.accept(record.profile, data) is None:
            return None
        return Session.open_prompt(record, self.clock(), self.default_timezone)

    async def drain(self, timeout: float) -> bool:
        """Wait for the turns in flight, and their replies, to finish (at shutdown); False
        if time ran out."""
        try:
            await asyncio.wait_for(asyncio.gather(self._locks.idle(), self.sending.idle()), timeout)
        except TimeoutError:
            return False
        return True

    async def handle(self, event: Inbound) -> list[Outbound]:
        """Run one turn and return the messages to send back, in order; the caller sends
        them (Discord answers its interactions so), and nothing is kept if that fails."""
        verdict = await self._count(event)
        if verdict is not Verdict.TAKE:
            return [Outbound(SLOW_DOWN)] if verdict is Verdict.SLOW_DOWN else []
        return (await self._turn(event, durable=False)).messages

    async def answer(
        self,
        event: Inbound,
        deliver: Deliver,
        settled: Settled | None = None,
        *,
        every: bool = False,
    ) -> bool:
        """Run one turn and deliver its replies durably through `deliver`: they are saved
        with the turn, in the conversation's outbox, and sent after it; one the platform
        refuses is retried by the scheduler, one a crash cut short is sent once more at
        the next start (bot/reminders/outbox.py). A person's replies go out in order.

        With `every` (a platform where each event must be answered, as a Discord
        interaction), an event set aside over the rate limit gets the slow-down reply
        each time, not only the first.

        For a press, `settled` is awaited before the replies go, with whether the press
        acted as offered (`Turn.taken`), so the platform shows a choice as made only when
        it was; a press refused over the rate limit, or left alone, is not settled.

        Returns False when the event had been applied already (delivered again, to this
        instance or another sharing the store): nothing was done or sent, and answering
        it on the platform is for whoever applied it (or set it aside)."""
        verdict = await self._count(event)
        if verdict is Verdict.REFUSED_BEFORE:
            return False
        if verdict is not Verdict.TAKE:
            if verdict is Verdict.SLOW_DOWN or every:
                await deliver(event.key, [Outbound(SLOW_DOWN)])
            return True
        async with self.sending.hold(event.key.person):
            done = await self._turn(event, durable=True)
            if done.outcome == DUPLICATE:
                return False
            if settled is not None and done.taken is not None:
                await settled(done.taken)
            if done.reply is not None:
                await outbox.send(self, event.key, [done.reply], deliver, self.clock)
            elif done.direct:  # no record to keep them in (forgotten, damaged): say it once
                await deliver(event.key, done.messages)
        return True

    async def _count(self, event: Inbound) -> Verdict:
        """The rate limit's verdict on the event, counted once however often it comes
        (delivered again, or to every instance): its second coming is taken again, to
        be found applied, or refused again without a word (`Verdict.REFUSED_BEFORE`)."""
        name = event.event_id.name if event.event_id is not None else None
        verdict = await self.limit.check(event.key.person, name)
        if verdict is Verdict.SLOW_DOWN:
            log.info("%s: %s over the rate limit", event.key.platform, event.key.person.digest)
        return verdict

    def due_entries(self) -> Iterator[DueEntry]:
        """The store's due index, for the scheduler's start."""
        return self.store.due_entries()

    @property
    def shared(self) -> bool:
        """Whether other instances share the store (and so the due index)."""
        return self.store.shared

    async def claim(self, entry: DueEntry) -> bool:
        """Claim a due entry for this instance to deliver (`Store.claim_due`)."""
        return await self.store.claim_due(entry)

    async def claim_overdue(
        self, now: datetime, platforms: Collection[str] | None, limit: int
    ) -> list[DueEntry]:
        """Due entries no instance holds, claimed for this one (`Store.claim_overdue`)."""
        return await self.store.claim_overdue(now, platforms, limit)

    async def claim_event(self, person: PersonKey, event_id: EventId, lease: float) -> Claim:
        """Claim an event that every instance sharing the store may be given (a Discord
        interaction), before acknowledging it on the platform: only the winner applies and
        answers it; a loser leaves it alone, or takes it over once an unfinished claim's
        `lease` runs out (storage/event_claims.py)."""
        return await self._claims.claim(EventKey(person, event_id.name), lease)

    async def renew_event(self, person: PersonKey, event_id: EventId, lease: float) -> None:
        """Keep this instance's claim on an event alive while its turn runs."""
        await self._claims.renew(EventKey(person, event_id.name), lease)

    async def event_done(self, person: PersonKey, event_id: EventId) -> None:
        """The claimed event's turn has run: no other instance is to take it over."""
        await self._claims.done(EventKey(person, event_id.name))

    async def _turn(self, event: Inbound, durable: bool) -> Turn:
        """The turn, saved: its messages, the reply to send now when `durable` (saved in
        the outbox; None when it waits behind others), and whether the person is gone.
        The observers are told how it went, whether it answered or raised."""
        started = time.perf_counter()
        done: Turn | None = None
        try:
            done = await self._run(event, durable)
            return done
        finally:
            self.observers.turn(
                TurnDone(
                    event.key.person,
                    kind_of(event),
                    done.step if done else "",
                    time.perf_counter() - started,
                    done.outcome if done else ERROR,
                )
            )

    async def _run(self, event: Inbound, durable: bool) -> Turn:
        person = event.key.person
        press = isinstance(event, ButtonPress)
        async with self._locks.hold(person):
            record, said = await self._open(event)
            if record is None:  # a damaged record: a press of its offer's buttons acted
                return Turn(said, None, True, "", ERROR, press and bool(damaged.chosen(event)))
            if said:  # started afresh: the welcome follows
                event = Command(event.key, "start", event_id=event.event_id)
            conversation = record.conversations.get(event.key.chat_id, {})
            if event.event_id is not None and inbound.applied(conversation, event.event_id):
                log.info("%s event delivered again, left alone", event.key.platform)
                return Turn([], None, False, "", DUPLICATE)
            indexed = due_index(person, record)
            archived = (
                await archive.readable(self.store, person) if Session.wants_archive(event) else None
            )
            session = Session(record, event.key, self.clock(), self.default_timezone, archived)
            result = session.handle(event)
            if event.event_id is not None:
                inbound.record(record.conversations[event.key.chat_id], event.event_id)
            rows = buttons.stamp(record.profile, result.replies, session.step())
            outbound = said + [
                Outbound(
                    reply.text,
                    row,
                    prompt=reply.prompt,
                    notice=reply.notice,
                    details=reply.details,
                    snippets=reply.snippets,
                )
                for reply, row in zip(result.replies, rows, strict=True)
            ]
            outbound += [Outbound(RichText(), attachment=file) for file in result.attachments]
            reply = None
            if result.forget:
                await self.store.delete(person)  # due entries included
                for forget in self.on_forget:
                    forget(person)
            else:
                if durable and outbound:
                    conversation = record.conversations[event.key.chat_id]
                    reply = outbox.queue(conversation, outbound, self.clock())
                sending_now = (
                    reply if reply is not None and reply.status == Status.SENDING else None
                )
                mine = {DueEntry(sending_now.due, person, sending_now.id)} if sending_now else set()
                try:
                    await archive.move_closed(self.store, person, record, self.closed_kept)
                    await self.commit(person, record, indexed, quiet=mine)
                except OSError as error:
                    log.error(
                        "nothing of the %s turn of %s was saved (its changes and %d replies): %s: %s",
                        kind_of(event),
                        person.digest,
                        len(outbound),
                        self._where(person, error),
                        error.strerror or type(error).__name__,
                    )
                    return Turn([Outbound(damaged.NOT_SAVED)], None, True, "", ERROR)
                for entry in mine:  # in the turn's transaction: no other instance sends it
                    await self.store.claim_due(entry)
                reply = sending_now
        outcome = FORGOT if result.forget else OK
        taken = (result.taken or bool(said)) if press else None
        return Turn(outbound, reply, result.forget, session.step(), outcome, taken)

    async def _open(self, event: Inbound) -> tuple[PersonRecord | None, list[Outbound]]:
        """The person's record for a turn, with anything to say first; or None, with what
        to say instead. A damaged record is offered a way on (bot/damaged.py); a store
        that cannot be read says that nothing changed."""
        person = event.key.person
        try:
            return await self.store.load(person), []
        except DamagedRecord as damage:
            choice = damaged.chosen(event)
            if choice == damaged.DELETE_ALL:
                await self.store.delete(person)
                for forget in self.on_forget:
                    forget(person)
                log.error(
                    "the damaged record of %s (%s) deleted as they asked",
                    person.digest,
                    damage.where,
                )
                return None, [Outbound(damaged.DELETED)]
            if choice == damaged.START_FRESH:
                where = await self.store.set_aside(person)
                log.error(
                    "the damaged record of %s set aside as %s: they start afresh",
                    person.digest,
                    where,
                )
                fresh = PersonRecord()
                await archive.carry_over(self.store, person, fresh)
                return fresh, [Outbound(damaged.FRESH)]
            log.error(
                "the record of %s cannot be read (%s, %s): they are offered to start afresh",
                person.digest,
                damage.where,
                damage.cause,
            )
            return None, damaged.offer()
        except OSError as error:
            log.error(
                "the record of %s could not be read from %s: %s",
                person.digest,
                self._where(person, error),
                error.strerror or type(error).__name__,
            )
            return None, [Outbound(damaged.NOT_SAVED)]

    def _where(self, person: PersonKey, error: OSError) -> str:
        """The path an error names, for the log (naming nobody: `Store.shown`)."""
        return self.store.shown(person, str(error.filename)) if error.filename else "the store"

    async def update(
        self,
        person: PersonKey,
        change: Callable[[PersonRecord], T],
        known: Iterable[DueEntry] = (),
    ) -> T:
        """Run `change` on the person's record under their lock, and save it.

        For work outside a conversation turn (the reminder scheduler), so it never races
        a turn. `known` are due entries the caller knows to exist: they are removed if the
        changed record no longer needs them. A person with no record (forgotten) is
        not saved, only their `known` entries removed.
        """
        async with self._locks.hold(person):
            record = await self.store.load(person)
            indexed = due_index(person, record) | set(known)
            result = change(record)
            await self.commit(person, record, indexed, save=not record.is_empty())
            return result

    async def commit(
        self,
        person: PersonKey,
        record: PersonRecord,
        indexed: set[DueEntry],
        save: bool = True,
        quiet: set[DueEntry] = frozenset(),  # type: ignore[assignment]
    ) -> None:
        """Save the record with its due index in step (`Store.commit`: entries it needs
        go in with it or before it, entries it no longer needs with it or after it), and
        tell the scheduler of the added entries, except the `quiet` ones (a reply the
        turn sends itself)."""
        needed = due_index(person, record)
        added = needed - indexed
        saving = time.perf_counter()
        await self.store.commit(person, record if save else None, added, indexed - needed)
        if save:
            self.observers.saved(time.perf_counter() - saving)
        if self.on_due is not None:
            for entry in sorted(added - quiet):
                self.on_due(entry)
