"""The ``calmcoach`` command line: the parser and its one reading.

Each command module adds its subcommands with ``add_parser(subparsers)`` and sets
``func``, the function that runs them; ``COMMANDS`` lists those modules, in the order
``--help`` shows their commands. A new command module is one more entry there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from calmcoach import __version__
from calmcoach.cli import doctor, exercises, journal, report, sessions, shells
from calmcoach.cli.common import EXIT_USAGE
from calmcoach.cli.options import FOR_THE_APP, SESSION_OPTIONS, TAKES, add_session_options, resolve_area

if TYPE_CHECKING:
    import argparse

    from calmcoach.cli.common import Subparsers


class Command(Protocol):
    """A module of commands: it adds them to the parser, each with its ``func``."""

    def add_parser(self, subparsers: Subparsers) -> None: ...


COMMANDS: tuple[Command, ...] = (exercises, sessions, doctor, journal, report, shells)
"""list, show, validate; run, flare; doctor; history, log; desktop, remind."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="calmcoach",
        description="A guided breathing and relaxation coach for the terminal. "
        "With no command, opens the exercise library.",
    )
    parser.add_argument("--version", action="version", version=f"calmcoach {__version__}")
    parser.set_defaults(func=sessions.cmd_app)
    # Before the command as well as after it (see SESSION_OPTIONS).
    add_session_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The parsed command line, its area word turned into an area id. A usage error (an
    option before a command that does not take it, say) exits here, with its message."""
    parser = build_parser()
    args = parser.parse_args(argv)
    given = vars(args)
    takes = TAKES.get(args.command or "", ())
    for name in SESSION_OPTIONS:
        if name in given and name not in takes and name not in FOR_THE_APP:
            flag = "--" + name.replace("_", "-")
            which = [command for command, names in TAKES.items() if name in names and command != "log"]
            parser.error(f"{flag} goes with {' or '.join(which)}, not {args.command or 'the library'}")
    if not resolve_area(args):
        raise SystemExit(EXIT_USAGE)
    return args
