"""Whether the full-screen app can run here: a terminal on every side it uses.

The app reads keys from standard input and draws on standard error (where Textual
writes), and a person reading standard output expects to see it there. With any of
them not a terminal (a pipe, a file, /dev/null, cron, a service), the app would draw
escape codes into a file and wait for keys that never come; a terminal that calls
itself ``dumb`` (Emacs' shell, some IDE consoles) cannot place text on the screen.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO


def _is_terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (OSError, ValueError):  # closed or detached
        return False


WEB_DRIVER = "textual.drivers.web_driver:WebDriver"
"""The Textual driver textual-serve starts the app with (``calmcoach desktop``): the app
then draws into a page through pipes, and no terminal is needed."""


def app_cannot_start() -> str | None:
    """Why the full-screen app cannot run here, in a few words; None when it can."""
    if os.environ.get("TEXTUAL_DRIVER") == WEB_DRIVER:
        return None
    if not all(_is_terminal(s) for s in (sys.stdin, sys.stdout, sys.stderr)):
        return "there is no terminal here"
    if os.environ.get("TERM", "") == "dumb":
        return "this terminal (TERM=dumb) cannot show the full-screen app"
    return None
