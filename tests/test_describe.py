"""The words every shell shows about an exercise come from calmcoach.domain.describe."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from calmcoach.data import locations
from calmcoach.data.library import load_default_library
from calmcoach.data.loader import Library
from calmcoach.domain import describe
from calmcoach.domain.describe import (
    area_choices,
    breaths_text,
    clock_text,
    count_text,
    exercise_length,
    exercise_lengths,
    flare_logged_text,
    length_text,
    length_words,
    minutes_text,
    number_text,
    part_heading,
    plural,
    safety_notes,
    session_heading,
    time_left_change,
    time_left_text,
)
from calmcoach.domain.planner import PlanOptions, plan


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0:00"), (59.999, "0:59"), (60, "1:00"), (754, "12:34"), (-3, "0:00")]
)
def test_clock_text(seconds: float, text: str) -> None:
    assert clock_text(seconds) == text


@pytest.mark.parametrize(
    ("value", "text"), [(3, "3"), (3.0, "3"), (5.5, "5.5"), (5.454545, "5.5"), (0.96, "1"), (1000, "1000")]
)
def test_numbers_are_plain(value: float, text: str) -> None:
    assert number_text(value) == text


@pytest.mark.parametrize(
    ("count", "one", "text"),
    [
        (1, "step", "1 step"),
        (2, "step", "2 steps"),
        (0, "step", "0 steps"),
        (1, "breath", "1 breath"),
        (10, "breath", "10 breaths"),
        (1.0, "minute", "1 minute"),
    ],
)
def test_plural(count: float, one: str, text: str) -> None:
    assert plural(count, one) == text


def test_minutes_text_singular_and_plural() -> None:
    assert minutes_text(1) == "1 minute"
    assert minutes_text(2.5) == "2.5 minutes"
    assert minutes_text(5) == "5 minutes"


def test_builtin_lengths_in_words(library: Library) -> None:
    exercises = library.exercises
    assert length_text(exercises["breathing-4-2-6"], exercises) == "3 min (2 to 5)"
    # A fixed number of cycles: 5 breaths of 12 s.
    assert length_text(exercises["physiological-sigh"], exercises) == "about 1 min"
    # The flare routine over every area it can run for, and it has prompts.
    flare = exercises["flare"]
    minutes = [
        max(1, round(plan(flare, PlanOptions(area=a), exercises).total / 60))
        for a in ("eyelid", "hand", "leg", "general")
    ]
    assert min(minutes) < max(minutes)
    assert length_text(flare, exercises) == f"about {min(minutes)} to {max(minutes)} min + your pace"


def test_every_builtin_has_length_words(library: Library) -> None:
    for exercise in library.exercises.values():
        text = length_text(exercise, library.exercises)
        assert " min" in text, exercise.id
        assert ".0" not in text and "-" not in text and "minutes" not in text, text


def test_length_of_user_breathing_ranges(user_exercises: Path) -> None:
    phases = '[[phase]]\npace = "inhale"\nseconds = 5\nsay = "in"\n[[phase]]\npace = "exhale"\nseconds = 5\nsay = "out"\n'
    (user_exercises / "fixed.toml").write_text(
        'title = "Fixed"\nkind = "breathing"\nminutes = { default = 3, min = 3, max = 3 }\n' + phases
    )
    (user_exercises / "halves.toml").write_text(
        'title = "Halves"\nkind = "breathing"\nminutes = { default = 2.5, min = 1.5, max = 4 }\n' + phases
    )
    library = load_default_library()
    assert not library.broken, library.broken
    exercises = library.exercises
    assert length_text(exercises["fixed"], exercises) == "3 min"
    assert length_text(exercises["halves"], exercises) == "2.5 min (1.5 to 4)"
    length = exercise_length(exercises["halves"], exercises)
    assert length is not None and length.adjustable and (length.low, length.high) == (1.5, 4)
    assert describe.adjustable_minutes(exercises["fixed"]) is None


def test_a_short_routine_is_about_one_minute_not_zero(user_exercises: Path) -> None:
    (user_exercises / "short.toml").write_text(
        'title = "Short"\nkind = "routine"\n[[step]]\nsay = "x"\nseconds = 20\n'
    )
    library = load_default_library()
    assert length_text(library.exercises["short"], library.exercises) == "about 1 min"


AREA_ROUTINE = """title = "Calves"
kind = "routine"
safety = ["Ease off if it cramps."]

[area.leg]
title = "Left calf"

[[area.leg.step]]
say = "stretch"
seconds = 30

[area.hand]

[[area.hand.step]]
say = "open"
seconds = 30
"""


def test_part_heading_uses_the_area_title_from_the_file(user_exercises: Path) -> None:
    (user_exercises / "calves.toml").write_text(AREA_ROUTINE)
    library = load_default_library()
    assert not library.broken, library.broken
    exercises = library.exercises
    calves = exercises["calves"]
    timeline = plan(calves, PlanOptions(area="leg"), exercises)
    assert part_heading(timeline.parts[0], exercises) == "Calves (Left calf)"
    assert session_heading(timeline, timeline.segments[0], exercises) == "Calves  ·  Left calf"
    # An area without a title has the usual words.
    assert area_choices(calves, exercises) == [("leg", "Left calf"), ("hand", "Hand or forearm")]


def test_session_heading_of_the_flare_routine(library: Library) -> None:
    exercises = library.exercises
    timeline = plan(exercises["flare"], PlanOptions(area="eyelid"), exercises)
    first = timeline.segments[0]
    assert session_heading(timeline, first, exercises) == (
        f"Flare routine  ·  4-2-6 breathing  ·  breath 1 of {first.cycles}"
    )
    release = next(s for s in timeline.segments if s.exercise_id == "tension-release")
    assert (
        session_heading(timeline, release, exercises) == "Flare routine  ·  Tension release (Eyelid or face)"
    )
    assert breaths_text(timeline.parts[0]) == f"{first.cycles} breaths of 12 s, 5 a minute"


def test_safety_notes_of_a_program_are_placed_once_each(library: Library, user_exercises: Path) -> None:
    exercises = library.exercises
    flare = exercises["flare"]
    timeline = plan(flare, PlanOptions(area="leg"), exercises)
    notes = safety_notes(flare, timeline, exercises)
    assert notes.start == flare.safety
    assert [n for n in notes.parts] == [exercises[p.exercise_id].safety for p in timeline.parts]
    # A program that runs the same exercise twice shows its notes the first time only.
    (user_exercises / "twice.toml").write_text(
        'title = "Twice"\nkind = "program"\n[[part]]\nexercise = "breathing-4-2-6"\n'
        '[[part]]\nexercise = "breathing-4-2-6"\n'
    )
    library = load_default_library()
    twice = library.exercises["twice"]
    notes = safety_notes(twice, plan(twice, None, library.exercises), library.exercises)
    assert notes.start == ()
    assert notes.parts == (library.exercises["breathing-4-2-6"].safety, ())


def test_safety_notes_of_a_single_exercise_come_first(library: Library) -> None:
    exercise = library.exercises["breathing-4-2-6"]
    notes = safety_notes(exercise, plan(exercise), library.exercises)
    assert exercise.safety and notes.start == exercise.safety
    assert notes.parts == ((),)


def test_describe_imports_only_the_model_and_the_planner() -> None:
    """Domain level: no Textual, no loader, no I/O modules."""
    tree = ast.parse(Path(describe.__file__).read_text())
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    assert {m for m in imported if m.startswith("calmcoach")} == {
        "calmcoach.domain.model",
        "calmcoach.domain.planner",
    }
    assert imported - {"calmcoach.domain.model", "calmcoach.domain.planner"} <= {
        "__future__",
        "math",
        "collections.abc",
        "dataclasses",
    }


def test_lengths_of_many_are_those_of_each(user_exercises: Path) -> None:
    """``exercise_lengths`` shares the work between programs with the same parts, and
    gives each exercise what ``exercise_length`` gives it alone."""
    source = (locations.builtin_exercises_dir() / "flare.toml").read_text()
    for n in range(3):
        (user_exercises / f"copy-{n}.toml").write_text(source.replace("Flare routine", f"Copy {n}"))
    (user_exercises / "short.toml").write_text(
        source.replace("Flare routine", "Short").replace("minutes = 2", "minutes = 5")
    )
    exercises = load_default_library().exercises
    lengths = exercise_lengths(exercises)
    assert lengths == {key: exercise_length(value, exercises) for key, value in exercises.items()}
    assert lengths["short"] != lengths["copy-0"] == lengths["copy-2"]
    for key, value in exercises.items():
        assert length_words(value, lengths[key]) == length_text(value, exercises)


@pytest.mark.parametrize(
    ("left", "step", "text"),
    [
        (4.0, 4.0, "4"),
        (3.2, 4.0, "4"),
        (0.01, 6.0, "1"),
        (59.0, 59.0, "59"),
        (150.0, 150.0, "2:30"),
        (149.0, 150.0, "2:29"),
        (148.5, 150.0, "2:29"),
        (59.0, 150.0, "0:59"),
        (0.5, 60.0, "0:01"),
        (600.0, 600.0, "10:00"),
    ],
)
def test_a_step_of_a_minute_or_more_counts_down_in_minutes_and_seconds(
    left: float, step: float, text: str
) -> None:
    assert count_text(left, step) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "done"),
        (0.4, "under a minute left"),
        (59.9, "under a minute left"),
        (60.0, "about 1 min left"),
        (89.0, "about 1 min left"),
        (90.0, "about 2 min left"),
        (122.0, "about 2 min left"),  # 2:02 left: never "3 min left"
        (149.0, "about 2 min left"),
        (151.0, "about 3 min left"),
        (300.0, "about 5 min left"),
    ],
)
def test_time_left_is_rounded_to_the_nearest_minute_and_says_about(seconds: float, text: str) -> None:
    assert time_left_text(seconds) == text


@pytest.mark.parametrize("seconds", [0.3, 59.0, 60.0, 61.0, 89.99, 90.0, 122.0, 150.0, 151.0, 3599.5])
def test_time_left_change_is_when_the_words_change(seconds: float) -> None:
    wait = time_left_change(seconds)
    assert wait > 0
    after = max(0.0, seconds - wait)
    assert time_left_text(after) != time_left_text(seconds)
    if wait > 1e-5:  # a moment before, the words are still the same
        assert time_left_text(seconds - wait + 1e-5) == time_left_text(seconds)


@pytest.mark.parametrize("area", ["eyelid", "hand", "leg", "general"])
def test_a_logged_flare_is_worded_without_a_wrong_article(area: str) -> None:
    text = flare_logged_text(area, 3)
    assert text.startswith("Logged a flare: ") and text.endswith(", intensity 3 of 10.")
    assert "a eyelid" not in text and " a e" not in text.replace("a flare", "")
