"""The benchmarks' hooks: a timing trace and an exit after the first frame.

Nothing here runs unless a benchmark asks through the environment; ``make_app``
then calls :func:`install`, which hooks into the app from outside (the app itself
keeps no benchmark code):

- ``CALMCOACH_TRACE=FILE`` writes one JSON object a line, with times on the
  monotonic clock (shared by every process on the machine): the first frame, each
  step's deadline and when the app noticed it (``step``), when the screen showing
  it was painted (``painted``), and, as the app closes, each sound handed to the
  player ahead of time (``scheduled``) and each start the player reported
  (``played``; voice clips are the keys starting with ``voice:``).
- ``CALMCOACH_TRACE_GAPS=1`` (with a trace) adds a probe that wakes every
  ``GAP_PROBE`` seconds and records each wake-up that came ``GAP_RECORDED`` or more
  after the one before (``gap``): how long the event loop, and so any frame, was held up.
- ``CALMCOACH_EXIT_AFTER_FIRST_FRAME=1`` ends the app once its first frame is drawn
  (the start-up benchmark).
"""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from calmcoach.data.safefile import open_for_append

if TYPE_CHECKING:
    from calmcoach.domain.session import Event, Session
    from calmcoach.services.conductor import Observer
    from calmcoach.ui.app import CalmApp

TRACE = "CALMCOACH_TRACE"
TRACE_GAPS = "CALMCOACH_TRACE_GAPS"
EXIT_AFTER_FIRST_FRAME = "CALMCOACH_EXIT_AFTER_FIRST_FRAME"
GAP_PROBE = 0.005
"""Seconds between two wake-ups of the gap probe."""
GAP_RECORDED = 0.012
"""A wake-up this long or longer after the one before is written to the trace."""


class Trace:
    """Appends timing records to a file; every method is cheap and never raises."""

    def __init__(self, path: str) -> None:
        self._out: IO[str] | None
        try:
            # a regular file only: a FIFO at CALMCOACH_TRACE would stop the app at start
            self._out = io.TextIOWrapper(open_for_append(Path(path)), encoding="utf-8")
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
    path = os.environ.get(TRACE, "").strip()
    return Trace(path) if path else None


def trace_observer(trace: Trace, after_refresh: Callable[[Callable[[], None]], object]) -> Observer:
    """A conductor observer that records each step as the app noticed it (``step``, with
    its deadline) and once the screen showing it was painted (``painted``)."""
    from calmcoach.domain.session import StepStarted

    def observe(_session: Session, events: list[Event]) -> None:
        for event in events:
            if not isinstance(event, StepStarted):
                continue
            index = event.segment.index
            trace.write("step", index=index, deadline=event.deadline, skipped=event.skipped_to)
            after_refresh(lambda index=index: trace.write("painted", index=index))  # type: ignore[misc]

    return observe


def install(app: CalmApp) -> None:
    """Hook the trace and the exit after the first frame into ``app``, as the
    environment asks (see the module's text); nothing when it asks for neither."""
    trace = from_environment()
    exit_after = os.environ.get(EXIT_AFTER_FIRST_FRAME, "").strip() == "1"
    if trace is None and not exit_after:
        return
    gaps = trace is not None and os.environ.get(TRACE_GAPS, "").strip() == "1"

    def first_frame() -> None:
        if trace is not None:
            trace.write("first_frame")
        if exit_after:
            app.exit(0)
        elif gaps and trace is not None:
            probe_gaps(app, trace)

    app.after_first_frame.append(first_frame)
    if trace is None:
        return
    app.session_observers.append(trace_observer(trace, app.call_after_refresh))

    def closing() -> None:
        player = app.cues
        sent, played = getattr(player, "sent", None), getattr(player, "played", None)
        for kind, records in (("scheduled", sent), ("played", played)):
            for record in records or []:
                if isinstance(record, tuple) and len(record) == 2 and isinstance(record[1], float):
                    trace.write(kind, key=record[0], t=record[1])
        trace.close()

    app.on_close.append(closing)


def probe_gaps(app: CalmApp, trace: Trace) -> None:
    """Wake every ``GAP_PROBE`` seconds on the app's loop; write each late wake-up."""
    last = [time.monotonic()]

    def wake() -> None:
        now = time.monotonic()
        if now - last[0] >= GAP_RECORDED:
            trace.write("gap", t=now, seconds=now - last[0])
        last[0] = now

    app.set_interval(GAP_PROBE, wake)
