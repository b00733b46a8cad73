"""One set of rules: whatever the loader accepts, the planner can plan, every way it can start.

Checked over every built-in, every exercise file the tests keep in tests/exercise_files,
and libraries of files that hypothesis writes (good and bad mixed: programs naming
programs, minutes and areas on parts that have none, lengths near the cap...).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calmcoach.data import locations
from calmcoach.data.library import load_default_library, sound_names
from calmcoach.data.loader import Library, load_library, validate_files
from calmcoach.domain.model import AREAS, Exercise, Kind, Origin
from calmcoach.domain.planner import MAX_SEGMENTS, PlanOptions, count, duration, plan

FIXTURES = Path(__file__).resolve().parent / "exercise_files"


def every_start(exercise: Exercise) -> Iterator[PlanOptions]:
    """Every way a person can start ``exercise`` that changes its plan."""
    yield PlanOptions()
    if exercise.kind is Kind.BREATHING and exercise.minutes is not None:
        for minutes in (exercise.minutes.min, exercise.minutes.default, exercise.minutes.max):
            yield PlanOptions(minutes=minutes)
    areas = AREAS if exercise.kind is Kind.PROGRAM else exercise.areas
    for area in areas:
        yield PlanOptions(area=area)


def assert_all_plannable(exercises: Mapping[str, Exercise]) -> int:
    """Plan every exercise every way; returns how many plans were made."""
    made = 0
    for exercise in exercises.values():
        for options in every_start(exercise):
            timeline = plan(exercise, options, exercises)  # a PlanError fails the test
            assert 0 < len(timeline.segments) <= MAX_SEGMENTS
            assert count(exercise, options, exercises) == len(timeline.segments)
            seconds, waits = duration(exercise, options, exercises)
            assert seconds == pytest.approx(timeline.total, rel=1e-9)
            assert waits == any(segment.waits for segment in timeline.segments)
            made += 1
    return made


def test_every_builtin_plans_every_way(library: Library) -> None:
    assert library.broken == ()
    assert assert_all_plannable(library.exercises) >= 20


def test_every_fixture_file_loads_and_plans_every_way(user_exercises: Path) -> None:
    files = sorted(FIXTURES.glob("*.toml"))
    assert len(files) >= 5
    for path in files:
        (user_exercises / path.name).write_bytes(path.read_bytes())
    library = load_default_library()
    assert library.broken == (), [str(p) for b in library.broken for p in b.problems]
    assert {path.stem for path in files} <= set(library.exercises)
    assert_all_plannable(library.exercises)
    builtins = load_library(locations.builtin_exercises_dir(), None, sound_names())
    results = validate_files(files, builtins, sound_names())
    assert all(problems == () for problems in results.values()), results


def test_the_longest_fixture_is_near_the_cap_and_under_it(user_exercises: Path) -> None:
    (user_exercises / "fast-breathing.toml").write_bytes((FIXTURES / "fast-breathing.toml").read_bytes())
    fast = load_default_library().get("fast-breathing")
    assert fast is not None
    timeline = plan(fast, PlanOptions(minutes=120))
    assert len(timeline.segments) == 14_400 < MAX_SEGMENTS


# --- generated libraries --------------------------------------------------------------------

NAMES = ("a", "b", "c")
TARGETS = (*NAMES, "breathing-4-2-6", "tension-release", "attention-shift", "flare", "missing")
SECONDS = st.sampled_from(["0.2", "0.5", "1", "4", "599.5", "700", "0"])


@st.composite
def breathing_file(draw: st.DrawFn) -> str:
    text = 'title = "B"\nkind = "breathing"\n'
    length = draw(
        st.sampled_from(
            [
                "cycles = 1\n",
                "cycles = 1000\n",
                "minutes = 120\n",
                "minutes = 0.5\n",
                "minutes = { default = 2, min = 1, max = 120 }\n",
                "minutes = { default = 3, min = 2, max = 5 }\n",
                "",
            ]
        )
    )
    phases = draw(st.lists(st.tuples(st.sampled_from(["inhale", "hold", "exhale"]), SECONDS), max_size=4))
    body = "".join(
        f'[[phase]]\npace = "{pace}"\nseconds = {seconds}\nsay = "x"\n' for pace, seconds in phases
    )
    if not phases and draw(st.booleans()):
        body = "phase = []\n"
    return text + length + body


def steps(draw: st.DrawFn, table: str, most: int) -> str:
    out = ""
    for _ in range(draw(st.integers(0, most))):
        timing = draw(st.sampled_from(["wait = true", "seconds = 2", "seconds = 0.1"]))
        out += f'[[{table}]]\nsay = "x"\n{timing}\n'
    return out


@st.composite
def routine_file(draw: st.DrawFn) -> str:
    text = 'title = "R"\nkind = "routine"\n' + steps(draw, "step", 2)
    for area in draw(st.lists(st.sampled_from([*AREAS, "elbow"]), unique=True, max_size=3)):
        text += f"[area.{area}]\n" + steps(draw, f"area.{area}.step", 2)
    return text


@st.composite
def program_file(draw: st.DrawFn) -> str:
    text = 'title = "P"\nkind = "program"\n'
    for _ in range(draw(st.integers(0, 4))):
        text += f'[[part]]\nexercise = "{draw(st.sampled_from(TARGETS))}"\n'
        # Mostly without options, so that a single wrong one is often the file's only problem.
        minutes = draw(st.sampled_from([None, None, None, "1", "3", "60", "120"]))
        if minutes:
            text += f"minutes = {minutes}\n"
        area = draw(st.sampled_from([None, None, None, None, *AREAS]))
        if area:
            text += f'area = "{area}"\n'
    return text


libraries = st.dictionaries(
    st.sampled_from(NAMES), st.one_of(breathing_file(), routine_file(), program_file()), min_size=1
)


@given(files=libraries)
# 40 examples, the same every run: the property's reach at a fifth of its old time.
@settings(max_examples=40, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_whatever_loads_can_be_planned_every_way(files: dict[str, str]) -> None:
    builtins = load_library(locations.builtin_exercises_dir(), None, None)
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        for name, text in files.items():
            (directory / f"{name}.toml").write_text(text)
        library = load_library(locations.builtin_exercises_dir(), directory, None)
        assert_all_plannable(library.exercises)
        # validate says ok to exactly the files the library loads: the same rules.
        results = validate_files(sorted(directory.glob("*.toml")), builtins, None)
        good = {path.stem for path, problems in results.items() if not problems}
        assert good == {e.id for e in library.exercises.values() if e.origin is Origin.USER}


@pytest.mark.parametrize(
    ("part", "field", "words"),
    [
        ('exercise = "flare"', "part[1].exercise", "'flare' is a program"),
        ('exercise = "tension-release"\nminutes = 3', "part[1].minutes", "minutes are for breathing parts"),
        ('exercise = "breathing-4-2-6"\narea = "hand"', "part[1].area", "has no body areas"),
        ('exercise = "breathing-4-2-6"\nminutes = 30', "part[1].minutes", "runs 2 to 5 minutes, not 30"),
        ('exercise = "tension-release"\narea = "general"', None, None),
    ],
)
def test_each_part_rule_is_a_validate_error(
    tmp_path: Path, library: Library, part: str, field: str | None, words: str | None
) -> None:
    path = tmp_path / "p.toml"
    path.write_text(f'title = "P"\nkind = "program"\n[[part]]\n{part}\n')
    problems = validate_files([path], library, None)[path]
    if field is None:
        assert problems == ()
        return
    (problem,) = problems
    assert problem.field == field and words in problem.message and problem.line is not None


def test_validate_reports_every_problem_of_a_program_across_parts(tmp_path: Path, library: Library) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        'title = "P"\nkind = "program"\ncolour = "red"\n'
        '[[part]]\nexercise = "flare"\n'  # a program
        '[[part]]\nexercise = "attention-shift"\nminutes = 3\n'  # minutes on a routine
        "[[part]]\nexercise = 7\nminutes = -2\n"  # no id, and bad minutes too
        '[[part]]\nexercise = "nope"\narea = "elbow"\n'  # missing, and no such area
    )
    problems = validate_files([path], library, None)[path]
    where = [(p.line, p.field) for p in problems]
    assert where == [
        (3, "colour"),
        (5, "part[1].exercise"),
        (8, "part[2].minutes"),
        (10, "part[3].exercise"),
        (11, "part[3].minutes"),
        (13, "part[4].exercise"),
        (14, "part[4].area"),
    ], [str(p) for p in problems]
