"""A step boundary repaints the session screen; it does not lay the whole screen out again.

A layout of the whole screen takes tens of milliseconds, and one at every boundary made the
frame with the new phase reach the terminal late (issue 16's pty timing)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from calmcoach.ui.screens.session import SessionScreen
from calmcoach.ui.widgets.countdown import Countdown
from tests.clocks import FakeClock
from tests.ui.helpers import advance, new_app, session_screen


def count_layouts(screen: SessionScreen, clock: FakeClock) -> list[float]:
    """The clock's reading at each layout of ``screen`` from now on."""
    layouts: list[float] = []
    refresh_layout = screen._refresh_layout

    def counted(*args: Any, **kwargs: Any) -> None:
        layouts.append(clock())
        refresh_layout(*args, **kwargs)

    screen._refresh_layout = counted  # type: ignore[method-assign]
    return layouts


async def test_breathing_boundaries_repaint_without_a_layout() -> None:
    app, clock, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter", "enter")  # 4-2-6, the usual minutes
        screen = session_screen(pilot)
        await advance(pilot, clock, 13.0)  # past the first breath's caution
        layouts = count_layouts(screen, clock)
        words: list[str] = []
        for _ in range(6):  # inhale, hold, exhale, twice: six boundaries
            await advance(pilot, clock, screen.session.step_remaining() + 0.01, step=1.0)
            words.append(screen.query_one(Countdown).render_line(1).text.split()[0])  # as painted
        assert words == ["HOLD", "EXHALE", "INHALE"] * 2
        assert layouts == []


async def test_a_longer_instruction_still_gets_the_lines_it_needs() -> None:
    """Text that needs another number of lines does lay out, so nothing is cut off."""
    app, clock, _ = new_app()
    async with app.run_test(size=(44, 30)) as pilot:
        await pilot.press("ctrl+f", "h")  # the flare routine: long instructions
        screen = session_screen(pilot)
        say = screen.query_one("#say", Static)
        seen: set[int] = set()
        for _ in range(40):
            await screen.run_action("next_step")
            await pilot.pause()
            text = str(say.render())
            needed = say.get_content_height(screen.size, screen.size, say.content_size.width)
            assert say.content_size.height == needed, text
            seen.add(needed)
            if not screen.session.active:
                break
        assert len(seen) > 1, "every step's text took the same number of lines: nothing tested"


async def test_the_first_breaths_safety_note_goes_mid_step_not_at_the_boundary() -> None:
    """The note is taken away (a layout) half a second into the second breath, so the
    boundary's own frame is a repaint like any other."""
    from calmcoach.ui.screens.session import CAUTION_LINGER

    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = session_screen(pilot)
        assert screen.has_class("-caution")  # the first breath shows the note
        layouts = count_layouts(screen, clock)
        await advance(pilot, clock, 12.0 - 0.01, step=0.5)  # to just before the second breath
        await advance(pilot, clock, 0.02, step=0.02)  # over the boundary
        assert screen.session.current().cycle == 2
        assert screen.has_class("-caution") and layouts == []
        await advance(pilot, clock, CAUTION_LINGER, step=0.1)
        assert not screen.has_class("-caution")
        assert layouts, "the note's going should lay the screen out"
