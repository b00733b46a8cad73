"""Ramps in breathing files: ``seconds = { from, to }`` over ``ramp_cycles`` cycles.

The loader's errors, the planner's exact timeline, ``show`` and ``validate``, the voice's
fit, and the session's boundaries on the fake clock (hypothesis properties plus examples).
"""

from __future__ import annotations

import itertools
import math
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calmcoach.data.fields import MAX_SECONDS, MIN_SECONDS
from calmcoach.data.loader import parse_file, validate_files
from calmcoach.data.plancheck import check_references, voice_warnings
from calmcoach.data.tomlfile import Problem
from calmcoach.domain import planner
from calmcoach.domain.describe import breaths_text, ramp_texts
from calmcoach.domain.model import Exercise, Origin, Pace
from calmcoach.domain.planner import PlanError, PlanOptions, Timeline, plan
from calmcoach.domain.session import Session, StepStarted
from calmcoach.domain.voice_text import spoken_lines
from tests.clocks import FakeClock
from tests.helpers import calmcoach_command

T0 = 1000.0
LONGEST = "minutes = { default = 3, min = 2, max = 120 }"

RAMP = """\
title = "Ramp"
kind = "breathing"
summary = "Quick at first, then slow"
minutes = { default = 3, min = 2, max = 5 }
ramp_cycles = 6

[[phase]]
pace = "inhale"
seconds = { from = 2, to = 4 }
say = "In"

[[phase]]
pace = "hold"
seconds = 2
say = "Hold"

[[phase]]
pace = "exhale"
seconds = { from = 3, to = 6 }
say = "Out"
"""


def write(tmp_path: Path, text: str, name: str = "ramp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def load(path: Path) -> Exercise | tuple[Problem, ...]:
    return parse_file(path, Origin.USER, None)


def loaded(tmp_path: Path, text: str = RAMP) -> Exercise:
    result = load(write(tmp_path, text))
    assert isinstance(result, Exercise), [str(p) for p in result]
    return result


def _replace(old: str, new: str) -> str:
    assert old in RAMP
    return RAMP.replace(old, new, 1)


# --- the loader ------------------------------------------------------------------------------


def test_a_ramped_file_loads_with_each_phases_first_and_last_length(tmp_path: Path) -> None:
    exercise = loaded(tmp_path)
    assert exercise.ramp_cycles == 6
    assert [(p.ramp_from, p.seconds) for p in exercise.phases] == [(2, 4), (None, 2), (3, 6)]
    assert exercise.cycle_seconds == 12  # once the ramp is over


@pytest.mark.parametrize(
    ("text", "field", "line", "words"),
    [
        (_replace("ramp_cycles = 6\n", ""), "phase[1].seconds", 8, "needs 'ramp_cycles'"),
        (
            RAMP.replace("{ from = 2, to = 4 }", "4").replace("{ from = 3, to = 6 }", "6"),
            "ramp_cycles",
            5,
            "no phase changes length",
        ),
        (_replace("from = 2,", "from = 0.2,"), "phase[1].seconds.from", 9, "at least 0.5 seconds"),
        (_replace("to = 4 }", "to = 601 }"), "phase[1].seconds.to", 9, "at most 600 seconds"),
        (_replace("from = 2,", "from = -1,"), "phase[1].seconds.from", 9, "more than 0"),
        (_replace("from = 2,", "from = nan,"), "phase[1].seconds.from", 9, "finite"),
        (_replace("from = 2,", "from = inf,"), "phase[1].seconds.from", 9, "finite"),
        (_replace("from = 2,", "from = true,"), "phase[1].seconds.from", 9, "number of seconds"),
        (_replace("from = 2,", 'from = "2",'), "phase[1].seconds.from", 9, "number of seconds"),
        (_replace("to = 4 }", "to = 1" + "0" * 400 + " }"), "phase[1].seconds.to", 9, "finite"),
        (_replace("from = 2, ", ""), "phase[1].seconds", 9, "missing 'from'"),
        (_replace("to = 4 }", "to = 4, by = 1 }"), "phase[1].seconds.by", 9, "unknown key"),
        (_replace("ramp_cycles = 6", "ramp_cycles = 1"), "ramp_cycles", 5, "from 2 to 1000"),
        (_replace("ramp_cycles = 6", "ramp_cycles = 2.5"), "ramp_cycles", 5, "whole number"),
        (_replace("ramp_cycles = 6", "ramp_cycles = true"), "ramp_cycles", 5, "whole number"),
        (_replace("ramp_cycles = 6", "ramp_cycles = 10000000000000000000"), "ramp_cycles", 5, "whole number"),
        # Over 14 cycles of 7 s to 12 s, 2 minutes (the shortest session) hold only 13.
        (
            _replace("ramp_cycles = 6", "ramp_cycles = 14"),
            "ramp_cycles",
            5,
            "the ramp takes 14 cycles, but the shortest session, 2 minutes, has only 13 cycles",
        ),
        (
            _replace("minutes = { default = 3, min = 2, max = 5 }", "cycles = 5"),
            "ramp_cycles",
            5,
            "a session has 5 cycles",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 and "\n" not in v else None,
)
def test_each_ramp_error_names_file_line_field_and_expectation(
    tmp_path: Path, text: str, field: str, line: int, words: str
) -> None:
    path = write(tmp_path, text)
    result = load(path)
    assert not isinstance(result, Exercise), "expected the file to be rejected"
    matching = [p for p in result if p.field == field]
    assert matching, f"no problem for {field} in {[str(p) for p in result]}"
    assert words in matching[0].message
    assert str(matching[0]).startswith(f"{path}:{line}: {field}: ")


def test_a_ramp_that_just_fits_the_shortest_session_loads(tmp_path: Path) -> None:
    # Over 13 cycles the ramp's first 12 last 12 x 7 + 5 x 66 / 12 = 111.5 s, all 13 last
    # 123.5 s: 2 minutes is nearest 13 cycles, the ramp's end.
    exercise = loaded(tmp_path, _replace("ramp_cycles = 6", "ramp_cycles = 13"))
    assert planner.breathing_seconds(exercise, 13) == pytest.approx(123.5)
    assert planner.cycles_for(exercise, 2) == 13
    assert plan(exercise, PlanOptions(minutes=2)).segments[-1].duration == 6


def test_a_program_part_shorter_than_its_ramp_is_refused_at_its_minutes(tmp_path: Path) -> None:
    ramp = loaded(tmp_path, _replace("minutes = { default = 3, min = 2, max = 5 }", "cycles = 10"))
    program = write(
        tmp_path,
        'title = "P"\nkind = "program"\n[[part]]\nexercise = "ramp"\nminutes = 0.5\n',
        "p.toml",
    )
    parsed = load(program)
    assert isinstance(parsed, Exercise)
    found = check_references({"ramp": ramp, "p": parsed})
    (problem,) = found["p"]
    assert str(problem) == (
        f"{program}:5: part[1].minutes: 'ramp' changes its pace over its first 6 cycles; "
        "0.5 minutes holds only 4"
    )


def test_validate_accepts_a_ramped_file(tmp_path: Path, library) -> None:
    path = write(tmp_path, RAMP)
    assert validate_files([path], library, None) == {path: ()}


@pytest.mark.slow
def test_the_command_line_validates_and_shows_a_ramp(cli_env, user_exercises: Path) -> None:
    path = write(user_exercises, RAMP)

    def cc(*args: str) -> subprocess.CompletedProcess[str]:
        command = [*calmcoach_command(), *args]
        return subprocess.run(command, capture_output=True, text=True, env=cli_env, timeout=60)

    checked = cc("validate", str(path))
    assert checked.returncode == 0 and checked.stdout.strip() == f"{path}: ok"
    shown = cc("show", "ramp")
    assert shown.returncode == 0
    lines = shown.stdout.splitlines()
    assert "   16 breaths: the first 6 change length, then 12 s each, 5 a minute" in lines
    assert "   breath 1: inhale 2 s, hold 2 s, exhale 3 s (7 s)" in lines
    assert "   breath 2: inhale 2.4 s, hold 2 s, exhale 3.6 s (8 s)" in lines
    assert "   breath 6: inhale 4 s, hold 2 s, exhale 6 s (12 s)" in lines
    assert not any(line.startswith("   breath 7:") for line in lines)
    assert "  0:00      2s  inhale, breath 1 of 16: In" in lines


# --- the planner -----------------------------------------------------------------------------


def test_each_cycle_of_the_ramp_has_its_own_lengths_then_the_last(tmp_path: Path) -> None:
    timeline = plan(loaded(tmp_path), PlanOptions(minutes=3))
    by_cycle: dict[int, list[float]] = {}
    for segment in timeline.segments:
        assert segment.cycle is not None
        by_cycle.setdefault(segment.cycle, []).append(segment.duration)
    assert [pytest.approx(by_cycle[n]) for n in range(1, 7)] == [
        [2, 2, 3],
        [2.4, 2, 3.6],
        [2.8, 2, 4.2],
        [3.2, 2, 4.8],
        [3.6, 2, 5.4],
        [4, 2, 6],
    ]
    assert all(by_cycle[n] == [4, 2, 6] for n in range(6, len(by_cycle) + 1))


def test_minutes_count_the_ramp_at_its_real_length(tmp_path: Path) -> None:
    exercise = loaded(tmp_path)
    # The ramp's six cycles last 7 + 8 + 9 + 10 + 11 + 12 = 57 s; 3 minutes leaves 123 s,
    # ten 12 s cycles and a bit: 16 cycles, 177 s (at a steady 12 s it would be 15 cycles).
    assert planner.breathing_seconds(exercise, 6) == pytest.approx(57)
    timeline = plan(exercise, PlanOptions(minutes=3))
    assert timeline.cycles == 16
    assert timeline.total == pytest.approx(177)
    assert planner.duration(exercise, PlanOptions(minutes=3)) == (pytest.approx(177), False)
    assert timeline.parts[0].ramp_cycles == 6


def test_minutes_shorter_than_the_ramp_are_refused(tmp_path: Path) -> None:
    exercise = loaded(tmp_path, _replace("minutes = { default = 3, min = 2, max = 5 }", "cycles = 8"))
    with pytest.raises(
        PlanError, match=r"changes its pace over its first 6 breaths; 0\.5 minutes holds only 4"
    ):
        plan(exercise, PlanOptions(minutes=0.5))


def test_a_ramp_from_a_measured_pace_plans_like_one_from_a_file(tmp_path: Path, library) -> None:
    drill = library.get("breathing-4-2-6")
    ramp = planner.ramped(drill, (2, 1, 3), 6)
    timeline = plan(ramp, PlanOptions(minutes=3))
    first = [s.duration for s in timeline.segments[:3]]
    sixth = [s.duration for s in timeline.segments[15:18]]
    assert first == [2, 1, 3] and sixth == [4, 2, 6]
    assert timeline.segments[3].duration == pytest.approx(2.4)
    with pytest.raises(PlanError, match="give a length for each"):
        planner.ramped(drill, (2, 3), 6)
    with pytest.raises(PlanError, match="positive"):
        planner.ramped(drill, (2, math.nan, 3), 6)
    with pytest.raises(PlanError, match="at least 2 cycles"):
        planner.ramped(drill, (2, 1, 3), 1)


def test_a_ramping_session_counts_and_paces_each_cycle_at_its_own_length(tmp_path: Path) -> None:
    timeline = plan(loaded(tmp_path), PlanOptions(minutes=3))
    clock = FakeClock(T0)
    session = Session(timeline, clock)
    events = session.start()
    for _ in range(57 * 30 + 1):  # the ramp's 57 s at a steady 30 frames a second, and a frame
        clock.advance(1 / 30)
        events += session.poll()
    started = [e for e in events if isinstance(e, StepStarted)]
    assert [e.segment.index for e in started] == list(range(19))
    expected = [T0 + s.start for s in timeline.segments[:19]]
    assert [e.deadline for e in started] == pytest.approx(expected, abs=1e-9)
    assert session.cycles_done == 6
    # Breath 2's out-breath (3.6 s, from 11.4 s): the countdown and the pacer follow it.
    fresh = Session(timeline, FakeClock(T0))
    fresh.start()
    assert fresh.step_remaining(T0 + 11.4 + 1.8) == pytest.approx(1.8)
    assert fresh.level(T0 + 11.4 + 1.8) == pytest.approx(0.5)
    assert fresh.current(T0 + 11.4 + 1.8).duration == pytest.approx(3.6)


def test_a_file_of_a_thousand_ramped_phases_over_a_thousand_cycles_is_judged_per_cycle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As large as a file may be (64 KB): 1400 ramped phases, and the longest ramp. The
    # ramp's length is worked out per cycle, not per phase of every cycle (that took 1 s):
    # counted in phase lengths worked out, not timed, so a busy machine cannot fail it.
    phases = ",".join('{pace="hold",seconds={from=1,to=2},say="x"}' for _ in range(1400))
    text = f'title = "T"\nkind = "breathing"\n{LONGEST}\nramp_cycles = 1000\nphase = [{phases}]\n'
    path = write(tmp_path, text)
    worked_out = 0
    real = planner.ramp_length

    def counted(start: float, end: float, cycles: int, cycle: int) -> float:
        nonlocal worked_out
        worked_out += 1
        return real(start, end, cycles, cycle)

    monkeypatch.setattr(planner, "ramp_length", counted)
    result = load(path)
    assert not isinstance(result, Exercise)
    assert [p.field for p in result] == ["ramp_cycles"]
    assert "the shortest session, 2 minutes, has only 1 cycle;" in result[0].message
    assert worked_out < 1400 * 10, f"{worked_out} phase lengths: one per phase of every cycle"


# --- what is shown and said ------------------------------------------------------------------


def test_breaths_and_ramp_texts(tmp_path: Path) -> None:
    timeline = plan(loaded(tmp_path), PlanOptions(minutes=3))
    part = timeline.parts[0]
    assert breaths_text(part) == "16 breaths: the first 6 change length, then 12 s each, 5 a minute"
    texts = ramp_texts(timeline, part)
    assert len(texts) == 6
    assert texts[2] == "breath 3: inhale 2.8 s, hold 2 s, exhale 4.2 s (9 s)"


SLOWLY = 'say = "Breathe out slowly and softly"'
"""About 1.9 s of speech: it fits 6 s, not 0.5 s (where even "Breathe out" does not)."""


def test_validate_warns_of_a_line_too_long_for_a_ramps_shortest_cycle(tmp_path: Path) -> None:
    # "Out" (about 0.4 s of speech) fits the 6 s the phase ends at, not its first 0.5 s.
    exercise = loaded(tmp_path, _replace("from = 3, to = 6", "from = 0.5, to = 6"))
    (warning,) = voice_warnings(exercise)
    assert warning.field == "phase[3].seconds" and warning.line == 19
    assert "the step lasts 0.5 s" in warning.message


def test_the_voice_says_what_fits_each_cycles_own_length(tmp_path: Path) -> None:
    exercise = loaded(
        tmp_path, _replace("from = 3, to = 6", "from = 6, to = 0.5").replace('say = "Out"', SLOWLY)
    )
    timeline = plan(exercise, PlanOptions(minutes=3))
    said = spoken_lines(timeline, {exercise.id: exercise})
    assert timeline.segments[2].duration == 6 and timeline.segments[5].duration == pytest.approx(4.9)
    assert said[2] == "Breathe out slowly and softly"  # cycle 1: the instruction, 6 s long
    assert said[5] == "Breathe out"  # cycle 2: the phase word


# --- properties: whatever loads plans, monotone over the ramp, boundaries land exactly -------

lengths = st.floats(min_value=MIN_SECONDS, max_value=30, allow_nan=False, allow_infinity=False)
phase_specs = st.lists(
    st.tuples(st.sampled_from(list(Pace)), lengths, st.one_of(st.none(), lengths)), min_size=1, max_size=4
)


def _file(specs: list[tuple[Pace, float, float | None]], ramp: int, length: str) -> str:
    out = f'title = "R"\nkind = "breathing"\n{length}\nramp_cycles = {ramp}\n'
    for pace, end, start in specs:
        seconds = f"{end!r}" if start is None else f"{{ from = {start!r}, to = {end!r} }}"
        out += f'\n[[phase]]\npace = "{pace.value}"\nseconds = {seconds}\nsay = "x"\n'
    return out


def _check_monotone(exercise: Exercise, timeline: Timeline) -> None:
    ramp = exercise.ramp_cycles or 0
    phases = len(exercise.phases)
    for i, phase in enumerate(exercise.phases):
        run = [s.duration for s in timeline.segments[i::phases]]
        for length in run:
            assert MIN_SECONDS - 1e-9 <= length <= MAX_SECONDS + 1e-9
        if phase.ramp_from is None:
            assert run == pytest.approx([phase.seconds] * len(run))
            continue
        assert run[0] == pytest.approx(phase.ramp_from)
        over, after = run[:ramp], run[ramp - 1 :]
        pairs = list(itertools.pairwise(over))
        if phase.ramp_from < phase.seconds:
            assert all(a <= b + 1e-9 for a, b in pairs)
        else:
            assert all(a >= b - 1e-9 for a, b in pairs)
        assert after == pytest.approx([phase.seconds] * len(after))


def _check_boundaries(timeline: Timeline) -> None:
    """Each boundary is not reached half a millisecond before its start, and is reached
    half a millisecond after, with its deadline on the planned start to the millisecond."""
    clock = FakeClock(T0)
    session = Session(timeline, clock, max_gap=math.inf)  # jumps, not a suspend
    session.start()
    for segment in timeline.segments[1:]:
        clock.now = T0 + segment.start - 0.0005
        early = [e for e in session.poll() if isinstance(e, StepStarted)]
        assert all(e.segment.index < segment.index for e in early)
        clock.now = T0 + segment.start + 0.0005
        started = [e for e in session.poll() if isinstance(e, StepStarted)]
        assert [e.segment.index for e in started] == [segment.index]
        assert abs(started[0].deadline - (T0 + segment.start)) < 0.001
        assert session.step_remaining() == pytest.approx(segment.duration - 0.0005, abs=1e-6)


@given(
    specs=phase_specs,
    ramp=st.integers(min_value=2, max_value=12),
    extra=st.integers(min_value=0, max_value=8),
    minutes=st.one_of(st.none(), st.floats(min_value=0.1, max_value=6)),
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_whatever_loads_plans_monotone_and_lands_on_the_clock(
    tmp_path: Path,
    specs: list[tuple[Pace, float, float | None]],
    ramp: int,
    extra: int,
    minutes: float | None,
) -> None:
    length = f"cycles = {ramp + extra}" if minutes is None else f"minutes = {minutes!r}"
    text = _file(specs, ramp, length)
    result = load(write(tmp_path, text))
    has_range = any(start is not None for _, _, start in specs)
    if not isinstance(result, Exercise):
        # A file refused only for what the ramp asks of it: nothing else is wrong with it.
        assert {p.field for p in result} <= {"ramp_cycles", "minutes"}, [str(p) for p in result]
        assert not has_range or minutes is not None
        return
    assert has_range
    timeline = plan(result)
    assert timeline.cycles >= ramp
    assert timeline.total == pytest.approx(planner.breathing_seconds(result, timeline.cycles))
    _check_monotone(result, timeline)
    _check_boundaries(timeline)


def test_the_readmes_ramp_example_validates_and_ramps_as_it_says(tmp_path: Path, library) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme[readme.index("## Your own exercises\n") :]
    section = section[: section.index("\n## ")]
    (block,) = [b for b in re.findall(r"```toml\n(.*?)```", section, flags=re.DOTALL) if "ramp_cycles" in b]
    path = write(tmp_path, block)
    assert validate_files([path], library, None) == {path: ()}
    timeline = plan(loaded(tmp_path, block))
    inhales = [s.duration for s in timeline.segments if s.pace is Pace.INHALE]
    assert inhales[0] == 2 and inhales[5:] == [4] * (len(inhales) - 5)
    assert inhales[:6] == pytest.approx([2, 2.4, 2.8, 3.2, 3.6, 4])
