"""The app's history on a real SQLite file: time spent when skipping, previews left out,
and another program's lock that never holds up the session."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from calmcoach.audio import SilentPlayer
from calmcoach.data import locations
from calmcoach.data.history import History
from calmcoach.ui.app import make_app
from tests.ui.helpers import advance, new_app, session_screen


def existing_history() -> Path:
    """The user's history with one finished session in it, closed (no side files)."""
    path = locations.history_file()
    path.parent.mkdir(parents=True)
    history = History.open(path).history
    sid = history.start_session("box-breathing", "Box breathing", 240)
    history.end_session(sid, "finished", seconds=240, cycles=15, steps=60)
    history.close()
    return path


def history_bytes(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.parent.glob(path.name + "*"))}


async def test_skipping_ahead_in_the_app_records_the_time_spent() -> None:
    app, clock, _ = new_app(start="flare", area="leg")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = session_screen(pilot)
        await advance(pilot, clock, 60.0)
        last = len(screen.timeline.segments) - 1
        presses = 0
        while screen.session.index() < last:
            await pilot.press("n")
            presses += 1
        assert presses > 20 and screen.session.position() == 400
        await pilot.press("q")
        assert type(app.screen).__name__ == "SummaryScreen"
    (row,) = History.open(locations.history_file()).history.sessions()
    assert (row.status, row.seconds_done, row.position_seconds) == ("stopped", 60.0, 400.0)


async def test_a_preview_in_the_app_is_not_recorded() -> None:
    path = existing_history()
    before = history_bytes(path)
    app = make_app(start="physiological-sigh", speed=100, show_first_run=False, cues=SilentPlayer())
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(200):  # 60 s of session time at 100x: about 0.6 s (10 s at most)
            await asyncio.sleep(0.05)
            if type(app.screen).__name__ == "SummaryScreen":
                break
        assert type(app.screen).__name__ == "SummaryScreen"
        await pilot.press("3")  # a rating on a preview's summary goes nowhere either
        assert app.recorder.writer is None
    assert history_bytes(path) == before


async def test_another_programs_lock_never_holds_up_a_session_in_the_app(
    logged: pytest.LogCaptureFixture,
) -> None:
    path = existing_history()
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            writer = app.recorder.writer
            assert writer is not None
            holder.execute("BEGIN EXCLUSIVE")
            await pilot.press("7")
            await advance(pilot, clock, 121.0, step=0.5)
            # The whole session ran, every boundary's write asked for, under the lock.
            assert type(app.screen).__name__ == "SummaryScreen"
            assert app.screen.session.position() == 120
            await pilot.press("3")
            holder.execute("COMMIT")  # released while the app still runs: the writes follow
            assert writer.flush(20.0)
    finally:
        holder.close()
    rows = History.open(path).history.sessions()
    assert [r.title for r in rows] == ["4-2-6 breathing", "Box breathing"]
    row = rows[0]
    assert (row.status, row.seconds_done, row.rating_before, row.rating_after) == ("finished", 120.0, 7, 3)
    # The lock was met, and waited out: the log says both, once.
    assert [r.getMessage() for r in logged.records if r.name == "calmcoach.services.record"] == [
        "history: locked by another program; saving waits until it is free",
        "history: no longer locked; what waited is being saved",
    ]
    assert app.history_unsaved is None


async def test_what_a_lock_kept_from_being_saved_is_kept_for_after_the_app() -> None:
    path = existing_history()
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            app.recorder.close_timeout = 0.3  # the app waits 3 s by default
            assert app.recorder.writer is not None and app.recorder.writer.flush(20.0)
            holder.execute("BEGIN EXCLUSIVE")
            await advance(pilot, clock, 121.0, step=0.5)
            assert type(app.screen).__name__ == "SummaryScreen"
        # The app has closed with the lock still held: said once, kept for the CLI to print.
        assert app.history_unsaved == (
            "history: could not save the end of 4-2-6 breathing: "
            "the history file stayed locked by another program; "
            "kept it to write the next time calmcoach starts"
        )
    finally:
        holder.execute("COMMIT")
        holder.close()
    opened = History.open(path)  # the next start writes what was kept
    assert opened.notice == "1 row saved from an earlier run was written to the history"
    rows = {(row.exercise_id, row.status) for row in opened.history.sessions()}
    assert rows == {("box-breathing", "finished"), ("breathing-4-2-6", "finished")}


async def test_opening_history_under_another_programs_lock_never_freezes_the_screen() -> None:
    from calmcoach.ui.screens.home import HomeScreen
    from calmcoach.ui.screens.safety import RedFlagsScreen
    from calmcoach.ui.screens.stats import StatsScreen

    path = existing_history()
    other = sqlite3.connect(path, isolation_level=None)
    # In rollback-journal mode an exclusive lock keeps even readers out: the writer
    # cannot open the file while this is held.
    other.execute("PRAGMA journal_mode = DELETE")
    other.execute("BEGIN EXCLUSIVE")
    try:
        app, clock, _ = new_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("ctrl+s")
            await pilot.pause(0.3)
            assert isinstance(app.screen, HomeScreen)  # still waiting for the file...
            await pilot.press("exclamation_mark")  # ...and the keys still work meanwhile
            assert isinstance(app.screen, RedFlagsScreen)
            other.execute("ROLLBACK")
            # A hang guard, not a timing check: on a loaded machine the writer's open and
            # the screen can take seconds; ending the test first pushed the screen into an
            # app already closing (NoMatches on #stats-body, seen once in CI).
            deadline = time.monotonic() + 30
            while not isinstance(app.screen, StatsScreen) and time.monotonic() < deadline:
                await pilot.pause(0.05)
            assert isinstance(app.screen, StatsScreen)
            await pilot.pause()  # its first drawing done before the app closes
            assert app.screen.history is not None  # the history, once the lock was gone
    finally:
        other.close()
