"""The history and the flare journal on the command line: ``history`` and ``log``.

Only their options live here; the commands themselves are in :mod:`calmcoach.cli.history`,
imported when one of them runs, so that the other commands (and the app's first frame)
never load SQLite. ``log`` with no area opens the app's journal form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from calmcoach.cli import terminal
from calmcoach.cli.common import EXIT_USAGE, err
from calmcoach.cli.options import AREA_HELP, options_from
from calmcoach.cli.sessions import run_app

if TYPE_CHECKING:
    import argparse

    from calmcoach.cli.common import Subparsers


def add_parser(subparsers: Subparsers) -> None:
    """``history`` and ``log``."""
    p = subparsers.add_parser("history", help="print past sessions and logged flares")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    p.add_argument("--since", metavar="DATE", help="only from this date (YYYY-MM-DD)")
    p.set_defaults(func=cmd_history)

    p = subparsers.add_parser(
        "log", help="log a flare in the journal (with no area: open the app's journal form)"
    )
    p.add_argument("area", nargs="?", metavar="AREA", help=f"where the twitch is: {AREA_HELP}")
    p.add_argument("--intensity", type=int, choices=range(11), metavar="0-10", help="required with an area")
    p.add_argument(
        "--trigger", action="append", default=[], metavar="T", help="what may have set it off (repeatable)"
    )
    p.add_argument("--note", default="", metavar="TEXT")
    p.set_defaults(func=cmd_log)


def cmd_history(args: argparse.Namespace) -> int:
    from calmcoach.cli.history import cmd_history as history

    return history(args)


def cmd_log(args: argparse.Namespace) -> int:
    if args.area is None:
        return cmd_log_form(args)
    if args.intensity is None:
        # Here, not at the top: the parser module imports this one to register it.
        from calmcoach.cli.parser import build_parser

        build_parser().error("log: --intensity is required with an area")
    from calmcoach.cli.history import cmd_log as log

    return log(args)


def cmd_log_form(args: argparse.Namespace) -> int:
    """``calmcoach log`` with no area: the app opens on the journal's flare form."""
    if args.intensity is not None or args.trigger or args.note:
        err("name the area first: calmcoach log AREA --intensity N")
        return EXIT_USAGE
    if terminal.app_cannot_start() is not None:
        err("with no terminal, name the flare: calmcoach log AREA --intensity N")
        return EXIT_USAGE
    return run_app(options_from(args))
