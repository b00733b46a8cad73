"""The ``calmcoach`` command and plain mode, a shell: imports services and below; other shells to start them.

Its modules: ``parser`` (the parser, its reading, and ``COMMANDS``, the modules that
add the subcommands), ``options`` (the session options, read once into ``RunOptions``),
``common`` (the error line, exit codes, the library), the commands by job
(``exercises``: list, show, validate; ``sessions``: run, flare and the app;
``doctor``; ``journal`` and ``history``: history and log; ``shells``: desktop and
remind), ``planning`` (an exercise and its options to a timeline), ``plain`` (plain
mode), and ``terminal`` (whether the app can start). The parser's ``Namespace`` never
leaves this folder.

Only the standard library and the core are imported at the top, so that
``calmcoach --version``, ``list`` and ``validate`` start fast and never load
Textual. The app, the audio player and the history load when a command needs them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from calmcoach.cli.common import EXIT_INTERRUPTED
from calmcoach.cli.sessions import run_app

if TYPE_CHECKING:
    import argparse

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``calmcoach`` command."""
    if not (sys.argv[1:] if argv is None else argv):
        # Plain ``calmcoach``, the most common start: open the library without
        # building the parser (argparse is about 8 ms of the start-up).
        return run_app(None)
    from calmcoach.cli.parser import parse

    args = parse(argv)
    command: Callable[[argparse.Namespace], int] = args.func
    try:
        return command(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
