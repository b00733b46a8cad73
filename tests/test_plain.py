"""Plain mode's lines, driven in virtual time: headings, safety notes, the closing line."""

from __future__ import annotations

import io

from calmcoach.audio import SilentPlayer
from calmcoach.cli.plain import PlainRunner, step_line, summary_line
from calmcoach.data.loader import Library
from calmcoach.domain.describe import safety_notes
from calmcoach.domain.planner import PlanOptions, plan
from tests.clocks import FakeClock


def run_plain(library: Library, exercise_id: str, options: PlanOptions | None = None) -> list[str]:
    """Run an exercise to the end in virtual time and return the lines it printed."""
    exercise = library.exercises[exercise_id]
    timeline = plan(exercise, options, library.exercises)
    clock = FakeClock()
    out = io.StringIO()
    runner = PlainRunner(
        timeline,
        cues=SilentPlayer(),
        out=out,
        stdin=io.StringIO("\n" * 20),  # Enter at every prompt
        notes=safety_notes(exercise, timeline, library.exercises),
        exercises=library.exercises,
        base_clock=clock,
        sleep=clock.advance,
    )
    assert runner.run() == 0
    return out.getvalue().splitlines()


def test_an_exercises_notes_come_before_its_first_step(library: Library) -> None:
    lines = run_plain(library, "breathing-4-2-6", PlanOptions(minutes=2))
    notes = library.exercises["breathing-4-2-6"].safety
    assert notes
    assert lines[: len(notes)] == [f"Note: {note}" for note in notes]
    assert lines[len(notes)].split()[:2] == ["0:00", "inhale"]
    assert sum(line.startswith("Note:") for line in lines) == len(notes)


def test_the_flare_routine_shows_its_notes_then_each_parts_once(library: Library) -> None:
    exercises = library.exercises
    lines = run_plain(library, "flare", PlanOptions(area="leg"))
    flare_notes = [f"Note: {n}" for n in exercises["flare"].safety]
    assert flare_notes and lines[: len(flare_notes)] == flare_notes
    for heading, exercise_id in (
        ("== 4-2-6 breathing ==", "breathing-4-2-6"),
        ("== Tension release (Leg or foot) ==", "tension-release"),
        ("== Attention shifting ==", "attention-shift"),
    ):
        at = lines.index(heading)
        notes = [f"Note: {n}" for n in exercises[exercise_id].safety]
        assert notes and lines[at + 1 : at + 1 + len(notes)] == notes, heading
        assert lines.count(heading) == 1
    # Each note is shown once, and none after the session has begun its steps.
    shown = [line for line in lines if line.startswith("Note:")]
    assert len(shown) == len(set(shown))
    assert "done" in lines[-1] and "Flare routine finished" in lines[-1]


def test_a_routine_run_for_an_area_names_it(library: Library) -> None:
    lines = run_plain(library, "tension-release", PlanOptions(area="hand"))
    assert "== Tension release (Hand or forearm) ==" in lines


def test_breath_and_step_counts_use_real_plurals(library: Library, user_exercises) -> None:
    (user_exercises / "one.toml").write_text(
        'title = "One"\nkind = "breathing"\ncycles = 1\n[[phase]]\npace = "inhale"\nseconds = 2\nsay = "in"\n'
    )
    from calmcoach.data.library import load_default_library

    library = load_default_library()
    lines = run_plain(library, "one")
    assert lines[0] == "  0:00  inhale  in  (breath 1 of 1)"
    assert lines[-1] == "  0:02  done    One finished: 0:02, 1 of 1 breath, 1 step."
    assert "(s)" not in "\n".join(lines)


def test_step_line_and_summary_words(library: Library) -> None:
    timeline = plan(library.exercises["breathing-4-2-6"], PlanOptions(minutes=2))
    assert (
        step_line(timeline.segments[3])
        == "  0:12  inhale  Breathe in slowly through your nose  (breath 2 of 10)"
    )
    clock = FakeClock()
    from calmcoach.domain.session import Session

    session = Session(timeline, clock)
    session.start()
    for _ in range(130):  # 13 s in small reads: one long gap would count as a suspend
        clock.advance(0.1)
        session.poll()
    session.stop()
    assert summary_line(session) == (
        "4-2-6 breathing stopped at 0:13 of 2:00: 0:13 spent, 1 of 10 breaths, 3 steps done."
    )


def test_a_session_skipped_to_its_end_is_not_called_finished(library: Library) -> None:
    """Skipping (as the app's n does) leaves steps not done: the line says so, in the
    figures the history keeps, and never "finished" as if all of it was done."""
    from calmcoach.domain.session import Session

    timeline = plan(library.exercises["breathing-4-2-6"], PlanOptions(minutes=2))
    clock = FakeClock()
    session = Session(timeline, clock)
    session.start()
    for _ in range(121):  # the first breath runs in full, in small reads
        clock.advance(0.1)
        session.poll()
    while session.active:
        clock.advance(0.5)
        session.next_step()
    assert (session.cycles_done, session.steps_done) == (1, 3)
    assert summary_line(session) == (
        "4-2-6 breathing reached its end by skipping ahead: 0:25 spent, 1 of 10 breaths, 3 steps done, "
        "27 skipped."
    )


def test_time_at_a_step_that_waits_is_practice_not_a_suspend() -> None:
    """Plain mode reads the clock while it waits for Enter, as the app does, so a long
    think at a prompt is neither lost from the time spent nor taken for Ctrl+Z."""
    import os
    import threading
    import time
    from pathlib import Path

    from calmcoach.domain.model import Exercise, Kind, Step

    exercise = Exercise(
        id="p",
        title="P",
        kind=Kind.ROUTINE,
        summary="",
        path=Path("p.toml"),
        steps=(Step("name three sounds", None), Step("feet", 0.5)),
    )
    read_end, write_end = os.pipe()
    stdin = os.fdopen(read_end, "r")

    def answer_later() -> None:
        time.sleep(3.0)  # longer than the 2 s silence that counts as a suspend
        os.write(write_end, b"\n")
        os.close(write_end)

    typist = threading.Thread(target=answer_later)
    runner = PlainRunner(plan(exercise), cues=SilentPlayer(), out=io.StringIO(), stdin=stdin)
    typist.start()
    try:
        assert runner.run() == 0
    finally:
        typist.join()
        stdin.close()
    session = runner.session
    assert session.suspended_seconds == 0.0
    assert session.active_seconds() >= 3.0
