"""The guide's sign of a twitch that "lasts longer than a few weeks without letup", as one
rule over the days a person logged flares in one body area.

People do not log every day a twitch comes, so "without letup" cannot mean strictly
every day: a stretch is a run of days with flares on most of them (more than half), never
more than ``MAX_BREAK`` days in a row without one. A stretch of more than
``LASTING_DAYS`` days is the sign, to be named as worth getting checked by a doctor and
never as a diagnosis. The history's stats (the app's History screen) and the report for
the doctor both ask this module, so the two never disagree.

Pure: days in, stretches out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

LASTING_DAYS = 21
"""A stretch longer than this (more than three weeks) is the guide's "few weeks" sign."""
MAX_BREAK = 2
"""Days in a row without a flare that a stretch may hold: a weekend with nothing logged
is no letup; a longer gap is."""


@dataclass(frozen=True)
class Stretch:
    """Days from ``start`` to ``end`` (both included) with a flare on ``flare_days`` of them."""

    start: date
    end: date
    flare_days: int

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def lasting(self) -> bool:
        """More than three weeks with flares on most days: worth getting checked."""
        return self.length > LASTING_DAYS


def stretches(days: Iterable[date]) -> list[Stretch]:
    """The longest stretch between each two letups among ``days``, oldest first (the
    earliest, where two are as long). A single day is a stretch of one."""
    found: list[Stretch] = []
    chain: list[date] = []
    for day in sorted(set(days)):
        if chain and (day - chain[-1]).days - 1 > MAX_BREAK:
            found.append(_densest(chain))
            chain = []
        chain.append(day)
    if chain:
        found.append(_densest(chain))
    return found


def longest_stretch(days: Iterable[date]) -> Stretch | None:
    """The longest of :func:`stretches` (the earliest, if several are as long), or None
    for no days."""
    best: Stretch | None = None
    for stretch in stretches(days):
        if best is None or stretch.length > best.length:
            best = stretch
    return best


def _densest(chain: list[date]) -> Stretch:
    """The longest span in ``chain`` (days with no break longer than MAX_BREAK), from one
    flare day to another, with flares on more than half its days.

    Span i..j qualifies when 2 * (j - i + 1) > d[j] - d[i] + 1, that is when
    v[j] >= v[i] with v[k] = 2k - d[k]: the widest such pair is found in one pass
    (the "widest ramp"), not by trying every pair."""
    ordinal = [day.toordinal() for day in chain]
    value = [2 * k - d for k, d in enumerate(ordinal)]
    starts: list[int] = []  # indexes whose value is lower than every one before
    for k, v in enumerate(value):
        if not starts or v < value[starts[-1]]:
            starts.append(k)
    best_i, best_j = 0, 0
    for j in range(len(chain) - 1, -1, -1):
        while starts and value[starts[-1]] <= value[j]:
            i = starts.pop()
            if ordinal[j] - ordinal[i] > ordinal[best_j] - ordinal[best_i] or (
                ordinal[j] - ordinal[i] == ordinal[best_j] - ordinal[best_i] and i < best_i
            ):
                best_i, best_j = i, j
    return Stretch(chain[best_i], chain[best_j], best_j - best_i + 1)
