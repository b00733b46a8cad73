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

import contextlib
import errno
import io
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from calmcoach.cli.common import EXIT_INTERRUPTED
from calmcoach.cli.sessions import run_app
from calmcoach.domain.visible import visible

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
    if sys.stdout is None:  # started with its standard output closed (``>&-``)
        sys.stdout = _ClosedOutput()
    try:
        code = command(args)
        sys.stdout.flush()  # here, not at exit, where a failure would be a traceback
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
    except OSError as error:
        # Commands name their own files' troubles; what reaches here is most often the
        # output itself failing (a full disk behind ``>``, a closed or broken terminal).
        logging.getLogger(__name__).info("calmcoach %s: output failed", args.command, exc_info=True)
        _say_failed(error)
        return 1
    return code


class _ClosedOutput(io.TextIOBase):
    """Standard output when the process started without one: writing to it is an error
    the command's caller hears about, not output that vanishes."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")


def _say_failed(error: OSError) -> None:
    """One line on standard error, if there is one; and what is left in the output's
    buffer goes nowhere, so the interpreter's last flush does not fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        what = "could not write the output" if error.filename is None else visible(str(error.filename))
        print(f"calmcoach: {what}: {error.strerror or error}", file=sys.stderr)
    with contextlib.suppress(OSError, ValueError, AttributeError):
        nowhere = os.open(os.devnull, os.O_WRONLY)
        os.dup2(nowhere, sys.stdout.fileno())
        os.close(nowhere)
