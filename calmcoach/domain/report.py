"""The figures of the report for the doctor, worked out from history rows.

The guide says what a clinician asks: when the twitching started, how often it comes and
what seems to set it off. This module answers from the rows the person logged, and
nothing more: counts, days, medians. It never judges a cause; the one sign it points at
is the guide's own ("a twitch that lasts longer than a few weeks"), by the rule of
:mod:`calmcoach.domain.lasting` (the app's History screen asks the same), as something
worth getting checked.

Pure: the rows come in as values (``calmcoach.data.history.period`` reads them), no I/O.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from calmcoach.domain.lasting import Stretch, longest_stretch
from calmcoach.domain.model import AREAS


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


@dataclass(frozen=True)
class AreaStretch:
    """One area's longest stretch of flares on most days, over the whole history."""

    area: str
    stretch: Stretch

    @property
    def worth_checking(self) -> bool:
        """More than three weeks: the guide's sign of a twitch that does not let up."""
        return self.stretch.lasting


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


MAX_SERIES = 8
"""Areas the charts tell apart (the palette's colours); past that, the smaller areas are
drawn as one "other areas" series. Only rows another program wrote name so many."""


@dataclass(frozen=True)
class Series:
    """One line or stack of the charts: a body area, or several drawn as one."""

    name: str
    """As people read it (``Eyelid or face``, or ``Other areas (3)``); not yet visible()."""
    areas: tuple[str, ...]
    per_week: tuple[int, ...]
    """Flares per week (each lines up with ``Figures.weeks``)."""
    intensity: tuple[float | None, ...]
    """The median intensity per week (None for a week with no flare here)."""


def _grouped(by_area: Mapping[str, list[FlareEntry]]) -> list[tuple[str, dict[str, list[FlareEntry]]]]:
    """The areas as chart series: each on its own, or past MAX_SERIES the biggest
    MAX_SERIES - 1 on their own (in the order their first flare came) and the rest as one."""
    if len(by_area) <= MAX_SERIES:
        return [(area_name(area), {area: rows}) for area, rows in by_area.items()]
    biggest = sorted(by_area, key=lambda area: -len(by_area[area]))[: MAX_SERIES - 1]
    kept = [(area_name(area), {area: by_area[area]}) for area in by_area if area in biggest]
    rest = {area: rows for area, rows in by_area.items() if area not in biggest}
    return [*kept, (f"Other areas ({len(rest)})", rest)]


@dataclass(frozen=True)
class Figures:
    """Everything the report says, for one period."""

    since: date | None
    until: date | None
    flares: int
    sessions: int
    first_flare: FlareEntry | None
    """The period's first flare."""
    history_first: FlareEntry | None
    """The first flare of the whole history (the same as ``first_flare`` without bounds)."""
    areas: tuple[AreaFigures, ...]
    """In the order their first flare came."""
    stretches: tuple[AreaStretch, ...]
    """Each area's longest stretch over the whole history (a period's edge cuts none):
    the period's areas first, then any other with a stretch worth checking."""
    weeks: tuple[Week, ...]
    """Every week from the first flare's to the last's (those with none included)."""
    series: tuple[Series, ...]
    """What the charts and the weekly table draw: an area each, in the order their first
    flare came, or past MAX_SERIES areas the biggest ones and then the rest together."""
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
    short_sessions: int = 0
    """Sessions stopped before any practice counted: left out of ``exercises``, and said so."""

    @property
    def empty(self) -> bool:
        return not self.flares and not self.sessions

    @property
    def bounded(self) -> bool:
        """A period narrower than the whole history was asked for."""
        return self.since is not None or self.until is not None

    @property
    def worth_checking(self) -> tuple[AreaStretch, ...]:
        return tuple(found for found in self.stretches if found.worth_checking)


def area_name(area: str) -> str:
    """An area as people read it: ``Eyelid or face`` for ``eyelid``, else as written."""
    return AREAS.get(area, area)


def week_of(day: date) -> Week:
    year, number, weekday = day.isocalendar()
    return Week(year, number, day - timedelta(days=weekday - 1))


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def figures(
    flares: Sequence[FlareEntry],
    sessions: Sequence[ExerciseRows],
    *,
    since: date | None = None,
    until: date | None = None,
    undated: int = 0,
    short_sessions: int = 0,
    history_first: FlareEntry | None = None,
    history_days: Mapping[str, Sequence[date]] | None = None,
) -> Figures:
    """The report's figures from the rows of one period (any order). ``history_first``
    and ``history_days`` (each area's flare days) are the whole history's; without them
    the period is taken for the whole history."""
    ordered = sorted(flares, key=lambda flare: flare.moment)
    by_area: dict[str, list[FlareEntry]] = defaultdict(list)
    for flare in ordered:
        by_area[flare.area].append(flare)
    areas = []
    for area, rows in by_area.items():  # in the order of each area's first flare
        areas.append(
            AreaFigures(
                area=area,
                first=rows[0].day,
                last=rows[-1].day,
                flares=len(rows),
                median_intensity=median([flare.intensity for flare in rows]),
            )
        )
    if history_days is None:
        history_days = {area: [flare.day for flare in rows] for area, rows in by_area.items()}
    found_stretches = []
    for area in [*by_area, *(area for area in history_days if area not in by_area)]:
        stretch = longest_stretch(history_days.get(area) or [flare.day for flare in by_area[area]])
        if stretch is not None and (area in by_area or stretch.lasting):
            found_stretches.append(AreaStretch(area, stretch))
    weeks: list[Week] = []
    if ordered:
        monday, end = week_of(ordered[0].day).monday, week_of(ordered[-1].day).monday
        while monday <= end:
            weeks.append(week_of(monday))
            monday += timedelta(days=7)
    index = {week.monday: number for number, week in enumerate(weeks)}
    series = []
    for name, group in _grouped(by_area):
        counts = [0] * len(weeks)
        strengths: list[list[int]] = [[] for _ in weeks]
        for rows in group.values():
            for flare in rows:
                day = flare.day
                slot = index[day - timedelta(days=day.weekday())]  # its Monday
                counts[slot] += 1
                strengths[slot].append(flare.intensity)
        series.append(
            Series(
                name,
                tuple(group),
                tuple(counts),
                tuple(median(values) if values else None for values in strengths),
            )
        )
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
        history_first=history_first or (ordered[0] if ordered else None),
        areas=tuple(areas),
        stretches=tuple(found_stretches),
        weeks=tuple(weeks),
        series=tuple(series),
        triggers=triggers,
        untriggered=sum(1 for flare in ordered if not flare.triggers),
        exercises=_exercises(sessions),
        notes=tuple(flare for flare in ordered if flare.note),
        undated=undated,
        short_sessions=short_sessions,
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
