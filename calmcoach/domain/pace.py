"""A tapped start: from the person's taps to their breath's length, and from that to the
lengths a ``start = "tapped"`` exercise begins with before it ramps to its own.

The rules, so every shell measures the same way:

- The person taps at the start of each in-breath, :data:`TAPS` times. A tap less than
  :data:`SHORTEST_BREATH` seconds after the one before is a slip (a bounce, a double
  press) and does not count; a gap longer than :data:`LONGEST_BREATH` is not one breath.
- The breath's length is the mean of the gaps between counted taps that are within
  those limits, also when :data:`TIMEOUT` seconds without a tap end the tapping early;
  with none (the default asked for, or the wait over before a whole breath) there is no
  measure and the exercise's ``start_default`` is used.
- The first cycle has the exercise's proportions scaled to that length. A hold that
  would be shorter than ``planner.LEFT_OUT_UNDER`` starts left out and the other phases
  share the cycle; no phase starts shorter than :data:`SHORTEST_PHASE`. A breath already
  as slow as the exercise's own cycle starts there, without a ramp.

Pure arithmetic; no clock, no I/O.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from calmcoach.domain.describe import number_text
from calmcoach.domain.model import Exercise, Pace
from calmcoach.domain.planner import LEFT_OUT_UNDER, ramped

TAP_LINE = "Breathe as you are. Tap space as each breath comes in."
"""What the app says (and the voice speaks) while it waits for the taps."""
TAPS = 3
"""Taps asked for: three in-breaths, two whole breaths between them."""
TIMEOUT = 15.0
"""Seconds without a tap after which the default is used."""
SHORTEST_BREATH = 1.5
"""A gap between taps shorter than this is not a breath."""
LONGEST_BREATH = 20.0
"""A gap between taps longer than this is not one breath."""
SHORTEST_PHASE = 0.5
"""The shortest a phase may start (the loader's ``MIN_SECONDS``)."""


def breath_seconds(taps: Sequence[float]) -> float | None:
    """The breath's length from the times of the taps (seconds, in order): the mean of
    the gaps from :data:`SHORTEST_BREATH` to :data:`LONGEST_BREATH`; None without one."""
    gaps = [b - a for a, b in itertools.pairwise(taps)]
    kept = [g for g in gaps if math.isfinite(g) and SHORTEST_BREATH <= g <= LONGEST_BREATH]
    return sum(kept) / len(kept) if kept else None


@dataclass
class Tapping:
    """The taps counted so far, for a shell that asks for them."""

    times: list[float] = field(default_factory=list)

    def tap(self, at: float) -> bool:
        """A tap at clock time ``at``; True when it counts (see the module's rules)."""
        if self.done or (self.times and at - self.times[-1] < SHORTEST_BREATH):
            return False
        self.times.append(at)
        return True

    @property
    def done(self) -> bool:
        return len(self.times) >= TAPS

    @property
    def breath(self) -> float | None:
        """The measured breath, or None (no usable gap yet)."""
        return breath_seconds(self.times)


def starting_lengths(exercise: Exercise, breath: float) -> tuple[float, ...] | None:
    """Each phase's first-cycle length for a measured ``breath`` (seconds), 0 for a hold
    left out; None when the breath is already as slow as the exercise's own cycle."""
    own = exercise.cycle_seconds
    if not math.isfinite(breath) or breath >= own or own <= 0:
        return None
    scale = breath / own
    dropped = [p.pace is Pace.HOLD and p.seconds * scale < LEFT_OUT_UNDER for p in exercise.phases]
    kept = sum(p.seconds for p, out in zip(exercise.phases, dropped, strict=True) if not out)
    if kept <= 0:  # only holds, all too short: scale them all the same
        dropped = [False] * len(exercise.phases)
        kept = own
    share = breath / kept
    return tuple(
        0.0 if out else min(p.seconds, max(SHORTEST_PHASE, p.seconds * share))
        for p, out in zip(exercise.phases, dropped, strict=True)
    )


def start_from(exercise: Exercise, breath: float | None) -> Exercise:
    """The exercise to plan for a tapped start: ramped from the measured ``breath`` (or,
    with None, from its ``start_default``) to its own lengths over its ``ramp_cycles``;
    as it is when it is not a tapped start, or there is nothing to ramp from."""
    if not exercise.tapped_start or exercise.ramp_cycles is None:
        return exercise
    starts = exercise.start_default if breath is None else starting_lengths(exercise, breath)
    if starts is None:
        return exercise
    return ramped(exercise, starts, exercise.ramp_cycles)


def lengths_text(lengths: Sequence[float]) -> str:
    """Phase lengths as the guide writes them: ``4-2-6``."""
    return "-".join(number_text(x) for x in lengths)


def default_text(exercise: Exercise) -> str:
    """Where the exercise starts without taps: ``3-1-4``."""
    return lengths_text(exercise.start_default or [p.seconds for p in exercise.phases])


def start_text(exercise: Exercise, breath: float | None) -> str:
    """One line on where the session starts after the taps, and where it goes."""
    own = lengths_text([p.seconds for p in exercise.phases])
    over = f"over {exercise.ramp_cycles} breaths"
    if breath is None:
        if exercise.start_default is None:
            return f"No taps: breathing at {own}."
        return f"No taps: starting at {default_text(exercise)}, slowing to {own} {over}."
    measured = f"Your breath: {number_text(breath)} seconds"
    if starting_lengths(exercise, breath) is None:
        return f"{measured}, already slow: breathing at {own}."
    return f"{measured}. Starting there, slowing to {own} {over}."
