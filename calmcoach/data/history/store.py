"""The history store: the :class:`History` a caller opens, and the rows it writes and reads.

A session row is written when the session starts, brought up to date at each
step boundary (never per frame), and completed when it ends. A process that is
killed leaves its row at the last boundary: it reads back as "interrupted",
with the seconds it really did. Nothing here crashes a session: every failure
becomes a :class:`~calmcoach.data.history.trouble.HistoryUnavailable` with a plain reason.

Opening the file (its rights, damage, locks, and the rule that only SQLite opens it
once this process has a connection) is :mod:`calmcoach.data.history.opening`'s; the
rows as records are in :mod:`calmcoach.data.history.records`, sessions kept from an
earlier run are written by :mod:`calmcoach.data.history.catch_up`, and the summaries
are in :mod:`calmcoach.data.history.stats`.

Pure standard library (sqlite3); no UI, no audio.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from calmcoach.data.history import catch_up, opening
from calmcoach.data.history.opening import BUSY_TIMEOUT_MS
from calmcoach.data.history.records import (
    FlareRecord,
    NudgeRecord,
    SessionRecord,
    flare_from_row,
    iso,
    nudge_from_row,
    session_from_row,
    utcnow,
)
from calmcoach.data.history.schema import NUDGE_ANSWERS
from calmcoach.data.history.stats import Stats, summarise
from calmcoach.data.history.trouble import unavailable

_log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class OpenResult:
    """An open history, and what happened while opening it (such as a file moved aside)."""

    history: History
    notice: str | None = None


class History:
    """The history database. Open with :meth:`open` (or :meth:`open_read_only` to read
    what there is when nothing can be written); every method may raise HistoryUnavailable.

    A History belongs to the thread that opened it (SQLite's rule for a connection)."""

    def __init__(
        self, path: Path, connection: sqlite3.Connection, *, read_only: bool = False, key: str | None = None
    ) -> None:
        self.path = path
        self._db = connection
        self.read_only = read_only
        """Opened for reading only: any write raises HistoryUnavailable."""
        self._key = key
        """This connection's place in the process's count of open connections
        (:func:`calmcoach.data.history.opening.release`)."""

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
        db, key, notice = opening.connect(path, now or utcnow(), busy_timeout, check)
        history = cls(path, db, key=key)
        try:
            written = catch_up.write_pending(db, path) if write_pending else None
        except BaseException:
            history.close()
            raise
        notices = [text for text in (notice, written) if text]
        if notices:
            _log.info("history: %s", "; ".join(notices))
        return OpenResult(history, "; ".join(notices) or None)

    @classmethod
    def open_read_only(cls, path: Path, *, busy_timeout: float = BUSY_TIMEOUT_MS / 1000) -> History:
        """Open an existing history to read it, writing nothing at all.

        For when :meth:`open` cannot write (a read-only folder or file, a full disk).
        A file in WAL mode needs SQLite's ``-shm`` side file; when that cannot be made
        or grown, the file is read as immutable (nothing else can be writing to it
        either), and then only what reached the main file is seen: writes a killed
        run left in the ``-wal`` file are not. An older schema is read as it is.
        """
        db, key = opening.connect_read_only(path, busy_timeout)
        return cls(path, db, read_only=True, key=key)

    def close(self) -> None:
        """Close the connection (a second close does nothing)."""
        self._db.close()
        key, self._key = self._key, None
        if key is not None:
            opening.release(key)

    def _write(self, sql: str, params: Sequence[Any]) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, params)
        except sqlite3.Error as error:
            raise unavailable(error, self.path) from error

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        try:
            cursor = self._db.execute(sql, params)
            cursor.row_factory = sqlite3.Row
            return list(cursor.fetchall())
        except sqlite3.Error as error:
            raise unavailable(error, self.path) from error

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
        start_pace: float | None = None,
    ) -> int:
        """Write the row for a session that starts now; returns its id. ``start_pace``:
        the breath measured from taps before a tapped start, in seconds."""
        stamp = iso(now or utcnow())
        cursor = self._write(
            "INSERT INTO sessions (exercise_id, title, started_at, updated_at, status, "
            "planned_seconds, area, rating_before, pid, start_pace) "
            "VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?)",
            (
                exercise_id,
                title,
                stamp,
                stamp,
                planned_seconds,
                area,
                rating_before,
                os.getpid() if pid is None else pid,
                start_pace,
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
        stamp = iso(now or utcnow())
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

    def sessions(self, since: date | None = None) -> list[SessionRecord]:
        """Sessions, newest first; a running row whose process is gone reads as interrupted."""
        sql, params = _newest_first("sessions", "started_at", since)
        return [session_from_row(row) for row in self._read(sql, params)]

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
            (iso(now or utcnow()), area, intensity, json.dumps(words), note.strip()),
        )
        return int(cursor.lastrowid or 0)

    def flares(self, since: date | None = None) -> list[FlareRecord]:
        """Logged flares, newest first."""
        if self.read_only and not self._has_table("flares"):
            return []  # an old file read as it is: no journal yet
        sql, params = _newest_first("flares", "logged_at", since)
        return [flare_from_row(row) for row in self._read(sql, params)]

    # --- nudges ------------------------------------------------------------------------

    def add_nudge(self, via: str, *, now: datetime | None = None) -> int:
        """Note a nudge shown now (by ``via``), not answered yet; returns its id."""
        cursor = self._write(
            "INSERT INTO nudges (shown_at, via) VALUES (?, ?)", (iso(now or utcnow()), via[:40])
        )
        return int(cursor.lastrowid or 0)

    def answer_nudge(self, nudge_id: int, answer: str, *, now: datetime | None = None) -> None:
        """Keep how a nudge was answered; a nudge already answered keeps its first answer."""
        if answer not in NUDGE_ANSWERS:
            raise ValueError(f"a nudge is answered with one of {', '.join(NUDGE_ANSWERS)}, not {answer!r}")
        self._write(
            "UPDATE nudges SET answer = ?, answered_at = ? WHERE id = ? AND answer IS NULL",
            (answer, iso(now or utcnow()), nudge_id),
        )

    def nudges(self, since: date | None = None) -> list[NudgeRecord]:
        """Nudges, newest first."""
        sql, params = _newest_first("nudges", "shown_at", since)
        return [nudge_from_row(row) for row in self._read(sql, params)]

    def started_since(self, exercise_id: str, moment: datetime) -> bool:
        """Has a session of ``exercise_id`` started at or after ``moment``?"""
        rows = self._read(
            "SELECT 1 FROM sessions WHERE exercise_id = ? AND started_at >= ? LIMIT 1",
            (exercise_id, iso(moment)),
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
        params.append(iso(datetime.combine(since, datetime.min.time()).astimezone()))
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
