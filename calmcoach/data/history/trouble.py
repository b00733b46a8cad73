"""What went wrong with the history file, in plain words: :class:`HistoryUnavailable`.

Every SQLite or file error the store meets becomes one of these, with a ``kind`` its
callers can act on (wait out a lock, read what there is, turn history off).

Pure standard library.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path
from typing import Literal

Trouble = Literal["busy", "read-only", "full", "newer", "not-a-file", "damaged", "other"]


class HistoryUnavailable(Exception):
    """History cannot be used right now; the message says why, in plain words.

    ``kind`` says what went wrong, for callers that can do something about it:
    ``busy`` (another program holds a lock: the same write can be tried again),
    ``read-only`` (nothing can be written, but the file may still be read),
    ``full`` (the disk is full), ``newer`` (a newer calmcoach's schema),
    ``not-a-file`` (a FIFO, device or folder is in the file's place),
    ``damaged`` (damaged and could not be moved aside), or ``other``.
    """

    def __init__(self, message: str, kind: Trouble = "other") -> None:
        super().__init__(message)
        self.kind: Trouble = kind


FULL_MARGIN = 64 * 1024
"""Free bytes under which a failed write is put down to a full disk."""


def error_name(error: sqlite3.Error) -> str:
    """SQLite's name for the error (``SQLITE_BUSY``, ``SQLITE_FULL``...), or ''."""
    return str(getattr(error, "sqlite_errorname", "") or "")


def is_busy(error: sqlite3.Error) -> bool:
    """Does the error say another connection holds a lock?"""
    name = error_name(error)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return True
    text = str(error).lower()
    return "locked" in text or "busy" in text


def is_corruption(error: sqlite3.Error) -> bool:
    """Does the error say the file is damaged, or not a database at all?"""
    if error_name(error).startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return True
    text = str(error).lower()
    return any(words in text for words in ("not a database", "malformed", "corrupt"))


def _disk_full(folder: Path) -> bool:
    """Is the file system holding ``folder`` out of space (or of files)?

    SQLite reports a full disk as SQLITE_FULL when a write to the database fails,
    but as a plain I/O error when its shared-memory file cannot grow."""
    try:
        info = os.statvfs(folder)
    except OSError:
        return False
    blocks = info.f_bfree if os.geteuid() == 0 else info.f_bavail
    files = info.f_ffree if os.geteuid() == 0 else info.f_favail
    return blocks * info.f_frsize < FULL_MARGIN or (info.f_files > 0 and files == 0)


def os_trouble(error: OSError) -> Trouble:
    """The kind of trouble an error from the operating system is."""
    if error.errno == errno.ENOSPC:
        return "full"
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "read-only"
    return "other"


def unavailable(error: sqlite3.Error, path: Path) -> HistoryUnavailable:
    """The plain words (and kind) for a SQLite error on the history file."""
    name = error_name(error)
    text = str(error).lower()
    if is_busy(error):
        return HistoryUnavailable("the history is locked by another program; history is off for now", "busy")
    if name.startswith("SQLITE_FULL") or ("disk" in text and "full" in text):
        return HistoryUnavailable("the disk is full; history is off", "full")
    cannot_open = name.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM")) or "unable to open" in text
    if (cannot_open or name.startswith("SQLITE_IOERR") or "disk i/o" in text) and _disk_full(path.parent):
        return HistoryUnavailable("the disk is full; history is off", "full")
    if cannot_open and not os.access(path.parent, os.W_OK):
        # SQLite makes its -wal and -shm files beside the history: it needs the folder.
        return HistoryUnavailable(f"the folder {path.parent} is read-only; history is off", "read-only")
    readonly = name.startswith("SQLITE_READONLY") or "readonly" in text or "read-only" in text
    if readonly or (cannot_open and path.exists() and not os.access(path, os.W_OK)):
        return HistoryUnavailable(f"the history file is read-only ({path}); history is off", "read-only")
    if cannot_open:
        return HistoryUnavailable(f"the history file cannot be opened ({path}); history is off")
    if is_corruption(error):
        return HistoryUnavailable(f"the history file is damaged ({path}); history is off", "damaged")
    return HistoryUnavailable(f"history is off: {error}")
