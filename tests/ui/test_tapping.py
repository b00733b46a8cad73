"""Slow down gently in the app: the tapping screen before the session, on the app's fake
clock, from the flare picker or the library; the session it opens starts at the tapped
pace and ends in 4-2-6."""

from __future__ import annotations

import itertools

import pytest
from textual.pilot import Pilot

from calmcoach.domain.planner import Segment
from calmcoach.domain.session import Event, Session, StepStarted
from calmcoach.ui.screens.choice import ChoiceScreen
from calmcoach.ui.screens.help import keys_table
from calmcoach.ui.screens.tapping import TappingScreen
from tests.clocks import FakeClock
from tests.ui.helpers import T0, advance, new_app, session_opened

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


async def test_escape_starts_from_the_default() -> None:
    clock = FakeClock(T0)
    app, clock, _ = new_app(clock, start="slow-down-gently", minutes=2)
    async with app.run_test(size=(80, 24)) as pilot:
        await tapping_screen(pilot)
        await pilot.press("escape")
        screen = await session_opened(pilot)
        assert screen.session.timeline.start_pace is None


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
    assert "Ctrl+F, s" in text and "Slow down gently" in text and "Skip the taps" in text
