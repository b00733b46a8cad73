"""Small terminals (40x12) and the usual ones: nothing falls off or wraps into debris.
Also: a theme picked in the command palette is remembered."""

from __future__ import annotations

from datetime import date

import pytest
from textual.command import CommandList
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Static

from calmcoach.data import locations, settings
from calmcoach.data.history import History
from calmcoach.ui.screens.help import KEYS, HelpScreen
from calmcoach.ui.screens.stats import CHART_HEIGHT, StatsScreen
from calmcoach.ui.screens.summary import SummaryScreen
from calmcoach.ui.widgets.chart import BLOCKS
from tests.helpers import month_of_data
from tests.ui.helpers import advance, new_app, session_screen

TODAY = date(2026, 11, 20)


def lines_of(widget: Widget) -> list[str]:
    """The widget's text as drawn, one string per line of its content."""
    height = max(widget.virtual_size.height, widget.size.height)
    return [strip.text for strip in widget.render_lines(Region(0, 0, widget.size.width, height))]


def visible(widget: Widget, size: tuple[int, int]) -> bool:
    """Wholly on screen and above the key bar."""
    region = widget.region
    return bool(region.area) and Region(0, 0, size[0], size[1] - 1).contains_region(region)


@pytest.mark.parametrize("size", [(40, 12), (60, 20), (80, 24)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_progress_line_fits_and_keeps_the_time_left(size: tuple[int, int]) -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=size) as pilot:
        await advance(pilot, clock, 30.0)
        progress = session_screen(pilot).query_one("#progress", Static)
        assert visible(progress, size)
        (line,) = lines_of(progress)
        assert "2 min left" in line, line
        assert line.count("━") + line.count("─") <= 40
        assert line.count("━") >= 1  # a quarter of the way: the bar shows it


async def test_progress_bar_grows_back_when_the_terminal_widens() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(40, 12)) as pilot:
        await advance(pilot, clock, 60.0)
        progress = session_screen(pilot).query_one("#progress", Static)
        narrow = lines_of(progress)[0]
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        wide = lines_of(progress)[0]
        assert wide.count("━") + wide.count("─") == 40 > narrow.count("━") + narrow.count("─")
        assert wide.count("━") == 20 and "under a minute left" not in wide


async def test_summary_rating_row_is_on_screen_at_40x12() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(40, 12)) as pilot:
        await advance(pilot, clock, 121.0, step=0.5)
        screen = app.screen
        assert isinstance(screen, SummaryScreen)
        for n in range(11):
            assert visible(screen.query_one(f"#rate-{n}"), (40, 12)), n
        assert visible(screen.query_one("#rating-question"), (40, 12))
        await pilot.click("#rate-10")
        assert screen.rating == 10


def _chart_lines(body: list[str]) -> list[str]:
    return [line for line in body if any(block in line for block in BLOCKS[1:])]


@pytest.mark.parametrize("size", [(40, 12), (80, 24), (100, 30)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_stats_chart_keeps_its_rows_whole(size: tuple[int, int]) -> None:
    locations.data_dir().mkdir(parents=True)
    history = History.open(locations.history_file()).history
    month_of_data(history, TODAY)
    history.close()
    app, _, _ = new_app()
    async with app.run_test(size=size) as pilot:
        app.push_screen(StatsScreen(app.recorder.history, today=TODAY))
        await pilot.pause()
        await pilot.pause()
        body = app.screen.query_one("#stats-body", Static)
        text = lines_of(body)
        chart = _chart_lines(text)
        # Exactly the chart's rows hold blocks, each starting in the label column:
        # no row broke and left a few blocks alone on the next line.
        assert len(chart) == CHART_HEIGHT, "\n".join(text)
        label = len(chart[1]) - len(chart[1].lstrip(" "))
        assert label >= 2 and all(line[:label].strip() in ("", "5") for line in chart)
        dates = text[text.index(chart[-1]) + 1]
        assert "20 Nov" in dates, dates
        for line in text:
            assert len(line.rstrip()) <= body.size.width


@pytest.mark.parametrize("size", [(80, 24), (100, 30)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_help_wraps_each_meaning_within_its_column(size: tuple[int, int]) -> None:
    app, _, _ = new_app()
    async with app.run_test(size=size) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        lines = [line.rstrip() for line in lines_of(app.screen.query_one("#help Static", Static))]
        headings = {key for key, meaning in KEYS if not meaning}
        # Longest first: "Esc or q" is not the key "Esc".
        # A meaning with no key of its own (the tapping screen's timeout) sits in the column.
        keys = sorted((key for key, meaning in KEYS if meaning and key), key=len, reverse=True)
        column = None
        wrapped = 0
        for line in lines:
            if not line or line.strip() in headings or line.startswith("Press !"):
                continue
            key = next((k for k in keys if line.startswith(f"  {k} ")), None)
            if key is not None:
                start = len(line) - len(line[len(key) + 2 :].lstrip())
                column = start if column is None else column
                assert start == column, f"meaning out of its column: {line!r}"
            else:
                wrapped += 1
                assert column is not None and line[:column].strip() == "", f"stray wrap: {line!r}"
        assert column is not None
        if size[0] == 80:
            assert wrapped, "80 columns should wrap at least one long meaning (else this test shows nothing)"


async def test_theme_from_the_command_palette_is_remembered() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme != "nord"
        # What the palette's "Change theme" does when a theme is picked.
        app.theme = "nord"
        await pilot.pause()
        assert settings.load().theme == "nord"
    again, _, _ = new_app()
    async with again.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert again.theme == "nord"


async def test_theme_picked_through_the_palette_itself_is_remembered() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.action_change_theme()
        await pilot.pause()
        await pilot.press(*"gruvbox")
        results = app.screen.query_one(CommandList)
        # The palette searches in the background: wait (bounded) for its one hit.
        for _ in range(250):
            if results.option_count == 1 and results.highlighted == 0:
                break
            await pilot.pause(0.02)
        assert results.option_count == 1
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "gruvbox"
        assert settings.load().theme == "gruvbox"
