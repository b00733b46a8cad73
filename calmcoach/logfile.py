"""calmcoach's log file, for bug reports: what the person was told, and why.

The shells log through the standard ``logging`` module under the ``calmcoach`` logger;
:func:`start` sends it to ``calmcoach.log`` in the state dir (kept small: one old file
beside it). Nothing is created at import time, and a log that cannot be written (a
read-only dir, a FIFO in its place) is simply not kept: it never stops a session and
never writes to the terminal, which the app owns.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import stat
from pathlib import Path

from calmcoach import locations

LOG_NAME = "calmcoach.log"
MAX_BYTES = 256 * 1024
"""Past this size the log starts again (the previous one is kept as ``calmcoach.log.1``)."""

log = logging.getLogger("calmcoach")


def start(path: Path | None = None) -> Path | None:
    """Log to ``path`` (default: the state dir's ``calmcoach.log``) from now on.

    Returns the path, or None when it cannot be written (then nothing is logged).
    Calling it again changes nothing."""
    path = path or locations.state_dir() / LOG_NAME
    if any(isinstance(h, logging.handlers.RotatingFileHandler) for h in log.handlers):
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and not stat.S_ISREG(os.stat(path).st_mode):
            return None  # a FIFO or a device in its place: opening it could block
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=1, encoding="utf-8"
        )
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False  # never to the terminal
    return path
