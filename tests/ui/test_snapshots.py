"""SVG snapshots of the main screens at 80x24 and 40x12 (reduced motion: 60x18), in virtual time.

Update after an intended visual change with ``pytest --snapshot-update`` and look
at the report before committing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual import constants
from textual.pilot import Pilot

from tests.clocks import FakeClock
from tests.ui.helpers import T0, advance, new_app

SIZES = [(80, 24), (40, 12)]

Before = Callable[[Pilot[object]], Awaitable[None]]


@pytest.fixture(autouse=True)
def truecolour(monkeypatch: pytest.MonkeyPatch) -> None:
    """Draw as a truecolour terminal does, whatever terminal runs the tests: the pacer's
    edge is shaded only there (Textual reads TEXTUAL_COLOR_SYSTEM once, at import)."""
    monkeypatch.setattr(constants, "COLOR_SYSTEM", "truecolor")


def _at(clock: FakeClock, seconds: float) -> Before:
    async def run_before(pilot: Pilot[object]) -> None:
        await pilot.pause()
        await advance(pilot, clock, seconds)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_home(snap_compare, size: tuple[int, int]) -> None:
    app, _, _ = new_app()
    assert snap_compare(app, terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize(("phase", "seconds"), [("inhale", 2.0), ("hold", 5.0), ("exhale", 9.0)])
def test_session(snap_compare, size: tuple[int, int], phase: str, seconds: float) -> None:
    clock = FakeClock(T0)
    app, _, _ = new_app(clock, start="breathing-4-2-6", minutes=2)
    assert snap_compare(app, terminal_size=size, run_before=_at(clock, seconds))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_routine_session_with_steps(snap_compare, size: tuple[int, int]) -> None:
    clock = FakeClock(T0)
    app, _, _ = new_app(clock, start="tension-release", area="hand")
    assert snap_compare(app, terminal_size=size, run_before=_at(clock, 12.0))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_summary(snap_compare, size: tuple[int, int]) -> None:
    clock = FakeClock(T0)
    app, _, _ = new_app(clock, start="breathing-4-2-6", minutes=2)

    async def run_before(pilot: Pilot[object]) -> None:
        await pilot.pause()
        await advance(pilot, clock, 121.0, step=0.5)
        await pilot.press("6")

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_red_flags(snap_compare, size: tuple[int, int]) -> None:
    app, _, _ = new_app()
    assert snap_compare(app, terminal_size=size, press=["exclamation_mark"])


# At 40x12 the pacer is hidden, so reduced motion looks exactly like motion there: the small
# case is the smallest size that still shows the (still) pacer, where its band must fit.
@pytest.mark.parametrize("size", [(80, 24), (60, 18)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_reduced_motion_session(snap_compare, size: tuple[int, int]) -> None:
    clock = FakeClock(T0)
    app, _, _ = new_app(clock, start="breathing-4-2-6", minutes=2, reduced_motion=True)
    assert snap_compare(app, terminal_size=size, run_before=_at(clock, 2.0))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("filled", [False, True], ids=["empty", "month"])
def test_stats(snap_compare, size: tuple[int, int], filled: bool) -> None:
    from datetime import date

    from calmcoach.data import locations
    from calmcoach.data.history import History
    from calmcoach.ui.screens.stats import StatsScreen
    from tests.helpers import month_of_data

    today = date(2026, 11, 20)
    if filled:
        locations.data_dir().mkdir(parents=True)
        history = History.open(locations.history_file()).history
        month_of_data(history, today)
        history.close()
    app, _, _ = new_app()

    async def run_before(pilot: Pilot[object]) -> None:
        app.push_screen(StatsScreen(app.recorder.history, today=today))
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_tapping(snap_compare) -> None:
    """Slow down gently's taps, one counted."""
    clock = FakeClock(T0)
    app, _, _ = new_app(clock, start="slow-down-gently", minutes=2)

    async def run_before(pilot: Pilot[object]) -> None:
        await pilot.pause()
        await pilot.press("space")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
