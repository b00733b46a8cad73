"""The session state machine: where a running exercise is, computed from a clock.

The position is never accumulated from ticks. It is always
``now - origin``, where ``origin`` is the clock reading at which position 0
was (or would have been) passed; pausing, holding at a prompt and skipping
only move the origin. Boundaries are therefore absolute deadlines, and a late
tick can never shift the ones after it.

Events (a step started, the session finished) come out of :meth:`Session.poll`
once each and in order, however rarely or irregularly it is called.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from calmcoach.domain.describe import Practice
from calmcoach.domain.planner import Segment, Timeline

Clock = Callable[[], float]
"""A monotonic clock in seconds. ``time.monotonic`` for real; a fake one in tests (tests/clocks.py)."""

DEFAULT_MAX_GAP = 2.0
"""A silence between two reads longer than this (in session seconds) is a suspend."""


class ScaledClock:
    """A monotonic clock that runs ``speed`` times faster than real time (previews)."""

    def __init__(self, speed: float = 1.0, base: Clock = time.monotonic) -> None:
        self.speed = speed
        self._base = base
        self._zero = base()

    def __call__(self) -> float:
        return (self._base() - self._zero) * self.speed


class State(StrEnum):
    """Where a session is in its life."""

    READY = "ready"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    STOPPED = "stopped"


@dataclass(frozen=True)
class StepStarted:
    """A segment became current."""

    segment: Segment
    deadline: float
    """Clock reading at which it was due (for a skip: when the person skipped)."""
    skipped_to: bool = False
    """True when the person moved here with next/previous, not by time."""


@dataclass(frozen=True)
class SessionFinished:
    """The last segment ended (and no prompt is waiting)."""

    deadline: float


Event = StepStarted | SessionFinished


class SessionError(RuntimeError):
    """An action that does not fit the session's state."""


class Session:
    """Runs a timeline against a clock."""

    def __init__(
        self, timeline: Timeline, clock: Clock = time.monotonic, *, max_gap: float = DEFAULT_MAX_GAP
    ) -> None:
        if not timeline.segments:
            raise SessionError("nothing to run: the timeline is empty")
        self.timeline = timeline
        self.clock = clock
        self.max_gap = max_gap
        """Silence between two reads, in clock seconds, treated as a suspend (pause)."""
        self.state = State.READY
        self._origin = 0.0
        self._paused_at: float | None = None
        self._last_read: float | None = None
        self._emitted = -1
        """Index of the last segment a StepStarted was given for."""
        self._final: float | None = None
        self.started_at: float | None = None
        """Clock reading at start."""
        self.ended_at: float | None = None
        self.suspended_seconds = 0.0
        """Total time lost to gaps (Ctrl+Z, a sleeping laptop) treated as pauses."""
        self._visited: set[int] = set()
        """Segments that were current at some point (skipped-over ones are not)."""
        self._completed: set[int] = set()
        """Segments done: run to their end, or (a prompt) gone on from. Left with a skip
        before their end, a segment is not done."""
        self._banked = 0.0
        """Running seconds up to the last pause, stop or end (see :meth:`active_seconds`)."""
        self._running_since: float | None = None
        """Clock reading at which the current stretch of running began (None when not running)."""
        self._waits = [s.index for s in timeline.segments if s.waits]
        self._continued: set[int] = set()

    # --- queries ---------------------------------------------------------------

    @property
    def active(self) -> bool:
        """Running or paused: the session has begun and not ended."""
        return self.state in (State.RUNNING, State.PAUSED)

    def _pending_wait(self) -> int | None:
        for index in self._waits:
            if index not in self._continued:
                return index
        return None

    def _raw(self, now: float) -> float:
        if self.state is State.READY:
            return 0.0
        if self._final is not None:
            return self._final
        if self._paused_at is not None:
            return self._paused_at - self._origin
        return now - self._origin

    def position(self, now: float | None = None) -> float:
        """Seconds of the timeline done, held at a waiting prompt and at the end."""
        now = self.clock() if now is None else now
        raw = self._raw(now)
        wait = self._pending_wait()
        if wait is not None:
            raw = min(raw, self.timeline.segments[wait].start)
        return max(0.0, min(raw, self.timeline.total))

    def active_seconds(self, now: float | None = None) -> float:
        """Clock seconds spent running: the time really practised.

        Paused time and suspends are left out and skipping adds nothing, unlike
        :meth:`position`, which says how far through the timeline the session got.
        Banked when the state changes, never from ticks.
        """
        if self._running_since is None:
            return self._banked
        now = self.clock() if now is None else now
        return self._banked + max(0.0, now - self._running_since)

    def _bank(self, at: float) -> None:
        """Stop counting running time, at clock reading ``at``."""
        if self._running_since is not None:
            self._banked += max(0.0, at - self._running_since)
            self._running_since = None

    def index(self, now: float | None = None) -> int:
        """Index of the current segment."""
        position = self.position(now)
        index = self.timeline.index_at(position)
        wait = self._pending_wait()
        if wait is not None:
            index = min(index, wait)
        return index

    def current(self, now: float | None = None) -> Segment:
        """The current segment."""
        return self.timeline.segments[self.index(now)]

    def _done(self) -> list[Segment]:
        """Segments done (see ``_completed``), before where the session is now."""
        if self.state is State.READY:
            return []
        limit = len(self.timeline.segments) if self.state is State.FINISHED else self.index()
        return [self.timeline.segments[i] for i in sorted(self._completed) if i < limit]

    @property
    def steps_done(self) -> int:
        """Segments run to their end (a prompt: gone on from); skipped ones do not count."""
        return len(self._done())

    @property
    def steps_skipped(self) -> int:
        """Segments before where the session is now (all, once finished) that are not done:
        jumped over, or left with a skip before their end."""
        if self.state is State.READY:
            return 0
        limit = len(self.timeline.segments) if self.state is State.FINISHED else self.index()
        return limit - self.steps_done

    @property
    def cycles_done(self) -> int:
        """Breathing cycles each of whose phases was done (none of them skipped)."""
        done = {segment.index for segment in self._done()}
        cycles: dict[tuple[int, int], bool] = {}
        for segment in self.timeline.segments:
            if segment.cycle is not None:
                key = (segment.part, segment.cycle)
                cycles[key] = cycles.get(key, True) and segment.index in done
        return sum(cycles.values())

    @property
    def waiting(self) -> bool:
        """True while an untimed prompt is current and waits for the person."""
        if self.state not in (State.RUNNING, State.PAUSED):
            return False
        return self.current().waits

    def remaining(self, now: float | None = None) -> float:
        """Timed seconds left in the session."""
        return max(0.0, self.timeline.total - self.position(now))

    def step_remaining(self, now: float | None = None) -> float:
        """Seconds left in the current segment."""
        now = self.clock() if now is None else now
        segment = self.current(now)
        return max(0.0, segment.end - self.position(now))

    def level(self, now: float | None = None) -> float:
        """Pacer level (0 to 1) now."""
        now = self.clock() if now is None else now
        return self.timeline.level_at(self.position(now), self.index(now))

    def next_deadline(self) -> float | None:
        """Clock reading of the next boundary, or None if none will come on its own."""
        upcoming = self.upcoming()
        return None if upcoming is None else upcoming[1]

    def upcoming(self) -> tuple[int, float] | None:
        """The next boundary that comes on its own: (index of the segment that starts
        there, clock reading). The index is ``len(segments)`` for the session's end.
        None while paused, waiting at a prompt, or over."""
        if self.state is not State.RUNNING or self._paused_at is not None:
            return None
        now = self.clock()
        index = self.index(now)
        segment = self.timeline.segments[index]
        if segment.waits and index not in self._continued:
            return None
        return index + 1, self._origin + segment.end

    # --- control -----------------------------------------------------------------

    def start(self) -> list[Event]:
        """Begin at position 0; gives the first StepStarted."""
        if self.state is not State.READY:
            raise SessionError(f"cannot start a session that is {self.state}")
        now = self.clock()
        self.state = State.RUNNING
        self.started_at = self._origin = self._running_since = now
        self._last_read = now
        return self.poll(now)

    def pause(self) -> None:
        """Hold the position until :meth:`resume`."""
        if self.state is not State.RUNNING:
            return
        now = self.clock()
        self._catch_gap(now)
        self._paused_at = now
        self._bank(now)
        self.state = State.PAUSED

    def resume(self) -> list[Event]:
        """Go on from where :meth:`pause` held."""
        if self.state is not State.PAUSED or self._paused_at is None:
            return []
        now = self.clock()
        self._origin += now - self._paused_at
        self._paused_at = None
        self._last_read = now
        self._running_since = now
        self.state = State.RUNNING
        return self.poll(now)

    def continue_(self) -> list[Event]:
        """Go on past a waiting prompt (same as next step while one waits)."""
        return self.next_step() if self.waiting else []

    def next_step(self) -> list[Event]:
        """Skip to the start of the next segment (or finish, from the last)."""
        if not self.active:
            return []
        now = self.clock()
        self._catch_gap(now)
        index = self.index(now)
        if self.timeline.segments[index].waits:
            self._completed.add(index)  # at a prompt, next is "done", not a skip
        if index + 1 >= len(self.timeline.segments):
            self._continued.add(index)
            return self._finish(now)
        return self._seek(index + 1, now)

    def next_part(self) -> list[Event]:
        """Skip to the first segment of the next part of a program (or finish, from the
        last part): out of the breathing and straight to the release, in one press."""
        if not self.active:
            return []
        now = self.clock()
        self._catch_gap(now)
        index = self.index(now)
        part = self.timeline.segments[index].part
        if part + 1 >= len(self.timeline.parts):
            self._continued.update(self._waits)
            return self._finish(now)
        return self._seek(self.timeline.parts[part + 1].first, now)

    def previous_step(self) -> list[Event]:
        """Back to the start of this segment, or of the one before if barely begun."""
        if not self.active:
            return []
        now = self.clock()
        self._catch_gap(now)
        index = self.index(now)
        segment = self.timeline.segments[index]
        into = self.position(now) - segment.start
        target = index if (into > 1.0 and not segment.waits) else max(0, index - 1)
        return self._seek(target, now)

    def stop(self) -> None:
        """End the session early; the position is kept for the summary."""
        if not self.active:
            return
        now = self.clock()
        self._catch_gap(now)
        self._final = self.position(now)
        self._bank(now)
        self.state = State.STOPPED
        self.ended_at = now

    # --- time ------------------------------------------------------------------------

    def poll(self, now: float | None = None) -> list[Event]:
        """Read the clock and return the events due since the last poll, in order."""
        now = self.clock() if now is None else now
        if self.state is not State.RUNNING or self._paused_at is not None:
            return []
        self._catch_gap(now)
        events: list[Event] = []
        index = self.index(now)
        for i in range(self._emitted + 1, index + 1):
            segment = self.timeline.segments[i]
            self._visited.add(i)
            if i > 0:
                self._completed.add(i - 1)  # time reached its end
            events.append(StepStarted(segment, self._origin + segment.start))
        self._emitted = max(self._emitted, index)
        if self._raw(now) >= self.timeline.total and self._pending_wait() is None:
            events.extend(self._finish(self._origin + self.timeline.total, by_time=True))
        return events

    def _catch_gap(self, now: float) -> None:
        """Turn a long silence between reads into a pause that ended now."""
        last = self._last_read
        self._last_read = now
        if last is None or self._paused_at is not None or self.state is not State.RUNNING:
            return
        gap = now - last
        if gap > self.max_gap:
            # Keep the position where it was at the last read: the person was not
            # breathing along while the process was stopped.
            self._origin += gap
            self.suspended_seconds += gap
            if self._running_since is not None:
                self._running_since += gap

    def _seek(self, index: int, now: float) -> list[Event]:
        segment = self.timeline.segments[index]
        if self._paused_at is not None:
            self._origin = self._paused_at - segment.start
        else:
            self._origin = now - segment.start
        self._continued = {w for w in self._continued if w < index}
        self._continued.update(w for w in self._waits if w < index)
        self._emitted = index
        self._visited.add(index)
        return [StepStarted(segment, now, skipped_to=True)]

    def _finish(self, at: float, *, by_time: bool = False) -> list[Event]:
        if by_time:
            self._completed.add(len(self.timeline.segments) - 1)
        self._final = self.timeline.total
        self._bank(at)
        self.state = State.FINISHED
        self.ended_at = at
        self._paused_at = None
        return [SessionFinished(at)]


def practice_of(session: Session) -> Practice:
    """What ``session`` really did, as it stands now (final once it has ended): the figures
    the recorder writes to the history and the summary and plain mode say."""
    timeline = session.timeline
    return Practice(
        title=timeline.title,
        finished=session.state is State.FINISHED,
        seconds=session.active_seconds(),
        position=session.position(),
        total=timeline.total,
        cycles=session.cycles_done,
        planned_cycles=timeline.cycles,
        steps=session.steps_done,
        planned_steps=len(timeline.segments),
        skipped=session.steps_skipped,
    )
