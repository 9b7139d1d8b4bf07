"""How a platform adapter plugs into the engine.

Adapters are found through the `fairshake.adapters` entry point group (see
pyproject.toml), so `bot/` never imports them: an adapter class says from the settings
whether it should run, and the CLI starts every one that should, on one event loop,
sharing one engine and one store. With none enabled, the fallback (the terminal chat)
runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import ClassVar, Protocol

from bot.config import Setting, Settings
from bot.engine import Engine
from bot.events import Outbound
from bot.reminders import Deliver
from storage import ConversationKey

ENTRY_POINT_GROUP = "fairshake.adapters"
FALLBACK = "console"


class Adapter(Protocol):
    """What the CLI and the reminders need from a platform adapter."""

    name: ClassVar[str]
    SETTINGS: ClassVar[tuple[Setting, ...]]
    """The adapter's own settings, listed in the README's configuration table."""

    @classmethod
    def enabled(cls, settings: Settings) -> bool:
        """Whether the settings ask for this adapter (a token is set, say)."""

    @classmethod
    def problems(cls, settings: Settings) -> list[str]:
        """What is wrong with the adapter's settings, for `fairshake check`."""

    def __init__(self, engine: Engine, settings: Settings) -> None: ...

    async def run(self) -> None:
        """Receive events and answer them until stopped or the input ends."""

    def stop(self) -> None:
        """Stop taking new events; `run` returns once the turns in flight are answered."""

    def ready(self) -> bool:
        """Connected to its platform and taking events (for `/readyz`)."""

    async def send(self, key: ConversationKey, messages: list[Outbound]) -> None:
        """Send messages to a conversation unprompted (reminder pings)."""


def route(adapters: Iterable[Adapter]) -> Deliver:
    """A `deliver` that sends each ping through the adapter of its platform."""
    by_platform = {adapter.name: adapter for adapter in adapters}

    async def deliver(key: ConversationKey, messages: list[Outbound]) -> None:
        await by_platform[key.platform].send(key, messages)

    return deliver


def available_adapters() -> dict[str, type[Adapter]]:
    return {point.name: point.load() for point in entry_points(group=ENTRY_POINT_GROUP)}


def adapters_to_run(settings: Settings) -> list[type[Adapter]]:
    """The enabled adapters, or the fallback alone when none is."""
    found = available_adapters()
    chosen = [cls for name, cls in found.items() if name != FALLBACK and cls.enabled(settings)]
    return chosen or [found[FALLBACK]]
