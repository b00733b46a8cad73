"""Ratings from 0 to 10 by key (10 included), and leaving the summary, on a real history file."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from calmcoach.data import locations
from calmcoach.data.history import History, SessionRecord
from calmcoach.domain.describe import clock_text
from calmcoach.ui.app import CalmApp
from calmcoach.ui.screens.home import HomeScreen
from calmcoach.ui.screens.summary import SummaryScreen
from calmcoach.ui.widgets.keybar import KeyBar
from calmcoach.ui.widgets.rating import TEN_WINDOW
from tests.clocks import FakeClock
from tests.ui.helpers import advance, new_app, session_screen


def only_row() -> SessionRecord:
    """The one session in the history file, read from disk with a new connection."""
    history = History.open(locations.history_file()).history
    try:
        (row,) = history.sessions()
    finally:
        history.close()
    return row


async def to_summary(pilot: Pilot[object], clock: FakeClock) -> SummaryScreen:
    """Run the 2-minute breathing session to its end."""
    await advance(pilot, clock, 121.0, step=0.5)
    screen = pilot.app.screen
    assert isinstance(screen, SummaryScreen)
    return screen


def typing_clock(screen: SummaryScreen) -> FakeClock:
    """Give the screen's rating keys a clock the test moves (no sleeping)."""
    keys_clock = FakeClock(100.0)
    screen.rating_keys.clock = keys_clock
    return keys_clock


async def test_one_then_zero_on_the_summary_stores_ten() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await to_summary(pilot, clock)
        keys_clock = typing_clock(screen)
        await pilot.press("1")
        # The 1 counts at once: leaving now would keep it.
        assert screen.rating == 1 and only_row().rating_after == 1
        keys_clock.advance(TEN_WINDOW / 2)
        await pilot.press("0")
        assert screen.rating == 10
        said = str(screen.query_one("#rating-said", Static).render())
        assert "10 of 10" in said
        await pilot.press("enter")
        assert isinstance(app.screen, HomeScreen)
    assert only_row().rating_after == 10


async def test_zero_after_the_window_is_zero_and_t_is_ten() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await to_summary(pilot, clock)
        keys_clock = typing_clock(screen)
        await pilot.press("1")
        keys_clock.advance(TEN_WINDOW + 0.5)
        await pilot.press("0")
        assert screen.rating == 0 and only_row().rating_after == 0
        await pilot.press("t")
        assert screen.rating == 10 and only_row().rating_after == 10
        # Another digit soon after a 10 is a new rating, not a longer number.
        await pilot.press("3")
        assert screen.rating == 3
    assert only_row().rating_after == 3


async def test_summary_question_says_the_range_and_how_to_give_ten() -> None:
    for size in ((100, 30), (40, 12)):
        app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
        async with app.run_test(size=size) as pilot:
            screen = await to_summary(pilot, clock)
            question = str(screen.query_one("#rating-question", Static).render())
            assert "0 to 10" in question and "1 then 0" in question, (size, question)


async def test_one_then_zero_before_the_session_stores_ten() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = session_screen(pilot)
        hint = str(screen.query_one("#hint", Static).render())
        assert "0 to 10" in hint and "1 then 0" in hint
        keys_clock = FakeClock(100.0)
        screen.rating_keys.clock = keys_clock
        await pilot.press("1")
        assert screen.rating_before == 1 and only_row().rating_before == 1
        keys_clock.advance(TEN_WINDOW / 2)
        await pilot.press("0")
        assert screen.rating_before == 10
        await advance(pilot, clock, 121.0, step=0.5)
        assert isinstance(app.screen, SummaryScreen)
    assert only_row().rating_before == 10


async def test_before_rating_keeps_the_first_answer_unless_zero_follows_one_at_once() -> None:
    app, _, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = session_screen(pilot)
        keys_clock = FakeClock(100.0)
        screen.rating_keys.clock = keys_clock
        await pilot.press("1")
        keys_clock.advance(TEN_WINDOW + 0.5)
        await pilot.press("0")
        await pilot.press("t")
        assert screen.rating_before == 1
    assert only_row().rating_before == 1


async def test_t_before_the_session_is_ten() -> None:
    app, _, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("t")
        assert session_screen(pilot).rating_before == 10
    assert only_row().rating_before == 10


async def test_escape_and_q_on_the_summary_go_to_the_library_not_out() -> None:
    for key in ("escape", "q"):
        app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
        async with app.run_test(size=(100, 30)) as pilot:
            await to_summary(pilot, clock)
            await pilot.press(key)
            assert isinstance(app.screen, HomeScreen), key
            assert app.is_running and app.return_code is None, key


async def test_summary_key_bar_says_esc_is_the_library_and_ctrl_q_quits() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        await to_summary(pilot, clock)
        bar = str(app.screen.query_one(KeyBar).render())
        assert "esc Library" in bar and "^q Quit" in bar, bar
        assert isinstance(app, CalmApp)


def shown(screen: SummaryScreen) -> tuple[str, list[str], str]:
    """The summary's greeting, its lines of figures and the word under them, as rendered."""
    title = str(screen.query_one("#summary-title", Static).render())
    facts = str(screen.query_one("#summary-facts", Static).render()).splitlines()
    note = screen.query_one("#summary-note", Static)
    return title, facts, str(note.render()) if note.display else ""


async def test_skipping_to_the_end_with_n_the_summary_says_what_the_history_row_says() -> None:
    """Issue 23: one breath run in full, then n to the end. The summary claimed 2:00 and
    10 of 10 breaths; it now says the time spent, the breath and steps really done and
    how many were skipped, exactly as the history row on disk keeps them."""
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = session_screen(pilot)
        await advance(pilot, clock, 12.1, step=0.1)  # the first breath, in full
        presses = 0
        while isinstance(app.screen, type(screen)):
            await pilot.press("n")
            presses += 1
            await advance(pilot, clock, 0.2, step=0.1)
        assert presses == 27
        summary = app.screen
        assert isinstance(summary, SummaryScreen)
        title, facts, note = shown(summary)
    row = only_row()
    assert (row.status, row.cycles_done, row.steps_done) == ("finished", 1, 3)
    assert row.seconds_done == pytest.approx(12.1 + 26 * 0.2)
    assert "Well done" not in title and "skipping" in title
    assert note == "Only what you did is counted; the rest is there whenever you want it."
    assert facts == [
        "4-2-6 breathing",
        f"Time: {clock_text(row.seconds_done)} (the rest skipped)",
        f"Breaths: {row.cycles_done} of 10",
        f"Steps done: {row.steps_done} of 30 (27 skipped)",
    ]
    assert facts[1] == "Time: 0:17 (the rest skipped)"


async def test_a_flare_routine_skipped_part_by_part_with_p_says_what_the_history_row_says() -> None:
    app, clock, _ = new_app(start="flare", area="hand")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = session_screen(pilot)
        timeline = screen.timeline
        assert len(timeline.parts) == 3 and timeline.cycles
        await advance(pilot, clock, 29.0, step=0.1)  # two breaths and most of a third
        await pilot.press("p")  # to the release
        release = timeline.parts[1]
        await advance(pilot, clock, 10.0, step=0.1)
        await pilot.press("p")  # to attention shifting
        await pilot.press("p")  # to the end
        summary = app.screen
        assert isinstance(summary, SummaryScreen)
        title, facts, note = shown(summary)
    row = only_row()
    # Done: the steps that ran to their end in the 29 s of breathing and the 10 s of release.
    ran = [s for s in timeline.segments if s.part == 0 and s.end <= 29.0]
    ran += [
        s for s in timeline.segments if s.part == 1 and s.end <= timeline.segments[release.first].start + 10
    ]
    steps = len(timeline.segments)
    assert len(ran) >= 7
    assert (row.status, row.cycles_done, row.steps_done) == ("finished", 2, len(ran))
    assert row.seconds_done == pytest.approx(39.0)
    assert "Well done" not in title and note
    assert facts == [
        timeline.title,
        f"Time: {clock_text(row.seconds_done)} (the rest skipped)",
        f"Breaths: {row.cycles_done} of {timeline.cycles}",
        f"Steps done: {row.steps_done} of {steps} ({steps - row.steps_done} skipped)",
    ]
