"""Clocks for tests: virtual time that moves only when a test says so.

Test files import from here, never from each other or from ``conftest``. A session,
the conductor and the app take any ``Clock`` (a callable giving monotonic seconds),
so these stand in for ``time.monotonic`` without touching production code.
"""

from __future__ import annotations


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        """Move time forward and return the new reading."""
        self.now += seconds
        return self.now
