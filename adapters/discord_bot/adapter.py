"""Discord: the shared flow behind one `/dispute` slash-command group, buttons, select
menus and modals.

Thin over the engine: a subcommand becomes a `Command`, a button press or a select menu's
choice a `ButtonPress`, a submitted form a `TextMessage`; the engine's messages come back
as Discord messages (adapters/discord_bot/layout.py). What this module adds is Discord's
own rules:

- Every interaction is answered exactly once, within Discord's 3 seconds, and a press
  edits its message in place (adapters/discord_bot/answering.py). One delivered to two
  instances sharing a database is claimed by its id before either acknowledges it
  (storage/event_claims.py): the winner applies and answers it, the other never touches
  it, unless the winner dies before its turn has run and its claim runs out: the
  other then takes the event over (its answer replacing the dead one's "thinking…", or
  going by DM when the dead one had not acknowledged it).
- A turn's replies are durable: saved with the turn in the engine's outbox, then sent as
  the interaction's answer; one Discord refused or never confirmed (an outage, an
  expired interaction, a crash between the save and the send) is sent later by DM, at
  most once more, and one that still cannot go is kept as failed for the operator.
- Reminder pings go by DM.
- Commands are registered by the operator (`sync_commands`), not at every start:
  global registration has a daily limit.

No privileged intent is needed (guild events only) and no message is cached in memory.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import Any, ClassVar, Generic, TypeVar, cast

import discord

from adapters.discord_bot import forms, layout, shards
from adapters.discord_bot.answering import REFUSED, Answering, send_all
from adapters.discord_bot.client import TOKEN, FairShakeClient
from adapters.discord_bot.commands import PLATFORM
from adapters.discord_bot.render import Post
from adapters.discord_bot.views import sent
from bot.config import Setting, Settings
from bot.engine import Engine
from bot.events import (
    ButtonPress,
    Command,
    EventId,
    Inbound,
    Outbound,
    TextMessage,
    Word,
    said,
)
from bot.observe import Observer
from storage import ConversationKey, PersonKey
from storage.event_claims import Claim
from storage.locks import KeyedLocks

log = logging.getLogger(__name__)

ACK_WITHIN = 1.2
"""Seconds a turn may take before the interaction is deferred (Discord allows 3 in all)."""
CLAIM_LEASE = 10.0
"""Seconds an instance's claim on an interaction holds before another instance sharing
the store may take it over (the claimer died mid-turn): longer than a turn takes."""
RECLAIM_AFTER = 0.05
"""Seconds at least between an instance's tries for a claim another holds."""
CLAIM_WITHIN = 1.0
"""Seconds a claim may wait on the database before it counts as won (an answer from two
instances beats one from none): the deferral timer starts after it, within Discord's 3."""
READ_WITHIN = 1.0
"""Seconds opening a form waits to read what is asked before it goes by what this
instance remembers: a form cannot be deferred."""

_TOKEN_SHAPE = re.compile(r"[\w-]+\.[\w-]+\.[\w-]+")


STALE_PRESS = "-|-"
"""Button data no prompt ever carries: the engine answers it as a stale press."""

STOP_GRACE = 5.0
"""Seconds a stop waits for interactions being answered before disconnecting."""
REMEMBERED = 10_000
"""People whose current question is remembered (for the answer buttons); oldest go first."""

K = TypeVar("K")
V = TypeVar("V")


class Recent(OrderedDict[K, V], Generic[K, V]):
    """A dict that forgets its least recently written keys beyond `limit`."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)


class DiscordAdapter:
    """Runs the bot on Discord while `DISCORD_BOT_TOKEN` is set.

    Args:
        engine: the shared engine.
        settings: where the token comes from.
        ack_within: seconds to wait for a turn before deferring the interaction.
        claim_lease: seconds this instance's claim on an interaction holds (`CLAIM_LEASE`).
    """

    name: ClassVar[str] = PLATFORM
    SETTINGS: ClassVar[tuple[Setting, ...]] = (
        Setting(
            TOKEN,
            "",
            "Bot token from the Discord Developer Portal; when set, the Discord bot runs.",
        ),
        shards.SETTING,
    )

    @classmethod
    def enabled(cls, settings: Settings) -> bool:
        return bool(settings.get(TOKEN))

    @classmethod
    def problems(cls, settings: Settings) -> list[str]:
        """Settings Discord would refuse, said without repeating the token."""
        token = settings.get(TOKEN)
        found = []
        if token and not _TOKEN_SHAPE.fullmatch(token):
            found.append(
                f"{TOKEN} does not look like a bot token (three parts of letters, digits, - or _, "
                "joined by dots; copy it from the Bot page of the Developer Portal)."
            )
        return found + shards.problems(settings)

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        ack_within: float = ACK_WITHIN,
        claim_lease: float = CLAIM_LEASE,
    ) -> None:
        self.engine = engine
        self.token = settings.get(TOKEN)
        self.ack_within = ack_within
        self.claim_lease = claim_lease
        self.client = FairShakeClient(self, shards.shard_of(settings))
        self._asking: Recent[str, forms.Asking] = Recent(REMEMBERED)
        self._kept: Recent[str, dict[str, str]] = Recent(REMEMBERED)
        engine.on_forget.append(self._forget)
        self._people = KeyedLocks()
        self._active = 0
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._closing: asyncio.Future[None] | None = None
        self._outliving: set[asyncio.Task[None]] = set()
        """Interactions another instance claimed, waited on in case it dies first."""

    @property
    def observers(self) -> Observer:
        return self.engine.observers

    # -- running --------------------------------------------------------------------------

    async def run(self) -> None:
        async with self.client:
            await self.client.start(self.token)

    def stop(self) -> None:
        """Disconnect once the interactions being answered are answered; `run` then returns."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self.close())

    def ready(self) -> bool:
        """Logged in and the gateway connection open (discord.py reconnects on its own)."""
        socket = self.client.ws
        return self.client.is_ready() and socket is not None and socket.open

    async def close(self, grace: float = STOP_GRACE) -> None:
        """Let the turns in progress answer (their follow-ups need the connection), then
        disconnect."""
        for waiting in self._outliving:  # only a claim this instance won is its to answer
            waiting.cancel()
        with suppress(TimeoutError):
            await asyncio.wait_for(self.settled(), grace)
        await self.client.close()

    async def settled(self) -> None:
        """Return once no interaction is being answered."""
        await self._quiet.wait()

    # -- interactions ---------------------------------------------------------------------

    async def command(self, interaction: discord.Interaction, name: str, args: str) -> None:
        event_id = _event_id(interaction)
        await self._respond(interaction, lambda key: Command(key, name, args, event_id))

    async def answer(self, interaction: discord.Interaction, text: str) -> None:
        event_id = _event_id(interaction)
        await self._respond(interaction, lambda key: TextMessage(key, text, event_id))

    async def pressed(
        self, interaction: discord.Interaction, data: str, in_place: bool = True
    ) -> None:
        """A press or a choice; `in_place`: its answer replaces the message pressed on
        (the step flow), else it comes as a new message (a ping's, which stays)."""
        event_id = _event_id(interaction)
        await self._respond(
            interaction, lambda key: ButtonPress(key, data, event_id), in_place=in_place
        )

    async def open_form(
        self, interaction: discord.Interaction, kind: str, fact_id: str, skip: str
    ) -> None:
        """Show the form for a question, unless the question is no longer being asked.
        Only for the instance that claims the press: a form goes as the interaction's
        first answer, within Discord's 3 seconds, so it is not taken over later."""
        event_id, key = _event_id(interaction), conversation(interaction)
        if not (await self._claim(key.person, event_id)).won:
            return
        try:
            current = await self._current(key, fact_id, skip)
            if current is None:
                await self._answer(interaction, lambda key: ButtonPress(key, STALE_PRESS))
                return
            with self._busy():
                kept = self._kept.get(key.user_id, {})
                assert current.question is not None, "a form opens only for a question asked"
                form = forms.modal(kind, current.question, current.skip or skip, kept)
                try:
                    await interaction.response.send_modal(form)
                except REFUSED as error:
                    log.warning("Discord refused a form: %s", type(error).__name__)
        finally:
            await self.engine.event_done(key.person, event_id)

    async def form_sent(self, interaction: discord.Interaction, skip: str) -> None:
        """A submitted form: its field answers the current question (or is a paste)."""
        key = conversation(interaction)
        fields = forms.submitted(cast(dict[str, Any], interaction.data or {}))
        current = await self._current(key, fields[0][0], skip) if fields else None
        if current is None:
            await self._respond(interaction, lambda key: ButtonPress(key, STALE_PRESS))
            return
        field = fields[0]
        await self._respond(
            interaction,
            lambda key: forms.event_for(key, field, current.skip or skip),
            form=field,
        )

    async def suggests(self, interaction: discord.Interaction) -> bool:
        """Whether this instance answers an autocomplete: the one that claims it. No other
        takes it over (the next keystroke asks again)."""
        person, event_id = conversation(interaction).person, _event_id(interaction)
        claim = await self._claim(person, event_id)
        if claim.won:  # nothing to take over: only a turn's claim stays open while it runs
            await self.engine.event_done(person, event_id)
        return claim.won

    async def _current(self, key: ConversationKey, fact_id: str, skip: str) -> forms.Asking | None:
        """What is being asked, if a form for `fact_id` still answers it. What this
        process remembers decides, unless other instances share the store (one of them
        may have moved the question on since); else, as after a restart, the engine says
        whether the question's skip button (stamped with its step) is still the latest one
        offered, and what the question is."""
        asking = None if self.engine.shared else self._asking.get(key.user_id)
        if asking is None:
            try:
                async with asyncio.timeout(READ_WITHIN):
                    prompt = await self.engine.offered(key.person, skip)
            except TimeoutError:
                log.warning("Discord: what is asked could not be read in time; as remembered")
                remembered = self._asking.get(key.user_id)
                return remembered if remembered and remembered.answers(fact_id) else None
            asking = forms.from_prompt(prompt, skip)
            if asking.question is not None:
                self._asking[key.user_id] = asking
        return asking if asking.answers(fact_id) else None

    async def _respond(
        self,
        interaction: discord.Interaction,
        event: Callable[[ConversationKey], Inbound],
        form: tuple[str, str] | None = None,
        in_place: bool = True,
    ) -> None:
        """Answer the interaction (`_answer`) if this instance wins its claim, before
        anything acknowledges it; else leave it to the instance that won, and take it
        over only if that one's claim runs out before its turn has run."""
        came = asyncio.get_running_loop().time()
        event_id, person = _event_id(interaction), conversation(interaction).person
        claim = await self._claim(person, event_id)
        if claim.won:
            await self._answer(interaction, event, form, in_place)
        elif not claim.done:
            waiting = asyncio.ensure_future(
                self._outlive(
                    claim,
                    lambda: self.engine.claim_event(person, event_id, self.claim_lease),
                    lambda: self._answer(interaction, event, form, in_place, taken_over=came),
                )
            )
            self._outliving.add(waiting)
            waiting.add_done_callback(self._outliving.discard)

    async def _claim(self, person: PersonKey, event_id: EventId) -> Claim:
        """Claim an interaction for this instance, counted as won when the database does
        not decide it within `CLAIM_WITHIN` (it must still be acknowledged in time)."""
        try:
            async with asyncio.timeout(CLAIM_WITHIN):
                return await self.engine.claim_event(person, event_id, self.claim_lease)
        except TimeoutError:
            log.warning("Discord: an interaction's claim was not decided in time; answering it")
            return Claim(won=True)

    @asynccontextmanager
    async def _working(self, person: PersonKey, event_id: EventId) -> AsyncIterator[None]:
        """The claim renewed while this instance works on the event (so only a dead
        instance's claim runs out), and ended after."""

        async def renewing() -> None:
            while True:
                await asyncio.sleep(self.claim_lease / 3)
                await self.engine.renew_event(person, event_id, self.claim_lease)

        beating = asyncio.ensure_future(renewing())
        try:
            yield
        finally:
            beating.cancel()
            await self.engine.event_done(person, event_id)

    async def _outlive(
        self,
        claim: Claim,
        again: Callable[[], Awaitable[Claim]],
        answer: Callable[[], Awaitable[None]],
    ) -> None:
        """Wait for another instance's claim to end; `answer` if it ran out unfinished
        (that instance died): the engine then applies the event unless the dead one had."""
        while not claim.won and not claim.done:
            await asyncio.sleep(max(claim.wait, RECLAIM_AFTER))
            claim = await again()
        if claim.won:
            log.warning("Discord: an interaction another instance claimed is taken over")
            self._outliving.discard(cast("asyncio.Task[None]", asyncio.current_task()))
            await answer()

    async def _answer(
        self,
        interaction: discord.Interaction,
        event: Callable[[ConversationKey], Inbound],
        form: tuple[str, str] | None = None,
        in_place: bool = True,
        taken_over: float | None = None,
    ) -> None:
        """Run the claimed turn and answer the interaction with it, durably (the engine's
        outbox), deferring first when the turn is slow, unless `taken_over` (when it came)
        from a claimer that died: that one may have deferred it already (the answer then
        replaces its "thinking…"). `form`: the field a form sent, whose
        refused answer is kept for the form's next opening; `in_place`: whether a press's
        answer may replace the message pressed on."""
        key = conversation(interaction)
        with self._busy():
            answering = Answering(
                interaction,
                lambda out: self._posts(out, key.user_id),
                self.observers,
                in_place=in_place,
                taken_over=taken_over,
            )

            async def deliver(to: ConversationKey, messages: list[Outbound]) -> None:
                if form is not None:
                    self._kept[key.user_id] = forms.kept_after(form, messages)
                self._note(key.user_id, messages)
                await answering.deliver(to, messages)

            async def turn() -> bool:
                async with self._people.hold(key.person):
                    return await self.engine.answer(event(key), deliver, every=True)

            running = asyncio.ensure_future(turn())
            async with self._working(key.person, _event_id(interaction)):
                done, _ = await asyncio.wait({running}, timeout=self.ack_within)
                if not done and taken_over is None:
                    await answering.defer()
                try:
                    applied = await running
                except Exception as error:  # the person still gets an answer
                    log.error("a Discord turn failed: %s", type(error).__name__)
                    log.debug("the failure in full (may show case content)", exc_info=True)
                    await answering.say([Outbound(said(Word.SORRY))])
                    applied = True
                # Found applied already (another instance took the event over, or the claim
                # counted as won when the database was slow), a deferral is left as it is:
                # the other instance answers into it.
                if applied:
                    await answering.finish()

    def _forget(self, person: PersonKey) -> None:
        """/forget: nothing of the person stays in memory either (typed answers included)."""
        if person.platform == PLATFORM:
            self._asking.pop(person.user_id, None)
            self._kept.pop(person.user_id, None)

    def _note(self, user_id: str, replies: list[Outbound]) -> None:
        """Remember the question now asked; typed-but-unsaved answers last while it is one of them."""
        state = forms.asking(replies)
        if state is None:
            return
        self._asking[user_id] = state
        if state.fact not in self._kept.get(user_id, {}):
            self._kept.pop(user_id, None)

    # -- messages sent unasked: pings, and replies Discord refused as an answer ------------

    async def send(self, key: ConversationKey, messages: list[Outbound]) -> None:
        """A DM to the person, wherever the conversation is: a reminder's ping, or a turn's
        reply that could not go as the interaction's answer (the outbox retries it here).

        Raises:
            PartlySent: the first messages went, then Discord refused the rest.
            discord.HTTPException: Discord refused, e.g. `Forbidden` when the person
                accepts no DMs from the bot; `discord.RateLimited` for a long rate limit
                (the outbox waits its `retry_after`).
        """
        await asyncio.wait_for(self.client.logged_in.wait(), timeout=60)
        channel = await self.client.create_dm(discord.Object(id=int(key.user_id)))
        # A ping is not a question: the person's open question (and its form) stays as it is.

        async def post(one: Post) -> None:
            await channel.send(**sent(one))

        await send_all(self._posts(messages, key.user_id), post, post, self.observers)

    # -- helpers -----------------------------------------------------------------------------

    def _posts(self, messages: list[Outbound], user_id: int | str) -> list[Post]:
        return layout.posts(messages, self._kept.get(str(user_id), {}))

    @contextmanager
    def _busy(self) -> Iterator[None]:
        self._active += 1
        self._quiet.clear()
        try:
            yield
        finally:
            self._active -= 1
            if not self._active:
                self._quiet.set()


def conversation(interaction: discord.Interaction) -> ConversationKey:
    """The person in this channel (a DM's channel for DMs)."""
    return ConversationKey(PLATFORM, str(interaction.user.id), str(interaction.channel_id))


def _event_id(interaction: discord.Interaction) -> EventId:
    """Interaction ids are snowflakes: they grow with time."""
    return EventId(PLATFORM, interaction.id)
