"""The session in virtual time: exact boundaries, pauses, skips, prompts and gaps."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calmcoach.data.loader import load_library
from calmcoach.data.locations import builtin_exercises_dir
from calmcoach.domain.model import Exercise, Kind, Step
from calmcoach.domain.planner import PlanOptions, Timeline, plan
from calmcoach.domain.session import Session, SessionError, SessionFinished, State, StepStarted
from tests.clocks import FakeClock

T0 = 1000.0
DRILL = plan(
    load_library(builtin_exercises_dir(), None, None).exercises["breathing-4-2-6"],
    PlanOptions(minutes=2),
)


@pytest.fixture
def drill(library) -> Timeline:
    return plan(library.get("breathing-4-2-6"), PlanOptions(minutes=2))


def run(session: Session, clock: FakeClock, ticks: list[float]) -> list:
    events = []
    for dt in ticks:
        clock.advance(dt)
        events += session.poll()
    return events


def test_events_on_exact_deadlines_at_a_steady_tick(drill: Timeline) -> None:
    clock = FakeClock(T0)
    session = Session(drill, clock)
    events = session.start() + run(session, clock, [1 / 30] * (121 * 30))
    steps = [e for e in events if isinstance(e, StepStarted)]
    assert [e.segment.index for e in steps] == list(range(30))
    assert [e.deadline - T0 for e in steps] == [s.start for s in drill.segments]
    finished = [e for e in events if isinstance(e, SessionFinished)]
    assert len(finished) == 1 and finished[0].deadline == T0 + 120
    assert session.state is State.FINISHED
    assert session.cycles_done == 10 and session.steps_done == 30


@given(ticks=st.lists(st.floats(min_value=0.001, max_value=1.9), min_size=1, max_size=400))
@settings(max_examples=150, deadline=None)
def test_late_and_skipped_ticks_never_lose_or_repeat_an_event(ticks: list[float]) -> None:
    timeline = DRILL
    clock = FakeClock(T0)
    session = Session(timeline, clock)
    events = session.start() + run(session, clock, ticks)
    indices = [e.segment.index for e in events if isinstance(e, StepStarted)]
    assert indices == list(range(len(indices)))  # each once, in order
    elapsed = clock.now - T0
    expected = timeline.index_at(min(elapsed, timeline.total))
    assert indices[-1] == expected
    # Deadlines are the plan's, however late the tick that noticed them.
    for event in events:
        if isinstance(event, StepStarted):
            assert event.deadline == T0 + event.segment.start
    assert sum(isinstance(e, SessionFinished) for e in events) == (1 if elapsed >= 120 else 0)


def test_position_comes_from_the_clock_not_from_ticks(drill: Timeline) -> None:
    clock = FakeClock(T0)
    session = Session(drill, clock)
    session.start()
    clock.advance(1.5)
    session.poll()
    clock.advance(1.5)  # no poll
    assert session.position() == 3.0
    assert session.step_remaining() == 1.0


def test_pause_and_resume_shift_the_origin(drill: Timeline) -> None:
    clock = FakeClock(T0)
    session = Session(drill, clock)
    session.start()
    run(session, clock, [0.5] * 6)  # 3 s in
    session.pause()
    assert session.state is State.PAUSED
    run(session, clock, [0.5] * 40)  # 20 s paused
    assert session.position() == 3.0
    assert session.poll() == []
    session.resume()
    events = run(session, clock, [0.5, 0.5])
    assert [e.segment.index for e in events] == [1]
    assert events[0].deadline == T0 + 20 + 4
    assert session.position() == 4.0


def test_a_gap_much_longer_than_a_frame_counts_as_a_pause(drill: Timeline) -> None:
    clock = FakeClock(T0)
    session = Session(drill, clock)
    session.start()
    run(session, clock, [0.5] * 4)  # 2 s in
    clock.advance(600)  # Ctrl+Z, or the laptop slept
    events = session.poll()
    assert events == []
    assert session.position() == 2.0
    assert session.suspended_seconds == 600
    events = run(session, clock, [0.5] * 4)
    assert [e.segment.index for e in events] == [1]


def test_next_and_previous_step(drill: Timeline) -> None:
    clock = FakeClock(T0)
    session = Session(drill, clock)
    session.start()
    clock.advance(1)
    events = session.next_step()
    assert [(e.segment.index, e.skipped_to) for e in events] == [(1, True)]
    assert session.position() == 4.0
    assert session.poll() == []  # not repeated
    clock.advance(1.5)
    session.poll()
    events = session.previous_step()  # 1.5 s into the hold: back to its start
    assert events[0].segment.index == 1 and session.position() == 4.0
    events = session.previous_step()  # at its start: back one more
    assert events[0].segment.index == 0 and session.position() == 0.0
    later = run(session, clock, [1.0] * 4)
    assert [e.segment.index for e in later] == [1]


def test_next_step_while_paused_stays_paused(drill: Timeline) -> None:
    clock = FakeClock(T0)
    session = Session(drill, clock)
    session.start()
    session.pause()
    session.next_step()
    clock.advance(10)
    assert session.position() == 4.0 and session.state is State.PAUSED


def test_next_from_the_last_step_finishes(drill: Timeline) -> None:
    clock = FakeClock(T0)
    session = Session(drill, clock)
    session.start()
    for _ in range(29):
        session.next_step()
    events = session.next_step()
    assert isinstance(events[-1], SessionFinished)
    assert session.state is State.FINISHED


def test_stop_keeps_the_position(drill: Timeline) -> None:
    clock = FakeClock(T0)
    session = Session(drill, clock)
    session.start()
    run(session, clock, [0.5] * 31)  # 15.5 s: cycle 1 done, in cycle 2's inhale... hold
    session.stop()
    clock.advance(100)
    assert session.state is State.STOPPED
    assert session.position() == 15.5
    assert session.cycles_done == 1
    assert session.steps_done == 3
    assert session.poll() == []
    assert session.next_step() == []


def test_start_twice_is_an_error(drill: Timeline) -> None:
    session = Session(drill, FakeClock())
    session.start()
    with pytest.raises(SessionError):
        session.start()


def _prompt_timeline() -> Timeline:
    exercise = Exercise(
        id="p",
        title="P",
        kind=Kind.ROUTINE,
        summary="",
        path=Path("p.toml"),
        steps=(Step("timed", 10.0), Step("name three sounds", None), Step("feet", 5.0)),
    )
    return plan(exercise)


def test_untimed_prompt_waits_for_continue() -> None:
    clock = FakeClock(T0)
    session = Session(_prompt_timeline(), clock)
    session.start()
    events = run(session, clock, [0.5] * 20)
    assert [e.segment.say for e in events] == ["name three sounds"]
    run(session, clock, [0.5] * 200)  # a long time thinking: holds, no finish
    assert session.waiting and session.position() == 10.0
    assert session.state is State.RUNNING
    assert session.next_deadline() is None
    events = session.continue_()
    assert [e.segment.say for e in events] == ["feet"]
    assert not session.waiting
    assert session.next_deadline() == clock.now + 5
    events = run(session, clock, [0.5] * 10)
    assert isinstance(events[-1], SessionFinished) and events[-1].deadline == clock.now
    assert session.steps_done == 3


def test_prompt_at_the_end_holds_the_finish() -> None:
    exercise = Exercise(
        id="p",
        title="P",
        kind=Kind.ROUTINE,
        summary="",
        path=Path("p.toml"),
        steps=(Step("timed", 2.0), Step("done?", None)),
    )
    clock = FakeClock(T0)
    session = Session(plan(exercise), clock)
    session.start()
    run(session, clock, [0.5] * 10)
    assert session.waiting and session.state is State.RUNNING
    events = session.continue_()
    assert isinstance(events[-1], SessionFinished)


def test_going_back_before_a_prompt_makes_it_wait_again() -> None:
    clock = FakeClock(T0)
    session = Session(_prompt_timeline(), clock)
    session.start()
    run(session, clock, [0.5] * 21)
    session.continue_()
    session.previous_step()  # to the prompt
    assert session.waiting
    session.previous_step()  # to the timed step before it
    run(session, clock, [0.5] * 30)
    assert session.waiting and session.position() == 10.0


def test_continue_does_nothing_when_not_waiting(drill: Timeline) -> None:
    clock = FakeClock(T0)
    session = Session(drill, clock)
    session.start()
    assert session.continue_() == []
    assert session.position() == 0.0


def test_next_part_leaves_the_breathing_for_the_release_in_one_call(library) -> None:
    flare = plan(library.get("flare"), PlanOptions(area="eyelid"), library.exercises)
    clock = FakeClock(T0)
    session = Session(flare, clock)
    session.start()
    run(session, clock, [0.5] * 9)  # part way into the first breath
    events = session.next_part()
    release = flare.parts[1]
    assert [(type(e), e.segment.index) for e in events] == [(StepStarted, release.first)]
    assert events[0].skipped_to
    assert session.current().exercise_id == "tension-release"
    assert session.position() == release.start
    # From the last part, the session ends.
    session.next_part()
    assert session.current().exercise_id == flare.parts[2].exercise_id
    events = session.next_part()
    assert isinstance(events[-1], SessionFinished)
    assert session.state is State.FINISHED


def test_next_part_does_nothing_before_start_or_after_stop(drill: Timeline) -> None:
    clock = FakeClock(T0)
    session = Session(drill, clock)
    assert session.next_part() == []
    session.start()
    session.stop()
    assert session.next_part() == []
