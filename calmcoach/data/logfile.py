"""calmcoach's log file, for bug reports: what the person was told, and why.

The shells log through the standard ``logging`` module under the ``calmcoach`` logger;
:func:`start` sends it to ``calmcoach.log`` in the state dir (kept small: one old file
beside it). Nothing is created at import time, and a log that cannot be written (a
read-only dir, a FIFO in its place) is simply not kept: it never stops a session and
never writes to the terminal, which the app owns.

The log tells of a person's health (what they were told during a flare), so it is
private like the rest: 0600 in a 0700 folder, whatever the umask, and opened only when
it is a regular file (see ``calmcoach.data.safefile``).
"""

from __future__ import annotations

import io
import logging
import logging.handlers
from pathlib import Path

from calmcoach.data import locations, safefile

LOG_NAME = "calmcoach.log"
MAX_BYTES = 256 * 1024
"""Past this size the log starts again (the previous one is kept as ``calmcoach.log.1``)."""
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

log = logging.getLogger("calmcoach")

not_kept: str | None = None
"""Why :func:`start` could not keep the log (one line naming the file), if it could not."""


class PrivateLogHandler(logging.handlers.RotatingFileHandler):
    """A rotating log that opens its file through ``safefile.open_for_append``."""

    def _open(self) -> io.TextIOWrapper:
        raw = safefile.open_for_append(Path(self.baseFilename))
        return io.TextIOWrapper(raw, encoding=self.encoding or "utf-8", errors=self.errors)

    def handleError(self, record: logging.LogRecord) -> None:
        # The log is where trouble is written down: when it cannot be written (a folder put
        # where the old log goes, a full disk), the line is lost rather than printed over
        # the app's screen, which is what logging does by default.
        return


class _Held(logging.Handler):
    """Keeps the lines logged before the log file is open, to write them into it."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def private_handler(path: Path, form: str = FORMAT, max_bytes: int = 0) -> PrivateLogHandler:
    """A handler that writes to the log at ``path`` (rotated past ``max_bytes``, if not 0).

    Its folder is made private, and the file too (see ``safefile``). What calmcoach logs
    on the way (that an older, wider folder or file was made private) are its first
    lines. Raises OSError (``safefile.RefusedFile`` for a FIFO or a folder at ``path``)."""
    held = _Held()
    level = log.level
    log.addHandler(held)
    log.setLevel(min(level, logging.INFO) if level else logging.INFO)
    try:
        safefile.private_folder(path.parent)
        if max_bytes:
            safefile.make_private(path.with_name(f"{path.name}.1"))  # the one before, kept
        handler = PrivateLogHandler(
            path, maxBytes=max_bytes, backupCount=1 if max_bytes else 0, encoding="utf-8"
        )
    finally:
        log.removeHandler(held)
        log.setLevel(level)
    handler.setFormatter(logging.Formatter(form))
    for record in held.records:
        handler.handle(record)
    return handler


def start(path: Path | None = None) -> Path | None:
    """Log to ``path`` (default: the state dir's ``calmcoach.log``) from now on.

    Returns the path, or None when it cannot be written (then nothing is logged, and
    ``not_kept`` says why, for the shell to say in one line where it can).
    Calling it again changes nothing."""
    global not_kept
    path = path or locations.state_dir() / LOG_NAME
    if any(isinstance(h, PrivateLogHandler) for h in log.handlers):
        return path
    try:
        handler = private_handler(path, max_bytes=MAX_BYTES)
    except OSError as error:
        not_kept = f"no log is kept: {safefile.why_not(path, error)}"
        return None
    not_kept = None
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False  # never to the terminal
    return path
