"""The history store: opening the file, and writing and reading its rows.

A session row is written when the session starts, brought up to date at each
step boundary (never per frame), and completed when it ends. A process that is
killed leaves its row at the last boundary: it reads back as "interrupted",
with the seconds it really did. Nothing here crashes a session: every failure
becomes a :class:`HistoryUnavailable` with a plain reason.

Opening takes care of the file itself: only a regular file is opened, a damaged
one is moved aside, a lock is waited for, and the schema is brought up to date
(:mod:`calmcoach.data.history.schema`). The summaries are in :mod:`calmcoach.data.history.stats`.

The history holds health data: its folder is made 0700 and the file 0600 (SQLite gives
its ``-wal`` and ``-shm`` the file's rights) whatever the umask. Only SQLite opens the
file once a connection to it exists in this process: SQLite's locks are POSIX locks,
which closing *any* descriptor of the file drops, and another program would then take
itself for the last user and delete the ``-wal`` still being written. So the header
check and the creation of the file happen before the first connection only.

Pure standard library (sqlite3); no UI, no audio.
"""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import sqlite3
import stat
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from calmcoach.data import locations
from calmcoach.data.history import pending
from calmcoach.data.history.reading import UNREADABLE, as_text, as_words
from calmcoach.data.history.schema import NUDGE_ANSWERS, SCHEMA_VERSION, file_version, migrate
from calmcoach.data.history.stats import Stats, summarise
from calmcoach.data.safefile import kind_of, make_private

_log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 3000
QUICK_CHECK_LINES = 5
"""Problems the quick check on open lists at most (one is enough to know)."""
SQLITE_HEADER = b"SQLite format 3\x00"
MAX_NOTE = 1000
MAX_TRIGGERS = 20
MAX_TRIGGER = 40

TRIGGERS = (
    "stress spike",
    "panic surge",
    "poor sleep",
    "caffeine",
    "dehydration / low electrolytes",
    "long desk hours",
    "high body awareness",
    "stimulant medication",
)
"""Common triggers people log; anyone may add their own words."""


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


def utcnow() -> datetime:
    """The current wall-clock time, in UTC."""
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _pid_alive(pid: object) -> bool:
    """Is the process that wrote a running row still there (a zombie counts as gone)?"""
    if not isinstance(pid, int) or not 0 < pid < 2**31:
        return False  # no pid, or not one a process can have
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _shown(record: Any, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with each field of ``record`` that could not be read as UNREADABLE."""
    for name in record.unreadable:
        for key in _EXPORTED.get(name, (name,)):
            values[key] = UNREADABLE
    return values


_EXPORTED = {"seconds_done": ("seconds",), "position_seconds": ("position",), "cycles_done": ("cycles",)}
_EXPORTED |= {"steps_done": ("steps",)}


@dataclass(frozen=True)
class SessionRecord:
    """One session as kept in the history.

    A field the file holds but that cannot be read (a date that is not one, text where a
    number belongs) is named in ``unreadable`` and holds None, 0 or '' instead."""

    id: int
    exercise_id: str
    title: str
    started_at: datetime | None
    updated_at: datetime | None
    ended_at: datetime | None
    status: str
    """finished, stopped, interrupted (the process died), or running."""
    planned_seconds: float
    seconds_done: float
    """Time really spent running: pauses, suspends and skipped spans are not in it."""
    cycles_done: int
    steps_done: int
    area: str | None = None
    rating_before: int | None = None
    rating_after: int | None = None
    position_seconds: float | None = None
    """How far through the timeline it got (None in a file too old to say)."""
    unreadable: tuple[str, ...] = ()
    """The fields the file holds but that could not be read."""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (UNREADABLE for each field that could not be read)."""
        return _shown(
            self,
            {
                "type": "session",
                "id": self.id,
                "exercise_id": self.exercise_id,
                "title": self.title,
                "started_at": _iso(self.started_at) if self.started_at else None,
                "ended_at": _iso(self.ended_at) if self.ended_at else None,
                "status": self.status,
                "planned_seconds": round(self.planned_seconds, 3),
                "seconds": round(self.seconds_done, 3),
                "position": None if self.position_seconds is None else round(self.position_seconds, 3),
                "cycles": self.cycles_done,
                "steps": self.steps_done,
                "area": self.area,
                "rating_before": self.rating_before,
                "rating_after": self.rating_after,
            },
        )


@dataclass(frozen=True)
class FlareRecord:
    """One flare logged in the journal (``unreadable`` as for SessionRecord)."""

    id: int
    logged_at: datetime | None
    area: str
    intensity: int
    triggers: tuple[str, ...]
    note: str
    unreadable: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (UNREADABLE for each field that could not be read)."""
        return _shown(
            self,
            {
                "type": "flare",
                "id": self.id,
                "logged_at": _iso(self.logged_at) if self.logged_at else None,
                "area": self.area,
                "intensity": self.intensity,
                "triggers": list(self.triggers),
                "note": self.note,
            },
        )


@dataclass(frozen=True)
class NudgeRecord:
    """One nudge to move, and how it was answered (None: not answered yet)."""

    id: int
    shown_at: datetime | None
    via: str
    """Where it was shown: desktop, notify-send, terminal, or app."""
    answer: str | None
    answered_at: datetime | None
    unreadable: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (UNREADABLE for each field that could not be read)."""
        return _shown(
            self,
            {
                "type": "nudge",
                "id": self.id,
                "shown_at": _iso(self.shown_at) if self.shown_at else None,
                "via": self.via,
                "answer": self.answer,
                "answered_at": _iso(self.answered_at) if self.answered_at else None,
            },
        )


@dataclass(frozen=True)
class OpenResult:
    """An open history, and what happened while opening it (such as a file moved aside)."""

    history: History
    notice: str | None = None


class History:
    """The history database. Open with :meth:`open` (or :meth:`open_read_only` to read
    what there is when nothing can be written); every method may raise HistoryUnavailable.

    A History belongs to the thread that opened it (SQLite's rule for a connection)."""

    def __init__(self, path: Path, connection: sqlite3.Connection, *, read_only: bool = False) -> None:
        self.path = path
        self._db = connection
        self.read_only = read_only
        """Opened for reading only: any write raises HistoryUnavailable."""
        self._key: str | None = None
        """This connection's place in the process's count of open connections."""

    # --- opening ---------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        now: datetime | None = None,
        busy_timeout: float = BUSY_TIMEOUT_MS / 1000,
        check: bool = True,
        write_pending: bool = True,
    ) -> OpenResult:
        """Open (creating or migrating) the history at ``path``.

        Only a regular file is opened: a FIFO, a device or a folder in its place (or
        in place of SQLite's side files) is named in the error and left alone, and
        nothing blocks on it. A file that is not a SQLite database, not calmcoach's,
        or whose quick check finds damage inside is renamed with a
        ``.corrupt-<time>`` suffix and a new one is started: never overwritten,
        never deleted. A newer schema, a lock, a read-only file or folder and a full
        disk raise HistoryUnavailable (see its ``kind``) and leave the file as it is.
        ``check=False`` skips the quick check, for a second connection to a file
        that was just checked. While this process has a connection to the file, a new
        one is left to SQLite alone: no header check, no check, nothing moved aside.
        ``write_pending=False`` is for a connection that only reads (and logs what the
        user asks for) beside the one that writes sessions: it leaves the kept sessions
        to that one, so it never waits for a lock to write them (on a UI thread, say).

        The folder is made 0700 and a new file 0600 (wider ones of ours are tightened,
        and the log says so). Sessions an earlier run kept for later
        (:mod:`calmcoach.data.history.pending`) are written, and the notice says how many.
        """
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
                history, notice = cls._open_first(path, now or utcnow(), busy_timeout, check)
            else:
                history = cls._open_beside(path, busy_timeout)
                notice = None
            history._count(key)
        try:
            written = history._write_pending() if write_pending else None
        except BaseException:
            history.close()
            raise
        notices = [text for text in (notice, written) if text]
        if notices:
            _log.info("history: %s", "; ".join(notices))
        return OpenResult(history, "; ".join(notices) or None)

    @classmethod
    def _open_first(
        cls, path: Path, now: datetime, busy_timeout: float, check: bool
    ) -> tuple[History, str | None]:
        """The first connection of this process to the file: only here may anything but
        SQLite open it (to look at its header, or to create it private)."""
        notice = None
        problem = _not_a_database(path)
        if problem:
            kept = _move_aside(path, now)
            notice = f"the history file {problem}; kept it as {kept.name} and started a new one"
        _make_private_file(path)
        try:
            return cls._connect_patiently(path, busy_timeout, check), notice
        except sqlite3.DatabaseError as error:
            if not _is_corruption(error):
                raise _unavailable(error, path) from error
        kept = _move_aside(path, now)
        notice = f"the history file was damaged; kept it as {kept.name} and started a new one"
        _make_private_file(path)
        try:
            return cls._connect_patiently(path, busy_timeout, False), notice
        except sqlite3.Error as error:
            raise _unavailable(error, path) from error

    @classmethod
    def _open_beside(cls, path: Path, busy_timeout: float) -> History:
        """Another connection while this process has one: SQLite alone opens the file, and
        a damaged file is not moved aside under the connection that uses it."""
        problem = _not_a_regular_file(path)  # stat only: no descriptor
        if problem:
            raise HistoryUnavailable(problem, "not-a-file")
        try:
            return cls._connect_patiently(path, busy_timeout, False)
        except sqlite3.Error as error:
            raise _unavailable(error, path) from error

    @classmethod
    def open_read_only(cls, path: Path, *, busy_timeout: float = BUSY_TIMEOUT_MS / 1000) -> History:
        """Open an existing history to read it, writing nothing at all.

        For when :meth:`open` cannot write (a read-only folder or file, a full disk).
        A file in WAL mode needs SQLite's ``-shm`` side file; when that cannot be made
        or grown, the file is read as immutable (nothing else can be writing to it
        either), and then only what reached the main file is seen: writes a killed
        run left in the ``-wal`` file are not. An older schema is read as it is.
        """
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
                history = cls(path, db, read_only=True)
                history._count(key)
                return history
            except sqlite3.Error as error:
                db.close()
                # SQLite could not make or grow its -shm file: read the file alone.
                if not _error_name(error).startswith(("SQLITE_CANTOPEN", "SQLITE_IOERR")):
                    raise _unavailable(error, path) from error
                last = error
            except BaseException:
                db.close()
                raise
        assert last is not None
        raise _unavailable(last, path) from last

    @classmethod
    def _connect_patiently(cls, path: Path, busy_timeout: float, check: bool) -> History:
        """Connect, trying again while another instance holds a lock.

        Switching a new file to WAL or migrating it takes a lock that SQLite's busy
        handler does not always wait for, so two instances starting together on a
        new file would otherwise leave one without history.
        """
        deadline = time.monotonic() + busy_timeout
        while True:
            try:
                return cls._connect(path, busy_timeout, check)
            except sqlite3.OperationalError as error:
                if not _is_busy(error) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.02)

    @classmethod
    def _connect(cls, path: Path, busy_timeout: float, check: bool) -> History:
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
            history = cls(path, db)
            migrate(db, version)
        except BaseException:
            db.close()
            raise
        return history

    def _count(self, key: str) -> None:
        """Count this connection among the process's open ones to its file."""
        with _COUNTING:
            _LIVE[key] += 1
            self._key = key

    def close(self) -> None:
        """Close the connection (a second close does nothing)."""
        self._db.close()
        with _COUNTING:
            if self._key is not None:
                _LIVE[self._key] -= 1
                if _LIVE[self._key] <= 0:
                    del _LIVE[self._key]
                self._key = None

    # --- rows kept from an earlier run ---------------------------------------------------

    def _write_pending(self) -> str | None:
        """Write the sessions an earlier run could not (see :mod:`calmcoach.data.history.pending`),
        in one transaction, and remove their files; what happened, in words, or None.

        A session already in the file (the same start, exercise and process) is brought up
        to date rather than added twice, so two programs starting at once, or a write that
        went through just as calmcoach gave up on it, count each row once. A lock held by
        another program leaves the files for the next open; so does a write that fails (a
        full disk), which the words say, while the history stays open for what comes next."""
        files = pending.waiting(self.path)
        if not files:
            return None
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            if _is_busy(error):
                return None  # another program is writing: the next open writes them
            raise _unavailable(error, self.path) from error
        problems: list[str] = []
        done: list[Path] = []
        written = 0
        try:
            for file in files:
                try:
                    snapshots = pending.read(file)
                except FileNotFoundError:
                    continue  # another program wrote them first
                except pending.Unreadable as error:
                    pending.set_aside(file)
                    problems.append(f"{error}; set it aside, nothing from it was written")
                    continue
                written += sum(self._put_session(snapshot) for snapshot in snapshots)
                done.append(file)
            self._db.execute("COMMIT")
        except sqlite3.Error as error:
            self._roll_back()
            # Nothing of them was written: their files stay for the next open, and the
            # connection stays usable (a full disk may well have room again for one row).
            full = _unavailable(error, self.path).kind == "full"
            reason = "the disk is full" if full else f"SQLite said: {error}"
            problems.append(
                f"sessions saved from an earlier run could not be written yet ({reason}); "
                "they are kept for the next start"
            )
            return "; ".join(problems)
        except BaseException:
            self._roll_back()
            raise
        for file in done:
            try:
                file.unlink()
            except FileNotFoundError:
                pass
            except OSError as error:
                # Written but not removed: the next open finds every row there already.
                problems.append(f"{file} could not be removed ({error.strerror})")
        if written:
            rows = "1 row" if written == 1 else f"{written} rows"
            problems.insert(
                0,
                f"{rows} saved from an earlier run {'was' if written == 1 else 'were'} "
                "written to the history",
            )
        return "; ".join(problems) or None

    def _roll_back(self) -> None:
        """Undo the open transaction, if SQLite has not already (it does itself after a full
        disk or an I/O error, and then ROLLBACK fails): the first error is the one to tell."""
        try:
            self._db.execute("ROLLBACK")
        except sqlite3.Error as error:
            _log.debug("history: nothing to roll back (%s)", error)

    def _put_session(self, snapshot: pending.SessionSnapshot) -> int:
        """Write one kept session (1), or nothing when the file already says the same (0)."""
        values = (
            snapshot.status,
            snapshot.updated_at,
            snapshot.ended_at,
            snapshot.seconds_done,
            snapshot.position_seconds,
            snapshot.cycles_done,
            snapshot.steps_done,
            snapshot.rating_before,
            snapshot.rating_after,
        )
        found = self._db.execute(
            "SELECT id FROM sessions WHERE started_at = ? AND exercise_id = ? AND pid IS ? "
            "ORDER BY id LIMIT 1",
            (snapshot.started_at, snapshot.exercise_id, snapshot.pid),
        ).fetchone()
        if found is not None:
            cursor = self._db.execute(
                "UPDATE sessions SET status = ?, updated_at = ?, ended_at = ?, seconds_done = ?, "
                "position_seconds = ?, cycles_done = ?, steps_done = ?, rating_before = ?, rating_after = ? "
                "WHERE id = ? AND (status, updated_at, ended_at, seconds_done, position_seconds, "
                "cycles_done, steps_done, rating_before, rating_after) IS NOT (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, found[0], *values),
            )
            return cursor.rowcount
        self._db.execute(
            "INSERT INTO sessions (exercise_id, title, started_at, planned_seconds, area, pid, status, "
            "updated_at, ended_at, seconds_done, position_seconds, cycles_done, steps_done, rating_before, "
            "rating_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                snapshot.exercise_id,
                snapshot.title,
                snapshot.started_at,
                snapshot.planned_seconds,
                snapshot.area,
                snapshot.pid,
                *values,
            ),
        )
        return 1

    @property
    def schema_version(self) -> int:
        """The file's schema version."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _write(self, sql: str, params: Sequence[Any]) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, params)
        except sqlite3.Error as error:
            raise _unavailable(error, self.path) from error

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        try:
            cursor = self._db.execute(sql, params)
            cursor.row_factory = sqlite3.Row
            return list(cursor.fetchall())
        except sqlite3.Error as error:
            raise _unavailable(error, self.path) from error

    def _has_table(self, name: str) -> bool:
        """Does the file have this table (a file read as it is may be of an older schema)?"""
        return bool(self._read("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", (name,)))

    # --- sessions --------------------------------------------------------------------

    def start_session(
        self,
        exercise_id: str,
        title: str,
        planned_seconds: float,
        *,
        area: str | None = None,
        rating_before: int | None = None,
        now: datetime | None = None,
        pid: int | None = None,
    ) -> int:
        """Write the row for a session that starts now; returns its id."""
        stamp = _iso(now or utcnow())
        cursor = self._write(
            "INSERT INTO sessions (exercise_id, title, started_at, updated_at, status, "
            "planned_seconds, area, rating_before, pid) VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?)",
            (
                exercise_id,
                title,
                stamp,
                stamp,
                planned_seconds,
                area,
                rating_before,
                os.getpid() if pid is None else pid,
            ),
        )
        return int(cursor.lastrowid or 0)

    def update_session(
        self,
        session_id: int,
        *,
        seconds: float,
        cycles: int,
        steps: int,
        position: float | None = None,
        now: datetime | None = None,
    ) -> None:
        """Bring a running session's row up to date (at a step boundary).

        ``seconds`` is the time really spent so far, ``position`` how far through the
        timeline it is (the same as ``seconds`` when not given)."""
        self._save_progress(session_id, None, seconds, cycles, steps, position, now)

    def end_session(
        self,
        session_id: int,
        status: str,
        *,
        seconds: float,
        cycles: int,
        steps: int,
        position: float | None = None,
        now: datetime | None = None,
    ) -> None:
        """Complete a session's row as finished or stopped (``seconds`` and ``position``
        as for :meth:`update_session`)."""
        if status not in ("finished", "stopped"):
            raise ValueError(f"a session ends as finished or stopped, not {status!r}")
        self._save_progress(session_id, status, seconds, cycles, steps, position, now)

    def _save_progress(
        self,
        session_id: int,
        ending: str | None,
        seconds: float,
        cycles: int,
        steps: int,
        position: float | None,
        now: datetime | None,
    ) -> None:
        """Write how far a session got, in one statement; with ``ending`` (its status),
        also that it ended at that moment."""
        stamp = _iso(now or utcnow())
        columns = "seconds_done = ?, position_seconds = ?, cycles_done = ?, steps_done = ?, updated_at = ?"
        values: list[Any] = [seconds, seconds if position is None else position, cycles, steps, stamp]
        if ending is not None:
            columns += ", status = ?, ended_at = ?"
            values += [ending, stamp]
        self._write(f"UPDATE sessions SET {columns} WHERE id = ?", (*values, session_id))

    def rate_session(self, session_id: int, *, after: int | None = None, before: int | None = None) -> None:
        """Keep a 0 to 10 tension rating on a session."""
        for value in (after, before):
            if value is not None and not 0 <= value <= 10:
                raise ValueError("a rating is from 0 to 10")
        if after is not None:
            self._write("UPDATE sessions SET rating_after = ? WHERE id = ?", (after, session_id))
        if before is not None:
            self._write("UPDATE sessions SET rating_before = ? WHERE id = ?", (before, session_id))

    def sessions(self, since: date | None = None, limit: int | None = None) -> list[SessionRecord]:
        """Sessions, newest first; a running row whose process is gone reads as interrupted."""
        sql, params = _newest_first("sessions", "started_at", since)
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_session(row) for row in self._read(sql, params)]

    def session(self, session_id: int) -> SessionRecord | None:
        """One session by id."""
        rows = self._read("SELECT * FROM sessions WHERE id = ?", (session_id,))
        return _session(rows[0]) if rows else None

    # --- flares ------------------------------------------------------------------------

    def log_flare(
        self,
        area: str,
        intensity: int,
        triggers: Sequence[str] = (),
        note: str = "",
        *,
        now: datetime | None = None,
    ) -> int:
        """Add a flare to the journal; returns its id."""
        if not 0 <= intensity <= 10:
            raise ValueError("intensity is from 0 to 10")
        if not_text(note) or not_text(area):
            what = "the note" if not_text(note) else "the area"
            raise ValueError(f"{what} holds bytes that are not text (not UTF-8); nothing was logged")
        words = _clean_triggers(triggers)
        if len(note) > MAX_NOTE:
            raise ValueError(f"the note is too long ({len(note)} characters; at most {MAX_NOTE})")
        cursor = self._write(
            "INSERT INTO flares (logged_at, area, intensity, triggers, note) VALUES (?, ?, ?, ?, ?)",
            (_iso(now or utcnow()), area, intensity, json.dumps(words), note.strip()),
        )
        return int(cursor.lastrowid or 0)

    def flares(self, since: date | None = None) -> list[FlareRecord]:
        """Logged flares, newest first."""
        if self.read_only and not self._has_table("flares"):
            return []  # an old file read as it is: no journal yet
        sql, params = _newest_first("flares", "logged_at", since)
        return [_flare(row) for row in self._read(sql, params)]

    # --- nudges ------------------------------------------------------------------------

    def add_nudge(self, via: str, *, now: datetime | None = None) -> int:
        """Note a nudge shown now (by ``via``), not answered yet; returns its id."""
        cursor = self._write(
            "INSERT INTO nudges (shown_at, via) VALUES (?, ?)", (_iso(now or utcnow()), via[:40])
        )
        return int(cursor.lastrowid or 0)

    def answer_nudge(self, nudge_id: int, answer: str, *, now: datetime | None = None) -> None:
        """Keep how a nudge was answered; a nudge already answered keeps its first answer."""
        if answer not in NUDGE_ANSWERS:
            raise ValueError(f"a nudge is answered with one of {', '.join(NUDGE_ANSWERS)}, not {answer!r}")
        self._write(
            "UPDATE nudges SET answer = ?, answered_at = ? WHERE id = ? AND answer IS NULL",
            (answer, _iso(now or utcnow()), nudge_id),
        )

    def nudges(self, since: date | None = None) -> list[NudgeRecord]:
        """Nudges, newest first."""
        sql, params = _newest_first("nudges", "shown_at", since)
        return [_nudge(row) for row in self._read(sql, params)]

    def started_since(self, exercise_id: str, moment: datetime) -> bool:
        """Has a session of ``exercise_id`` started at or after ``moment``?"""
        rows = self._read(
            "SELECT 1 FROM sessions WHERE exercise_id = ? AND started_at >= ? LIMIT 1",
            (exercise_id, _iso(moment)),
        )
        return bool(rows)

    # --- stats ---------------------------------------------------------------------------

    def stats(self, today: date | None = None, days: int = 30) -> Stats:
        """Everything the stats screen shows over the ``days`` days up to ``today``
        (see :mod:`calmcoach.data.history.stats`)."""
        return summarise(self._read, today or datetime.now().astimezone().date(), days)


def _newest_first(table: str, column: str, since: date | None) -> tuple[str, list[Any]]:
    """A query for a table's rows, newest first, from local midnight of ``since`` on."""
    sql = f"SELECT * FROM {table}"
    params: list[Any] = []
    if since is not None:
        sql += f" WHERE {column} >= ?"
        params.append(_iso(datetime.combine(since, datetime.min.time()).astimezone()))
    return sql + f" ORDER BY {column} DESC, id DESC", params


def not_text(value: str) -> bool:
    """Does ``value`` hold a lone surrogate: bytes that were not UTF-8 (on a command line,
    Python keeps each as U+DC80 to U+DCFF), which no text file or terminal can show?"""
    return any("\ud800" <= character <= "\udfff" for character in value)


def _clean_triggers(triggers: Sequence[str]) -> list[str]:
    words: list[str] = []
    for trigger in triggers:
        if not_text(trigger):
            raise ValueError("a trigger holds bytes that are not text (not UTF-8); nothing was logged")
        word = " ".join(trigger.split()).lower()
        if not word:
            continue
        if len(word) > MAX_TRIGGER:
            raise ValueError(f"a trigger is at most {MAX_TRIGGER} characters: {word[:20]}...")
        if word not in words:
            words.append(word)
    if len(words) > MAX_TRIGGERS:
        raise ValueError(f"at most {MAX_TRIGGERS} triggers")
    return words


class _Fields:
    """Reads one row's fields, each as its kind, noting those that cannot be read.

    SQLite keeps whatever a program put in a column (text in a number's place, a blob,
    a date that is not one), and its checks pass: no such row may stop a listing."""

    def __init__(self, row: sqlite3.Row) -> None:
        self._row = row
        self._keys = set(row.keys())
        self.unreadable: list[str] = []

    def _raw(self, name: str) -> Any:
        return self._row[name] if name in self._keys else None

    def _bad(self, name: str) -> None:
        self.unreadable.append(name)

    def text(self, name: str, *, optional: bool = False) -> str | None:
        value = self._raw(name)
        if value is None and optional:
            return None
        text = as_text(value)
        if text is None:
            self._bad(name)
            return None if optional else ""
        return text

    def number(self, name: str, *, optional: bool = False) -> float | None:
        value = self._raw(name)
        if value is None and optional:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        self._bad(name)
        return None if optional else 0.0

    def whole(self, name: str, *, optional: bool = False, top: int | None = None) -> int | None:
        value = self._raw(name)
        if value is None and optional:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and (top is None or 0 <= value <= top):
            return value
        self._bad(name)
        return None if optional else 0

    def moment(self, name: str, *, optional: bool = False) -> datetime | None:
        value = self._raw(name)
        if value is None and optional:
            return None
        try:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            moment.astimezone(UTC).astimezone()  # out of range in some time zone: unreadable
        except (TypeError, ValueError, OverflowError):
            self._bad(name)
            return None
        return moment

    def words(self, name: str) -> tuple[str, ...]:
        words = as_words(self._raw(name))
        if words is None:
            self._bad(name)
            return ()
        return words


def _session(row: sqlite3.Row) -> SessionRecord:
    read = _Fields(row)
    status = read.text("status") or ""
    if status == "running" and not _pid_alive(row["pid"]):
        status = "interrupted"
    return SessionRecord(
        id=row["id"],
        exercise_id=read.text("exercise_id") or "",
        title=read.text("title") or "",
        started_at=read.moment("started_at"),
        updated_at=read.moment("updated_at"),
        ended_at=read.moment("ended_at", optional=True),
        status=status,
        planned_seconds=read.number("planned_seconds") or 0.0,
        seconds_done=read.number("seconds_done") or 0.0,
        cycles_done=read.whole("cycles_done") or 0,
        steps_done=read.whole("steps_done") or 0,
        area=read.text("area", optional=True),
        rating_before=read.whole("rating_before", optional=True, top=10),
        rating_after=read.whole("rating_after", optional=True, top=10),
        position_seconds=read.number("position_seconds", optional=True),
        unreadable=tuple(read.unreadable),
    )


def _nudge(row: sqlite3.Row) -> NudgeRecord:
    read = _Fields(row)
    return NudgeRecord(
        id=row["id"],
        shown_at=read.moment("shown_at"),
        via=read.text("via") or "",
        answer=read.text("answer", optional=True),
        answered_at=read.moment("answered_at", optional=True),
        unreadable=tuple(read.unreadable),
    )


def _flare(row: sqlite3.Row) -> FlareRecord:
    read = _Fields(row)
    return FlareRecord(
        id=row["id"],
        logged_at=read.moment("logged_at"),
        area=read.text("area") or "",
        intensity=read.whole("intensity", top=10) or 0,
        triggers=read.words("triggers"),
        note=read.text("note") or "",
        unreadable=tuple(read.unreadable),
    )


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


SIDE_FILES = ("-wal", "-shm", "-journal")
"""SQLite's own files beside the database."""

_OPENING = threading.Lock()
"""Held while a History is opened in this process (see :data:`_LIVE`); may be held for
as long as a lock held by another program is waited for."""
_COUNTING = threading.Lock()
"""Held only while :data:`_LIVE` is read or changed (never while waiting on SQLite)."""
_LIVE: Counter[str] = Counter()
"""Connections this process has open to each history file (by real path)."""


def _key(path: Path) -> str:
    # realpath reads links, never the file: two spellings of one file share one count.
    return os.path.realpath(path)


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
                f"cannot create {folder} ({error.strerror}); history is off", _os_trouble(error)
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


def _error_name(error: sqlite3.Error) -> str:
    """SQLite's name for the error (``SQLITE_BUSY``, ``SQLITE_FULL``...), or ''."""
    return str(getattr(error, "sqlite_errorname", "") or "")


def _is_busy(error: sqlite3.Error) -> bool:
    name = _error_name(error)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return True
    text = str(error).lower()
    return "locked" in text or "busy" in text


def _is_corruption(error: sqlite3.Error) -> bool:
    if _error_name(error).startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return True
    text = str(error).lower()
    return any(words in text for words in ("not a database", "malformed", "corrupt"))


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


FULL_MARGIN = 64 * 1024
"""Free bytes under which a failed write is put down to a full disk."""


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


def _os_trouble(error: OSError) -> Trouble:
    if error.errno == errno.ENOSPC:
        return "full"
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "read-only"
    return "other"


def _unavailable(error: sqlite3.Error, path: Path) -> HistoryUnavailable:
    """The plain words (and kind) for a SQLite error on the history file."""
    name = _error_name(error)
    text = str(error).lower()
    if _is_busy(error):
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
    if _is_corruption(error):
        return HistoryUnavailable(f"the history file is damaged ({path}); history is off", "damaged")
    return HistoryUnavailable(f"history is off: {error}")


def iter_rows(history: History, since: date | None = None) -> Iterator[dict[str, Any]]:
    """Sessions, flares and nudges together, oldest first, as dicts (for export)."""
    rows = [s.as_dict() for s in history.sessions(since)] + [f.as_dict() for f in history.flares(since)]
    rows += [n.as_dict() for n in history.nudges(since)]
    rows.sort(
        key=lambda r: (
            r.get("started_at") or r.get("logged_at") or r.get("shown_at") or "",
            r["type"],
            r["id"],
        )
    )
    yield from rows
