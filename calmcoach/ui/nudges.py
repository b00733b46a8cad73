"""Nudges to move from ``calmcoach remind``, shown inside the app while it is open.

The app calls :func:`watch_nudges` once it is mounted and closes what it returns when
it unmounts; everything else (the presence lock, the nudge file) is in
``calmcoach.services.presence``. A nudge is a quiet notice plus, where the terminal is known to
support it, the terminal's own notification escape.

No nudge interrupts a session that is running (the desk break the last nudge opened,
say): it is left waiting, and shown once the session is over if it is still fresh;
otherwise the reminder withdraws it when its time to answer has passed.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from textual.app import App

from calmcoach.services.presence import NUDGE_TEXT, AppPresence, take_nudge, terminal_notification

CHECK_SECONDS = 3.0
"""How often the app looks for a nudge (one failed rename: next to nothing)."""
IN_APP_TEXT = "When you are ready, open Desk break from the library for two easy minutes."
OPENED_BY_NUDGE = "CALMCOACH_OPENED_BY_NUDGE"
"""Set to "1" by ``calmcoach remind`` for what a nudge's Start runs (the same name as
``calmcoach.remind.main.OPENED_BY_NUDGE``: the app and the reminder never import each other)."""


def opened_by_nudge() -> bool:
    """Was this app opened by a nudge's Start? Then it goes straight to the desk break:
    the first-run welcome waits for the next time the app is opened (it is not marked seen)."""
    return os.environ.get(OPENED_BY_NUDGE) == "1"


class NudgeWatcher:
    """Holds the app's presence and shows nudges left for it."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.presence = AppPresence.hold()
        self.shown = 0
        """Nudges shown so far."""
        self._timer = app.set_interval(CHECK_SECONDS, self.check) if self.presence.held else None

    def in_session(self) -> bool:
        """Is a session running in the app (its screen open, under any screen over it)?"""
        from calmcoach.domain.session import State
        from calmcoach.ui.screens.session import SessionScreen

        return any(
            isinstance(screen, SessionScreen) and screen.session.state not in (State.FINISHED, State.STOPPED)
            for screen in self.app.screen_stack
        )

    def check(self) -> None:
        """Show the waiting nudge, if there is a fresh one and no session is running."""
        if self.in_session() or not take_nudge(datetime.now(UTC)):
            return
        self.shown += 1
        self.app.notify(IN_APP_TEXT, title=NUDGE_TEXT, timeout=20, markup=False)
        escape = terminal_notification("calmcoach", NUDGE_TEXT)
        # Textual has no public call for raw output besides bell(), which writes the same way.
        driver = getattr(self.app, "_driver", None)
        if escape and driver is not None and not self.app.is_headless:
            driver.write(escape)

    def close(self) -> None:
        """Stop looking and let go of the presence lock."""
        if self._timer is not None:
            self._timer.stop()
        self.presence.release()


def watch_nudges(app: App[Any]) -> NudgeWatcher:
    """Start showing nudges in ``app`` (call from on_mount; close in on_unmount)."""
    return NudgeWatcher(app)
