"""A line of its own for short notices during a session, in place of toasts."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.notifications import SeverityLevel
from textual.timer import Timer
from textual.widgets import Static

NOTICE_SECONDS = 3.0
"""How long a notice stays when the caller does not say."""


class NoticeLine(Static):
    """Shows one notice at a time for a few seconds, then goes blank.

    Toasts are drawn over the screen's lower right, where the session's pacer and
    instruction are; this line has its own place in the layout instead, so a notice
    never hides the guide. Its time is real time (it is for the eyes, not the
    session's clock); ``clock`` is read to decide whether a notice is due to go, so
    tests can move it on and call ``expire`` in place of waiting for the timer.
    """

    DEFAULT_CSS: ClassVar[str] = """
    NoticeLine {
        height: auto;
        min-height: 1;
        max-height: 3;
        width: 1fr;
        padding: 0 1;
        content-align: center middle;
        text-align: center;
        color: $text-muted;
        &.-warning { color: $warning; }
        &.-error { color: $error; text-style: bold; }
    }
    """

    def __init__(self, *, id: str | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(id=id, markup=False)
        self.clock = clock
        """Read to decide when the notice goes (real time unless a test sets it)."""
        self.notice = ""
        """The text shown now ("" when none)."""
        self.due: float | None = None
        """When the notice goes, on ``clock``; None when nothing is shown."""
        self._timer: Timer | None = None

    def tell(
        self, text: str, *, severity: SeverityLevel = "information", timeout: float | None = None
    ) -> None:
        """Show ``text`` (plain, never markup) in place of any notice shown now."""
        seconds = NOTICE_SECONDS if timeout is None else timeout
        self.notice = text
        self.due = self.clock() + seconds
        self.set_class(severity == "warning", "-warning")
        self.set_class(severity == "error", "-error")
        self.update(Text(text))
        self._arm(seconds)

    def expire(self) -> None:
        """Clear the notice if its time is up; otherwise wait for the rest of it."""
        self._timer = None
        if self.due is None:
            return
        left = self.due - self.clock()
        if left > 0:
            self._arm(left)
            return
        self.clear()

    def clear(self) -> None:
        """Take the notice away now."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.notice = ""
        self.due = None
        self.update("")

    def _arm(self, seconds: float) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(max(seconds, 0.05), self.expire)
