"""The app's side: its presence seen by the reminder, nudges shown in it, moves on the stats screen."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime, timedelta

import pytest
from textual.widgets import Static

from calmcoach.data import locations
from calmcoach.data import settings as user_settings
from calmcoach.data.history import History
from calmcoach.services import presence
from calmcoach.ui.screens.stats import StatsScreen
from calmcoach.ui.screens.summary import SummaryScreen
from tests.ui.helpers import advance, new_app

TODAY = date(2026, 11, 20)


async def test_open_app_is_seen_and_shows_a_nudge_left_for_it() -> None:
    assert not presence.app_is_open()
    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        assert presence.app_is_open()
        presence.post_nudge(datetime.now(UTC))
        app.nudges.check()  # what its timer does every few seconds
        await pilot.pause()
        assert app.nudges.shown == 1
        (shown,) = list(app._notifications)
        assert shown.title == presence.NUDGE_TEXT and "Desk break" in shown.message
        assert not presence.nudge_waiting()  # taken
        app.nudges.check()
        assert app.nudges.shown == 1  # nothing new, nothing shown
    assert not presence.app_is_open()  # let go when it closed


async def test_no_nudge_during_a_session_it_waits_until_the_session_is_over() -> None:
    app, clock, _ = new_app(start="desk-break")
    async with app.run_test(size=(100, 30)) as pilot:
        await advance(pilot, clock, 5.0)
        presence.post_nudge(datetime.now(UTC))
        app.nudges.check()
        await pilot.press("space")  # paused is still inside the session
        app.nudges.check()
        await pilot.pause()
        assert app.nudges.shown == 0 and not list(app._notifications)
        assert presence.nudge_waiting()  # held, not taken: the reminder still sees it out
        await pilot.press("space", "q")
        assert isinstance(app.screen, SummaryScreen)
        app.nudges.check()
        await pilot.pause()
        assert app.nudges.shown == 1 and not presence.nudge_waiting()


async def test_stale_or_foreign_nudge_files_are_dropped_unshown() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)):
        presence.post_nudge(datetime.now(UTC) - timedelta(hours=1))
        app.nudges.check()
        presence.nudge_file().write_bytes(b"\x1b]0;evil\x07 nudge")
        app.nudges.check()
        presence.nudge_file().write_bytes(b"nudge " + b"9" * 500)
        app.nudges.check()
        assert app.nudges.shown == 0 and not presence.nudge_waiting()


def test_a_lock_held_by_another_process_counts_and_ends_with_it() -> None:
    code = textwrap.dedent(
        """
        import sys
        from calmcoach.services.presence import AppPresence
        held = AppPresence.hold()
        print("held" if held.held else "not held", flush=True)
        sys.stdin.read()
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        assert presence.app_is_open()
    finally:
        child.kill()  # however it ends, the kernel lets go of the lock
        child.wait(timeout=10)
    assert not presence.app_is_open()


def test_terminal_notification_escape_only_where_known_and_never_with_control_characters() -> None:
    kitty = presence.terminal_notification("calmcoach", "Move\x1b]0;x\x07 now; ok", {"TERM": "xterm-kitty"})
    assert kitty == "\x1b]9;calmcoach: Move]0x now ok\x1b\\"
    foot = presence.terminal_notification("calm", "Move", {"TERM": "foot"})
    assert foot == "\x1b]777;notify;calm;Move\x1b\\"
    assert presence.terminal_notification("a", "b", {"TERM": "xterm-256color"}) is None
    assert presence.terminal_notification("a", "b", {"TERM": "xterm-kitty", "TMUX": "/tmp/x"}) is None


async def test_stats_show_moves_per_day_under_the_practice_chart() -> None:
    locations.data_dir().mkdir(parents=True)
    history = History.open(locations.history_file()).history
    noon = datetime.combine(TODAY, datetime.min.time(), UTC) + timedelta(hours=12)
    sid = history.start_session("desk-break", "Desk break", 117, now=noon)
    history.end_session(sid, "finished", seconds=117, cycles=0, steps=7, now=noon)
    for days_ago, answers in {0: ["started", "started", "skipped"], 3: ["started"], 5: ["ignored"]}.items():
        for hour, answer in enumerate(answers):
            row = history.add_nudge("desktop", now=noon - timedelta(days=days_ago, hours=hour))
            history.answer_nudge(row, answer, now=noon - timedelta(days=days_ago, hours=hour))
    history.close()
    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(StatsScreen(app.recorder.history, today=TODAY))
        await pilot.pause()
        lines = str(app.screen.query_one("#stats-body", Static).render()).splitlines()
    moves = next(line for line in lines if line.startswith("moves "))
    bars = [line for line in lines[1:6]]
    assert moves[6:] == " " * 26 + "1  2"  # 30 days, oldest first: 3 days ago one, today two
    assert bars[-1][-1] != " "  # today's practice bar stands right above today's count
    assert any("Nudges to move: 5 in 30 days (3 started, 1 skipped, 1 ignored)" in line for line in lines)


async def test_a_window_opened_by_a_nudge_goes_straight_to_its_routine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """First run, opened by a nudge's Start (the name the reminder sets): the desk break
    at once, no welcome over or under it; the welcome waits for the next ordinary start."""
    from calmcoach.remind.main import OPENED_BY_NUDGE
    from calmcoach.ui.screens.safety import FirstRunNote
    from calmcoach.ui.screens.session import SessionScreen

    monkeypatch.setenv(OPENED_BY_NUDGE, "1")
    app, _, _ = new_app(start="desk-break", show_first_run=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        assert not any(isinstance(screen, FirstRunNote) for screen in app.screen_stack)
    assert not user_settings.load().first_run_seen
    monkeypatch.delenv(OPENED_BY_NUDGE)
    again, _, _ = new_app(show_first_run=None)
    async with again.run_test(size=(100, 30)):
        assert isinstance(again.screen, FirstRunNote)
