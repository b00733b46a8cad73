"""Whether the terminal app is open, and nudges handed to it by the reminder.

The app holds a shared lock on ``app.lock`` in the state dir while it runs (the
kernel drops it when the process ends, however it ends, so there is no stale pid to
guess about). ``calmcoach remind`` tests for that lock; while the app is open it
leaves a nudge in ``app-nudge`` instead of showing a desktop notification, and the
app, which looks for that file every few seconds, takes it and shows it.

The nudge file carries no text to show, only that a nudge is waiting and when it was
made: the app says it in its own words, so nothing in the file reaches the screen.
Both files are opened only when they are regular files, never waiting: a FIFO put in
either place is refused (and a nudge FIFO removed), so the app never hangs on one.
Standard library only; no Textual, so both shells can use it.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from calmcoach.data import locations
from calmcoach.data.safefile import (
    RefusedFile,
    open_lock_file,
    private_folder,
    read_limited,
    why_not,
    write_atomic,
)

_log = logging.getLogger(__name__)

NUDGE_TEXT = "Time to move: two minutes of stretching?"
"""What a nudge says, on the desktop and in the app."""
NUDGE_FRESH = timedelta(minutes=10)
"""A nudge the app finds later than this is old news and dropped unshown."""
MAX_NUDGE_BYTES = 200


def lock_file() -> Path:
    """The file the open app holds a shared lock on."""
    return locations.state_dir() / "app.lock"


def nudge_file() -> Path:
    """Where the reminder leaves a nudge for the open app."""
    return locations.state_dir() / "app-nudge"


class AppPresence:
    """Held by the app while it is open: see :func:`app_is_open`."""

    def __init__(self, handle: IO[bytes] | None) -> None:
        self._handle = handle

    @classmethod
    def hold(cls) -> AppPresence:
        """Take the shared lock (several apps may be open at once). Never raises: when the
        state dir cannot be written, the reminder simply does not know the app is open."""
        path = lock_file()
        try:
            private_folder(path.parent)
            handle = open_lock_file(path)
        except OSError as error:  # RefusedFile too: a FIFO or a folder where the lock goes
            _log.warning("%s; the reminder cannot see that the app is open", why_not(path, error))
            return cls(None)
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return cls(None)
        return cls(handle)

    @property
    def held(self) -> bool:
        """The lock is held (the reminder can see this app)."""
        return self._handle is not None

    def release(self) -> None:
        """Let go of the lock (the app is closing)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def app_is_open() -> bool:
    """Is a calmcoach app open for this user (holding the shared lock) right now?"""
    try:
        handle = open_lock_file(lock_file(), create=False)
    except OSError:  # missing, or not a regular file: no app holds a lock on it
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def post_nudge(now: datetime) -> None:
    """Leave a nudge for the open app (replacing one it has not taken yet)."""
    text = f"nudge {now.astimezone(UTC).isoformat(timespec='seconds')}\n"
    write_atomic(nudge_file(), text.encode("ascii"))


def take_nudge(now: datetime) -> bool:
    """Take the waiting nudge, if any: True when there is a fresh one to show.

    A file that is too large, not a regular file, not ours or stale is removed and
    gives False."""
    path = nudge_file()
    taken = path.with_name(f".{path.name}.taken.{os.getpid()}")
    try:
        os.replace(path, taken)  # only one app takes a nudge
    except OSError:
        return False
    try:
        raw = read_limited(taken, MAX_NUDGE_BYTES)
    except RefusedFile as error:  # a FIFO put there would stop the app if it were opened
        _log.warning("%s; removed unread", why_not(path, error))
        return False
    except OSError:
        return False
    finally:
        with contextlib.suppress(OSError):
            taken.unlink()
    return _fresh(raw, now)


def nudge_waiting() -> bool:
    """Is a nudge still waiting for the app to take it?"""
    return nudge_file().exists()


def _fresh(raw: bytes, now: datetime) -> bool:
    if len(raw) > MAX_NUDGE_BYTES:
        return False
    words = raw.decode("ascii", "replace").split()
    if len(words) != 2 or words[0] != "nudge":
        return False
    try:
        made = datetime.fromisoformat(words[1])
    except ValueError:
        return False
    if made.tzinfo is None:
        return False
    return timedelta(seconds=-60) <= now - made <= NUDGE_FRESH


def terminal_notification(title: str, body: str, environ: dict[str, str] | None = None) -> str | None:
    """The escape sequence that asks this terminal for a notification, or None where
    none is known to work (unknown terminals, and inside tmux or screen, which would
    need passthrough set up).

    OSC 9 (iTerm2, WezTerm, Windows Terminal, ghostty, kitty) carries one text; OSC 777
    (foot, urxvt with its notify extension, VTE terminals that ship the patch) carries a
    title and a body. Control characters are taken out of both.
    """
    env = os.environ if environ is None else environ
    if env.get("TMUX") or env.get("STY"):
        return None
    title, body = _plain(title), _plain(body)
    program = env.get("TERM_PROGRAM", "")
    term = env.get("TERM", "")
    if program in ("iTerm.app", "WezTerm", "ghostty") or env.get("WT_SESSION") or term == "xterm-kitty":
        return f"\x1b]9;{title}: {body}\x1b\\"
    if term.startswith(("foot", "rxvt-unicode")):
        return f"\x1b]777;notify;{title};{body}\x1b\\"
    return None


def _plain(text: str) -> str:
    return "".join(c for c in text if c.isprintable() and c != ";")[:200]
