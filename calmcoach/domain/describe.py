"""The words every shell shows about an exercise: its length, its parts, ``m:ss``.

``calmcoach list``, ``show``, the plain runner and the app's screens all describe an
exercise through these functions, so the same exercise reads the same everywhere
("3 min (2 to 5)", "about 6 to 8 min + your pace", "Tension release (Leg or foot)").
Domain level: it imports the model and the planner only, and does no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from calmcoach.domain.model import AREAS, Exercise, Kind, Minutes, Part
from calmcoach.domain.planner import PartPlan, PlanError, PlanOptions, Segment, Timeline, areas_of, duration

__all__ = [
    "Length",
    "SafetyNotes",
    "adjustable_minutes",
    "area_choices",
    "area_title",
    "breath_text",
    "breaths_text",
    "clock_text",
    "count_text",
    "exercise_length",
    "exercise_lengths",
    "flare_logged_text",
    "length_text",
    "length_words",
    "minutes_text",
    "number_text",
    "part_heading",
    "plural",
    "ramp_texts",
    "safety_notes",
    "session_heading",
    "time_left_change",
    "time_left_text",
]


def clock_text(seconds: float) -> str:
    """``m:ss`` for a number of seconds (rounded down)."""
    whole = int(max(0.0, seconds) + 1e-6)
    return f"{whole // 60}:{whole % 60:02d}"


def count_text(left: float, step: float) -> str:
    """What a step's countdown shows with ``left`` seconds to go: the whole seconds
    (``7``), or ``m:ss`` (``2:29``) for a step of a minute or more, all the way down,
    so one step never changes how it counts. Rounded up: ``1`` is the last second."""
    whole = math.ceil(max(0.0, left) - 1e-9)
    if step < 60 - 1e-9:
        return str(whole)
    return f"{whole // 60}:{whole % 60:02d}"


def time_left_text(seconds: float) -> str:
    """A session's time left to the nearest minute, and said to be that: ``about 2 min
    left`` from 1:30 to 2:29, ``under a minute left`` below 1:00. Whole minutes, so
    nothing but the step's countdown ticks by the second."""
    if seconds <= 0:
        return "done"
    if seconds < 60 - 1e-9:
        return "under a minute left"
    return f"about {math.floor(seconds / 60 + 0.5 + 1e-9)} min left"


def time_left_change(seconds: float) -> float:
    """Seconds until :func:`time_left_text` next says something else (``seconds`` go down)."""
    if seconds <= 0:
        return math.inf
    if seconds < 60 - 1e-9:
        return seconds
    minutes = math.floor(seconds / 60 + 0.5 + 1e-9)
    # "about n" holds down to (n - 0.5) minutes; "about 1" holds down to one minute.
    floor = 60.0 if minutes == 1 else (minutes - 0.5) * 60
    return seconds - floor + 1e-6


def flare_logged_text(area: str, intensity: int) -> str:
    """What the command line and the app's journal say once a flare is logged."""
    return f"Logged a flare: {AREAS.get(area, area).lower()}, intensity {intensity} of 10."


def number_text(value: float) -> str:
    """A number as a person writes it: ``3``, ``5.5``; never ``3.0``, ``5.50`` or ``1e+03``."""
    if not math.isfinite(value):
        return str(value)
    rounded = round(value, 1)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.1f}"


def plural(count: float, one: str, many: str | None = None) -> str:
    """``1 step``, ``2 steps``, ``1 breath``, ``0.5 minutes``: the count and the right word."""
    word = one if number_text(count) == "1" else (many or f"{one}s")
    return f"{number_text(count)} {word}"


def minutes_text(minutes: float) -> str:
    """``1 minute``, ``2.5 minutes``."""
    return plural(minutes, "minute")


def adjustable_minutes(exercise: Exercise) -> Minutes | None:
    """The minutes range a person may choose from, or None when the length is fixed
    (a routine, a program, a fixed number of cycles, or a range of one value)."""
    m = exercise.minutes
    if exercise.kind is not Kind.BREATHING or m is None or m.min == m.max:
        return None
    return m


@dataclass(frozen=True)
class Length:
    """How long an exercise takes, in minutes, as the planner lays it out."""

    minutes: float
    """With the default options (the usual minutes, or the default body area)."""
    low: float
    """The shortest choice: the fewest minutes allowed, or the shortest body area."""
    high: float
    waits: bool
    """Some step waits for the person, so the real time also depends on them."""
    adjustable: bool
    """The person chooses the minutes (a breathing exercise with a range)."""


def exercise_length(exercise: Exercise, exercises: Mapping[str, Exercise]) -> Length | None:
    """The length of ``exercise`` over every choice it offers; None if it cannot be planned."""
    m = exercise.minutes
    if exercise.kind is Kind.BREATHING and m is not None:
        return Length(m.default, m.min, m.max, waits=False, adjustable=m.min != m.max)
    default: float | None = None
    totals: list[float] = []
    waits = False
    # An exercise run for a body area lasts as long as that area's steps: every area counts.
    for area in (None, *areas_of(exercise, exercises)):
        try:  # counted, not built: a long timeline for every area of every row took seconds
            seconds, area_waits = duration(exercise, PlanOptions(area=area), exercises)
        except PlanError:
            continue
        minutes = seconds / 60.0
        if area is None:
            default = minutes
        totals.append(minutes)
        waits = waits or area_waits
    if not totals:
        return None
    return Length(
        totals[0] if default is None else default, min(totals), max(totals), waits=waits, adjustable=False
    )


def exercise_lengths(exercises: Mapping[str, Exercise]) -> dict[str, Length | None]:
    """:func:`exercise_length` of every exercise in ``exercises``, worked out once for all
    programs that chain the same parts.

    A program's length depends on its parts alone (and the exercises they name), never on
    its title or id, so a thousand copies of the flare routine cost one."""
    by_parts: dict[tuple[Part, ...], Length | None] = {}
    lengths: dict[str, Length | None] = {}
    for exercise_id, exercise in exercises.items():
        if exercise.kind is not Kind.PROGRAM:
            lengths[exercise_id] = exercise_length(exercise, exercises)
            continue
        if exercise.parts not in by_parts:
            by_parts[exercise.parts] = exercise_length(exercise, exercises)
        lengths[exercise_id] = by_parts[exercise.parts]
    return lengths


def _about(minutes: float) -> int:
    return max(1, round(minutes))


def length_text(exercise: Exercise, exercises: Mapping[str, Exercise]) -> str:
    """How long an exercise takes, in the words every list shows.

    ``3 min (2 to 5)`` when the person picks the minutes, ``3 min`` for a fixed number
    of minutes, ``about 6 to 8 min`` over the body areas, ``+ your pace`` when a step
    waits for the person. Empty when the exercise cannot be planned.
    """
    return length_words(exercise, exercise_length(exercise, exercises))


def length_words(exercise: Exercise, length: Length | None) -> str:
    """:func:`length_text` from the exercise's :func:`exercise_length`, for a caller that
    has it already (a list of many, from :func:`exercise_lengths`)."""
    if length is None:
        return ""
    if exercise.kind is Kind.BREATHING and exercise.minutes is not None:
        text = f"{number_text(length.minutes)} min"
        if length.adjustable:
            text += f" ({number_text(length.low)} to {number_text(length.high)})"
        return text
    low, high = _about(length.low), _about(length.high)
    span = f"{low}" if low == high else f"{low} to {high}"
    return f"about {span} min" + (" + your pace" if length.waits else "")


def area_title(exercise: Exercise | None, area: str) -> str:
    """What an area is called: the title in the exercise's file, else the usual words."""
    if exercise is not None:
        for variant in exercise.variants:
            if variant.area == area and variant.title:
                return variant.title
    return AREAS.get(area, area)


def _area_owner(exercise: Exercise, exercises: Mapping[str, Exercise]) -> Exercise | None:
    """The routine whose areas ``exercise`` offers: itself, or a program's open part."""
    if exercise.kind is Kind.ROUTINE:
        return exercise
    for part in exercise.parts:
        target = exercises.get(part.exercise)
        if part.area is None and target is not None and target.areas:
            return target
    return None


def area_choices(exercise: Exercise, exercises: Mapping[str, Exercise]) -> list[tuple[str, str]]:
    """The body areas a person can pick for ``exercise``, as (area, title), in file order."""
    owner = _area_owner(exercise, exercises)
    return [(area, area_title(owner, area)) for area in areas_of(exercise, exercises)]


def part_heading(part: PartPlan, exercises: Mapping[str, Exercise]) -> str:
    """A part's title, with its body area for a routine: ``Tension release (Leg or foot)``."""
    if part.area and part.kind is Kind.ROUTINE:
        return f"{part.title} ({area_title(exercises.get(part.exercise_id), part.area)})"
    return part.title


def breath_text(segment: Segment) -> str:
    """``breath 3 of 10`` for a breathing phase; empty for a routine step."""
    if segment.cycle is None:
        return ""
    return f"breath {segment.cycle} of {segment.cycles}"


def breaths_text(part: PartPlan) -> str:
    """A breathing part's count and pace: ``15 breaths of 12 s, 5 a minute``, or with a
    ramp ``15 breaths: the first 6 change length, then 12 s each, 5 a minute``."""
    if part.cycles is None or not part.breaths_per_minute:
        return ""
    seconds = number_text(60.0 / part.breaths_per_minute)
    per_minute = f"{number_text(part.breaths_per_minute)} a minute"
    if part.ramp_cycles:
        return (
            f"{plural(part.cycles, 'breath')}: the first {part.ramp_cycles} change length, "
            f"then {seconds} s each, {per_minute}"
        )
    return f"{plural(part.cycles, 'breath')} of {seconds} s, {per_minute}"


def ramp_texts(timeline: Timeline, part: PartPlan) -> list[str]:
    """One line for each breath of a part's ramp, with its phases' lengths as planned:
    ``breath 2: inhale 2.5 s, hold 1 s, exhale 3.5 s (7 s)``. Empty for a part without one."""
    if not part.ramp_cycles:
        return []
    by_cycle: dict[int, list[Segment]] = {}
    for segment in timeline.segments[part.first : part.last + 1]:
        if segment.cycle is not None and segment.cycle <= part.ramp_cycles:
            by_cycle.setdefault(segment.cycle, []).append(segment)
    out = []
    for cycle, segments in by_cycle.items():
        phases = ", ".join(f"{s.pace.value} {number_text(s.duration)} s" for s in segments)
        total = number_text(sum(s.duration for s in segments))
        out.append(f"breath {cycle}: {phases} ({total} s)")
    return out


def session_heading(timeline: Timeline, segment: Segment, exercises: Mapping[str, Exercise]) -> str:
    """The line over a running session: title, part and area, breath count."""
    words = [timeline.title]
    part = timeline.parts[segment.part]
    if len(timeline.parts) > 1:
        words.append(part_heading(part, exercises))
    elif part.area:
        words.append(area_title(exercises.get(part.exercise_id), part.area))
    breath = breath_text(segment)
    if breath:
        words.append(breath)
    return "  ·  ".join(words)


@dataclass(frozen=True)
class SafetyNotes:
    """An exercise's safety notes, placed where a session shows them."""

    start: tuple[str, ...]
    """Shown before the first step: the exercise's own notes (a program's, for a program)."""
    parts: tuple[tuple[str, ...], ...]
    """Per part of the timeline, shown when the part begins; a note already shown is left out."""


def safety_notes(exercise: Exercise, timeline: Timeline, exercises: Mapping[str, Exercise]) -> SafetyNotes:
    """Where each safety note of ``exercise`` (and of a program's parts) is shown, each once."""
    shown = set(exercise.safety)
    per_part: list[tuple[str, ...]] = []
    for part in timeline.parts:
        target = exercises.get(part.exercise_id)
        if exercise.kind is not Kind.PROGRAM or target is None:
            per_part.append(())
            continue
        fresh = tuple(note for note in target.safety if note not in shown)
        shown.update(fresh)
        per_part.append(fresh)
    return SafetyNotes(tuple(exercise.safety), tuple(per_part))


# --- what a session really did (the summary, plain mode's closing line, the history) ---


@dataclass(frozen=True)
class Practice:
    """What a session really did: the figures its history row keeps, and what the plan was.

    Made by :func:`calmcoach.domain.session.practice_of`, the one place these figures are read
    from a session:
    the recorder writes them to the history, and the summary and plain mode's closing
    line say them, so neither can claim more than the other."""

    title: str
    finished: bool
    """Reached its end (by time, or by skipping to it); False when stopped."""
    seconds: float
    """Time really spent running: pauses, suspends and skipped spans left out."""
    position: float
    """How far through the timeline it got, in timeline seconds."""
    total: float
    """The timeline's planned (timed) length."""
    cycles: int
    """Breaths done, each of whose phases ran (none skipped)."""
    planned_cycles: int
    steps: int
    """Steps that ran to their end, or prompts gone on from."""
    planned_steps: int
    skipped: int
    """Steps before where it ended that were skipped (all steps, once finished)."""


def practice_greeting(practice: Practice) -> str:
    """The summary's first words: praise only for a session done in full."""
    if not practice.finished:
        return "Session ended."
    if practice.skipped:
        return "You reached the end, skipping ahead."
    return "Well done."


def practice_facts(practice: Practice) -> list[str]:
    """The summary's lines of figures, each as the history keeps it (each fits 38 cells,
    but for a long title, so the 0 to 10 row stays in view at 40x12)."""
    spent = f"Time: {clock_text(practice.seconds)}"
    if practice.finished and practice.skipped:
        spent += " (the rest skipped)"
    lines = [spent]
    if not practice.finished:
        lines.append(f"Stopped at {clock_text(practice.position)} of {clock_text(practice.total)}")
    if practice.planned_cycles:
        lines.append(f"Breaths: {practice.cycles} of {practice.planned_cycles}")
    steps = f"Steps done: {practice.steps} of {practice.planned_steps}"
    if practice.skipped:
        steps += f" ({practice.skipped} skipped)"
    lines.append(steps)
    return lines


def practice_note(practice: Practice) -> str:
    """A kind word under the figures when steps were skipped (empty when none were)."""
    if not practice.skipped:
        return ""
    return "Only what you did is counted; the rest is there whenever you want it."


def practice_line(practice: Practice) -> str:
    """Plain mode's closing line: the same figures as the summary, in one sentence."""
    counts = plural(practice.steps, "step")
    if practice.planned_cycles:
        counts = f"{practice.cycles} of {plural(practice.planned_cycles, 'breath')}, {counts}"
    spent = clock_text(practice.seconds)
    if practice.finished and not practice.skipped:
        return f"{practice.title} finished: {spent}, {counts}."
    skipped = f", {practice.skipped} skipped" if practice.skipped else ""
    figures = f"{spent} spent, {counts} done{skipped}"
    if practice.finished:
        return f"{practice.title} reached its end by skipping ahead: {figures}."
    where = f"{clock_text(practice.position)} of {clock_text(practice.total)}"
    return f"{practice.title} stopped at {where}: {figures}."


def cause_text(cause: str) -> str:
    """What may be behind a red flag, as every shell words it (the guide's middle column)."""
    return f"May be behind it: {cause}"


def red_flag_lines(sign: str, cause: str, label: str, action: str) -> tuple[str, ...]:
    """A red flag as every listing of them says it, a line each: the sign, what may be
    behind it (where the guide names something), and its action after its urgency."""
    return (sign, *((cause_text(cause),) if cause else ()), f"{label}: {action}")
