"""The commands that hand over to another shell: ``desktop`` (the app in a window of its
own, see :mod:`calmcoach.desktop`) and ``remind`` (see :mod:`calmcoach.remind`).

What they start loads only when they run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from calmcoach.cli.common import EXIT_USAGE, err
from calmcoach.cli.options import options_from
from calmcoach.cli.planning import find, option_problem

if TYPE_CHECKING:
    import argparse

    from calmcoach.cli.common import Subparsers


def add_parser(subparsers: Subparsers) -> None:
    """``desktop`` and ``remind``."""
    import argparse

    p = subparsers.add_parser(
        "desktop", help="open calmcoach in a window of its own, served on this computer only"
    )
    p.add_argument("--install", action="store_true", help="add calmcoach to the desktop's application menu")
    p.add_argument("--uninstall", action="store_true", help="remove what --install added")
    p.add_argument("--no-window", action="store_true", help="open no window; print the address to open")
    p.add_argument(
        "app_args",
        nargs=argparse.REMAINDER,
        metavar="...",
        help="what to open: run ID [options], flare [AREA] [options] or log (default: the library)",
    )
    p.set_defaults(func=cmd_desktop)

    p = subparsers.add_parser("remind", help="gentle nudges to stand up and move through the working day")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--pause", metavar="TIME", help="hold nudges for a while, e.g. 2h or 45m")
    how.add_argument("--resume", action="store_true", help="end a pause now")
    how.add_argument("--status", action="store_true", help="say whether it runs and what comes next")
    how.add_argument("--install", action="store_true", help="start the reminder when you log in")
    how.add_argument("--uninstall", action="store_true", help="stop starting it at login")
    how.add_argument("--now", action="store_true", help="one nudge now, whatever the hours: to try it")
    p.add_argument(
        "--every",
        metavar="TIME",
        help="nudge this often for this run, over the settings file (e.g. 30m; down to 2s to try it out)",
    )
    p.set_defaults(func=cmd_remind)


DESKTOP_OPENS = ("run", "flare", "log")


def cmd_desktop(args: argparse.Namespace) -> int:
    """``calmcoach desktop``: check what the window should open here, in the terminal,
    then serve it (see calmcoach.desktop)."""
    from calmcoach.desktop.launch import EXIT_UNSUPPORTED, launch, unsupported_platform

    if args.install or args.uninstall:
        if args.app_args or (args.install and args.uninstall):
            err("desktop: --install and --uninstall take nothing else")
            return EXIT_USAGE
        problem = unsupported_platform()
        if problem is not None:
            err(problem)
            return EXIT_UNSUPPORTED
        from calmcoach.desktop import entries

        try:
            if args.install:
                for path in entries.install():
                    print(f"Wrote {path}")
            else:
                removed = entries.uninstall()
                for path in removed:
                    print(f"Removed {path}")
                if not removed:
                    print("Nothing to remove: calmcoach's desktop entries are not installed.")
        except entries.InstallError as error:
            err(str(error))
            return 1
        return 0
    app_args = list(args.app_args)
    if app_args:
        # Here, not at the top: the parser module imports this one to register it.
        from calmcoach.cli.parser import parse

        inner = parse(app_args)  # a usage error exits here, with its message
        opens = options_from(inner)
        if inner.command not in DESKTOP_OPENS or (inner.command == "log" and (opens.area or inner.intensity)):
            err("desktop opens the library, run ID [options], flare [AREA] [options] or log")
            return EXIT_USAGE
        if opens.plain:
            err("desktop: --plain prints lines in a terminal; it has no window to open")
            return EXIT_USAGE
        if opens.exercise is not None and inner.command == "run":
            found = find(opens.exercise)
            if isinstance(found, int):
                return found
            library, exercise = found
            problem = option_problem(exercise, library, opens.minutes, opens.area)
            if problem is not None:
                err(problem)
                return EXIT_USAGE
    return launch(app_args, window=not args.no_window)


def cmd_remind(args: argparse.Namespace) -> int:
    from calmcoach.remind.command import RemindRequest
    from calmcoach.remind.command import cmd_remind as remind

    return remind(
        RemindRequest(
            install=args.install,
            uninstall=args.uninstall,
            status=args.status,
            pause=args.pause,
            resume=args.resume,
            every=args.every,
            now=args.now,
        )
    )
