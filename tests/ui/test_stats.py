"""The stats screen and the flare journal in the app, on a real SQLite file."""

from __future__ import annotations

from datetime import date

from textual.widgets import Input, RadioSet, SelectionList, Static

from calmcoach.data import locations
from calmcoach.data.history import History
from calmcoach.ui.screens.stats import FlareLogScreen, StatsScreen
from tests.helpers import month_of_data
from tests.ui.helpers import advance, new_app

TODAY = date(2026, 11, 20)


def body(app) -> str:
    return str(app.screen.query_one("#stats-body", Static).render())


async def test_empty_history_shows_a_friendly_start() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, StatsScreen)
        assert "Nothing here yet." in body(app)
        assert not app.screen.query_one("#stats-warning").display


async def test_month_of_data_with_the_red_flag_pointer() -> None:
    locations.data_dir().mkdir(parents=True)
    history = History.open(locations.history_file()).history
    month_of_data(history, TODAY)
    history.close()
    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(StatsScreen(app.recorder.history, today=TODAY))
        await pilot.pause()
        text = body(app)
        assert "Streak: 3 days" in text and "Sessions: 23" in text
        assert "-3.0 on average (calmer)" in text
        assert "Eyelid or face" in text and "caffeine" in text
        warning = str(app.screen.query_one("#stats-warning", Static).render())
        assert "a twitch that lasts for weeks is worth a check" in warning.lower()
        await pilot.press("exclamation_mark")
        assert type(app.screen).__name__ == "RedFlagsScreen"


async def test_session_in_the_app_is_recorded_with_ratings() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("7")  # tension before
        await advance(pilot, clock, 121.0, step=0.5)
        await pilot.press("3")  # tension after, on the summary
    rows = History.open(locations.history_file()).history.sessions()
    (row,) = rows
    assert (row.status, row.seconds_done, row.rating_before, row.rating_after) == ("finished", 120.0, 7, 3)


async def test_stopped_session_in_the_app_is_recorded_as_stopped() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        await advance(pilot, clock, 20.0)
        await pilot.press("q")
    (row,) = History.open(locations.history_file()).history.sessions()
    assert row.status == "stopped" and row.seconds_done == 20.0


async def test_log_a_flare_from_the_app() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+s", "l")
        assert isinstance(app.screen, FlareLogScreen)
        await pilot.press("down", "down", "enter")  # leg
        assert app.screen.query_one(RadioSet).pressed_button.name == "leg"
        app.screen.query_one("#flare-intensity", Input).value = "11"
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, FlareLogScreen)  # refused, with a reason
        assert "0 to 10" in str(app.screen.query_one("#flare-error", Static).render())
        app.screen.query_one("#flare-intensity", Input).value = "7"
        app.screen.query_one(SelectionList).select("caffeine")
        app.screen.query_one("#flare-other", Input).value = "stairs, late night"
        app.screen.query_one("#flare-note", Input).value = "[b]not markup[/b]"
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, StatsScreen)
        assert "Leg or foot" in body(app)
    (flare,) = History.open(locations.history_file()).history.flares()
    assert (flare.area, flare.intensity, flare.triggers, flare.note) == (
        "leg",
        7,
        ("caffeine", "stairs", "late night"),
        "[b]not markup[/b]",
    )


async def test_history_off_still_runs_sessions(tmp_path, told) -> None:
    path = locations.history_file()
    path.parent.mkdir(parents=True)
    History.open(path).history.close()
    import sqlite3

    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        await advance(pilot, clock, 121.0, step=0.5)
        assert type(app.screen).__name__ == "SummaryScreen"
        assert sum("newer calmcoach" in m for m in told()) == 1  # on the session's line
        await pilot.press("enter", "ctrl+s")
        assert "History is off" in body(app)


def test_escape_codes_in_rows_show_as_visible_escapes_on_the_stats_page() -> None:
    from collections import Counter

    from calmcoach.data.history import Stats
    from calmcoach.ui.screens.stats import stats_text

    stats = Stats(
        per_day=[(TODAY, 2.0)],
        streak=1,
        sessions=1,
        total_minutes=2.0,
        totals=[("Box\x1b[31m breath", 1, 2.0)],
        rated_sessions=0,
        average_change=None,
        flares_by_area=Counter({"calf\x07": 1}),
        flares_by_trigger=Counter({"screen\x1b[31m time": 3}),
    )
    text = stats_text(stats).plain
    assert "screen\\x1b[31m time" in text
    assert "Box\\x1b[31m breath" in text
    assert "calf\\x07" in text
    assert "\x1b" not in text and "\x07" not in text
