"""The countdown: one widget drawn from a cache, which must still follow the CSS."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from calmcoach.ui.widgets.countdown import Countdown, _digit_rows
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


@pytest.mark.parametrize("size", [(100, 30), (40, 12)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_long_step_counts_down_in_minutes_and_seconds_whole_at_any_width(
    size: tuple[int, int],
) -> None:
    """The cool cloth step lasts 150 s: it shows 2:29, not 149, drawn whole at 40 columns."""
    app, clock, _ = new_app(start="tension-release", area="eyelid")
    async with app.run_test(size=size) as pilot:
        await pilot.press("enter")  # "Get ready" waits for the person
        await advance(pilot, clock, 21.0)  # 20 s of soft eyes, then 1 s of the cloth
        countdown = session_screen(pilot).query_one(Countdown)
        assert countdown.value == "2:29"
        drawn = [countdown.render_line(y).text for y in range(3)]
        for row, glyphs in zip(drawn, _digit_rows("2:29"), strict=True):
            assert glyphs in row
        await advance(pilot, clock, 90.0)
        assert countdown.value == "0:59"  # the same step keeps its m:ss to the end


async def test_a_short_step_still_counts_in_seconds() -> None:
    app, clock, _ = new_app(start="tension-release", area="eyelid")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await advance(pilot, clock, 1.0)
        assert session_screen(pilot).query_one(Countdown).value == "19"


async def test_time_left_is_rounded_honestly_with_two_minutes_and_two_seconds_to_go() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=3)
    async with app.run_test(size=(100, 30)) as pilot:
        await advance(pilot, clock, 58.0)  # 3:00 planned: 2:02 left
        progress = session_screen(pilot).query_one("#progress", Static)
        text = str(progress.render())
        assert "about 2 min left" in text, text
        assert "3 min" not in text
