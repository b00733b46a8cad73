"""The statistics every benchmark figure uses, defined once.

- A percentile is only printed with enough samples behind it: ``MIN_FOR_P99``
  boundaries for a p99. With fewer, the figure is the max and says so.
- Drift is the least-squares slope of lateness against time, given in ms per
  5 minutes (``DRIFT_WINDOW``): a pacer whose boundaries slide later by 1 ms a
  minute drifts 5 ms. The same function serves calmcoach, the baselines and the peers.
- Lateness of a program measured from the terminal is taken against the program's
  own schedule, anchored where the first phase text was written.
- Over repeated runs a figure is shown as median, min and max with the count.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

MIN_FOR_P99 = 300
"""Fewer boundaries than this and a p99 is noise: the max is printed instead."""
MIN_FOR_P50 = 5
DRIFT_WINDOW = 300.0
"""Drift is reported as the change in lateness over this many seconds (5 minutes)."""


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0 to 1) by linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    k = (len(ordered) - 1) * q
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def drift(times: Sequence[float], lateness: Sequence[float], window: float = DRIFT_WINDOW) -> float:
    """Least-squares slope of ``lateness`` (any unit) against ``times`` (seconds), times ``window``.

    NaN with fewer than 3 points or no spread in time."""
    if len(times) != len(lateness):
        raise ValueError(f"{len(times)} times but {len(lateness)} lateness values")
    if len(times) < 3:
        return math.nan
    mean_t = statistics.fmean(times)
    mean_l = statistics.fmean(lateness)
    spread = sum((t - mean_t) ** 2 for t in times)
    if spread == 0:
        return math.nan
    slope = sum((t - mean_t) * (v - mean_l) for t, v in zip(times, lateness, strict=True)) / spread
    return slope * window


@dataclass(frozen=True)
class Lateness:
    """Lateness of boundaries (ms), pooled over one or more runs."""

    values: tuple[float, ...]

    @property
    def count(self) -> int:
        return len(self.values)

    @property
    def p50(self) -> float:
        return percentile(self.values, 0.5) if self.count >= MIN_FOR_P50 else math.nan

    @property
    def p99(self) -> float:
        """The 99th percentile, or NaN below ``MIN_FOR_P99`` samples (use ``tail``)."""
        return percentile(self.values, 0.99) if self.count >= MIN_FOR_P99 else math.nan

    @property
    def max(self) -> float:
        return max(self.values) if self.values else math.nan

    @property
    def tail(self) -> tuple[str, float]:
        """("p99", value) with enough samples, else ("max", value): the honest tail figure."""
        return ("p99", self.p99) if self.count >= MIN_FOR_P99 else ("max", self.max)

    def tail_text(self, unit: str = "ms") -> str:
        name, value = self.tail
        return f"{name} {fmt(value)} {unit} (n={self.count})"


def pooled(runs: Sequence[Sequence[float]]) -> Lateness:
    """Every run's lateness in one pool."""
    return Lateness(tuple(v for run in runs for v in run))


@dataclass(frozen=True)
class OverRuns:
    """One figure measured once per run: median, min, max and how many runs."""

    median: float
    min: float
    max: float
    count: int

    def text(self, unit: str = "") -> str:
        tail = f" {unit}" if unit else ""
        if self.count == 0 or math.isnan(self.median):
            return "no samples"
        if self.count == 1:
            return f"{fmt(self.median)}{tail} (1 run)"
        return f"{fmt(self.median)}{tail} ({fmt(self.min)} to {fmt(self.max)}, {self.count} runs)"


def over_runs(values: Sequence[float]) -> OverRuns:
    """Median, min and max of one figure over runs, NaN values left out."""
    kept = [v for v in values if not math.isnan(v)]
    if not kept:
        return OverRuns(math.nan, math.nan, math.nan, 0)
    return OverRuns(statistics.median(kept), min(kept), max(kept), len(kept))


def fmt(value: float) -> str:
    """A figure with about three significant digits."""
    if math.isnan(value):
        return "n/a"
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 100:
        return f"{value:.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 0.1:
        return f"{value:.2f}"
    if size == 0:
        return "0"
    return f"{value:.2g}"


def ratio(value: float, base: float) -> float:
    """``value / base``; NaN when either is missing or the base is 0."""
    if math.isnan(value) or math.isnan(base) or base == 0:
        return math.nan
    return value / base


# --- schedules -----------------------------------------------------------------------------


def offsets(durations: Sequence[float], count: int) -> list[float]:
    """Start offsets of ``count`` phases repeating ``durations`` (first phase at 0)."""
    if not durations or any(d <= 0 for d in durations):
        raise ValueError(f"phase durations must be positive: {list(durations)}")
    out: list[float] = []
    at = 0.0
    for i in range(count):
        out.append(at)
        at += durations[i % len(durations)]
    return out


def anchored_lateness(
    writes: Sequence[tuple[float, str]], labels: Sequence[str], durations: Sequence[float]
) -> tuple[list[float], list[float]]:
    """Lateness (ms) of each phase change after the first, against the program's own schedule.

    ``writes`` are (time, label) phase changes as the terminal got them, the first
    being the first phase shown (the program's start, not a boundary); ``labels`` and
    ``durations`` are the pattern (one cycle). Boundary i is due at ``origin + offset_i``.
    From outside, the origin is only known up to a delay every boundary shares: it is
    put where the most punctual boundary says, so the earliest boundary is 0 ms late
    and the others are late by how much more they waited. (calmcoach's trace gives its
    true deadlines too.) Returns (seconds since the first boundary, lateness in ms) for
    each boundary. Fails if the labels written do not follow the pattern (a phase missed
    or out of order), instead of pairing the wrong boundaries."""
    if len(writes) < 2:
        return [], []
    start = labels.index(writes[0][1]) if writes[0][1] in labels else -1
    if start < 0:
        raise ValueError(f"first phase written {writes[0][1]!r} is not in the pattern {list(labels)}")
    rotated = [*labels[start:], *labels[:start]]
    turned = [*durations[start:], *durations[:start]]
    due = offsets(turned, len(writes))
    for i, (_, label) in enumerate(writes):
        expected = rotated[i % len(rotated)]
        if label != expected:
            raise ValueError(
                f"phase change {i} wrote {label!r} where the pattern has {expected!r}: "
                "a phase was missed or the pattern is wrong"
            )
    raw = [moment - due[i] for i, (moment, _) in enumerate(writes) if i > 0]
    origin = min(raw)
    first = writes[1][0]
    times = [moment - first for moment, _ in writes[1:]]
    return times, [1000 * (r - origin) for r in raw]


def pair_cues(
    scheduled: Sequence[tuple[str, float]],
    played: Sequence[tuple[str, float]],
    until: float,
    prefix: str = "",
    max_late: float = 1.0,
    due: Sequence[float] | None = None,
) -> list[tuple[str, float, float]]:
    """Pair each sound handed to the player (key, deadline) with its ``played`` report.

    Only keys starting with ``prefix`` count. A sound scheduled before ``until`` (the
    moment the run stopped the app) must have been played: a missing one raises
    ``ValueError`` naming it, instead of pairing later cues with the wrong deadlines.
    A sound replaced before it was due (the player keeps only the latest ``at``) is
    not expected. With ``due`` (the boundaries' deadlines as the app reached them), a
    sound handed over for a deadline that no boundary kept was withdrawn and is not
    expected either. One more than ``max_late`` seconds late (that is a lost cue and
    raises). Returns (key, deadline, played time)."""
    wanted = [(k, at) for k, at in scheduled if k.startswith(prefix)]
    if due is not None:
        # Only sounds handed over for a boundary that came at that deadline: one withdrawn
        # (a pause or a skip moved the boundary, and the app played it itself) is not due.
        wanted = [(k, at) for k, at in wanted if any(abs(at - d) < 1e-6 for d in due)]
    heard = [(k, t) for k, t in played if k.startswith(prefix)]
    # The player keeps one pending sound: an ``at`` handed over while an earlier one was
    # still waiting replaces it.
    kept: list[tuple[str, float]] = []
    for key, at in wanted:
        while kept and kept[-1][1] > at:
            kept.pop()
        kept.append((key, at))
    pairs: list[tuple[str, float, float]] = []
    j = 0
    for key, at in kept:
        if at >= until:
            continue
        while j < len(heard) and (heard[j][0] != key or heard[j][1] < at - 0.5):
            j += 1
        if j == len(heard) or heard[j][1] - at > max_late:
            raise ValueError(
                f"sound {key!r} due at {at:.3f} was handed to the player but not reported "
                f"played within {max_late:g} s of it"
            )
        pairs.append((key, at, heard[j][1]))
        j += 1
    return pairs
