"""How much of each half cell a circle covers, and colours blended by that much.

The pacer draws with half blocks: a terminal cell is one pixel wide and two pixels
tall (its upper and lower half). In a cell twice as tall as it is wide pixels are
square; in any other, each pixel is ``stretch`` times as tall as it is wide (a cell's
height over its width, halved), and the circle is measured in widths, so that it is
round on the screen. These are pure functions, cached, so that a breathing cycle
computes each size once and then only looks up.
"""

from __future__ import annotations

import math
from functools import lru_cache
from itertools import groupby

SUBCOLUMNS = 8
"""Samples across a pixel; along each, the covered height is exact (so edges move smoothly)."""
LEVELS = 32
"""Shades between background (0) and full colour (``LEVELS``)."""
RADIUS_QUANTUM = 64
"""Radii are rounded to 1/64 pixel before drawing, so a cycle's sizes repeat and cache."""
STRETCH_QUANTUM = 256
"""Stretches are rounded to 1/256 (within 0.2% of the shape asked), so they key the cache."""

Rgb = tuple[int, int, int]


def quantised_stretch(cell_aspect: float) -> float:
    """How much taller than wide a pixel is, for cells ``cell_aspect`` times as tall as wide;
    exactly 1.0 for the usual 2.0."""
    return round(cell_aspect / 2.0 * STRETCH_QUANTUM) / STRETCH_QUANTUM


def pixel_coverage(cx: float, cy: float, radius: float, x0: float, y0: float, stretch: float = 1.0) -> float:
    """Fraction (0 to 1) of the pixel at ``(x0, y0)`` inside the circle.

    Positions are in pixels; ``radius`` is in pixel widths (a pixel is ``stretch`` widths
    tall). Exactly 1 for a pixel wholly inside, exactly 0 for one wholly outside, and
    never smaller for a larger radius (each column's covered span only grows).
    """
    r2 = radius * radius
    covered = 0.0
    for i in range(SUBCOLUMNS):
        dx = x0 + (i + 0.5) / SUBCOLUMNS - cx
        h2 = r2 - dx * dx
        if h2 <= 0.0:
            continue
        h = math.sqrt(h2) / stretch  # the half-height in pixels, so a whole pixel spans exactly 1
        span = min(y0 + 1.0, cy + h) - max(y0, cy - h)
        if span > 0.0:
            covered += span
    return covered / SUBCOLUMNS


def level(coverage: float) -> int:
    """The shade (0 to ``LEVELS``) for a coverage; only exact 0 and 1 give the ends."""
    if coverage <= 0.0:
        return 0
    if coverage >= 1.0:
        return LEVELS
    return min(LEVELS - 1, max(1, round(coverage * LEVELS)))


def _pixel_row(width: int, cx: float, cy: float, radius: float, y0: float, stretch: float) -> list[int]:
    """Shades of the pixels from ``y0`` to ``y0 + 1`` across the width.

    Only the few pixels the edge crosses are sampled: those whose farthest corner is
    inside are full, those whose nearest point is outside are empty, found per row
    from the circle's half-widths at the pixel row's nearest and farthest heights.
    """
    r2 = radius * radius
    near_y = max(y0 - cy, 0.0, cy - y0 - 1.0) * stretch  # in pixel widths, as the radius
    far_y = max(abs(y0 - cy), abs(y0 + 1.0 - cy)) * stretch
    shades = [0] * width
    if near_y * near_y >= r2:
        return shades
    outer = math.sqrt(r2 - near_y * near_y)
    first = max(0, math.floor(cx - outer))  # columns that may be touched
    last = min(width - 1, math.ceil(cx + outer) - 1)
    if far_y * far_y < r2:
        inner = math.sqrt(r2 - far_y * far_y)
        full_first = max(first, math.ceil(cx - inner))
        full_last = min(last, math.floor(cx + inner) - 1)
    else:
        full_first, full_last = last + 1, last
    # The circle is symmetric about cx (width / 2), so the right side mirrors the left.
    middle = (width - 1) // 2
    for col in range(first, last + 1):
        if full_first <= col <= full_last:
            shades[col] = LEVELS
        elif col <= middle:
            shades[col] = level(pixel_coverage(cx, cy, radius, col, y0, stretch))
        else:
            shades[col] = shades[width - 1 - col]
    return shades


@lru_cache(maxsize=512)
def shade_rows(
    width: int, height: int, radius: float, stretch: float = 1.0
) -> tuple[tuple[tuple[int, int, int], ...], ...]:
    """Runs of equal shades for a circle of ``radius`` pixel widths centred in ``width`` x
    ``height`` cells whose pixels are ``stretch`` widths tall.

    Each row is a tuple of ``(upper level, lower level, cells)`` runs covering the row.
    """
    cx = width / 2.0
    cy = float(height)  # height cells are 2 * height pixels
    pixels = 2 * height
    upper_half = [_pixel_row(width, cx, cy, radius, float(y), stretch) for y in range(height)]
    # ... and the lower half mirrors the upper (pixel row y is row 2 * height - 1 - y).
    pixel_rows = upper_half + upper_half[::-1]
    rows: list[tuple[tuple[int, int, int], ...]] = []
    for row in range(0, pixels, 2):
        runs: list[tuple[int, int, int]] = []
        for (upper, lower), cells in groupby(zip(pixel_rows[row], pixel_rows[row + 1], strict=True)):
            runs.append((upper, lower, sum(1 for _ in cells)))
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
