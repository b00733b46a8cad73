"""Optional timing trace for the benchmarks (``CALMCOACH_TRACE=FILE``).

Off unless the variable is set. Writes one JSON object a line, with times on the
monotonic clock (shared by every process on the machine), so a benchmark can
compare each step's deadline with when the app noticed it, when the screen was
repainted, and when the player process started the cue.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from calmcoach.conductor import Observer
    from calmcoach.session import Event, Session


class Trace:
    """Appends timing records to a file; every method is cheap and never raises."""

    def __init__(self, path: str) -> None:
        self._out: IO[str] | None
        try:
            self._out = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open for the app's life
        except OSError:
            self._out = None

    def write(self, kind: str, **fields: Any) -> None:
        """Record one event now."""
        if self._out is None:
            return
        fields.setdefault("t", time.monotonic())
        try:
            self._out.write(json.dumps({"kind": kind, **fields}) + "\n")
            self._out.flush()
        except (OSError, ValueError):
            self._out = None

    def close(self) -> None:
        """Close the file."""
        if self._out is not None:
            self._out.close()
            self._out = None


def from_environment() -> Trace | None:
    """A trace when ``CALMCOACH_TRACE`` names a file, else None."""
    path = os.environ.get("CALMCOACH_TRACE", "").strip()
    return Trace(path) if path else None


def trace_observer(trace: Trace, after_refresh: Callable[[Callable[[], None]], object]) -> Observer:
    """A conductor observer that records each step as the app noticed it (``step``, with
    its deadline) and once the screen showing it was painted (``painted``)."""
    from calmcoach.session import StepStarted

    def observe(_session: Session, events: list[Event]) -> None:
        for event in events:
            if not isinstance(event, StepStarted):
                continue
            index = event.segment.index
            trace.write("step", index=index, deadline=event.deadline, skipped=event.skipped_to)
            after_refresh(lambda index=index: trace.write("painted", index=index))  # type: ignore[misc]

    return observe
