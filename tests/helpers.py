"""Helpers that several test files share (the UI's own are in tests/ui/helpers.py).

Test files import from here, never from each other or from ``conftest``.
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from calmcoach.history import History


def calmcoach_command() -> list[str]:
    """The installed ``calmcoach`` script beside this Python, or ``python -m calmcoach``."""
    script = Path(sys.executable).parent / "calmcoach"
    if script.exists():
        return [str(script)]
    found = shutil.which("calmcoach")
    return [found] if found else [sys.executable, "-m", "calmcoach"]


def with_default_sigint(command: list[str]) -> list[str]:
    """``command``, started with SIGINT at its default, as Ctrl+C finds it in a terminal.

    A test run started in the background (``nohup``, ``&`` in a script) ignores SIGINT,
    and a child inherits that: Python then installs no KeyboardInterrupt handler, and the
    signal a test sends is lost. This resets it in the child just before ``exec``.
    """
    reset = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])"
    return [sys.executable, "-c", reset, *command]


def month_of_data(history: History, today: date) -> None:
    """Thirty days up to ``today``: a rated 4-2-6 session on three days in four, and an
    eyelid flare logged every other day."""
    for back in range(30):
        day = datetime.combine(today - timedelta(days=back), datetime.min.time(), tzinfo=UTC) + timedelta(
            hours=8
        )
        if back % 4 == 3:
            continue
        sid = history.start_session("breathing-4-2-6", "4-2-6 breathing", 180, now=day, rating_before=6)
        history.end_session(sid, "finished", seconds=60.0 * (1 + back % 5), cycles=5, steps=15, now=day)
        history.rate_session(sid, after=3)
        if back % 2 == 0:
            history.log_flare("eyelid", 4 + back % 3, ["caffeine"] if back % 3 else ["poor sleep"], now=day)
