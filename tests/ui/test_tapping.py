"""Slow down gently in the app: the tapping screen before the session, on the app's fake
clock, from the flare picker or the library; the session it opens starts at the tapped
pace and ends in 4-2-6."""

from __future__ import annotations

import itertools

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from calmcoach.data import locations
from calmcoach.data.history import History
from calmcoach.domain.planner import Segment
from calmcoach.domain.session import Event, Session, StepStarted
from calmcoach.ui.screens.choice import ChoiceScreen
from calmcoach.ui.screens.help import keys_table
from calmcoach.ui.screens.home import HomeScreen
from calmcoach.ui.screens.safety import RedFlagsScreen
from calmcoach.ui.screens.summary import SummaryScreen
from calmcoach.ui.screens.tapping import TappingScreen
from calmcoach.ui.widgets.keybar import KeyBar
from calmcoach.ui.widgets.notice import NoticeLine
from tests.clocks import FakeClock
from tests.ui.helpers import T0, advance, new_app, notices_told, session_opened

TICK = 0.2
"""Real seconds for the tapping screen's timer to read the fake clock."""


async def tapping_screen(pilot: Pilot[object]) -> TappingScreen:
    for _ in range(50):
        if isinstance(pilot.app.screen, TappingScreen):
            return pilot.app.screen
        await pilot.pause(0.02)
    raise AssertionError(f"expected the tapping screen, got {pilot.app.screen!r}")


def cycle_lengths(segments: list[tuple[float, Segment]], cycle: int) -> list[float]:
    """Each phase's length in ``cycle``, from the moments the session started them."""
    times = [at for at, s in segments if s.cycle == cycle] + [
        next(at for at, s in segments if s.cycle == cycle + 1)
    ]
    return [b - a for a, b in itertools.pairwise(times)]


async def test_taps_on_the_fake_clock_start_at_that_pace_and_end_in_4_2_6() -> None:
    clock = FakeClock(T0)
    app, clock, _ = new_app(clock, start="slow-down-gently", minutes=2)
    started: list[tuple[float, Segment]] = []

    def seen(_session: Session, events: list[Event]) -> None:
        started.extend((clock(), e.segment) for e in events if isinstance(e, StepStarted))

    app.session_observers.append(seen)
    async with app.run_test(size=(80, 24)) as pilot:
        await tapping_screen(pilot)
        for tap in range(3):
            if tap:
                clock.advance(2.5)
            await pilot.press("space")
        screen = await session_opened(pilot)
        assert screen.session.timeline.start_pace == 2.5
        await advance(pilot, clock, 125.0, step=0.05)
        assert not screen.session.active or screen.session.position() >= screen.session.timeline.total - 0.1
    # The first breath is the tapped 2.5 s, in 4:6 (the hold left out); the sixth is 4-2-6.
    assert cycle_lengths(started, 1) == pytest.approx([1.0, 1.5], abs=0.06)
    assert cycle_lengths(started, 6) == pytest.approx([4.0, 2.0, 6.0], abs=0.06)


async def test_no_tap_for_15_seconds_starts_from_3_1_4_without_a_measure() -> None:
    clock = FakeClock(T0)
    app, clock, _ = new_app(clock, start="slow-down-gently", minutes=2)
    async with app.run_test(size=(80, 24)) as pilot:
        tapping = await tapping_screen(pilot)
        clock.advance(14.9)
        await pilot.pause(TICK)
        assert pilot.app.screen is tapping and not tapping.finished
        clock.advance(0.2)
        screen = await session_opened(pilot)
        timeline = screen.session.timeline
        assert timeline.start_pace is None
        assert [s.duration for s in timeline.segments[:3]] == pytest.approx([3.0, 1.0, 4.0])
        await pilot.pause(TICK)
        # Said on the session's own notice line, clear of the pacer and countdown: no toast.
        said = "No taps: starting at 3-1-4, slowing to 4-2-6 over 6 breaths."
        assert screen.query_one("#notice", NoticeLine).notice == said
        assert not pilot.app._notifications


async def test_a_tap_restarts_the_wait() -> None:
    clock = FakeClock(T0)
    app, clock, _ = new_app(clock, start="slow-down-gently", minutes=2)
    async with app.run_test(size=(80, 24)) as pilot:
        tapping = await tapping_screen(pilot)
        clock.advance(10.0)
        await pilot.press("space")
        clock.advance(10.0)  # 20 s since it opened, 10 since the tap
        await pilot.pause(TICK)
        assert pilot.app.screen is tapping and len(tapping.tapping.times) == 1


async def test_d_starts_from_the_default() -> None:
    clock = FakeClock(T0)
    app, clock, _ = new_app(clock, start="slow-down-gently", minutes=2)
    async with app.run_test(size=(80, 24)) as pilot:
        await tapping_screen(pilot)
        await pilot.press("d")
        screen = await session_opened(pilot)
        assert screen.session.timeline.start_pace is None
        assert [s.duration for s in screen.session.timeline.segments[:3]] == pytest.approx([3.0, 1.0, 4.0])


@pytest.mark.parametrize("key", ["escape", "q"])
async def test_escape_or_q_goes_back_without_a_session(key: str) -> None:
    clock = FakeClock(T0)
    app, clock, _ = new_app(clock, start="slow-down-gently", minutes=2)
    async with app.run_test(size=(80, 24)) as pilot:
        await tapping_screen(pilot)
        await pilot.press("space")
        await pilot.press(key)
        await pilot.pause(TICK)
        assert isinstance(pilot.app.screen, HomeScreen)
        clock.advance(30.0)  # and nothing starts later either
        await pilot.pause(TICK)
        assert isinstance(pilot.app.screen, HomeScreen)
        assert app.recorder.writer is None or app.recorder.writer.flush(10.0)
    assert (
        not locations.history_file().exists() or not History.open(locations.history_file()).history.sessions()
    )


async def test_the_wait_stands_still_under_the_red_flags_page() -> None:
    clock = FakeClock(T0)
    app, clock, _ = new_app(clock, start="slow-down-gently", minutes=2)
    async with app.run_test(size=(80, 24)) as pilot:
        tapping = await tapping_screen(pilot)
        assert "Doctor?" in str(tapping.query_one(KeyBar).render())
        await pilot.press("space")
        clock.advance(3.0)
        await pilot.press("space")  # one whole breath of 3 s
        clock.advance(5.0)
        await pilot.press("exclamation_mark")
        await pilot.pause(TICK)
        assert isinstance(pilot.app.screen, RedFlagsScreen)
        clock.advance(60.0)  # long past the 15 s, while the page is read
        await pilot.pause(TICK)
        assert isinstance(pilot.app.screen, RedFlagsScreen)
        await pilot.press("escape")
        await pilot.pause(TICK)
        assert pilot.app.screen is tapping and not tapping.finished
        clock.advance(3.5)  # 8.5 s since the last tap, the page's minute left out
        await pilot.press("space")
        screen = await session_opened(pilot)
        # The minute under the page is not in the breath.
        assert screen.session.timeline.start_pace == pytest.approx((3.0 + 8.5) / 2)


async def test_no_tap_after_one_breath_starts_from_that_breath_said_on_the_notice_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="calmcoach.ui")
    clock = FakeClock(T0)
    app, clock, _ = new_app(clock, start="slow-down-gently", minutes=2)
    async with app.run_test(size=(80, 24)) as pilot:
        await tapping_screen(pilot)
        await pilot.press("space")
        clock.advance(4.0)
        await pilot.press("space")
        clock.advance(15.1)
        screen = await session_opened(pilot)
        assert screen.session.timeline.start_pace == pytest.approx(4.0)
        await pilot.pause(TICK)
        said = "Your breath: 4 seconds. Starting there, slowing to 4-2-6 over 6 breaths."
        # On the session's own line, clear of the pacer and the countdown; not a toast.
        assert screen.query_one("#notice", NoticeLine).notice == said
        assert not pilot.app._notifications
    assert said in notices_told(caplog)


async def test_again_after_a_tapped_session_asks_for_the_taps_again() -> None:
    clock = FakeClock(T0)
    app, clock, _ = new_app(clock, start="slow-down-gently", minutes=2)
    async with app.run_test(size=(80, 24)) as pilot:
        await tapping_screen(pilot)
        for tap in range(3):
            if tap:
                clock.advance(2.5)
            await pilot.press("space")
        screen = await session_opened(pilot)
        await advance(pilot, clock, 5.0)
        await pilot.press("q")
        assert isinstance(pilot.app.screen, SummaryScreen)
        await pilot.press("r")
        tapping = await tapping_screen(pilot)
        assert tapping.exercise.id == "slow-down-gently" and not tapping.tapping.times
        for tap in range(3):
            if tap:
                clock.advance(5.0)
            await pilot.press("space")
        again = await session_opened(pilot)
        assert again is not screen and again.session.timeline.start_pace == 5.0


async def test_the_tapping_screen_shows_the_first_safety_note() -> None:
    app, _, _ = new_app(start="slow-down-gently", minutes=2)
    async with app.run_test(size=(80, 24)) as pilot:
        tapping = await tapping_screen(pilot)
        note = str(tapping.query_one("#tapping-note", Static).render())
        assert note == tapping.exercise.safety[0]


async def test_the_flare_picker_offers_slow_down_gently_on_s() -> None:
    app, _, _ = new_app(flare=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        picker = pilot.app.screen
        assert isinstance(picker, ChoiceScreen)
        assert any(c.key == "s" and c.label.startswith("Slow down gently") for c in picker.choices)
        await pilot.press("s")
        tapping = await tapping_screen(pilot)
        assert tapping.exercise.id == "slow-down-gently"


def test_help_names_the_keys() -> None:
    from rich.console import Console

    console = Console(width=100, record=True)
    console.print(keys_table())
    text = console.export_text()
    assert "Ctrl+F, s" in text and "Slow down gently" in text
    assert "Start from 3-1-4" in text and "Go back without a session" in text
