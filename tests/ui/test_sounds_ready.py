"""Issue 12: a session whose sounds are still being made never freezes the screen."""

from __future__ import annotations

import threading

from textual.app import App

from calmcoach.domain.planner import PlanOptions
from calmcoach.ui.screens.home import HomeScreen
from calmcoach.ui.screens.session import SessionScreen
from tests.doubles import RecordingPlayer
from tests.ui.helpers import new_app, session_opened


class SlowPlayer(RecordingPlayer):
    """A player whose sounds are ready only when the test says so."""

    def __init__(self) -> None:
        super().__init__()
        self.made = threading.Event()

    def wait_ready(self, timeout: float) -> bool:
        return self.made.wait(timeout)


def toasts(app: App[object]) -> list[str]:
    """The notices shown as toasts now."""
    return [notification.message for notification in app._notifications]


async def test_the_session_opens_once_its_sounds_are_ready_and_the_screen_keeps_working() -> None:
    player = SlowPlayer()
    app, clock, _ = new_app(cues=player)
    async with app.run_test(size=(100, 30)) as pilot:
        app.starter.start_exercise("breathing-4-2-6", PlanOptions(minutes=2))
        for _ in range(100):  # the calm line comes after a moment (bounded, never a fixed sleep)
            if "Getting the sounds ready..." in toasts(app):
                break
            await pilot.pause(0.05)
        assert "Getting the sounds ready..." in toasts(app)
        assert isinstance(app.screen, HomeScreen)  # not yet: the sounds are being made
        await pilot.press("down")  # the loop is free: keys still work meanwhile
        player.made.set()
        # Until the screen is mounted and its session started: being on the stack is not
        # enough on a busy machine (the first cue plays as the session starts, on mount).
        screen = await session_opened(pilot)
        assert isinstance(screen, SessionScreen)
        assert player.played == ["inhale"]
