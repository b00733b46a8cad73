"""Opening the history file: the file itself, and this process's connections to it.

Only a regular file is opened, a damaged one is moved aside, a lock is waited for, and
the schema is brought up to date (:mod:`calmcoach.data.history.schema`).

The history holds health data: its folder is made 0700 and the file 0600 (SQLite gives
its ``-wal`` and ``-shm`` the file's rights) whatever the umask. Only SQLite opens the
file once a connection to it exists in this process: SQLite's locks are POSIX locks,
which closing *any* descriptor of the file drops, and another program would then take
itself for the last user and delete the ``-wal`` still being written. So the header
check and the creation of the file happen before the first connection only, and this
module counts the connections open to each file (:func:`connect`, :func:`release`).

Pure standard library (sqlite3).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from calmcoach.data import locations
from calmcoach.data.history.schema import SCHEMA_VERSION, file_version, migrate
from calmcoach.data.history.trouble import (
    HistoryUnavailable,
    error_name,
    is_busy,
    is_corruption,
    os_trouble,
    unavailable,
)
from calmcoach.data.safefile import kind_of, make_private

_log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 3000
QUICK_CHECK_LINES = 5
"""Problems the quick check on open lists at most (one is enough to know)."""
SQLITE_HEADER = b"SQLite format 3\x00"
SIDE_FILES = ("-wal", "-shm", "-journal")
"""SQLite's own files beside the database."""

_OPENING = threading.Lock()
"""Held while a connection is opened in this process (see :data:`_LIVE`); may be held for
as long as a lock held by another program is waited for."""
_COUNTING = threading.Lock()
"""Held only while :data:`_LIVE` is read or changed (never while waiting on SQLite)."""
_LIVE: Counter[str] = Counter()
"""Connections this process has open to each history file (by real path)."""


def _key(path: Path) -> str:
    # realpath reads links, never the file: two spellings of one file share one count.
    return os.path.realpath(path)


def _count(key: str) -> str:
    """Count one more connection among the process's open ones to its file."""
    with _COUNTING:
        _LIVE[key] += 1
    return key


def release(key: str) -> None:
    """Count a connection opened by :func:`connect` or :func:`connect_read_only` as closed."""
    with _COUNTING:
        _LIVE[key] -= 1
        if _LIVE[key] <= 0:
            del _LIVE[key]


def connect(
    path: Path, now: datetime, busy_timeout: float, check: bool
) -> tuple[sqlite3.Connection, str, str | None]:
    """A connection to the history at ``path`` (created or migrated), the key to
    :func:`release` once it is closed, and what happened while opening, if anything.

    See :meth:`calmcoach.data.history.store.History.open` for what is done to the file."""
    _make_private_folder(path.parent)
    key = _key(path)
    # Held for the whole open, so no other thread of this process connects to the
    # file between the look at its header (a descriptor of our own) and the first
    # connection, nor while a damaged file is moved aside. The count has a lock of
    # its own, so a close on another thread never waits for a slow open.
    with _OPENING:
        with _COUNTING:
            first = not _LIVE[key]
        if first:
            db, notice = _open_first(path, now, busy_timeout, check)
        else:
            db, notice = _open_beside(path, busy_timeout), None
        return db, _count(key), notice


def _open_first(
    path: Path, now: datetime, busy_timeout: float, check: bool
) -> tuple[sqlite3.Connection, str | None]:
    """The first connection of this process to the file: only here may anything but
    SQLite open it (to look at its header, or to create it private)."""
    notice = None
    problem = _not_a_database(path)
    if problem:
        kept = _move_aside(path, now)
        notice = f"the history file {problem}; kept it as {kept.name} and started a new one"
    _make_private_file(path)
    try:
        return _connect_patiently(path, busy_timeout, check), notice
    except sqlite3.DatabaseError as error:
        if not is_corruption(error):
            raise unavailable(error, path) from error
    kept = _move_aside(path, now)
    notice = f"the history file was damaged; kept it as {kept.name} and started a new one"
    _make_private_file(path)
    try:
        return _connect_patiently(path, busy_timeout, False), notice
    except sqlite3.Error as error:
        raise unavailable(error, path) from error


def _open_beside(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """Another connection while this process has one: SQLite alone opens the file, and
    a damaged file is not moved aside under the connection that uses it."""
    problem = _not_a_regular_file(path)  # stat only: no descriptor
    if problem:
        raise HistoryUnavailable(problem, "not-a-file")
    try:
        return _connect_patiently(path, busy_timeout, False)
    except sqlite3.Error as error:
        raise unavailable(error, path) from error


def connect_read_only(path: Path, busy_timeout: float) -> tuple[sqlite3.Connection, str]:
    """A connection that reads an existing history and writes nothing at all, and the key
    to :func:`release` once it is closed.

    See :meth:`calmcoach.data.history.store.History.open_read_only`."""
    problem = _not_a_regular_file(path)
    if problem:
        raise HistoryUnavailable(problem, "not-a-file")
    if not path.exists():
        raise HistoryUnavailable(f"there is no history file yet ({path})", "read-only")
    uri = path.absolute().as_uri()
    last: sqlite3.Error | None = None
    key = _key(path)
    for query in ("mode=ro", "mode=ro&immutable=1"):
        db = sqlite3.connect(f"{uri}?{query}", uri=True, timeout=busy_timeout, isolation_level=None)
        db.text_factory = _text
        try:
            db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            _check_owner(db)
            return db, _count(key)
        except sqlite3.Error as error:
            db.close()
            # SQLite could not make or grow its -shm file: read the file alone.
            if not error_name(error).startswith(("SQLITE_CANTOPEN", "SQLITE_IOERR")):
                raise unavailable(error, path) from error
            last = error
        except BaseException:
            db.close()
            raise
    assert last is not None
    raise unavailable(last, path) from last


def _connect_patiently(path: Path, busy_timeout: float, check: bool) -> sqlite3.Connection:
    """Connect, trying again while another instance holds a lock.

    Switching a new file to WAL or migrating it takes a lock that SQLite's busy
    handler does not always wait for, so two instances starting together on a
    new file would otherwise leave one without history.
    """
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            return _connect(path, busy_timeout, check)
        except sqlite3.OperationalError as error:
            if not is_busy(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


def _connect(path: Path, busy_timeout: float, check: bool) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
    db.text_factory = _text
    try:
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        version = _check_owner(db)
        if check and version:
            # Damage inside a table is found here, not by every later statement.
            found = [row[0] for row in db.execute(f"PRAGMA quick_check({QUICK_CHECK_LINES})")]
            if found != ["ok"]:
                raise sqlite3.DatabaseError(f"database disk image is malformed: {found[0]}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        migrate(db, version)
    except BaseException:
        db.close()
        raise
    return db


def _check_owner(db: sqlite3.Connection) -> int:
    """Read the file's schema version, refusing another program's file and a newer schema."""
    version = file_version(db)
    if version > SCHEMA_VERSION:
        raise HistoryUnavailable(
            f"the history was written by a newer calmcoach (schema {version}; this one "
            f"knows {SCHEMA_VERSION}). History is off; the file is left as it is",
            "newer",
        )
    return version


def _text(raw: bytes) -> str:
    """Text from the file; bytes that are not UTF-8 read as U+FFFD rather than failing the query."""
    return raw.decode("utf-8", "replace")


def _make_private_folder(folder: Path) -> None:
    """Create the history's folder 0700 (tightening ours if wider), or say why not."""
    try:
        locations.ensure_private_dir(folder)
    except NotADirectoryError as error:
        raise HistoryUnavailable(f"{folder} is not a folder; history is off", "not-a-file") from error
    except OSError as error:
        if not folder.is_dir():
            raise HistoryUnavailable(
                f"cannot create {folder} ({error.strerror}); history is off", os_trouble(error)
            ) from error
        # There, but its rights cannot be changed (a read-only mount): reading it still works.
        _log.warning("%s: could not make it private (%s)", folder, error.strerror)


def _make_private_file(path: Path) -> None:
    """Create the history file 0600 before SQLite first opens it (SQLite gives its -wal and
    -shm the same rights), or tighten an existing file of ours that others could read.

    Only before the first connection of this process (see the module's docstring)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW
    try:
        descriptor = os.open(path, flags, 0o600)
    except FileExistsError:
        pass
    except OSError:
        return  # SQLite says what it finds (a read-only folder and the like)
    else:
        try:
            os.fchmod(descriptor, 0o600)  # whatever the umask took away
        finally:
            os.close(descriptor)
        return
    for candidate in (path, *(path.with_name(path.name + suffix) for suffix in SIDE_FILES)):
        make_private(candidate)  # by name (lstat and chmod): no descriptor of the file


def _not_a_regular_file(path: Path) -> str | None:
    """Say what is in the place of the history file or a side file, if that is not a
    regular file. Looks with stat only (following symlinks), which never blocks."""
    for candidate in (path, *(path.with_name(path.name + suffix) for suffix in SIDE_FILES)):
        try:
            mode = candidate.stat().st_mode
        except OSError:
            continue  # nothing there (or nothing to see): SQLite says what it finds
        if not stat.S_ISREG(mode):
            return (
                f"{candidate} is {kind_of(mode)}, not a history file; history is off. "
                "Move it away to start a new history"
            )
    return None


def _not_a_database(path: Path) -> str | None:
    """Why the file at ``path`` is not a SQLite database, if it is not.

    Opens the file itself: only before this process's first connection to it.
    Raises HistoryUnavailable when a FIFO, device or folder is there: looked at
    first with stat, then opened without blocking and looked at again."""
    problem = _not_a_regular_file(path)
    if problem:
        raise HistoryUnavailable(problem, "not-a-file")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError:
        return None  # let sqlite report it (permissions and the like)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):  # replaced between the two looks
            raise HistoryUnavailable(
                f"{path} is {kind_of(mode)}, not a history file; history is off", "not-a-file"
            )
        head = os.read(fd, len(SQLITE_HEADER))
    finally:
        os.close(fd)
    if not head:
        return None  # an empty file is a fine new database
    if head != SQLITE_HEADER:
        return "was not a database"
    return None


def _move_aside(path: Path, now: datetime) -> Path:
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    number = 1
    while target.exists():
        number += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{number}")
    try:
        os.replace(path, target)
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                os.replace(side, target.with_name(target.name + suffix))
    except OSError as error:
        raise HistoryUnavailable(
            f"the history file is damaged and could not be moved aside ({error.strerror})", "damaged"
        ) from error
    return target
