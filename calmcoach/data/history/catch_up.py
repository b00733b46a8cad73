"""Writing the sessions an earlier run kept for later into the history, when it is opened.

The files themselves (where they are, what they hold, setting aside one that cannot be
read) are :mod:`calmcoach.data.history.pending`'s; this module puts their rows in the
database, through a connection the store hands over.

Pure standard library (sqlite3).
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from calmcoach.data.history import pending
from calmcoach.data.history.trouble import is_busy, unavailable

_log = logging.getLogger(__name__)


def write_pending(db: sqlite3.Connection, path: Path) -> str | None:
    """Write the sessions an earlier run could not (see :mod:`calmcoach.data.history.pending`),
    in one transaction, and remove their files; what happened, in words, or None.

    A session already in the file (the same start, exercise and process) is brought up
    to date rather than added twice, so two programs starting at once, or a write that
    went through just as calmcoach gave up on it, count each row once. A lock held by
    another program leaves the files for the next open; so does a write that fails (a
    full disk), which the words say, while the history stays open for what comes next."""
    files = pending.waiting(path)
    if not files:
        return None
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as error:
        if is_busy(error):
            return None  # another program is writing: the next open writes them
        raise unavailable(error, path) from error
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
            written += sum(_put_session(db, snapshot) for snapshot in snapshots)
            done.append(file)
        db.execute("COMMIT")
    except sqlite3.Error as error:
        _roll_back(db)
        # Nothing of them was written: their files stay for the next open, and the
        # connection stays usable (a full disk may well have room again for one row).
        full = unavailable(error, path).kind == "full"
        reason = "the disk is full" if full else f"SQLite said: {error}"
        problems.append(
            f"sessions saved from an earlier run could not be written yet ({reason}); "
            "they are kept for the next start"
        )
        return "; ".join(problems)
    except BaseException:
        _roll_back(db)
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
            f"{rows} saved from an earlier run {'was' if written == 1 else 'were'} written to the history",
        )
    return "; ".join(problems) or None


def _roll_back(db: sqlite3.Connection) -> None:
    """Undo the open transaction, if SQLite has not already (it does itself after a full
    disk or an I/O error, and then ROLLBACK fails): the first error is the one to tell."""
    try:
        db.execute("ROLLBACK")
    except sqlite3.Error as error:
        _log.debug("history: nothing to roll back (%s)", error)


def _put_session(db: sqlite3.Connection, snapshot: pending.SessionSnapshot) -> int:
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
    found = db.execute(
        "SELECT id FROM sessions WHERE started_at = ? AND exercise_id = ? AND pid IS ? ORDER BY id LIMIT 1",
        (snapshot.started_at, snapshot.exercise_id, snapshot.pid),
    ).fetchone()
    if found is not None:
        cursor = db.execute(
            "UPDATE sessions SET status = ?, updated_at = ?, ended_at = ?, seconds_done = ?, "
            "position_seconds = ?, cycles_done = ?, steps_done = ?, rating_before = ?, rating_after = ? "
            "WHERE id = ? AND (status, updated_at, ended_at, seconds_done, position_seconds, "
            "cycles_done, steps_done, rating_before, rating_after) IS NOT (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*values, found[0], *values),
        )
        return cursor.rowcount
    db.execute(
        "INSERT INTO sessions (exercise_id, title, started_at, planned_seconds, area, pid, start_pace, "
        "status, updated_at, ended_at, seconds_done, position_seconds, cycles_done, steps_done, "
        "rating_before, rating_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            snapshot.exercise_id,
            snapshot.title,
            snapshot.started_at,
            snapshot.planned_seconds,
            snapshot.area,
            snapshot.pid,
            snapshot.start_pace,
            *values,
        ),
    )
    return 1
