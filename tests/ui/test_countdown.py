"""The countdown: one widget drawn from a cache, which must still follow the CSS."""

from __future__ import annotations

from calmcoach.ui.widgets.countdown import Countdown
from tests.ui.helpers import advance, new_app, session_screen


def _digit_colors(countdown: Countdown) -> set[str]:
    """The colours the digits are painted in (the top row holds only digits)."""
    return {
        str(segment.style.color.triplet)
        for segment in countdown.render_line(0)
        if segment.text.strip() and segment.style is not None and segment.style.color is not None
    }


async def test_paused_digits_are_muted_and_come_back_on_resume() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = session_screen(pilot)
        countdown = screen.query_one(Countdown)
        running = _digit_colors(countdown)
        assert running
        await pilot.press("space")
        await pilot.pause()
        paused = _digit_colors(countdown)
        assert paused and paused != running
        await pilot.press("space")
        await advance(pilot, clock, 0.5)
        assert _digit_colors(countdown) == running


async def test_the_digits_stay_centred_whatever_the_word() -> None:
    """The word sits in its own fixed cells, so the digits do not move as it changes."""
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        countdown = session_screen(pilot).query_one(Countdown)
        starts: set[int] = set()
        words: set[str] = set()
        for _ in range(12):
            top = countdown.render_line(0).text
            starts.add(len(top) - len(top.lstrip()))
            words.add(countdown.render_line(1).text.split()[0])
            await advance(pilot, clock, 1.0)
        assert words == {"INHALE", "HOLD", "EXHALE"}
        # One place, the middle of the row: a one-figure count is three cells wide.
        assert len(starts) == 1
        assert abs(starts.pop() - (countdown.size.width - 3) // 2) <= 1
