"""What every command module shares: the error line, the exit codes, the library.

Standard library and the core only, so that importing it costs nothing a command does
not already need.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TypeAlias

from calmcoach.domain.visible import visible

if TYPE_CHECKING:
    import argparse

    from calmcoach.data.loader import Library

    Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]
    """What a command module's ``add_parser`` adds its subcommand to."""

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def err(message: str) -> None:
    """One line on standard error, after ``calmcoach:``, with any control character in
    it written out visibly (the message may quote a file's text)."""
    print(f"calmcoach: {visible(message)}", file=sys.stderr)


def load_library() -> Library:
    """The library, with a line on stderr about each file met on the way that was not used."""
    from calmcoach.data.library import load_default_library

    library = load_default_library()
    for notice in library.notices:
        err(notice)
    return library
