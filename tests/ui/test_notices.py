"""Notices during a session keep to their own line, clear of the pacer and the instruction."""

from __future__ import annotations

from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import Static
from textual.widgets._toast import Toast

from calmcoach.ui.screens.home import HomeScreen
from calmcoach.ui.screens.session import SessionScreen
from calmcoach.ui.widgets.notice import NOTICE_SECONDS, NoticeLine
from tests.clocks import FakeClock
from tests.ui.helpers import advance, new_app, session_screen

GUIDE = ("#pacer", "#say", "#countdown", "#hint")
"""What guides the person: none of it may be covered."""


def toasts(pilot: Pilot[object]) -> list[Toast]:
    return list(pilot.app.screen.query(Toast))


def notice_line(screen: SessionScreen) -> NoticeLine:
    return screen.query_one("#notice", NoticeLine)


def assert_clear_of_the_guide(screen: SessionScreen, region: Region) -> None:
    for selector in GUIDE:
        widget = screen.query_one(selector)
        if widget.display and widget.region.area:
            assert not region.overlaps(widget.region), (selector, region, widget.region)


async def test_mute_notice_shows_on_its_own_line_and_goes_after_its_time() -> None:
    for size in ((80, 24), (40, 12)):
        app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
        async with app.run_test(size=size, notifications=True) as pilot:
            await advance(pilot, clock, 4.5)  # into the first out-breath
            screen = session_screen(pilot)
            line = notice_line(screen)
            eyes = FakeClock(50.0)
            line.clock = eyes
            await pilot.press("m")
            assert line.notice == "Sound cues off."
            assert "Sound cues off." in str(line.render())
            assert not toasts(pilot), "a toast would sit over the pacer"
            assert_clear_of_the_guide(screen, line.region)
            assert line.region.area and Region(0, 0, *size).contains_region(line.region)
            # It stays for its few seconds (read on its own clock), then goes.
            eyes.advance(NOTICE_SECONDS - 0.5)
            line.expire()
            assert line.notice == "Sound cues off."
            eyes.advance(1.0)
            line.expire()
            assert line.notice == "" and str(line.render()).strip() == ""


async def test_notice_line_timer_takes_the_notice_away_by_itself() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await advance(pilot, clock, 1.0)
        line = notice_line(session_screen(pilot))
        eyes = FakeClock(50.0)
        line.clock = eyes
        line.tell("Short one.", timeout=0.05)
        eyes.advance(1.0)
        # Bounded wait for Textual's own timer (50 ms); 5 s only guards against a hang.
        for _ in range(100):
            if not line.notice:
                break
            await pilot.pause(0.05)
        assert line.notice == ""


async def test_app_notices_during_a_session_go_to_the_line_not_a_toast() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await advance(pilot, clock, 1.0)
        screen = session_screen(pilot)
        app.tell("The history file is locked [by another].", title="History", severity="warning")
        await pilot.pause()
        line = notice_line(screen)
        assert line.notice == "History: The history file is locked [by another]."
        assert line.has_class("-warning")
        assert not toasts(pilot)
        assert_clear_of_the_guide(screen, line.region)
        # A notice the screen raises the usual way goes to the line too.
        screen.notify("Plain words.")
        assert line.notice == "Plain words." and not toasts(pilot)


async def test_rating_notice_uses_the_line() -> None:
    app, _, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("4")
        assert notice_line(session_screen(pilot)).notice == "Noted: tension 4 of 10 before."
        assert not toasts(pilot)


async def test_toasts_from_before_a_session_do_not_follow_it_in() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        app.notify("broken.toml:3: phase[1].seconds: must be a number", severity="error", timeout=15)
        await pilot.pause()
        assert toasts(pilot)
        app.starter.choose_and_start("physiological-sigh")
        await pilot.pause()
        screen = session_screen(pilot)
        await pilot.pause()
        assert not toasts(pilot)
        assert not app._notifications  # nothing left to show again later
        assert str(screen.query_one("#say", Static).render()).strip()


async def test_a_notice_sent_from_another_thread_comes_and_goes_without_crashing_the_app() -> None:
    """The player's and the history's threads send their news through ``from_threads``: the
    notice's timer then runs in the app's context. Sent with a bare call_soon_threadsafe,
    the timer ran in the thread's context and crashed the app when it fired (LookupError:
    active_app), seconds after the summary of a session on a machine with no sound device."""
    import threading

    from calmcoach.ui.threads import from_threads

    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(80, 24)) as pilot:
        await advance(pilot, clock, 1.0)
        line = notice_line(session_screen(pilot))
        # Made where the app makes it: in a callback the app's loop runs.
        made: list[object] = []
        app.call_later(lambda: made.append(from_threads(lambda: line.tell("Sound: off", timeout=0.5))))
        await pilot.pause()
        (soon,) = made
        assert callable(soon)
        thread = threading.Thread(target=soon)
        thread.start()
        thread.join()
        await pilot.pause(0.05)
        assert line.notice == "Sound: off"
        await pilot.pause(1.0)  # the notice's own timer fires, in real time
        assert line.notice == ""
        assert app.is_running
    assert app.return_code in (None, 0), app.return_code
