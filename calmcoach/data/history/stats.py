"""Summaries of the history: what the stats screen shows.

Computed in SQL over the history's tables, so they stay quick however many rows
there are. The queries run through a reader the store hands over
(:meth:`calmcoach.data.history.store.History.stats`), so this module opens nothing itself.

Pure standard library; no UI.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from calmcoach.data.history.reading import as_words, shown_text
from calmcoach.domain.lasting import stretches

Reader = Callable[[str, Sequence[Any]], list[sqlite3.Row]]
"""Runs one query with its parameters and gives its rows (raising HistoryUnavailable)."""

PERSISTENT_DAYS = 28
"""How recently a stretch of flares on most days for more than three weeks
(:mod:`calmcoach.domain.lasting`) must have gone on for the stats screen to point at it."""

PRACTICE_SECONDS = 30
"""A session with at least this much time spent counts as practice (the streak's days,
the report's times); a shorter one was stopped before it began."""

SECONDS = (
    "(CASE WHEN typeof(seconds_done) IN ('integer', 'real') AND seconds_done BETWEEN 0 AND 1e9 "
    "THEN seconds_done ELSE 0 END)"
)
"""A session's time spent, where the file holds a number that can be one (else nothing:
a row another program wrote with text or an absurd figure there adds no time)."""


def _day(value: object) -> date | None:
    """A day SQLite's date() gave, or None (SQLite knows a year 0 that Python does not)."""
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Stats:
    """What the stats screen shows."""

    per_day: list[tuple[date, float]]
    """Minutes practised on each of the last days, oldest first."""
    streak: int
    """Days in a row, up to today (or yesterday), with at least 30 s of practice."""
    sessions: int
    total_minutes: float
    totals: list[tuple[str, int, float]]
    """(title, sessions, minutes) per exercise, most practised first."""
    rated_sessions: int
    average_change: float | None
    """Mean of (after - before) tension rating; negative means calmer."""
    flares_by_area: Counter[str] = field(default_factory=Counter)
    flares_by_trigger: Counter[str] = field(default_factory=Counter)
    persistent_areas: list[str] = field(default_factory=list)
    """Areas with a recent stretch of flares on most days for more than three weeks
    (:mod:`calmcoach.domain.lasting`): worth a check."""
    moves_per_day: list[tuple[date, int]] = field(default_factory=list)
    """Nudges to move taken up ("started") on each day of ``per_day``."""
    nudge_answers: Counter[str] = field(default_factory=Counter)
    """Nudges over the same days, by answer (``unanswered`` for none yet)."""

    @property
    def empty(self) -> bool:
        """Nothing recorded yet."""
        return self.sessions == 0 and not self.flares_by_area and not self.nudge_answers


def summarise(read: Reader, today: date, days: int) -> Stats:
    """The stats over the ``days`` days up to ``today`` (local days), read with ``read``."""
    first = today - timedelta(days=days - 1)
    local = "localtime"
    minutes: dict[date, float] = {}
    for row in read(
        f"SELECT date(started_at, '{local}') AS day, sum({SECONDS}) AS s FROM sessions "
        f"WHERE date(started_at, '{local}') >= ? GROUP BY day",
        (first.isoformat(),),
    ):
        minutes[date.fromisoformat(row["day"])] = row["s"] / 60.0
    per_day = [(first + timedelta(days=i), minutes.get(first + timedelta(days=i), 0.0)) for i in range(days)]
    practiced = {
        _day(r["day"])
        for r in read(
            f"SELECT DISTINCT date(started_at, '{local}') AS day FROM sessions "
            f"WHERE {SECONDS} >= {PRACTICE_SECONDS} AND day IS NOT NULL",
            (),
        )
    }
    streak = 0
    cursor_day = today if today in practiced else today - timedelta(days=1)
    while cursor_day in practiced:
        streak += 1
        cursor_day -= timedelta(days=1)
    totals = [
        (shown_text(row["title"]), int(row["n"]), row["s"] / 60.0)
        for row in read(
            f"SELECT exercise_id, max(title) AS title, count(*) AS n, sum({SECONDS}) AS s "
            "FROM sessions GROUP BY exercise_id ORDER BY s DESC",
            (),
        )
    ]
    rated = read(
        "SELECT count(*) AS n, avg(rating_after - rating_before) AS change FROM sessions "
        "WHERE typeof(rating_before) = 'integer' AND typeof(rating_after) = 'integer'",
        (),
    )[0]
    count_row = read(f"SELECT count(*) AS n, coalesce(sum({SECONDS}), 0) AS s FROM sessions", ())[0]
    by_area: Counter[str] = Counter()
    for row in read("SELECT area, count(*) AS n FROM flares GROUP BY area", ()):
        by_area[shown_text(row["area"])] += int(row["n"])
    by_trigger: Counter[str] = Counter()
    for row in read("SELECT triggers FROM flares WHERE triggers != '[]'", ()):
        by_trigger.update(as_words(row["triggers"]) or ())  # unreadable ones: none
    # The guide's "lasts weeks" sign, by the rule the report for the doctor uses too, over
    # every day logged (a stretch may have begun long before the window); shown while
    # the stretch is recent.
    area_days: dict[str, list[date]] = {}
    for row in read(f"SELECT DISTINCT area, date(logged_at, '{local}') AS day FROM flares", ()):
        day = _day(row["day"])
        if day is not None:
            area_days.setdefault(shown_text(row["area"]), []).append(day)
    recent = today - timedelta(days=PERSISTENT_DAYS)
    persistent = [
        area
        for area, days in area_days.items()
        if any(stretch.lasting and stretch.end >= recent for stretch in stretches(days))
    ]
    moves: dict[date, int] = {}
    answers: Counter[str] = Counter()
    for row in read(
        f"SELECT date(shown_at, '{local}') AS day, answer FROM nudges WHERE date(shown_at, '{local}') >= ?",
        (first.isoformat(),),
    ):
        answers[row["answer"] or "unanswered"] += 1
        if row["answer"] == "started":
            day = date.fromisoformat(row["day"])
            moves[day] = moves.get(day, 0) + 1
    return Stats(
        moves_per_day=[(day, moves.get(day, 0)) for day, _ in per_day],
        nudge_answers=answers,
        per_day=per_day,
        streak=streak,
        sessions=int(count_row["n"]),
        total_minutes=count_row["s"] / 60.0,
        totals=totals,
        rated_sessions=int(rated["n"]),
        average_change=rated["change"],
        flares_by_area=by_area,
        flares_by_trigger=by_trigger,
        persistent_areas=sorted(persistent),
    )
