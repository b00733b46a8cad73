"""How much of each half cell a circle covers, and colours blended by that much.

The pacer draws with half blocks: a terminal cell is one pixel wide and two pixels
tall (its upper and lower half), so pixels are square. These are pure functions,
cached, so that a breathing cycle computes each size once and then only looks up.
"""

from __future__ import annotations

import math
from functools import lru_cache

SUBCOLUMNS = 8
"""Samples across a pixel; along each, the covered height is exact (so edges move smoothly)."""
LEVELS = 32
"""Shades between background (0) and full colour (``LEVELS``)."""
RADIUS_QUANTUM = 64
"""Radii are rounded to 1/64 pixel before drawing, so a cycle's sizes repeat and cache."""

Rgb = tuple[int, int, int]


def pixel_coverage(cx: float, cy: float, radius: float, x0: float, y0: float) -> float:
    """Fraction (0 to 1) of the unit pixel at ``(x0, y0)`` inside the circle.

    Exactly 1 for a pixel wholly inside, exactly 0 for one wholly outside, and never
    smaller for a larger radius (each column's covered span only grows).
    """
    r2 = radius * radius
    covered = 0.0
    for i in range(SUBCOLUMNS):
        dx = x0 + (i + 0.5) / SUBCOLUMNS - cx
        h2 = r2 - dx * dx
        if h2 <= 0.0:
            continue
        h = math.sqrt(h2)
        span = min(y0 + 1.0, cy + h) - max(y0, cy - h)
        if span > 0.0:
            covered += span
    return covered / SUBCOLUMNS


def _nearest(lo: float, hi: float, c: float) -> float:
    """Distance from ``c`` to the nearest point of ``[lo, hi]`` (0 inside)."""
    return max(lo - c, 0.0, c - hi)


def _farthest(lo: float, hi: float, c: float) -> float:
    return max(abs(lo - c), abs(hi - c))


def level(coverage: float) -> int:
    """The shade (0 to ``LEVELS``) for a coverage; only exact 0 and 1 give the ends."""
    if coverage <= 0.0:
        return 0
    if coverage >= 1.0:
        return LEVELS
    return min(LEVELS - 1, max(1, round(coverage * LEVELS)))


@lru_cache(maxsize=512)
def shade_rows(width: int, height: int, radius: float) -> tuple[tuple[tuple[int, int, int], ...], ...]:
    """Runs of equal shades for a circle of ``radius`` pixels centred in ``width`` x ``height`` cells.

    Each row is a tuple of ``(upper level, lower level, cells)`` runs covering the row.
    """
    cx = width / 2.0
    cy = float(height)  # height cells are 2 * height pixels
    r2 = radius * radius
    rows: list[tuple[tuple[int, int, int], ...]] = []
    for row in range(height):
        runs: list[tuple[int, int, int]] = []
        shades: list[int] = [0, 0]
        for col in range(width):
            near_x = _nearest(col, col + 1.0, cx)
            far_x = _farthest(col, col + 1.0, cx)
            for half in (0, 1):
                y0 = 2.0 * row + half
                near_y = _nearest(y0, y0 + 1.0, cy)
                far_y = _farthest(y0, y0 + 1.0, cy)
                if near_x * near_x + near_y * near_y >= r2:
                    shades[half] = 0
                elif far_x * far_x + far_y * far_y <= r2:
                    shades[half] = LEVELS
                else:
                    shades[half] = level(pixel_coverage(cx, cy, radius, col, y0))
            upper, lower = shades
            if runs and runs[-1][0] == upper and runs[-1][1] == lower:
                runs[-1] = (upper, lower, runs[-1][2] + 1)
            else:
                runs.append((upper, lower, 1))
        rows.append(tuple(runs))
    return tuple(rows)


@lru_cache(maxsize=16)
def blends(fill: Rgb, background: Rgb) -> tuple[Rgb, ...]:
    """``LEVELS + 1`` colours from ``background`` (index 0) to ``fill`` (index ``LEVELS``)."""
    return tuple(
        (
            round(background[0] + (fill[0] - background[0]) * step / LEVELS),
            round(background[1] + (fill[1] - background[1]) * step / LEVELS),
            round(background[2] + (fill[2] - background[2]) * step / LEVELS),
        )
        for step in range(LEVELS + 1)
    )
