"""Reading a 0 to 10 rating from single keys, 10 included."""

from __future__ import annotations

import time
from collections.abc import Callable

TEN_WINDOW = 1.0
"""Seconds within which ``0`` after ``1`` makes 10 (real time: it is about typing)."""


class RatingKeys:
    """Turns digit keys into ratings from 0 to 10.

    Each digit counts at once, so a rating is never lost if the person leaves or the
    app is closed right after a key; ``0`` pressed within ``window`` seconds of ``1``
    then turns that 1 into 10. So the value last given is always the one the keys
    mean, and the history never ends on a wrong one. ``t`` (see ``ten``) is 10 too.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, window: float = TEN_WINDOW) -> None:
        self.clock = clock
        """Where the time between keys is read (injectable: tests do not sleep)."""
        self.window = window
        self._one_at: float | None = None

    def digit(self, digit: int) -> int:
        """The rating the key ``digit`` gives, pressed now."""
        now = self.clock()
        one_at, self._one_at = self._one_at, None
        if digit == 0 and one_at is not None and now - one_at <= self.window:
            return 10
        if digit == 1:
            self._one_at = now
        return digit

    def ten(self) -> int:
        """The rating the ``t`` key gives: 10."""
        self._one_at = None
        return 10
