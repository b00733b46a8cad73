"""Run a session as plain lines of text: for screen readers, pipes and SSH.

One line per step as it starts, with the session time, the phase and the
instruction. Cues go to the cue player (the bell when sound is off).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import FrameType
from typing import TextIO

from calmcoach.audio import CuePlayer
from calmcoach.domain import pace
from calmcoach.domain.describe import SafetyNotes, breath_text, clock_text, part_heading, practice_line
from calmcoach.domain.model import Exercise
from calmcoach.domain.planner import Segment, Timeline
from calmcoach.domain.session import Clock, Event, ScaledClock, Session, StepStarted, practice_of
from calmcoach.domain.visible import visible
from calmcoach.services.conductor import Observer, Recorder
from calmcoach.services.launch import Prepared, conduct

MAX_WAIT = 0.25
"""Longest single sleep in real seconds; short waits keep wake-ups on time."""

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
"""Signals that stop a plain session the way Ctrl+C does (exit code 128 + the number)."""


class StopSignal(BaseException):
    """SIGTERM or SIGHUP arrived: stop the session, say how far it got, exit 128 + signum.

    A BaseException, like KeyboardInterrupt, so no ``except Exception`` swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """143 for SIGTERM, 129 for SIGHUP."""
        return 128 + self.signum


@contextlib.contextmanager
def stop_signals_raise() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP raise StopSignal in the main thread (once: a second
    signal while stopping is ignored, so the summary and the history are not cut off)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    raised = False

    def handler(signum: int, _frame: FrameType | None) -> None:
        nonlocal raised
        if not raised:
            raised = True
            raise StopSignal(signum)

    before = {signum: signal.signal(signum, handler) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, previous in before.items():
            signal.signal(signum, previous)


def step_line(segment: Segment) -> str:
    """The plain line announcing a segment."""
    if segment.cycle is not None:
        label = segment.pace.value
        text = f"{segment.say}  ({breath_text(segment)})"
    else:
        label = "prompt" if segment.waits else "step"
        text = f"{segment.title}: {segment.say}" if segment.title else segment.say
        if segment.waits:
            text += "  [Enter to go on]"
    return f"{clock_text(segment.start):>6}  {label:<7} {text}"


def summary_line(session: Session) -> str:
    """One line saying how the session went, in the figures its history row keeps."""
    return practice_line(practice_of(session))


class PlainRunner:
    """Drives a session in real (or sped-up) time and prints each step."""

    def __init__(
        self,
        timeline: Timeline,
        *,
        cues: CuePlayer,
        recorder: Recorder | None = None,
        out: TextIO | None = None,
        stdin: TextIO | None = None,
        speed: float = 1.0,
        observers: tuple[Observer, ...] = (),
        eyes_closed: bool = False,
        voice: Mapping[int, str] | None = None,
        voice_on: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        notes: SafetyNotes | None = None,
        exercises: Mapping[str, Exercise] | None = None,
        base_clock: Clock = time.monotonic,
    ) -> None:
        """``notes`` are printed before the first step and as each part begins;
        ``exercises`` (the library) names body areas as their files title them.
        ``voice`` and ``voice_on`` are the spoken lines' player keys and whether they
        are spoken (see :class:`~calmcoach.services.conductor.Conductor`).
        ``base_clock`` and ``sleep`` are the real clock and sleep, replaced in tests.
        At real speed the session runs on ``base_clock`` itself, so a player on the
        same clock is handed each cue ahead of its boundary, as in the app."""
        self.speed = speed
        self.clock: Clock = base_clock if speed == 1.0 else ScaledClock(speed, base_clock)
        self.conductor = conduct(
            timeline,
            self.clock,
            cues=cues,
            recorder=recorder,
            speed=speed,
            eyes_closed=eyes_closed,
            voice=voice,
            voice_on=voice_on,
            observers=(self._show, *observers),
        )
        self.session = self.conductor.session
        self.cues = cues
        self.out = out or sys.stdout
        self.stdin = stdin or sys.stdin
        self.sleep = sleep
        self.notes = notes or SafetyNotes((), ())
        self.exercises: Mapping[str, Exercise] = exercises or {}
        self._part = -1
        self._typed = b""
        """Bytes read from standard input past the last whole line."""

    @classmethod
    def conducting(
        cls,
        prepared: Prepared,
        *,
        notes: SafetyNotes | None = None,
        exercises: Mapping[str, Exercise] | None = None,
        out: TextIO | None = None,
        stdin: TextIO | None = None,
    ) -> PlainRunner:
        """A runner for a session prepared by :func:`calmcoach.services.launch.prepare`."""
        setup = prepared.setup
        return cls(
            setup.timeline,
            cues=prepared.cues,
            recorder=prepared.recorder,
            out=out,
            stdin=stdin,
            speed=setup.speed,
            eyes_closed=setup.eyes_closed,
            voice=prepared.voice.keys,
            voice_on=prepared.speaks,
            notes=notes,
            exercises=exercises,
        )

    def say(self, text: str) -> None:
        """Print one line. Text from files (titles, instructions, notes) is in it, so any
        control character is written out visibly, never sent to the terminal."""
        self.out.write(visible(text, layout=True) + "\n")
        self.out.flush()

    def _notice(self) -> None:
        notice = self.cues.take_notice()
        if notice:
            self.say(f"  ({notice})")

    def _show(self, _session: Session, events: list[Event]) -> None:
        """The conductor's observer: a line for each step (its cue has played)."""
        for event in events:
            if isinstance(event, StepStarted):
                segment = event.segment
                if segment.part != self._part:
                    self._part = segment.part
                    self._begin_part(segment.part)
                self.say(step_line(segment))
        self._notice()

    def _say_notes(self, notes: tuple[str, ...]) -> None:
        for note in notes:
            self.say(f"Note: {note}")

    def _begin_part(self, index: int) -> None:
        """The part's heading (for a program, or a routine run for an area) and its notes."""
        timeline = self.session.timeline
        part = timeline.parts[index]
        if len(timeline.parts) > 1 or part.area:
            self.say(f"== {part_heading(part, self.exercises)} ==")
        if index < len(self.notes.parts):
            self._say_notes(self.notes.parts[index])

    def _wait_for_enter(self) -> None:
        """Wait for a line on standard input, reading the clock meanwhile (as the app does):
        time spent on a step that waits for the person is practice, not a suspend."""
        line = self._read_line()
        if not line and not getattr(self.stdin, "isatty", lambda: False)():
            self.say("         (no input: going on)")

    def _read_line(self) -> str:
        """One line from standard input ("" at its end). A real file descriptor is read
        directly, a little at a time between clock reads; anything else (a test's
        StringIO) with its own ``readline``."""
        try:
            fd = self.stdin.fileno()
        except (OSError, ValueError, AttributeError):
            fd = -1
        if fd < 0:
            try:
                return self.stdin.readline()
            except (OSError, ValueError):
                return ""
        while b"\n" not in self._typed:
            try:
                ready, _, _ = select.select([fd], [], [], MAX_WAIT)
                chunk = os.read(fd, 4096) if ready else None
            except (OSError, ValueError):
                chunk = b""
            if chunk is None:
                self.conductor.poll()
                continue
            if not chunk:  # end of input
                line, self._typed = self._typed, b""
                return line.decode("utf-8", "replace")
            self._typed += chunk
        line, _, self._typed = self._typed.partition(b"\n")
        return line.decode("utf-8", "replace") + "\n"

    def run(self) -> int:
        """Run to the end. Returns the exit code: 0 when finished, 130 on Ctrl+C,
        143 on SIGTERM and 129 on SIGHUP (stopped, with the summary line)."""
        with stop_signals_raise():
            try:
                return self._run()
            except (KeyboardInterrupt, StopSignal) as stop:
                return self._stopped(130 if isinstance(stop, KeyboardInterrupt) else stop.exit_code)

    def _stopped(self, code: int) -> int:
        session = self.session
        self.conductor.stop()
        # After a hangup there is no terminal to print to; the history has the session.
        with contextlib.suppress(OSError):
            self.say("")
            self.say(summary_line(session))
        return code

    def _run(self) -> int:
        session = self.session
        self._say_notes(self.notes.start)
        self.conductor.start()
        while session.active:
            if session.waiting:
                self._wait_for_enter()
                self.conductor.continue_()
                continue
            deadline = session.next_deadline()
            now = self.clock()
            pause = MAX_WAIT if deadline is None else (deadline - now) / self.speed
            self.sleep(min(MAX_WAIT, max(0.0, pause)))
            self.conductor.poll()
        self.say(f"{clock_text(session.position()):>6}  done    {summary_line(session)}")
        return 0


DEFAULT_WORD = "d"
"""Typed and Enter while tapping: skip the taps and start from the exercise's default."""


def ask_taps(
    exercise: Exercise,
    *,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    clock: Clock = time.monotonic,
    timeout: float = pace.TIMEOUT,
    notes: Sequence[str] = (),
) -> float | None:
    """Ask for a tap (Enter) at each in-breath and measure the breath from them (see
    ``domain/pace.py``); None for the default: ``d`` and Enter, the end of input (Ctrl+D),
    or ``timeout`` seconds without an Enter before a whole breath was tapped (after one,
    the breaths tapped so far). The exercise's safety ``notes`` come first; the line it
    ends with says what comes next."""
    stdin = stdin or sys.stdin
    out = out or sys.stdout

    def say(text: str) -> None:
        out.write(visible(text, layout=True) + "\n")
        out.flush()

    for note in notes:
        say(f"Note: {note}")
    say(f"Breathe as you are. Press Enter as each breath comes in, {pace.TAPS} times.")
    default = pace.default_text(exercise)
    say(f"  ({DEFAULT_WORD} and Enter, or Ctrl+D: start from {default}; Ctrl+C: go back;")
    say(f"   no Enter for {timeout:g} seconds: from the breaths tapped so far, or {default})")
    tapping = pace.Tapping()
    lines = _Lines(stdin, clock)
    breath: float | None = None
    while not tapping.done:
        line = lines.read(timeout)
        if line is None:  # no Enter for a while: the breaths tapped so far, if any
            breath = tapping.breath
            break
        if line == "" or line.strip().lower() == DEFAULT_WORD:
            breath = None
            break
        if tapping.tap(clock()):
            say(f"  breath {len(tapping.times)}")
        else:
            say("  (too soon after the last one: not counted)")
    else:
        breath = tapping.breath
    say(pace.start_text(exercise, breath))
    return breath


class _Lines:
    """Lines from standard input with a time limit: a real file descriptor is waited on
    with ``select``; anything else (a test's StringIO) is read with its own ``readline``."""

    def __init__(self, stdin: TextIO, clock: Clock) -> None:
        self.stdin = stdin
        self.clock = clock
        self._typed = b""
        try:
            self.fd = stdin.fileno()
        except (OSError, ValueError, AttributeError):
            self.fd = -1

    def read(self, timeout: float) -> str | None:
        """A line (with its newline), "" at the end of input, None after ``timeout``."""
        if self.fd < 0:
            try:
                return self.stdin.readline()
            except (OSError, ValueError):
                return ""
        deadline = self.clock() + timeout
        while b"\n" not in self._typed:
            left = deadline - self.clock()
            if left <= 0:
                return None
            try:
                ready, _, _ = select.select([self.fd], [], [], min(MAX_WAIT, left))
                chunk = os.read(self.fd, 4096) if ready else None
            except (OSError, ValueError):
                chunk = b""
            if chunk is None:
                continue
            if not chunk:
                return ""
            self._typed += chunk
        line, _, self._typed = self._typed.partition(b"\n")
        return line.decode("utf-8", "replace") + "\n"
