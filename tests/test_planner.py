"""The planner: exact, contiguous timelines (hypothesis properties plus examples)."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calmcoach.data.fields import MIN_SECONDS
from calmcoach.data.loader import Library
from calmcoach.domain.model import Exercise, Kind, Minutes, Pace, Phase, Step, Variant
from calmcoach.domain.planner import PlanError, PlanOptions, areas_of, cycles_for, plan

PACES = list(Pace)

phases = st.lists(
    st.builds(
        Phase,
        pace=st.sampled_from(PACES),
        seconds=st.floats(min_value=MIN_SECONDS, max_value=600, allow_nan=False, allow_infinity=False),
        say=st.just("x"),
    ),
    min_size=1,
    max_size=6,
)
steps = st.lists(
    st.builds(
        Step,
        say=st.just("x"),
        seconds=st.one_of(st.none(), st.floats(min_value=MIN_SECONDS, max_value=600)),
        pace=st.sampled_from(PACES),
    ),
    min_size=1,
    max_size=12,
)


def breathing(phases: list[Phase], minutes: Minutes | None = None, cycles: int | None = None) -> Exercise:
    return Exercise(
        id="b",
        title="B",
        kind=Kind.BREATHING,
        summary="",
        path=Path("b.toml"),
        phases=tuple(phases),
        minutes=minutes,
        cycles=cycles,
    )


def test_hypothesis_in_ci_is_derandomized_without_a_database() -> None:
    """conftest's 'ci' profile: the same examples on every run, no failures carried over."""
    profile = settings.get_profile("ci")
    assert profile.derandomize and profile.database is None
    if os.environ.get("CI", "").lower() == "true":
        assert settings.default.derandomize and settings.default.database is None


def check_timeline(timeline) -> None:
    segments = timeline.segments
    assert segments[0].start == 0
    for before, after in itertools.pairwise(segments):
        assert after.start == before.end  # contiguous, exactly
    for index, segment in enumerate(segments):
        assert segment.index == index
        assert segment.start >= 0 and segment.end >= segment.start
        assert 0.0 <= segment.level_from <= 1.0 and 0.0 <= segment.level_to <= 1.0
        assert segment.waits == (segment.duration == 0)
    assert timeline.total == pytest.approx(sum(s.duration for s in segments), rel=1e-12)


@given(phases=phases, minutes=st.floats(min_value=0.1, max_value=120))
@settings(max_examples=200, deadline=None)
def test_breathing_timeline_properties(phases: list[Phase], minutes: float) -> None:
    exercise = breathing(phases, Minutes(minutes, 0.1, 120))
    timeline = plan(exercise, PlanOptions(minutes=minutes))
    check_timeline(timeline)
    cycles = cycles_for(exercise, minutes)
    assert len(timeline.segments) == cycles * len(phases)  # whole cycles only
    assert timeline.cycles == cycles
    # Rounding to whole cycles never misses the request by more than half a cycle.
    assert abs(timeline.total - minutes * 60) <= exercise.cycle_seconds / 2 + 1e-6 or cycles == 1
    check_levels_restart_each_cycle(timeline)


def check_levels_restart_each_cycle(timeline) -> None:
    """Each cycle fills (and empties) on its own, and from the second on they all look alike."""
    by_cycle: dict[int, list] = {}
    for segment in timeline.segments:
        by_cycle.setdefault(segment.cycle, []).append(segment)
    for cycle in by_cycle.values():
        if any(s.pace is Pace.INHALE for s in cycle):
            assert max(s.level_to for s in cycle) == 1.0
        if any(s.pace is Pace.EXHALE for s in cycle):
            assert min(s.level_to for s in cycle) == 0.0
    levels = [[(s.level_from, s.level_to) for s in cycle] for _, cycle in sorted(by_cycle.items())]
    assert all(cycle == levels[1] for cycle in levels[1:])


@given(steps=steps)
@settings(max_examples=200, deadline=None)
def test_routine_timeline_properties(steps: list[Step]) -> None:
    exercise = Exercise(
        id="r", title="R", kind=Kind.ROUTINE, summary="", path=Path("r.toml"), steps=tuple(steps)
    )
    timeline = plan(exercise)
    check_timeline(timeline)
    assert timeline.total == pytest.approx(sum(s.seconds or 0 for s in steps))


@given(phases=phases, position=st.floats(min_value=0, max_value=10_000))
@settings(max_examples=200, deadline=None)
def test_level_stays_between_empty_and_full(phases: list[Phase], position: float) -> None:
    timeline = plan(breathing(phases, cycles=3))
    assert 0.0 <= timeline.level_at(min(position, timeline.total)) <= 1.0


def test_426_for_two_minutes_is_ten_cycles(library) -> None:
    timeline = plan(library.get("breathing-4-2-6"), PlanOptions(minutes=2))
    assert timeline.total == 120
    assert timeline.cycles == 10
    assert [s.start for s in timeline.segments[:4]] == [0, 4, 6, 12]
    assert timeline.parts[0].breaths_per_minute == 5


def test_default_minutes_used_without_options(library) -> None:
    assert plan(library.get("breathing-4-2-6")).total == 180


@pytest.mark.parametrize("minutes", [1, 6, 0.5])
def test_minutes_outside_the_exercise_range_are_refused(library, minutes: float) -> None:
    with pytest.raises(PlanError, match="2 to 5 minutes"):
        plan(library.get("breathing-4-2-6"), PlanOptions(minutes=minutes))


def test_pacer_levels_fill_hold_and_empty(library) -> None:
    timeline = plan(library.get("breathing-4-2-6"), PlanOptions(minutes=2))
    assert timeline.level_at(0) == 0
    assert timeline.level_at(2) == pytest.approx(0.5)
    assert timeline.level_at(4) == pytest.approx(1)
    assert timeline.level_at(5) == pytest.approx(1)  # hold stays full
    assert timeline.level_at(9) == pytest.approx(0.5)
    assert timeline.level_at(12) == pytest.approx(0)


def test_inhales_only_fill_within_each_cycle_and_never_past_full() -> None:
    """Hypothesis found this under Python 3.13 (whose sum() rounds more exactly): the
    level climbed over the whole session and ended at 1.0000000000000013."""
    phases = [Phase(pace=Pace.INHALE, seconds=1.00001, say="x")]
    exercise = breathing(phases, Minutes(1.0, 0.1, 120))
    timeline = plan(exercise, PlanOptions(minutes=1.0))
    check_timeline(timeline)
    assert timeline.cycles == 60
    assert {(s.level_from, s.level_to) for s in timeline.segments} == {(0.0, 1.0)}
    assert timeline.level_at(0.5) == pytest.approx(0.5, abs=1e-4)  # half way through the first breath
    assert timeline.level_at(timeline.total) == 1.0


def test_each_cycle_of_a_pattern_ending_mid_breath_repeats() -> None:
    """A double inhale split over the cycle boundary (exhale, then inhale at the end and
    at the start) is two climbs, one per cycle, not one climb across both."""
    phases = [
        Phase(pace=Pace.INHALE, seconds=2, say="in"),
        Phase(pace=Pace.EXHALE, seconds=4, say="out"),
        Phase(pace=Pace.INHALE, seconds=2, say="in again"),
    ]
    timeline = plan(breathing(phases, cycles=3))
    levels = [(s.level_from, s.level_to) for s in timeline.segments]
    # Joined over the boundary they would share one climb: (0, 0.5) then (0.5, 1).
    assert levels[:3] == [(0.0, 1.0), (1.0, 0.0), (0.0, 1.0)]
    assert levels[3:6] == [(0.0, 1.0), (1.0, 0.0), (0.0, 1.0)]  # full, so it climbs from empty again
    assert levels[6:] == levels[3:6]


def test_double_inhale_shares_the_climb(library) -> None:
    timeline = plan(library.get("physiological-sigh"))
    first, second = timeline.segments[0], timeline.segments[1]
    assert first.level_to == pytest.approx(2 / 3)
    assert (second.level_from, second.level_to) == (pytest.approx(2 / 3), 1.0)


@pytest.mark.parametrize("area", ["eyelid", "hand", "leg", "general"])
def test_flare_passes_the_area_to_the_release(library, area: str) -> None:
    timeline = plan(library.get("flare"), PlanOptions(area=area), library.exercises)
    assert [p.exercise_id for p in timeline.parts] == [
        "breathing-4-2-6",
        "tension-release",
        "attention-shift",
    ]
    release = timeline.parts[1]
    assert release.area == area
    variant = library.get("tension-release").variant(area)
    says = [s.say for s in timeline.segments[release.first : release.last + 1]]
    assert says == [s.say for s in variant.steps]
    assert timeline.parts[0].end == 120  # two minutes of breathing first
    check_timeline(timeline)


def test_unknown_area_is_refused(library) -> None:
    with pytest.raises(PlanError, match="unknown body area"):
        plan(library.get("tension-release"), PlanOptions(area="elbow"))


def test_routine_without_area_uses_general(library) -> None:
    assert plan(library.get("tension-release")).area == "general"


def test_variant_without_general_falls_back_to_first() -> None:
    exercise = Exercise(
        id="r",
        title="R",
        kind=Kind.ROUTINE,
        summary="",
        path=Path("r.toml"),
        variants=(Variant("hand", "Hand", (Step("h", 3.0),)), Variant("leg", "Leg", (Step("l", 4.0),))),
    )
    assert plan(exercise).area == "hand"
    assert plan(exercise, PlanOptions(area="leg")).total == 4


@pytest.mark.parametrize(
    ("exercise_id", "areas"),
    [
        ("tension-release", ("eyelid", "hand", "leg", "general")),  # a routine's own
        ("flare", ("eyelid", "hand", "leg", "general")),  # from its tension-release part
        ("breathing-4-2-6", ()),
        ("attention-shift", ()),
    ],
)
def test_areas_a_person_can_choose(library: Library, exercise_id: str, areas: tuple[str, ...]) -> None:
    assert areas_of(library.exercises[exercise_id], library.exercises) == areas
