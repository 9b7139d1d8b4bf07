"""The `/dispute` slash-command group: one subcommand per command of the flow.

Each subcommand only says which engine command it is and passes its options on as the
command's arguments; the engine answers. Usable in servers and in DMs with the bot.
"""

from __future__ import annotations

from typing import Any, Protocol
from zoneinfo import available_timezones

import discord
from discord import app_commands

from bot.engine import Engine
from bot.menu import COMMANDS
from storage import PersonKey

PLATFORM = "discord"
GROUP = "dispute"
WITH_OPTIONS = ("remind", "timezone", "cases")
SIMPLE = {name: line for name, line in COMMANDS.items() if name not in WITH_OPTIONS}
"""The engine's commands without arguments, with the line the engine gives for menus."""
COMMON_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Warsaw",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Mexico_City",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Africa/Johannesburg",
)
WHEN_EXAMPLES = ("in 2 days", "tomorrow 9am", "in 1 week", "Monday 10am", "in 3 hours")
MAX_CHOICES = 25


class CommandTarget(Protocol):
    """What the slash commands hand their interactions to (the DiscordAdapter)."""

    engine: Engine

    async def command(self, interaction: discord.Interaction, name: str, args: str) -> None: ...

    async def answer(self, interaction: discord.Interaction, text: str) -> None: ...


def _adapter(interaction: discord.Interaction) -> CommandTarget:
    adapter: CommandTarget | None = getattr(interaction.client, "handler", None)
    if adapter is None:
        raise RuntimeError("this client only syncs commands")
    return adapter


async def _simple(interaction: discord.Interaction) -> None:
    assert interaction.command is not None
    await _adapter(interaction).command(interaction, interaction.command.name, "")


async def zones(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Common zones first; typing narrows to every IANA zone that contains the text."""
    typed = current.strip().casefold()
    found = [zone for zone in COMMON_ZONES if typed in zone.casefold()]
    if typed:
        found += sorted(
            z for z in available_timezones() if typed in z.casefold() and z not in found
        )
    return [app_commands.Choice(name=zone, value=zone) for zone in found[:MAX_CHOICES]]


async def whens(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """What was typed so far first (it is free text), then examples that still fit."""
    typed = current.strip()[:100]
    found = [typed] if typed else []
    found += [e for e in WHEN_EXAMPLES if typed.casefold() in e.casefold() and e != typed]
    return [app_commands.Choice(name=when, value=when) for when in found[:MAX_CHOICES]]


@app_commands.describe(
    when="When: in 2 days, tomorrow 9am, Friday, 2026-12-01 14:00",
    what="What it's about, e.g. call back",
)
@app_commands.autocomplete(when=whens)
async def _remind(interaction: discord.Interaction, when: str, what: str | None = None) -> None:
    await _adapter(interaction).command(interaction, "remind", f"{when} {what or ''}".strip())


@app_commands.describe(zone="e.g. Europe/Berlin or America/New_York; leave out to see yours")
@app_commands.autocomplete(zone=zones)
async def _timezone(interaction: discord.Interaction, zone: str | None = None) -> None:
    await _adapter(interaction).command(interaction, "timezone", (zone or "").strip())


async def cases(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """The person's own cases, most recent first, narrowed by what was typed."""
    person = PersonKey(PLATFORM, str(interaction.user.id))
    typed = current.strip().casefold()
    lines = await _adapter(interaction).engine.case_lines(person)
    return [
        app_commands.Choice(name=line[:100], value=case_id)
        for case_id, line in lines
        if typed in line.casefold()
    ][:MAX_CHOICES]


@app_commands.describe(case="A case to switch to; leave out to list them all")
@app_commands.autocomplete(case=cases)
async def _cases(interaction: discord.Interaction, case: str | None = None) -> None:
    await _adapter(interaction).command(interaction, "cases", (case or "").strip())


@app_commands.describe(text="Your answer to the question I'm asking")
async def _answer(interaction: discord.Interaction, text: app_commands.Range[str, 1, 1000]) -> None:
    await _adapter(interaction).answer(interaction, text)


def dispute_group() -> app_commands.Group:
    """`/dispute …`, in servers and in DMs with the bot: every engine command, and `answer`."""
    group = app_commands.Group(
        name=GROUP,
        description="Sort out a problem with an order, step by step",
        allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True),
        allowed_installs=app_commands.AppInstallationType(guild=True),
    )
    commands: list[app_commands.Command[Any, ..., None]] = [
        *(app_commands.Command(name=n, description=d, callback=_simple) for n, d in SIMPLE.items()),
        app_commands.Command(name="remind", description="Set a reminder", callback=_remind),
        app_commands.Command(name="cases", description=COMMANDS["cases"], callback=_cases),
        app_commands.Command(
            name="timezone", description="See or set your time zone", callback=_timezone
        ),
        app_commands.Command(
            name="answer", description="Answer the current question in words", callback=_answer
        ),
    ]
    for command in commands:
        group.add_command(command)
    return group
