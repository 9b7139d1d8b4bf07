"""One interaction's answer: acknowledged once, within Discord's 3 seconds, in place
where a press came from a message, and durable through the engine's outbox.

- A press (or a form opened from a message's button) edits that message in place
  (`edit_message`): the step flow is one message that moves on, not a new one per
  press. A slash command answers with a new message. The rest of a turn's messages
  follow as follow-ups.
- A press on a message of an earlier step (the engine's answer starts with the
  `STALE_BUTTON` notice) leaves that message as it was, and the notice follows on its
  own: the live question is the person's latest message already, so it is not shown a
  second time.
- A turn that takes longer than the adapter's `ack_within` is deferred first ("thinking…"
  for a command, a silent deferral for a press) and the answer then replaces it.
- `deliver` is the outbox's delivery for the turn (bot/reminders/outbox.py): when
  Discord refuses or cannot be reached, it raises (`PartlySent` when some messages went),
  so the engine keeps the reply and the scheduler sends it later through
  `DiscordAdapter.send`, by DM.
- In a server channel every reply is ephemeral (case content is nobody else's); in a
  DM replies are plain messages.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aiohttp
import discord

from adapters.discord_bot import views
from adapters.discord_bot.commands import PLATFORM
from adapters.discord_bot.render import Post
from bot.events import Notice, Outbound, PartlySent
from bot.observe import Observer

log = logging.getLogger(__name__)

REFUSED = (discord.HTTPException, discord.RateLimited, aiohttp.ClientError, OSError)
"""What discord.py raises when a message does not go (a refusal, an outage, a long
rate limit it will not wait out, a network that fails; TimeoutError is an OSError)."""
ALREADY_ACKNOWLEDGED = 40060
"""Discord's code refusing a second acknowledgement of an interaction."""
ANSWER_WITHIN = 3.0
"""Seconds after an interaction Discord takes its first answer: discord.py retries a
5xx for up to 25 s, long after the interaction is gone, so a try is cut off here and
the reply goes by DM instead."""


class Answering:
    """The answer to one interaction, shared by the deferral timer and the turn.

    Args:
        interaction: what to answer.
        layout: the turn's messages as posts (the adapter's layout, with its forms).
        observers: told of every message sent or refused.
        in_place: whether a press's answer may replace the message pressed on (not a
            ping's, which stays as it was).
        taken_over: when the interaction came (the loop's clock), for one claimed by an
            instance that died meanwhile, which may have deferred it: its "thinking…" is
            then this answer's to replace.
    """

    def __init__(
        self,
        interaction: discord.Interaction,
        layout: Callable[[list[Outbound]], list[Post]],
        observers: Observer,
        in_place: bool = True,
        taken_over: float | None = None,
    ) -> None:
        self.interaction = interaction
        self.taken_over = taken_over is not None
        self.layout = layout
        self.observers = observers
        self.in_guild = interaction.guild_id is not None
        self.in_place = (
            in_place
            and interaction.message is not None
            and interaction.type
            in (
                discord.InteractionType.component,
                discord.InteractionType.modal_submit,
            )
        )
        self.tried = False
        """Whether an answer was attempted (sent or refused): nothing else may be."""
        self.deferred = False
        self._lock = asyncio.Lock()
        self._received = asyncio.get_running_loop().time() if taken_over is None else taken_over
        """When it came (by this machine's clock: its own may be off from Discord's)."""

    async def defer(self) -> None:
        """Acknowledge now, the answer to come (nothing when it is on its way already)."""
        async with self._lock:
            if self.tried or self.interaction.response.is_done():
                return
            try:
                if self.in_place:
                    await self.interaction.response.defer()
                else:
                    await self.interaction.response.defer(ephemeral=self.in_guild, thinking=True)
                self.deferred = True
            except REFUSED as error:
                _refused("a deferral", error)

    async def deliver(self, _: object, messages: list[Outbound]) -> None:
        """Send the turn's messages as this interaction's answer (a `Deliver`).

        Raises:
            PartlySent: the first messages went, then Discord refused.
            discord.HTTPException, discord.RateLimited: nothing went.
        """
        async with self._lock:
            first = self._first
            if self.in_place and messages and messages[0].notice is Notice.STALE_BUTTON:
                messages, first = messages[:1], self._after_stale
            out = self.layout(messages)
            self.tried = bool(out)
            await send_all(out, first, self._followup, self.observers)

    async def say(self, messages: list[Outbound]) -> None:
        """Answer with messages kept nowhere (a sorry, a slow-down), unless an answer was
        attempted already; a refusal is logged, not raised."""
        if self.tried:
            return
        try:
            await self.deliver(None, messages)
        except (PartlySent, *REFUSED) as error:
            _refused("an answer", error)

    async def finish(self) -> None:
        """Leave the interaction answered: a turn whose reply waits behind earlier ones
        (they go by DM, with it) still acknowledges, and a "thinking…" left with nothing
        is taken away."""
        async with self._lock:
            if self.tried:
                return
            response = self.interaction.response
            try:
                if not response.is_done():
                    if self.in_place:
                        await response.defer()
                        return
                    await response.defer(ephemeral=self.in_guild, thinking=True)
                    self.deferred = True
                if self.deferred and not self.in_place:
                    await self.interaction.delete_original_response()
            except REFUSED as error:
                _refused("an acknowledgement", error)

    async def _first(self, post: Post) -> None:
        if self.taken_over and not self.deferred and self._age() >= ANSWER_WITHIN:
            # Too late for a first answer: only a deferral by the instance that died can
            # still be answered (Discord refuses the edit otherwise, and the reply goes by DM).
            await self.interaction.edit_original_response(**views.edited(post))
            self.deferred = True
            return
        try:
            await self._first_answer(post)
        except discord.HTTPException as error:
            if not (self.taken_over and error.code == ALREADY_ACKNOWLEDGED):
                raise
            self.deferred = True  # by the instance that died, so the answer replaces that
            await self.interaction.edit_original_response(**views.edited(post))

    async def _first_answer(self, post: Post) -> None:
        response = self.interaction.response
        if self.deferred:
            await self.interaction.edit_original_response(**views.edited(post))
        elif self.in_place:
            await self._in_time(response.edit_message(**views.edited(post)))
        else:
            ephemeral = self.in_guild and post.private
            await self._in_time(response.send_message(**views.sent(post), ephemeral=ephemeral))

    async def _after_stale(self, post: Post) -> None:
        """The pressed message left as it is (it may be an older screen of the live
        question's own message, on a second device), then the notice as a follow-up."""
        if not self.deferred:
            await self._in_time(self.interaction.response.defer())
        await self._followup(post)

    async def _in_time(self, answer: Awaitable[object]) -> None:
        """The first answer, given up when Discord would no longer take it."""
        await asyncio.wait_for(answer, timeout=max(0.1, ANSWER_WITHIN - self._age()))

    def _age(self) -> float:
        return asyncio.get_running_loop().time() - self._received

    async def _followup(self, post: Post) -> None:
        await self.interaction.followup.send(
            **views.sent(post), ephemeral=self.in_guild and post.private
        )


async def send_all(
    out: list[Post],
    first: Callable[[Post], Awaitable[None]],
    rest: Callable[[Post], Awaitable[None]],
    observers: Observer,
) -> None:
    """Send posts in order, the first with `first`, the others with `rest`, each one
    counted for the observers.

    Raises:
        PartlySent: the first messages went, then Discord refused.
    """
    for index, post in enumerate(out):
        try:
            await (rest(post) if index else first(post))
        except REFUSED as error:
            observers.reply(PLATFORM, sent=False)
            done = out[index - 1].done if index else 0
            if done:
                raise PartlySent(done, error) from error
            raise
        observers.reply(PLATFORM, sent=True)


def _refused(what: str, error: Exception) -> None:
    status = getattr(error, "status", "")
    code = getattr(error, "code", "")
    log.warning("Discord refused %s: %s %s %s", what, type(error).__name__, status, code)
