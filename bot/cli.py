"""`fairshake` (and `python -m bot`): run the bot, check its configuration, report health.

    fairshake            run every enabled adapter (the terminal chat when no token is set)
    fairshake check      validate the configuration; exit 0 when it is good, 1 with reasons
    fairshake health     exit 0 when the running bot is healthy (for containers)
    fairshake playbooks  list the shops' playbooks; exit 1 naming a bad file and key
    fairshake db upgrade | import DATA_DIR | export DIR   the PostgreSQL store (bot/db.py)
    fairshake discord sync [--guild ID]   register Discord's slash commands (an operator step)
    fairshake --version

A subcommand's module is imported only when it runs, so `fairshake health`, which a
container runs every 30 seconds, loads neither the engine nor a platform library.
Operator steps (`db`, `discord`) come through the `fairshake.commands` entry point group.
"""

from __future__ import annotations

import argparse
import pkgutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points, version
from typing import Protocol

from bot.config import Settings, load_settings

OPERATOR_COMMANDS_GROUP = "fairshake.commands"
"""A platform's own operator steps, `fairshake <name> ...`: entry points to a
`main(argv, prog) -> int` (Discord's command sync). Kept apart from the adapters so the
CLI lists them without importing any platform library."""


class OperatorCommand(Protocol):
    def __call__(self, argv: list[str], prog: str) -> int: ...


@dataclass(frozen=True, slots=True)
class Subcommand:
    name: str
    target: str
    """`module:function` taking the settings and returning the exit code."""
    help: str


SUBCOMMANDS = (
    Subcommand(
        "run",
        "bot.serve:run",
        "run every enabled adapter (the default; the terminal chat when no token is set)",
    ),
    Subcommand(
        "check",
        "bot.checks:check",
        "validate the configuration: exit 0 when it is good, 1 with each problem",
    ),
    Subcommand(
        "playbooks",
        "bot.playbooks:playbooks",
        "list the shops' playbooks (with FAIRSHAKE_PLAYBOOKS_DIR's); exit 1 naming a bad file and key",
    ),
    Subcommand(
        "health",
        "bot.health:health",
        "exit 0 when the running bot is healthy (its /healthz, else its heartbeat file)",
    ),
)


def main(argv: list[str] | None = None) -> int:
    platforms = {point.name: point for point in entry_points(group=OPERATOR_COMMANDS_GROUP)}
    parser = argparse.ArgumentParser(
        prog="fairshake",
        description="Fair Shake: run the bot, check its configuration, report its health.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('fairshake')}")
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    for command in SUBCOMMANDS:
        commands.add_parser(command.name, help=command.help, description=command.help)
    for name in platforms:
        commands.add_parser(name, help=f"the operator's {name} steps (see fairshake {name} --help)")
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in platforms:
        # A platform's own operator commands, e.g. `fairshake discord sync --guild ID`.
        operator_command: OperatorCommand = platforms[argv[0]].load()
        return operator_command(argv[1:], prog=f"fairshake {argv[0]}")
    args = parser.parse_args(argv)
    chosen = next(command for command in SUBCOMMANDS if command.name == (args.command or "run"))
    function: Callable[[Settings], int] = pkgutil.resolve_name(chosen.target)
    return function(load_settings())
