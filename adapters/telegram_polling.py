"""Long polling with our own getUpdates offset: Telegram is told an update arrived only
once its turn is over.

Telegram keeps an update until a getUpdates call asks from a higher offset.
python-telegram-bot's Updater asks from past each update as soon as it has queued it,
so an update whose turn was running at a SIGKILL was confirmed and never came back.
Here the offset moves only past updates whose handlers have returned: the turn saved
(its reply kept in the outbox), refused by the rate limit, or answered with an apology.
An update cut short by a kill is sent again after the restart, and one whose turn was
saved just before the kill is recognised then and left alone (bot/inbound.py).

Telegram confirms everything below the offset, so the offset stays at the oldest
unfinished update. The updates after it still run meanwhile: getUpdates returns up to
`WINDOW` of them from the offset and the ones already running or done are skipped. So
a person's message waits behind at most `WINDOW` updates of unfinished turns: a
flooder's messages beyond the rate limit finish at once, those within it (a minute's
worth) one after another.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Sequence

from telegram import Update
from telegram.error import RetryAfter, TelegramError
from telegram.ext import Application

from adapters.telegram_limits import wait_asked
from storage.locks import Leadership

log = logging.getLogger(__name__)

WINDOW = 100
"""Updates one getUpdates returns at most (Telegram's own limit)."""
LONG_POLL = 10
"""Seconds one getUpdates waits for an update to come."""
POLL_GAP = 0.05
"""Seconds between polls while turns run (each answers at once, with the updates of the
turns still running: parsed again every time). Once every turn running is over, the
next poll goes at once: a window of updates the rate limit sets aside (a flood) is over
in a few milliseconds, and the next is asked for then."""
TURN_HOLD_LIMIT = 300.0
"""Seconds a turn may hold the offset back. One running longer (a hung store call, a
deadlock) is let go of, so the updates past the window still come for everyone else;
its own update is then confirmed, and lost if the process dies before the turn ends."""
RETRY_WAIT = (1.0, 30.0)
"""The first and the longest wait after a getUpdates that failed."""
FINISH_TURNS = 5.0
"""Seconds the turns in flight get when polling stops, before their updates are left
for Telegram to send again."""


class Polling:
    """Fetches updates and runs each through `app.process_update`, confirming each to
    Telegram once its handler returned.

    Args:
        app: the initialised PTB application whose handlers run the turns.
        allowed_updates: the update types asked for.
    """

    def __init__(self, app: Application, allowed_updates: Sequence[str]) -> None:
        self.app = app
        self.allowed_updates = list(allowed_updates)
        self.running = False
        """Between `run()` starting to poll and its end: for tests and probes."""
        self._offset: int | None = None
        self._turns: dict[int, asyncio.Task[None]] = {}
        """Updates at or above the offset whose handlers still run, by update id."""
        self._finished: set[int] = set()
        """Updates whose handlers have returned that a poll may still return: those at or
        above the offset of the last poll answered (one asked before a turn ended comes
        back with its update)."""
        self._one_finished = asyncio.Event()
        self._limits: dict[int, asyncio.TimerHandle] = {}
        """When each running turn stops holding the offset (`TURN_HOLD_LIMIT`)."""

    async def while_leading(self, leadership: Leadership, stop: asyncio.Event) -> None:
        """Poll while this instance leads among those sharing the store (Telegram refuses
        a second poller): wait for the lead, poll while holding it, and stop polling at
        once if it is lost, until `stop` is set."""
        try:
            while await _unless(stop, leadership.acquire()):
                polling = asyncio.create_task(self.run())
                lost = await _unless(stop, leadership.lost(), polling)
                polling.cancel()
                try:
                    await polling  # a poller that failed for good fails the adapter
                except asyncio.CancelledError:
                    pass
                finally:
                    # Confirmed only by the lead: another's getUpdates would be refused.
                    await self.finish(FINISH_TURNS, confirm=not lost)
                if not lost:
                    break
                log.warning("telegram: lost the polling lead (database unreachable): stopped")
        finally:
            await leadership.release()

    async def run(self) -> None:
        """Poll until cancelled; turns in flight go on (`finish` waits for them)."""
        self.running = True
        log.info("telegram: running (long polling)")
        wait = RETRY_WAIT[0]
        webhook_gone = False
        try:
            while True:
                try:
                    if not webhook_gone:  # getUpdates is refused while one is set
                        webhook_gone = await self.app.bot.delete_webhook()
                    asked = self._offset
                    updates = await self._fetch(LONG_POLL)
                except RetryAfter as error:
                    await asyncio.sleep(wait_asked(error))
                    continue
                except TelegramError as error:
                    log.warning("telegram: getUpdates failed: %s", type(error).__name__)
                    await asyncio.sleep(wait)
                    wait = min(wait * 2, RETRY_WAIT[1])
                    continue
                wait = RETRY_WAIT[0]
                self._confirmed(asked)
                fresh = [u for u in updates if not self._known(u.update_id)]
                for update in fresh:
                    self._start(update)
                if self._turns:
                    await self._pause(full=not fresh and len(updates) >= WINDOW)
        finally:
            self.running = False

    async def _pause(self, full: bool) -> None:
        """While turns run, Telegram answers a poll at once, with their updates again:
        ask again after `POLL_GAP` (or once every turn is over, if sooner), and when the
        window held only known updates, not before a turn is over."""
        self._one_finished.clear()
        await asyncio.wait(list(self._turns.values()), timeout=POLL_GAP)
        if full and self._turns:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._one_finished.wait(), LONG_POLL)

    async def finish(self, timeout: float, confirm: bool) -> None:
        """After `run()` was cancelled: wait up to `timeout` for the turns in flight, then
        (when `confirm`, i.e. this instance still leads the polling) tell Telegram which
        updates are done, so a restart is not sent them again. A turn still running is
        not confirmed: Telegram sends its update again after the restart."""
        if self._turns:
            await asyncio.wait(list(self._turns.values()), timeout=timeout)
        if confirm and self._offset is not None:
            with contextlib.suppress(TelegramError):
                await self.app.bot.get_updates(
                    offset=self._offset, limit=1, timeout=0, allowed_updates=self.allowed_updates
                )

    async def _fetch(self, timeout: int) -> tuple[Update, ...]:
        return await self.app.bot.get_updates(
            offset=self._offset,
            limit=WINDOW,
            timeout=timeout,
            allowed_updates=self.allowed_updates,
        )

    def _confirmed(self, offset: int | None) -> None:
        """A poll from `offset` was answered: Telegram sends the updates below it no more."""
        if offset is not None:
            self._finished = {done for done in self._finished if done >= offset}

    def _known(self, update_id: int) -> bool:
        return update_id in self._turns or update_id in self._finished

    def _start(self, update: Update) -> None:
        """Run the update's handlers now (in the order fetched, so a person's turns queue
        in the order they wrote)."""
        update_id = update.update_id
        if not self._turns:  # every update fetched before it is finished
            self._offset = update_id
        turn = asyncio.create_task(self._handle(update), name=f"telegram update {update_id}")
        self._turns[update_id] = turn
        turn.add_done_callback(lambda _: self._let_go(update_id))
        loop = asyncio.get_running_loop()
        self._limits[update_id] = loop.call_later(TURN_HOLD_LIMIT, self._overdue, update_id)

    async def _handle(self, update: Update) -> None:
        try:
            await self.app.process_update(update)
        except Exception as error:  # PTB hands handler errors to _on_error; this is PTB's own
            log.error("telegram: an update could not be handled: %s", type(error).__name__)

    def _overdue(self, update_id: int) -> None:
        """The turn has run past `TURN_HOLD_LIMIT`: it runs on, but holds nothing back."""
        log.warning(
            "telegram: the turn of update %d has run over %.0f s: no longer waited for",
            update_id,
            TURN_HOLD_LIMIT,
        )
        self._let_go(update_id)

    def _let_go(self, update_id: int) -> None:
        """The update's turn is over (or overdue): the offset moves past every update let
        go of below the oldest one still running."""
        if self._turns.pop(update_id, None) is None:
            return  # let go of already, when it ran too long
        if (limit := self._limits.pop(update_id, None)) is not None:
            limit.cancel()
        self._finished.add(update_id)
        self._offset = min(self._turns, default=max(self._finished) + 1)
        self._one_finished.set()


async def _unless(
    stop: asyncio.Event, work: Awaitable[None], ended: asyncio.Task[None] | None = None
) -> bool:
    """Await `work` unless `stop` is set, or the task `ended` ends, first; whether the
    work finished."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    waits = {task, stopped} if ended is None else {task, stopped, ended}
    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for waiting in (task, stopped):
        waiting.cancel()
    return task.done() and not task.cancelled()
