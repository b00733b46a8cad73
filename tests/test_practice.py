"""What a session really did (issue 23, section 2): the figures the history, the summary
and plain mode share. A step left with a skip before its end is not done; a prompt gone on
from is; a breath counts only when every phase of it ran."""

from __future__ import annotations

from pathlib import Path

from calmcoach.domain.model import Exercise, Kind, Step
from calmcoach.domain.planner import plan
from calmcoach.domain.session import Session, practice_of
from tests.clocks import FakeClock


def _routine() -> Session:
    exercise = Exercise(
        id="p",
        title="P",
        kind=Kind.ROUTINE,
        summary="",
        path=Path("p.toml"),
        steps=(Step("timed", 10.0), Step("name three sounds", None), Step("feet", 5.0), Step("hands", 5.0)),
    )
    return Session(plan(exercise), FakeClock())


def _read(session: Session, seconds: float) -> None:
    clock = session.clock
    assert isinstance(clock, FakeClock)
    for _ in range(round(seconds / 0.5)):
        clock.advance(0.5)
        session.poll()


def test_a_step_left_with_next_is_skipped_and_a_prompt_gone_on_from_is_done() -> None:
    session = _routine()
    session.start()
    _read(session, 3.0)
    session.next_step()  # "timed" left 7 s early: skipped
    _read(session, 4.0)  # a think at the prompt
    session.next_step()  # at a prompt, next means done
    _read(session, 5.0)  # "feet" runs to its end
    session.next_step()  # "hands" left at once: skipped, and the session ends
    done = practice_of(session)
    assert (done.finished, done.steps, done.skipped, done.planned_steps) == (True, 2, 2, 4)
    assert done.seconds == 12.0


def test_stopped_counts_as_skipped_only_what_came_before_the_stop() -> None:
    session = _routine()
    session.start()
    session.next_step()  # "timed" skipped; now at the prompt
    session.next_step()  # the prompt, done
    _read(session, 2.0)
    session.stop()  # in "feet": neither done nor skipped; "hands" never reached
    done = practice_of(session)
    assert (done.finished, done.steps, done.skipped) == (False, 1, 1)
    assert done.position == 12.0 and done.seconds == 2.0
