"""Turn an exercise and its options into an exact timeline of segments.

Offsets are seconds from the start of the session, counting only timed
segments: an untimed prompt is a zero-length segment at which the session holds
until the person goes on. Pure arithmetic; no clock, no I/O.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

from calmcoach.domain.model import AREAS, Exercise, Kind, Pace, Reminder, Step

MAX_SEGMENTS = 20_000
"""The most phases and steps one session may have. Two hours of the shortest phase the
loader accepts (half a second) is 14 400; anything longer is refused before it is built."""


class PlanError(ValueError):
    """The options do not fit the exercise (minutes out of range, unknown area...)."""


@dataclass(frozen=True)
class PlanOptions:
    """Choices a person makes when starting an exercise."""

    minutes: float | None = None
    area: str | None = None
    """Body area for routines with variants, passed on to a program's parts."""


@dataclass(frozen=True)
class Segment:
    """One step or phase, placed on the session's timeline."""

    index: int
    start: float
    end: float
    pace: Pace
    say: str
    title: str
    cue: str | None
    waits: bool
    """An untimed prompt: the session holds here until the person goes on."""
    exercise_id: str
    exercise_title: str
    part: int
    """Which part of a program this belongs to (0 for a single exercise)."""
    cycle: int | None = None
    """1-based breathing cycle number, for breathing phases."""
    cycles: int | None = None
    """How many cycles the breathing part this phase is in has."""
    level_from: float = 0.0
    """How full the lungs are at the start, from 0 to 1 (drives the pacer)."""
    level_to: float = 0.0

    @property
    def duration(self) -> float:
        """Seconds this segment lasts (0 for an untimed prompt)."""
        return self.end - self.start


@dataclass(frozen=True)
class TimedReminder:
    """A step's spoken reminder, placed on the session's timeline."""

    segment: int
    """Index of the segment (step) it belongs to."""
    at: float
    """Offset from the start of the session, like a segment's ``start``."""
    say: str


@dataclass(frozen=True)
class PartPlan:
    """Where one exercise of a program sits on the timeline."""

    exercise_id: str
    title: str
    kind: Kind
    first: int
    last: int
    start: float
    end: float
    cycles: int | None
    breaths_per_minute: float | None
    """Once any ramp is over."""
    area: str | None
    ramp_cycles: int = 0
    """The first cycles, whose phases change length (0: none do)."""


@dataclass(frozen=True)
class Timeline:
    """The whole planned session."""

    exercise_id: str
    title: str
    segments: tuple[Segment, ...]
    parts: tuple[PartPlan, ...]
    area: str | None = None
    reminders: tuple[TimedReminder, ...] = ()
    """Every step's spoken reminders, in time order."""
    start_pace: float | None = None
    """Seconds per breath measured from the person's taps before a tapped start (None:
    not measured, or the default was used); the history keeps it."""

    @property
    def total(self) -> float:
        """Timed length in seconds (untimed prompts add nothing)."""
        return self.segments[-1].end if self.segments else 0.0

    @property
    def cycles(self) -> int:
        """Breathing cycles in the whole session."""
        return sum(p.cycles or 0 for p in self.parts)

    @cached_property
    def _starts(self) -> list[float]:
        return [s.start for s in self.segments]

    def index_at(self, position: float) -> int:
        """Index of the last segment that has started at ``position``.

        At an offset shared by a zero-length prompt and the step after it, this is
        the later one; the session caps it at the first prompt still waiting.
        """
        return max(0, bisect_right(self._starts, position) - 1)

    def level_at(self, position: float, index: int | None = None) -> float:
        """How full the lungs should be at ``position``, from 0 to 1, eased."""
        if not self.segments:
            return 0.0
        segment = self.segments[self.index_at(position) if index is None else index]
        if segment.duration <= 0:
            return segment.level_to
        fraction = min(1.0, max(0.0, (position - segment.start) / segment.duration))
        eased = (1.0 - math.cos(math.pi * fraction)) / 2.0
        return segment.level_from + (segment.level_to - segment.level_from) * eased


def ramp_length(start: float, end: float, cycles: int, cycle: int) -> float:
    """A ramped phase's length in breathing cycle ``cycle`` (from 1): ``start`` in the
    first, ``end`` from cycle ``cycles`` on, evenly between. Monotone in ``cycle``."""
    if cycle >= cycles:
        return end
    if cycle <= 1:
        return start
    return start + (end - start) * (cycle - 1) / (cycles - 1)


LEFT_OUT_UNDER = 1.0
"""A hold ramping from 0 (a measured pace too quick for one) is left out of each cycle of
the ramp where it would last less than this: too short to follow, and never shorter than
the smallest phase a file may have."""


def phase_lengths(exercise: Exercise, cycle: int) -> tuple[float, ...]:
    """Each phase's length in breathing cycle ``cycle`` (from 1) of ``exercise``; 0 for a
    phase left out of that cycle (see :data:`LEFT_OUT_UNDER`)."""
    ramp = exercise.ramp_cycles or 0
    return tuple(
        p.seconds if p.ramp_from is None or ramp < 2 else _ramped_length(p.ramp_from, p.seconds, ramp, cycle)
        for p in exercise.phases
    )


def _ramped_length(start: float, end: float, cycles: int, cycle: int) -> float:
    length = ramp_length(start, end, cycles, cycle)
    if start == 0 and cycle < cycles and length < LEFT_OUT_UNDER:
        return 0.0
    return length


def _left_out(exercise: Exercise) -> list[tuple[int, float]]:
    """Per ramp cycle (from 1), how many phases are left out of it and the seconds they
    would have lasted; empty when no phase ramps from 0."""
    ramp = exercise.ramp_cycles or 0
    starts = [p for p in exercise.phases if p.ramp_from == 0]
    if not starts or not _ramps(exercise):
        return []
    out = []
    for cycle in range(1, ramp + 1):
        lengths = [ramp_length(0.0, p.seconds, ramp, cycle) for p in starts]
        dropped = [x for x in lengths if cycle < ramp and x < LEFT_OUT_UNDER]
        out.append((len(dropped), sum(dropped)))
    return out


def _ramp_totals(exercise: Exercise) -> list[float]:
    """The length of the ramp's first 1, 2, ... ``ramp_cycles`` cycles (empty: no ramp).

    A cycle's length is a sum of phases that each change evenly, so it changes evenly
    too: worked out from its first and last, not phase by phase (a hostile file's
    thousands of phases times a thousand cycles would take seconds)."""
    if not _ramps(exercise):
        return []
    ramp = exercise.ramp_cycles or 0
    first = sum(p.seconds if p.ramp_from is None else p.ramp_from for p in exercise.phases)
    last = exercise.cycle_seconds
    left_out = _left_out(exercise)
    totals: list[float] = []
    total = 0.0
    for cycle in range(1, ramp + 1):
        total += ramp_length(first, last, ramp, cycle) - (left_out[cycle - 1][1] if left_out else 0.0)
        totals.append(total)
    return totals


def breathing_seconds(exercise: Exercise, cycles: int) -> float:
    """How long ``cycles`` breathing cycles of ``exercise`` last, its ramp included."""
    totals = _ramp_totals(exercise)
    if cycles <= len(totals):
        return totals[cycles - 1] if cycles > 0 else 0.0
    done = totals[-1] if totals else 0.0
    return done + (cycles - len(totals)) * exercise.cycle_seconds


def cycles_for(exercise: Exercise, minutes: float) -> int:
    """Whole cycles that best fill ``minutes`` (at least one), the ramp's cycles counted
    at their own lengths."""
    target = minutes * 60.0
    totals = _ramp_totals(exercise)
    if not totals or target > totals[-1]:
        done = totals[-1] if totals else 0.0
        return max(1, len(totals) + math.floor((target - done) / exercise.cycle_seconds + 0.5))
    # Inside the ramp: the nearest whole cycle, a tie going to the longer (as above).
    best = 1
    for cycles, total in enumerate(totals, start=1):
        if abs(total - target) <= abs(totals[best - 1] - target):
            best = cycles
    return best


def ramped(
    exercise: Exercise, starts: Sequence[float], cycles: int, ends: Sequence[float] | None = None
) -> Exercise:
    """``exercise`` with each phase ramped from ``starts`` to ``ends`` (default: the
    phases' own lengths) over its first ``cycles`` cycles: for a pace known only when a
    session starts (a measured breath). Plan it as any exercise; raises PlanError for
    lengths that are not positive and finite, or a count that does not fit the phases.

    A hold may start at 0: it is left out of the cycles where it would be shorter than
    :data:`LEFT_OUT_UNDER` and comes in as it grows."""
    finals = tuple(p.seconds for p in exercise.phases) if ends is None else tuple(ends)
    firsts = tuple(starts)
    if exercise.kind is not Kind.BREATHING:
        raise PlanError(f"{exercise.title} is not a breathing exercise")
    if not len(firsts) == len(finals) == len(exercise.phases):
        raise PlanError(f"{exercise.title} has {len(exercise.phases)} phases; give a length for each")
    if any(not math.isfinite(x) or x <= 0 for x in finals) or any(
        not math.isfinite(x) or x < 0 for x in firsts
    ):
        raise PlanError("a phase's length must be a positive number of seconds")
    if any(x == 0 and p.pace is not Pace.HOLD for x, p in zip(firsts, exercise.phases, strict=True)):
        raise PlanError("only a hold may start left out (0 seconds)")
    if not any(x > 0 for x in firsts):
        raise PlanError("a cycle needs a phase longer than 0 seconds")
    if cycles < 2:
        raise PlanError("a ramp takes at least 2 cycles")
    phases = tuple(
        replace(p, seconds=end, ramp_from=start)
        for p, start, end in zip(exercise.phases, firsts, finals, strict=True)
    )
    return replace(exercise, phases=phases, ramp_cycles=cycles)


def _check_minutes(exercise: Exercise, minutes: float) -> None:
    if not math.isfinite(minutes) or minutes <= 0:
        raise PlanError(f"minutes must be a positive number, not {minutes}")
    bounds = exercise.minutes
    if bounds is not None and not bounds.min <= minutes <= bounds.max:
        raise PlanError(f"{exercise.title} runs {bounds.min:g} to {bounds.max:g} minutes, not {minutes:g}")


def _levels(
    paces: list[Pace], durations: list[float], cycles: list[int | None] | None = None
) -> list[tuple[float, float]]:
    """Lung level at each segment's start and end, from 0 to 1: inhales fill, exhales empty.

    Consecutive inhales (a double inhale, say) share the climb in proportion to their
    length; consecutive exhales share the descent the same way. With ``cycles`` (each
    segment's breathing cycle, None outside one) a run never reaches past its cycle, and
    each cycle's first inhale or exhale moves: if the level is already where it goes (a
    pattern of inhales only), it starts again from the other end, so every cycle shows
    its own climb instead of one climb over the whole session.
    """
    cycle_of = cycles if cycles is not None else [None] * len(paces)
    out: list[tuple[float, float]] = []
    level = 0.0
    moved: set[int] = set()
    """Cycles whose first inhale or exhale has been placed."""
    i = 0
    while i < len(paces):
        pace, cycle = paces[i], cycle_of[i]
        if pace not in (Pace.INHALE, Pace.EXHALE):
            out.append((level, level))
            i += 1
            continue
        j = i
        while j < len(paces) and paces[j] is pace and cycle_of[j] == cycle:
            j += 1
        target = 1.0 if pace is Pace.INHALE else 0.0
        if cycle is not None and cycle not in moved:
            moved.add(cycle)
            if level == target:
                level = 1.0 - target
        run = sum(durations[i:j])
        start, done = level, 0.0
        for k in range(i, j):
            done += durations[k]
            if k == j - 1 or run <= 0:
                end = target  # exactly: sum() may round the run differently from ``done``
            else:
                end = min(1.0, max(0.0, start + (target - start) * done / run))
            out.append((level, end))
            level = end
        i = j
    return out


def _ramps(exercise: Exercise) -> bool:
    """True when some phase of ``exercise`` changes length over its first cycles."""
    return (exercise.ramp_cycles or 0) >= 2 and any(p.ramp_from is not None for p in exercise.phases)


def _lengths(exercise: Exercise, cycle: int) -> tuple[float, ...]:
    # Past the ramp every cycle is the same: skip the interpolation.
    if not _ramps(exercise) or cycle >= (exercise.ramp_cycles or 0):
        return tuple(p.seconds for p in exercise.phases)
    return phase_lengths(exercise, cycle)


@dataclass
class _Draft:
    pace: Pace
    seconds: float
    say: str
    title: str
    cue: str | None
    waits: bool
    cycle: int | None = None
    remind: tuple[Reminder, ...] = ()


def _cycles(exercise: Exercise, options: PlanOptions) -> int:
    """How many cycles a breathing exercise runs with these options."""
    cycles = _planned_cycles(exercise, options)
    ramp = exercise.ramp_cycles or 0
    if cycles < ramp:  # a session that ends mid-ramp never reaches the pace it is for
        minutes = f"{options.minutes:g} minutes" if options.minutes is not None else "this session"
        raise PlanError(
            f"{exercise.title} changes its pace over its first {ramp} breaths; {minutes} holds only {cycles}"
        )
    return cycles


def _planned_cycles(exercise: Exercise, options: PlanOptions) -> int:
    if options.minutes is not None:
        _check_minutes(exercise, options.minutes)
        return cycles_for(exercise, options.minutes)
    if exercise.cycles is not None:
        return exercise.cycles
    if exercise.minutes is not None:
        return cycles_for(exercise, exercise.minutes.default)
    return 1  # pragma: no cover - the loader requires one of them


def _routine_steps(exercise: Exercise, options: PlanOptions) -> tuple[list[Step], str | None]:
    """The steps a routine runs with these options, and the body area they are for."""
    area = None
    steps = list(exercise.steps)
    if exercise.variants:
        area = options.area
        if area is None:
            area = "general" if exercise.variant("general") else exercise.variants[0].area
        variant = exercise.variant(area)
        if variant is None:
            known = ", ".join(exercise.areas)
            raise PlanError(f"{exercise.title} has no '{area}' area (choose from: {known})")
        steps += variant.steps
    elif options.area is not None and options.area not in AREAS:
        raise PlanError(f"unknown body area '{options.area}'")
    return steps, area


def _count(exercise: Exercise, options: PlanOptions) -> int:
    """How many segments one exercise (not a program) gives, found without building them."""
    if exercise.kind is Kind.BREATHING:
        cycles = _cycles(exercise, options)
        left_out = _left_out(exercise)
        return cycles * len(exercise.phases) - sum(n for n, _seconds in left_out[:cycles])
    if exercise.kind is Kind.ROUTINE:
        return len(_routine_steps(exercise, options)[0])
    raise PlanError("a program is planned part by part")  # pragma: no cover


def _drafts(exercise: Exercise, options: PlanOptions) -> tuple[list[_Draft], int | None, str | None]:
    if exercise.kind is Kind.BREATHING:
        cycles = _cycles(exercise, options)
        drafts = [
            _Draft(p.pace, seconds, p.say, p.pace.value.capitalize(), p.cue, False, n)
            for n in range(1, cycles + 1)
            for p, seconds in zip(exercise.phases, _lengths(exercise, n), strict=True)
            if seconds > 0  # a hold left out of this cycle of the ramp
        ]
        return drafts, cycles, None
    if exercise.kind is Kind.ROUTINE:
        steps, area = _routine_steps(exercise, options)
        drafts = [
            _Draft(s.pace, s.seconds or 0.0, s.say, s.title, s.cue, s.waits, remind=s.remind) for s in steps
        ]
        return drafts, None, area
    raise PlanError("a program is planned part by part")  # pragma: no cover


def _jobs(
    exercise: Exercise, options: PlanOptions, library: Mapping[str, Exercise] | None
) -> list[tuple[Exercise, PlanOptions]]:
    """Each exercise the plan runs, with its options: the exercise itself, or a program's parts.

    The rules here are the loader's too (``plancheck.check_references`` asks ``count``), so a
    file that validates is never refused here."""
    if options.area is not None and options.area not in AREAS:
        raise PlanError(f"unknown body area '{options.area}' (choose from: {', '.join(AREAS)})")
    if exercise.kind is not Kind.PROGRAM:
        return [(exercise, options)]
    if library is None:
        raise PlanError("a program needs the library to find its parts")
    jobs = []
    for part in exercise.parts:
        target = library.get(part.exercise)
        if target is None:
            raise PlanError(f"{exercise.title} needs '{part.exercise}', which is missing")
        if target.kind is Kind.PROGRAM:
            raise PlanError(f"{exercise.title}: a part cannot itself be a program")
        if part.minutes is not None and target.kind is not Kind.BREATHING:
            raise PlanError(f"{exercise.title}: minutes are for breathing parts, not '{part.exercise}'")
        if part.area is not None and target.variant(part.area) is None:
            raise PlanError(f"{exercise.title}: '{part.exercise}' has no '{part.area}' area")
        area = part.area or options.area
        if target.kind is Kind.ROUTINE and area is not None and target.variant(area) is None:
            area = None  # the area the program was started with: parts without it use their own
        jobs.append((target, PlanOptions(minutes=part.minutes, area=area)))
    return jobs


def part_counts(
    exercise: Exercise,
    options: PlanOptions | None = None,
    library: Mapping[str, Exercise] | None = None,
) -> list[int]:
    """How many segments each part of the plan gives (one number for an exercise that is
    not a program), without building any. Raises PlanError as ``plan`` does, except for
    the cap on the total (``count`` checks that)."""
    jobs = _jobs(exercise, options or PlanOptions(), library)
    return [_count(target, part_options) for target, part_options in jobs]


def count(
    exercise: Exercise,
    options: PlanOptions | None = None,
    library: Mapping[str, Exercise] | None = None,
) -> int:
    """How many segments ``plan`` would build, worked out without building any.

    Raises PlanError for everything ``plan`` refuses, the cap of MAX_SEGMENTS included."""
    return _checked_total(exercise, _jobs(exercise, options or PlanOptions(), library))


def _checked_total(exercise: Exercise, jobs: list[tuple[Exercise, PlanOptions]]) -> int:
    total = 0
    for target, part_options in jobs:
        total += _count(target, part_options)
        if total > MAX_SEGMENTS:
            raise PlanError(
                f"{exercise.title} would have more than {MAX_SEGMENTS} phases and steps "
                "in one session; that is more than any exercise needs"
            )
    if total == 0:
        raise PlanError(f"{exercise.title} has nothing to run")
    return total


def duration(
    exercise: Exercise,
    options: PlanOptions | None = None,
    library: Mapping[str, Exercise] | None = None,
) -> tuple[float, bool]:
    """The timed length in seconds ``plan`` would give, and whether any step waits for the
    person, worked out without building the timeline (for lists that show many lengths).

    Raises PlanError exactly when ``plan`` does."""
    jobs = _jobs(exercise, options or PlanOptions(), library)
    _checked_total(exercise, jobs)
    seconds, waits = 0.0, False
    for target, part_options in jobs:
        if target.kind is Kind.BREATHING:
            seconds += breathing_seconds(target, _cycles(target, part_options))
        else:
            steps, _area = _routine_steps(target, part_options)
            seconds += sum(step.seconds or 0.0 for step in steps)
            waits = waits or any(step.waits for step in steps)
    return seconds, waits


def areas_of(exercise: Exercise, exercises: Mapping[str, Exercise]) -> tuple[str, ...]:
    """The body areas a person can choose for ``exercise``: a routine's own, or those of
    the first routine in a program that leaves the area open. Empty if there is no choice."""
    if exercise.kind is Kind.ROUTINE:
        return exercise.areas
    if exercise.kind is Kind.PROGRAM:
        for part in exercise.parts:
            target = exercises.get(part.exercise)
            if part.area is None and target is not None and target.areas:
                return target.areas
    return ()


def plan(
    exercise: Exercise,
    options: PlanOptions | None = None,
    library: Mapping[str, Exercise] | None = None,
) -> Timeline:
    """Plan ``exercise`` into a timeline. Programs look their parts up in ``library``."""
    options = options or PlanOptions()
    jobs = _jobs(exercise, options, library)
    _checked_total(exercise, jobs)  # counted first: nothing too long to run is ever built

    segments: list[Segment] = []
    parts: list[PartPlan] = []
    reminders: list[TimedReminder] = []
    offset = 0.0
    chosen_area = options.area
    for part_number, (target, part_options) in enumerate(jobs):
        drafts, cycles, area = _drafts(target, part_options)
        chosen_area = chosen_area or area
        levels = _levels([d.pace for d in drafts], [d.seconds for d in drafts], [d.cycle for d in drafts])
        first = len(segments)
        part_start = offset
        for draft, (level_from, level_to) in zip(drafts, levels, strict=True):
            segments.append(
                Segment(
                    index=len(segments),
                    start=offset,
                    end=offset + draft.seconds,
                    pace=draft.pace,
                    say=draft.say,
                    title=draft.title,
                    cue=draft.cue,
                    waits=draft.waits,
                    exercise_id=target.id,
                    exercise_title=target.title,
                    part=part_number,
                    cycle=draft.cycle,
                    cycles=cycles,
                    level_from=level_from,
                    level_to=level_to,
                )
            )
            reminders += [
                TimedReminder(len(segments) - 1, offset + r.at, r.say)
                for r in draft.remind
                if r.at < draft.seconds
            ]
            offset += draft.seconds
        bpm = 60.0 / target.cycle_seconds if target.kind is Kind.BREATHING else None
        ramp = min(target.ramp_cycles or 0, cycles or 0) if _ramps(target) else 0
        parts.append(
            PartPlan(
                target.id,
                target.title,
                target.kind,
                first,
                len(segments) - 1,
                part_start,
                offset,
                cycles,
                bpm,
                area,
                ramp,
            )
        )
    return Timeline(exercise.id, exercise.title, tuple(segments), tuple(parts), chosen_area, tuple(reminders))
