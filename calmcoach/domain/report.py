"""The figures of the report for the doctor, worked out from history rows.

The guide says what a clinician asks: when the twitching started, how often it comes and
what seems to set it off. This module answers from the rows the person logged, and
nothing more: counts, days, medians. It never judges a cause; the one sign it points at
is the guide's own ("a twitch that lasts longer than a few weeks"), as something worth
getting checked.

Pure: the rows come in as values (``calmcoach.data.history.period`` reads them), no I/O.
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from calmcoach.domain.model import AREAS

LONG_RUN_DAYS = 21
"""Days in a row with a flare in one area past which the guide's sign (a twitch lasting
longer than a few weeks) is named as worth getting checked."""


@dataclass(frozen=True)
class FlareEntry:
    """One logged flare, as the report reads it."""

    moment: datetime
    """When it was logged, in local time."""
    area: str
    intensity: int
    triggers: tuple[str, ...]
    note: str

    @property
    def day(self) -> date:
        return self.moment.date()


@dataclass(frozen=True)
class ExerciseRows:
    """The sessions of one exercise in the period, as the history rows hold them."""

    exercise_id: str
    title: str
    """The title of its latest session (a file may have renamed it)."""
    times: int
    seconds: float
    """The sum of the rows' time really spent (skipped spans are never in it)."""
    changes: tuple[int, ...]
    """After minus before, for each session rated both before and after."""


@dataclass(frozen=True)
class AreaFigures:
    """One body area: when it started, how often, how strong."""

    area: str
    first: date
    last: date
    flares: int
    median_intensity: float
    longest_run: int
    """Most days in a row with at least one flare here."""
    run_start: date
    """The first day of that longest run (the earliest, if several are as long)."""

    @property
    def worth_checking(self) -> bool:
        """The run passes three weeks: the guide's sign of a twitch that does not let up."""
        return self.longest_run > LONG_RUN_DAYS

    @property
    def run_end(self) -> date:
        return self.run_start + timedelta(days=self.longest_run - 1)


@dataclass(frozen=True)
class ExerciseFigures:
    """What one exercise did in the period."""

    exercise_id: str
    title: str
    times: int
    minutes: float
    """Minutes really spent: the sum of the rows' time spent, skips left out."""
    rated: int
    """Sessions with a tension rating both before and after."""
    median_change: float | None
    """Median of (after - before) over those; negative means less tense after."""


@dataclass(frozen=True)
class Week:
    """One ISO week: its year and number, and its Monday."""

    year: int
    number: int
    monday: date

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"


@dataclass(frozen=True)
class Figures:
    """Everything the report says, for one period."""

    since: date | None
    until: date | None
    flares: int
    sessions: int
    first_flare: FlareEntry | None
    last_flare: FlareEntry | None
    areas: tuple[AreaFigures, ...]
    """In the order their first flare came."""
    weeks: tuple[Week, ...]
    """Every week from the first flare's to the last's (those with none included)."""
    per_week: dict[str, tuple[int, ...]]
    """Flares per week, per area (each lines up with ``weeks``)."""
    weekly_intensity: dict[str, tuple[float | None, ...]]
    """The median intensity per week, per area (None for a week with no flare there)."""
    triggers: tuple[tuple[str, int], ...]
    """Each trigger with how many flares named it, most frequent first."""
    untriggered: int
    """Flares that named no trigger."""
    exercises: tuple[ExerciseFigures, ...]
    """Most run first."""
    notes: tuple[FlareEntry, ...]
    """Flares with a note, oldest first."""
    undated: int = 0
    """Rows whose time could not be read: left out of every figure, and said so."""

    @property
    def empty(self) -> bool:
        return not self.flares and not self.sessions

    @property
    def worth_checking(self) -> tuple[AreaFigures, ...]:
        return tuple(area for area in self.areas if area.worth_checking)


def area_name(area: str) -> str:
    """An area as people read it: ``Eyelid or face`` for ``eyelid``, else as written."""
    return AREAS.get(area, area)


def week_of(day: date) -> Week:
    year, number, weekday = day.isocalendar()
    return Week(year, number, day - timedelta(days=weekday - 1))


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def _longest_run(days: Iterable[date]) -> tuple[int, date]:
    """The most days in a row among ``days`` (a non-empty set), and the first of them."""
    ordered = sorted(set(days))
    best, best_start = 1, ordered[0]
    length, start = 1, ordered[0]
    for previous, day in itertools.pairwise(ordered):
        if day - previous == timedelta(days=1):
            length += 1
        else:
            length, start = 1, day
        if length > best:
            best, best_start = length, start
    return best, best_start


def figures(
    flares: Sequence[FlareEntry],
    sessions: Sequence[ExerciseRows],
    *,
    since: date | None = None,
    until: date | None = None,
    undated: int = 0,
) -> Figures:
    """The report's figures from the rows of one period (any order)."""
    ordered = sorted(flares, key=lambda flare: flare.moment)
    by_area: dict[str, list[FlareEntry]] = defaultdict(list)
    for flare in ordered:
        by_area[flare.area].append(flare)
    areas = []
    for area, rows in by_area.items():  # in the order of each area's first flare
        run, run_start = _longest_run(flare.day for flare in rows)
        areas.append(
            AreaFigures(
                area=area,
                first=rows[0].day,
                last=rows[-1].day,
                flares=len(rows),
                median_intensity=median([flare.intensity for flare in rows]),
                longest_run=run,
                run_start=run_start,
            )
        )
    weeks: list[Week] = []
    if ordered:
        monday, end = week_of(ordered[0].day).monday, week_of(ordered[-1].day).monday
        while monday <= end:
            weeks.append(week_of(monday))
            monday += timedelta(days=7)
    index = {week.monday: number for number, week in enumerate(weeks)}
    per_week: dict[str, tuple[int, ...]] = {}
    weekly_intensity: dict[str, tuple[float | None, ...]] = {}
    for area, rows in by_area.items():
        counts = [0] * len(weeks)
        strengths: list[list[int]] = [[] for _ in weeks]
        for flare in rows:
            slot = index[week_of(flare.day).monday]
            counts[slot] += 1
            strengths[slot].append(flare.intensity)
        per_week[area] = tuple(counts)
        weekly_intensity[area] = tuple(median(values) if values else None for values in strengths)
    named: Counter[str] = Counter()
    for flare in ordered:
        named.update(set(flare.triggers))
    triggers = tuple(sorted(named.items(), key=lambda item: (-item[1], item[0])))
    return Figures(
        since=since,
        until=until,
        flares=len(ordered),
        sessions=sum(rows.times for rows in sessions),
        first_flare=ordered[0] if ordered else None,
        last_flare=ordered[-1] if ordered else None,
        areas=tuple(areas),
        weeks=tuple(weeks),
        per_week=per_week,
        weekly_intensity=weekly_intensity,
        triggers=triggers,
        untriggered=sum(1 for flare in ordered if not flare.triggers),
        exercises=_exercises(sessions),
        notes=tuple(flare for flare in ordered if flare.note),
        undated=undated,
    )


def _exercises(sessions: Sequence[ExerciseRows]) -> tuple[ExerciseFigures, ...]:
    found = [
        ExerciseFigures(
            exercise_id=rows.exercise_id,
            title=rows.title or rows.exercise_id,
            times=rows.times,
            minutes=rows.seconds / 60.0,
            rated=len(rows.changes),
            median_change=median(rows.changes) if rows.changes else None,
        )
        for rows in sessions
    ]
    found.sort(key=lambda e: (-e.times, -e.minutes, e.title))
    return tuple(found)
