"""A tapped start (``start = "tapped"``): taps to a breath's length, that to the first
cycle's lengths, and the ramp the planner makes from them into the file's own pace;
the loader's errors for the new fields."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from calmcoach.data.fields import MAX_SECONDS, MIN_SECONDS
from calmcoach.data.loader import parse_file
from calmcoach.data.tomlfile import Problem
from calmcoach.domain import pace, planner
from calmcoach.domain.model import Exercise, Origin, Pace
from calmcoach.domain.planner import PlanError, PlanOptions, plan

ROOT = Path(__file__).resolve().parent.parent
SLOW = ROOT / "exercises" / "slow-down-gently.toml"
GUIDE = (4.0, 2.0, 6.0)


def slow() -> Exercise:
    result = parse_file(SLOW, Origin.BUILTIN, None)
    assert isinstance(result, Exercise), [str(p) for p in result]
    return result


def cycles_of(exercise: Exercise, minutes: float = 2) -> list[tuple[float, ...]]:
    """Each planned cycle's phase lengths, a left-out hold as 0."""
    timeline = plan(exercise, PlanOptions(minutes=minutes))
    out: dict[int, dict[Pace, float]] = {}
    for segment in timeline.segments:
        assert segment.cycle is not None
        out.setdefault(segment.cycle, {})[segment.pace] = segment.duration
    return [
        tuple(c.get(p, 0.0) for p in (Pace.INHALE, Pace.HOLD, Pace.EXHALE)) for _, c in sorted(out.items())
    ]


def test_the_shortest_phase_is_the_loaders() -> None:
    assert pace.SHORTEST_PHASE == MIN_SECONDS


@pytest.mark.parametrize(
    ("taps", "breath"),
    [
        ([0.0, 4.0, 8.0], 4.0),
        ([0.0, 3.0, 7.0], 3.5),
        ([0.0, 1.0, 5.0], 4.0),  # a 1 s gap is not a breath
        ([0.0, 25.0, 30.0], 5.0),  # a 25 s gap is not one breath
        ([0.0, 0.5], None),
        ([0.0], None),
        ([], None),
    ],
)
def test_breath_from_taps(taps: list[float], breath: float | None) -> None:
    assert pace.breath_seconds(taps) == breath


def test_a_tap_too_soon_after_the_last_does_not_count() -> None:
    tapping = pace.Tapping()
    assert tapping.tap(10.0)
    assert not tapping.tap(10.4)  # a bounce
    assert tapping.tap(14.0)
    assert not tapping.done
    assert tapping.tap(18.0)
    assert tapping.done and not tapping.tap(22.0)
    assert tapping.breath == 4.0


def test_a_quick_breath_starts_in_the_guides_proportions_without_the_hold() -> None:
    # 5 s: the hold would be 0.83 s, under 1 s: left out, in and out share the breath 4:6.
    assert pace.starting_lengths(slow(), 5.0) == pytest.approx((2.0, 0.0, 3.0))
    # 8 s: the hold is 1.33 s: kept, 4:2:6 of 8 s.
    assert pace.starting_lengths(slow(), 8.0) == pytest.approx((8 / 3, 4 / 3, 4.0))


def test_a_breath_already_slow_starts_at_4_2_6_without_a_ramp() -> None:
    assert pace.starting_lengths(slow(), 12.0) is None
    assert pace.start_from(slow(), 14.0) == slow()
    assert all(c == pytest.approx(GUIDE) for c in cycles_of(pace.start_from(slow(), 14.0)))


def test_no_taps_starts_at_3_1_4() -> None:
    cycles = cycles_of(pace.start_from(slow(), None))
    assert cycles[0] == pytest.approx((3.0, 1.0, 4.0))
    assert all(c == pytest.approx(GUIDE) for c in cycles[5:])


def test_a_quick_breath_ramps_over_six_cycles_into_4_2_6_the_hold_coming_in_at_1_s() -> None:
    cycles = cycles_of(pace.start_from(slow(), 3.0))
    assert cycles[0] == pytest.approx((1.2, 0.0, 1.8))
    holds = [c[1] for c in cycles[:6]]
    # The hold ramps 0, 0.4, 0.8, 1.2, 1.6, 2: left out while under 1 s.
    assert holds == pytest.approx([0.0, 0.0, 0.0, 1.2, 1.6, 2.0])
    assert all(c == pytest.approx(GUIDE) for c in cycles[5:])
    total = plan(pace.start_from(slow(), 3.0), PlanOptions(minutes=2)).total
    assert abs(total - 120) <= 6  # whole cycles nearest to 2 minutes


@settings(max_examples=200, deadline=None)
@given(
    taps=st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), max_size=3).map(sorted),
    minutes=st.sampled_from([2.0, 3.5, 5.0]),
)
def test_any_taps_give_lengths_within_limits_ramping_steadily_into_4_2_6(
    taps: list[float], minutes: float
) -> None:
    exercise = pace.start_from(slow(), pace.breath_seconds(taps))
    timeline = plan(exercise, PlanOptions(minutes=minutes))
    assert len(timeline.segments) == planner.count(exercise, PlanOptions(minutes=minutes))
    assert all(MIN_SECONDS <= s.duration <= MAX_SECONDS for s in timeline.segments)
    cycles = cycles_of(exercise, minutes)
    for phase in range(3):
        lengths = [c[phase] for c in cycles]
        assert all(b >= a - 1e-9 for a, b in itertools.pairwise(lengths)), lengths  # never faster again
    totals = [sum(c) for c in cycles]
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(totals)), totals
    assert len(cycles) > 6 and all(c == pytest.approx(GUIDE) for c in cycles[5:])
    assert all(c[1] == 0 or c[1] >= planner.LEFT_OUT_UNDER for c in cycles)
    assert timeline.total == pytest.approx(planner.duration(exercise, PlanOptions(minutes=minutes))[0])


def test_only_a_hold_may_start_left_out() -> None:
    with pytest.raises(PlanError, match="only a hold"):
        planner.ramped(slow(), (0.0, 1.0, 2.0), 6)
    with pytest.raises(PlanError, match="positive"):
        planner.ramped(slow(), (1.0, -1.0, 2.0), 6)


# --- the loader ---------------------------------------------------------------------

TAPPED = """\
title = "Tapped"
kind = "breathing"
minutes = { default = 3, min = 2, max = 5 }
start = "tapped"
start_default = [3, 1, 4]
ramp_cycles = 6

[[phase]]
pace = "inhale"
seconds = 4
say = "In"

[[phase]]
pace = "hold"
seconds = 2
say = "Hold"

[[phase]]
pace = "exhale"
seconds = 6
say = "Out"
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "tapped.toml"
    path.write_text(text, "utf-8")
    result = parse_file(path, Origin.USER, None)
    assert not isinstance(result, Exercise), "expected problems"
    assert all(isinstance(p, Problem) for p in result)
    return [str(p) for p in result]


def test_a_users_file_may_have_a_tapped_start(tmp_path: Path) -> None:
    path = tmp_path / "tapped.toml"
    path.write_text(TAPPED, "utf-8")
    result = parse_file(path, Origin.USER, None)
    assert isinstance(result, Exercise)
    assert result.tapped_start and result.start_default == (3.0, 1.0, 4.0) and result.ramp_cycles == 6


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('start = "tapped"', 'start = "measured"', ':4: start: expected "tapped"'),
        ('start = "tapped"', "start = 1", ':4: start: expected "tapped"'),
        ("ramp_cycles = 6\n", "", ":4: start: a tapped start needs 'ramp_cycles'"),
        ('start = "tapped"\n', "", ":4: start_default: only a tapped start has a default"),
        ("[3, 1, 4]", "[3, 1]", ":5: start_default: expected a list of 3 numbers"),
        ("[3, 1, 4]", '[3, "x", 4]', ":5: start_default[2]: expected a number of seconds"),
        ("[3, 1, 4]", "[3, 0.1, 4]", ":5: start_default[2]: at least 0.5 seconds"),
        ("[3, 1, 4]", "[3, 1, 9]", ":5: start_default[3]: at most the phase's own 6 seconds"),
        ("seconds = 4", "seconds = { from = 2, to = 4 }", ":10: phase[1].seconds: a tapped start ramps"),
        ("ramp_cycles = 6", "ramp_cycles = 60", ":6: ramp_cycles: the ramp takes 60 cycles"),
    ],
)
def test_tapped_start_errors_name_file_line_and_field(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in TAPPED
    found = problems(tmp_path, TAPPED.replace(old, new, 1))
    assert any(expected in line and "tapped.toml" in line for line in found), found


PACES = ["inhale", "hold", "exhale", "rest"]


@settings(max_examples=150, deadline=None)
@given(
    phases=st.lists(
        st.tuples(st.sampled_from(PACES), st.floats(min_value=0.5, max_value=30)), min_size=1, max_size=4
    ),
    bounds=st.tuples(st.floats(min_value=0.5, max_value=10), st.floats(min_value=0, max_value=10)),
    ramp=st.integers(min_value=2, max_value=40),
    default=st.booleans(),
    breath=st.one_of(st.none(), st.floats(min_value=pace.SHORTEST_BREATH, max_value=pace.LONGEST_BREATH)),
)
def test_any_tapped_file_that_loads_plans_every_breath_within_the_hostile_file_rules(
    tmp_path_factory: pytest.TempPathFactory,
    phases: list[tuple[str, float]],
    bounds: tuple[float, float],
    ramp: int,
    default: bool,
    breath: float | None,
) -> None:
    low, extra = bounds
    lines = [
        'title = "T"',
        'kind = "breathing"',
        f"minutes = {{ default = {low!r}, min = {low!r}, max = {low + extra!r} }}",
        'start = "tapped"',
        f"ramp_cycles = {ramp}",
    ]
    if default:
        lines.append(f"start_default = [{', '.join(repr(max(0.5, s / 2)) for _, s in phases)}]")
    for kind, seconds in phases:
        lines += ["[[phase]]", f'pace = "{kind}"', f"seconds = {seconds!r}", 'say = "x"']
    path = tmp_path_factory.mktemp("tapped") / "t.toml"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    loaded = parse_file(path, Origin.USER, None)
    if not isinstance(loaded, Exercise):
        event("refused")
        return  # refused with its problems: nothing to plan
    event("loaded")
    exercise = pace.start_from(loaded, breath)
    for minutes in (low, low + extra):
        options = PlanOptions(minutes=minutes)
        timeline = plan(exercise, options)  # never refused: what loads, plans
        assert len(timeline.segments) == planner.count(exercise, options) <= planner.MAX_SEGMENTS
        assert all(s.duration >= MIN_SECONDS - 1e-9 for s in timeline.segments)
