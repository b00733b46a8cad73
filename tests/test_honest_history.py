"""Honest history (issue 10, points 7 and 8): the time recorded is the time really spent
(skipping ahead adds none), and a --speed preview is not a session."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest

from calmcoach.data import locations
from calmcoach.data.history import History
from calmcoach.domain.planner import PlanOptions, plan
from calmcoach.domain.session import Session
from calmcoach.services.record import Recorder
from tests.clocks import FakeClock
from tests.helpers import calmcoach_command, settle
from tests.plain_runs import Typed, run_plain_command

HANG_GUARD = 60.0
"""A preview of 2 minutes at 100x takes about 1.2 s; this only catches a hang."""


def read_for(session: Session, clock: FakeClock, seconds: float) -> None:
    """Let ``seconds`` pass, reading the session at 4 Hz as a screen would."""
    for _ in range(round(seconds * 4)):
        clock.advance(0.25)
        session.poll()


def test_active_seconds_leave_out_pauses_suspends_and_skips(library) -> None:
    timeline = plan(library.get("breathing-4-2-6"), PlanOptions(minutes=2))
    clock = FakeClock(0)
    session = Session(timeline, clock, max_gap=2.0)
    assert session.active_seconds() == 0  # not started
    session.start()
    read_for(session, clock, 10)
    assert session.active_seconds() == 10
    session.pause()
    clock.advance(30)
    assert session.active_seconds() == 10  # paused time is not practice
    session.resume()
    read_for(session, clock, 5)
    assert session.active_seconds() == 15
    clock.advance(60)  # suspended (Ctrl+Z, a sleeping laptop): no reads for a minute
    session.poll()
    assert session.active_seconds() == 15 and session.position() == 15
    for _ in range(6):
        session.next_step()  # skipping ahead: the position moves, the time spent does not
    assert session.position() == 36 and session.active_seconds() == 15
    read_for(session, clock, 2)
    assert session.active_seconds() == 17
    session.previous_step()  # going back does not undo time spent either
    assert session.active_seconds() == 17
    session.stop()
    clock.advance(100)
    assert session.active_seconds() == 17  # banked at the stop


def test_a_session_run_straight_through_spent_its_whole_length(library) -> None:
    timeline = plan(library.get("breathing-4-2-6"), PlanOptions(minutes=2))
    clock = FakeClock(0)
    session = Session(timeline, clock)
    session.start()
    while session.active:
        clock.advance(0.7)  # late reads: the end is counted at its deadline, not at the read
        session.poll()
    assert session.active_seconds() == pytest.approx(120.0)


def test_skipping_through_the_flare_routine_records_the_minute_spent(library, cli_env) -> None:
    """One real minute of breathing, then `n` to the last step of a 7:25 routine: the
    history says one minute (and how far it got), the stats count one minute."""
    timeline = plan(library.get("flare"), PlanOptions(area="leg"), library)
    assert timeline.total == 445
    path = locations.history_file()
    said: list[str] = []
    recorder = Recorder(path, said.append)
    clock = FakeClock(0)
    session = Session(timeline, clock)
    recorder.begin(timeline)
    recorder.observe(session, session.start())
    for _ in range(240):  # 60 s at 4 Hz
        clock.advance(0.25)
        recorder.observe(session, session.poll())
    last = len(timeline.segments) - 1
    presses = 0
    while session.index() < last:
        clock.advance(0.2)  # a key press every 0.2 s
        recorder.observe(session, session.next_step())
        presses += 1
    assert presses > 20
    settle(recorder)
    history = History.open(path).history
    (row,) = history.sessions()
    # A run killed now would read back with the time spent up to the last skip.
    assert row.position_seconds == timeline.segments[last].start == 400
    assert row.seconds_done == pytest.approx(60 + 0.2 * presses)
    session.stop()
    recorder.observe(session, [])
    recorder.close()
    (row,) = history.sessions()
    spent = session.active_seconds()
    assert spent == pytest.approx(60 + 0.2 * presses)  # the minute, and the moments between presses
    assert (row.status, row.seconds_done, row.position_seconds) == ("stopped", spent, 400)
    stats = history.stats(date.today())
    assert stats.total_minutes == pytest.approx(spent / 60)
    assert stats.per_day[-1][1] == pytest.approx(spent / 60)
    history.close()
    shown = subprocess.run([*calmcoach_command(), "history"], capture_output=True, text=True, env=cli_env)
    assert shown.returncode == 0 and said == []
    assert f"stopped      {spent / 60:5.1f} min  Flare routine" in shown.stdout
    assert "(skipped ahead to 6.7 of 7.4 min)" in shown.stdout


def history_bytes(path: Path) -> dict[str, bytes]:
    """The history file and any side files, byte for byte."""
    return {p.name: p.read_bytes() for p in sorted(path.parent.glob(path.name + "*"))}


def test_a_plain_preview_is_not_recorded(
    cli_env, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = locations.history_file()
    preview = ["run", "breathing-4-2-6", "--plain", "--speed", "100", "--minutes", "2", "--no-sound"]
    # The preview runs in this process on a fake clock (the whole command, history included).
    result = run_plain_command(preview, monkeypatch, capsys, Typed(""))
    assert result.code == 0 and "finished: 2:00" in result.out
    assert not path.exists()  # no history was even opened
    path.parent.mkdir(parents=True)
    history = History.open(path).history
    sid = history.start_session("box-breathing", "Box breathing", 240)
    history.end_session(sid, "finished", seconds=240, cycles=15, steps=60)
    history.close()
    before = history_bytes(path)
    result = run_plain_command(preview, monkeypatch, capsys, Typed(""))
    assert result.code == 0 and "finished: 2:00" in result.out
    assert history_bytes(path) == before
    shown = subprocess.run([*calmcoach_command(), "history"], capture_output=True, text=True, env=cli_env)
    assert shown.stdout.count("\n") == 1 and "Box breathing" in shown.stdout


def test_at_real_speed_the_same_run_is_recorded(cli_env) -> None:
    """The other side of the preview test: without --speed, plain mode does record (a short
    exercise of the user's, so the test runs in two real seconds)."""
    from tests.helpers import quick_breath

    result = subprocess.run(quick_breath(), capture_output=True, text=True, env=cli_env, timeout=HANG_GUARD)
    assert result.returncode == 0
    (row,) = History.open(locations.history_file()).history.sessions()
    assert (row.exercise_id, row.status) == ("quick-breath", "finished")
