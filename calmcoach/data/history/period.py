"""The history's flares and sessions over a period of days, for the report for the doctor.

The file is opened as ``calmcoach history`` opens it (:meth:`History.open`, which checks
it, keeps damage aside and brings the schema up to date; or, when nothing can be
written, :meth:`History.open_read_only`), and a history that is not there yet is an
empty one: nothing is made. While that connection is open, the rows are read through a
second, read-only SQLite connection of this module's, in one read transaction: the
store's listings build a record per row, which for 100,000 sessions takes seconds,
where these few columns take a fraction of one. That connection is made as
:meth:`History.open_read_only` makes one (read as immutable only when SQLite cannot make
its -shm file; a busy file is an error, never a read that leaves out the -wal file's
rows). Only SQLite opens the file here.

Besides the period's rows, each area's flare days and the first flare are read over the
whole history: the "lasts weeks" sign is worked out over everything logged, so a period's
edge never cuts a stretch short.

Values are read as the store reads them: a time, number or list of triggers another
program damaged counts as nothing (a row whose time cannot be read is counted and left
out of the figures, and the report says how many). Sessions shorter than
PRACTICE_SECONDS (the practice streak's threshold) are counted apart, not as times.

Pure standard library (sqlite3).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from calmcoach.data.history.opening import BUSY_TIMEOUT_MS, connect_read_only, release
from calmcoach.data.history.reading import as_text, as_whole, as_words
from calmcoach.data.history.stats import PRACTICE_SECONDS, SECONDS
from calmcoach.data.history.store import History
from calmcoach.data.history.trouble import HistoryUnavailable
from calmcoach.domain.report import ExerciseRows, FlareEntry

_log = logging.getLogger(__name__)

RATING = "(CASE WHEN typeof({0}) = 'integer' AND {0} BETWEEN 0 AND 10 THEN {0} END)"
"""A tension rating where the file holds one (else nothing)."""


@dataclass(frozen=True)
class PeriodRows:
    """The rows of one period, and what reading them had to say."""

    flares: list[FlareEntry]
    sessions: list[ExerciseRows]
    """Per exercise: its sessions' count, time spent and changes in tension."""
    undated: int = 0
    """Rows whose time could not be read (kept in the file, left out of the figures)."""
    notice: str | None = None
    """Something to tell once (a damaged file kept aside, a history read as it is)."""
    short_sessions: int = 0
    """Sessions of the period stopped before PRACTICE_SECONDS: left out of ``sessions``."""
    history_first: FlareEntry | None = None
    """The first flare of the whole history, whatever the period."""
    history_days: dict[str, tuple[date, ...]] = field(default_factory=dict)
    """The days with a flare in each area over the whole history (for the "lasts weeks"
    sign, which a period's edge must not cut)."""


def _bounds(column: str, since: date | None, until: date | None) -> tuple[str, list[Any]]:
    """A WHERE clause for local days from ``since`` to ``until`` (both included)."""
    day = f"date({column}, 'localtime')"
    # Without bounds, no local day is needed: working one out per row is most of the time
    # a query over 100,000 sessions takes.
    clauses, params = [f"{day if since or until else f'date({column})'} IS NOT NULL"], []
    if since is not None:
        clauses.append(f"{day} >= ?")
        params.append(since.isoformat())
    if until is not None:
        clauses.append(f"{day} <= ?")
        params.append(until.isoformat())
    return " AND ".join(clauses), params


def _flare(moment: str, area: object, intensity: object, triggers: object, note: object) -> FlareEntry | None:
    """One flare row, or None when its time cannot be read (SQLite knows a year 0 that
    Python does not)."""
    try:
        when = datetime.fromisoformat(moment)
    except (TypeError, ValueError):
        return None
    return FlareEntry(
        when, as_text(area) or "", as_whole(intensity, 10) or 0, as_words(triggers) or (), as_text(note) or ""
    )


def _whole_history(db: sqlite3.Connection) -> tuple[FlareEntry | None, dict[str, tuple[date, ...]]]:
    """The first flare of the whole history, and each area's days with a flare."""
    everything, _ = _bounds("logged_at", None, None)
    first = None
    for row in db.execute(
        "SELECT datetime(logged_at, 'localtime'), area, intensity, triggers, note FROM flares "
        f"WHERE {everything} ORDER BY logged_at, id"
    ):
        first = _flare(*row)
        if first is not None:
            break
    days: dict[str, list[date]] = {}
    for area, day in db.execute(
        f"SELECT DISTINCT area, date(logged_at, 'localtime') FROM flares WHERE {everything}"
    ):
        try:
            days.setdefault(as_text(area) or "", []).append(date.fromisoformat(day))
        except (TypeError, ValueError):
            continue
    return first, {area: tuple(sorted(found)) for area, found in days.items()}


def _rows(db: sqlite3.Connection, since: date | None, until: date | None) -> PeriodRows:
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    flares: list[FlareEntry] = []
    sessions: list[ExerciseRows] = []
    undated = short = 0
    history_first: FlareEntry | None = None
    history_days: dict[str, tuple[date, ...]] = {}
    if "flares" in tables:  # an old file read as it is may have no journal yet
        where, params = _bounds("logged_at", since, until)
        query = (
            "SELECT datetime(logged_at, 'localtime'), area, intensity, triggers, note FROM flares "
            f"WHERE {where} ORDER BY logged_at, id"
        )
        for row in db.execute(query, params):
            flare = _flare(*row)
            if flare is None:
                undated += 1
            else:
                flares.append(flare)
        if since is None and until is None:  # the period is the whole history
            history_first = flares[0] if flares else None
            found: dict[str, set[date]] = {}
            for flare in flares:
                found.setdefault(flare.area, set()).add(flare.day)
            history_days = {area: tuple(sorted(days)) for area, days in found.items()}
        else:
            history_first, history_days = _whole_history(db)
        undated += db.execute("SELECT count(*) FROM flares WHERE date(logged_at) IS NULL").fetchone()[0]
    if "sessions" in tables:
        where, params = _bounds("started_at", since, until)
        columns = {row[1] for row in db.execute("PRAGMA table_info(sessions)")}
        rated = "rating_before" in columns  # a schema 1 file read as it is has no ratings
        before = RATING.format("rating_before") if rated else "NULL"
        after = RATING.format("rating_after") if rated else "NULL"
        # Summed in SQL, one row per exercise: 100,000 sessions read one by one took a
        # second. The title is that of the latest session (SQLite takes a bare column from
        # the row max() picked); the changes come as one list of numbers per exercise.
        # Sessions shorter than PRACTICE_SECONDS are counted apart, in the same pass.
        # Each session's time spent worked out once, in the inner query ("LIMIT -1" keeps
        # SQLite from folding it into the outer one, which would work it out four times).
        counts = f"s >= {PRACTICE_SECONDS}"
        query = (
            f"SELECT exercise_id, title, max(started_at), total({counts}), "
            f"total(CASE WHEN {counts} THEN s END), group_concat(CASE WHEN {counts} THEN change END), "
            f"total(NOT ({counts})) FROM (SELECT exercise_id, title, started_at, {SECONDS} AS s, "
            f"{after} - {before} AS change FROM sessions WHERE {where} LIMIT -1) GROUP BY exercise_id"
        )
        for exercise_id, title, _, times, seconds, changes, shorter in db.execute(query, params):
            short += int(shorter)
            if not times:
                continue
            sessions.append(
                ExerciseRows(
                    as_text(exercise_id) or "",
                    as_text(title) or "",
                    int(times),
                    float(seconds),
                    tuple(map(int, changes.split(","))) if changes else (),
                )
            )
        undated += db.execute("SELECT count(*) FROM sessions WHERE date(started_at) IS NULL").fetchone()[0]
    return PeriodRows(
        flares,
        sessions,
        undated,
        short_sessions=short,
        history_first=history_first,
        history_days=history_days,
    )


def _read_beside(path: Path, since: date | None, until: date | None) -> PeriodRows:
    """The rows, through a read-only connection beside the History that is open (as
    :meth:`History.open_read_only` connects: read as immutable only when SQLite cannot
    make its -shm file, never because the file is busy)."""
    db, key = connect_read_only(path, BUSY_TIMEOUT_MS / 1000)
    try:
        db.execute("BEGIN")  # one state of the file for every query
        return _rows(db, since, until)
    except sqlite3.Error as error:
        raise HistoryUnavailable(f"the history could not be read ({error})") from error
    finally:
        db.close()
        release(key)


def _open(path: Path) -> tuple[History, str | None]:
    try:
        opened = History.open(path, write_pending=False)
    except HistoryUnavailable as error:
        if error.kind in ("busy", "newer", "not-a-file", "damaged"):
            raise
        try:
            history = History.open_read_only(path)
        except HistoryUnavailable as second:
            text = f"{error} ({second})" if str(second) != str(error) else str(error)
            raise HistoryUnavailable(text, second.kind) from second
        return (
            history,
            f"{str(error).removesuffix('; history is off')}; the report shows the history as it is",
        )
    return opened.history, opened.notice


def read_period(path: Path, since: date | None = None, until: date | None = None) -> PeriodRows:
    """The flares and sessions of the history at ``path`` from ``since`` to ``until``
    (local days, both included; None: no bound), opening and closing it.

    Raises HistoryUnavailable (one plain sentence) when it cannot be read at all."""
    if not os.path.lexists(path):
        return PeriodRows([], [])
    if path.is_symlink() and not path.exists():
        # Opening would make the file the link points at; a report only reads.
        raise HistoryUnavailable(
            f"the history file {path} is a link to {os.readlink(path)}, which does not exist", "not-a-file"
        )
    history, notice = _open(path)
    try:
        rows = _read_beside(path, since, until)
    finally:
        history.close()
    if notice:
        _log.info("report: %s", notice)
    return replace(rows, notice=notice)
