"""The report's charts, drawn as SVG by this code: the same drawing in the HTML page and
the PDF (fpdf2 turns SVG into PDF vector paths).

Only shapes and ``<text>`` that both a browser and fpdf2 draw: no CSS, no fonts from
elsewhere, no scripts. Every label is escaped for XML; text from the person's rows has
its control characters made visible before it gets here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

from calmcoach.domain.report import Figures
from calmcoach.domain.visible import visible

WIDTH = 720
FONT = "Helvetica, Arial, sans-serif"
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442")
"""Okabe and Ito's palette, which people with the common colour vision deficiencies tell apart."""
MAX_TRIGGERS = 12
"""Bars in the triggers chart (every trigger is in the table beside it)."""

Label = Callable[[str], str]
"""Makes a label drawable (the PDF without a Unicode font writes some characters as escapes)."""


def same(text: str) -> str:
    return text


def colour(number: int) -> str:
    return COLOURS[number % len(COLOURS)]


def _text(
    x: float, y: float, words: str, *, size: int = 11, anchor: str = "start", fill: str = "#222"
) -> str:
    # html.escape, not xml.sax.saxutils: that one loads urllib and http at start-up.
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" '
        f'text-anchor="{anchor}" fill="{fill}">{escape(words)}</text>'
    )


def _rule(x1: float, y1: float, x2: float, y2: float, stroke: str = "#444") -> str:
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}" stroke-width="1"/>'
    )


def _box(x: float, y: float, width: float, height: float, fill: str) -> str:
    return f'<rect x="{x:.2f}" y="{y:.2f}" width="{width:.2f}" height="{height:.2f}" fill="{fill}"/>'


def _svg(height: float, body: Sequence[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" role="img" aria-label="{escape(title)}">'
        f'<rect x="0" y="0" width="{WIDTH}" height="{height:.0f}" fill="#ffffff"/>' + "".join(body) + "</svg>"
    )


def _nice_top(value: float) -> int:
    """A round number at or above ``value`` for the top of a y axis (at least 1)."""
    if value <= 1:
        return 1
    step = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 5, 10):
        if factor * step >= value:
            return int(factor * step)
    return int(10 * step)


def _legend(
    names: Sequence[str], y: float, label: Label, marks: Sequence[str] | None = None
) -> tuple[list[str], float]:
    """A key for every series, in rows from ``y`` down, and the y under the last row: a
    colour square each, or with ``marks`` a short line through the series' own mark."""
    parts, x = ['<g id="key">'], 60.0
    for number, raw in enumerate(names):
        name = label(visible(raw))
        if len(name) > 40:
            name = name[:39] + "…" if label is same else name[:37] + "..."
        room = 36 + 6.5 * len(name)
        if x > 60 and x + room > WIDTH:
            x, y = 60.0, y + 18
        fill = colour(number)
        if marks is None:
            parts.append(f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{fill}"/>')
            parts.append(_text(x + 14, y, name))
        else:
            parts.append(_rule(x, y - 4, x + 16, y - 4, fill))
            parts.append(_mark(marks[number % len(marks)], x + 8, y - 4, fill))
            parts.append(_text(x + 20, y, name))
        x += room
    parts.append("</g>")
    return parts, y + 12


def _week_ticks(figures: Figures, left: float, step: float, baseline: float) -> list[str]:
    """A few week labels under the x axis (first, last, and evenly between)."""
    count = len(figures.weeks)
    every = max(1, math.ceil(count / 6))
    parts = []
    for index in range(0, count, every):
        x = left + step * (index + 0.5)
        parts.append(
            _text(x, baseline + 16, figures.weeks[index].monday.isoformat(), size=10, anchor="middle")
        )
    return parts


def weekly_chart(figures: Figures, label: Label = same) -> str:
    """Flares per week, stacked by area (one colour each), with a legend."""
    height, left, top, right = 270.0, 60.0, 30.0, 20.0
    baseline = height - 60
    weeks = len(figures.weeks)
    totals = [sum(series.per_week[i] for series in figures.series) for i in range(weeks)]
    peak = _nice_top(max(totals, default=0))
    step = (WIDTH - left - right) / max(1, weeks)
    scale = (baseline - top) / peak
    body = [
        _rule(left, baseline, WIDTH - right, baseline),
        _rule(left, top, left, baseline),
        _text(left - 6, top + 4, str(peak), size=10, anchor="end"),
        _text(left - 6, baseline + 4, "0", size=10, anchor="end"),
        _rule(left, top, WIDTH - right, top, "#ddd"),
        _text(left, top - 14, "flares a week", size=10),
    ]
    gap = min(2.0, step * 0.2)
    # Each series' bars as one path: a PDF draws one shape much faster than hundreds.
    bars: list[list[str]] = [[] for _ in figures.series]
    for index in range(weeks):
        y = baseline
        for number, series in enumerate(figures.series):
            count = series.per_week[index]
            if not count:
                continue
            tall = count * scale
            y -= tall
            x, wide = left + step * index + gap / 2, max(0.5, step - gap)
            bars[number].append(f"M{x:.2f} {y:.2f}h{wide:.2f}v{tall:.2f}h{-wide:.2f}Z")
    body += [f'<path d="{"".join(d)}" fill="{colour(n)}"/>' for n, d in enumerate(bars) if d]
    body += _week_ticks(figures, left, step, baseline)
    key, bottom = _legend([series.name for series in figures.series], baseline + 46, label)
    return _svg(bottom, body + key, "Flares per week, by body area")


_MARKS = ("circle", "square", "triangle", "diamond")


def _mark_path(kind: str, x: float, y: float) -> str:
    """One point's outline, as path data."""
    if kind == "circle":
        return f"M{x - 3:.2f} {y:.2f}a3 3 0 1 0 6 0a3 3 0 1 0 -6 0Z"
    if kind == "square":
        return f"M{x - 3:.2f} {y - 3:.2f}h6v6h-6Z"
    if kind == "triangle":
        return f"M{x:.2f} {y - 3.5:.2f}L{x + 3.5:.2f} {y + 3:.2f}L{x - 3.5:.2f} {y + 3:.2f}Z"
    return f"M{x:.2f} {y - 4:.2f}L{x + 4:.2f} {y:.2f}L{x:.2f} {y + 4:.2f}L{x - 4:.2f} {y:.2f}Z"


def _mark(kind: str, x: float, y: float, fill: str) -> str:
    """A point of one area's line, in a shape of its own (colour is not the only mark)."""
    if kind == "circle":
        return f'<circle cx="{x:.2f}" cy="{y:.2f}" r="3" fill="{fill}"/>'
    if kind == "square":
        return f'<rect x="{x - 3:.2f}" y="{y - 3:.2f}" width="6" height="6" fill="{fill}"/>'
    if kind == "triangle":
        points = f"{x:.2f},{y - 3.5:.2f} {x + 3.5:.2f},{y + 3:.2f} {x - 3.5:.2f},{y + 3:.2f}"
    else:
        points = f"{x:.2f},{y - 4:.2f} {x + 4:.2f},{y:.2f} {x:.2f},{y + 4:.2f} {x - 4:.2f},{y:.2f}"
    return f'<polygon points="{points}" fill="{fill}"/>'


def intensity_chart(figures: Figures, label: Label = same) -> str:
    """The median intensity (0 to 10) of each week's flares, a line per area."""
    height, left, top, right = 270.0, 60.0, 30.0, 20.0
    baseline = height - 60
    weeks = len(figures.weeks)
    step = (WIDTH - left - right) / max(1, weeks)
    scale = (baseline - top) / 10
    body = [
        _rule(left, baseline, WIDTH - right, baseline),
        _rule(left, top, left, baseline),
        _text(left, top - 14, "median intensity, 0 to 10", size=10),
    ]
    for level in (0, 5, 10):
        y = baseline - level * scale
        body.append(_text(left - 6, y + 4, str(level), size=10, anchor="end"))
        if level:
            body.append(_rule(left, y, WIDTH - right, y, "#ddd"))
    marks = weeks <= 120  # beyond that the points would be a smear; the line says it
    for number, series in enumerate(figures.series):
        fill, kind = colour(number), _MARKS[number % len(_MARKS)]
        run: list[str] = []
        points: list[str] = []  # the series' marks as one path: one shape to draw, not dozens
        for index, value in enumerate(series.intensity):
            if value is None:
                if len(run) > 1:
                    body.append(_line(run, fill))
                elif run and not marks:  # a week alone between gaps: no line shows it
                    x, y = (float(v) for v in run[0].split(","))
                    points.append(_mark_path(kind, x, y))
                run = []
                continue
            x, y = left + step * (index + 0.5), baseline - value * scale
            run.append(f"{x:.2f},{y:.2f}")
            if marks or len(series.intensity) == 1:
                points.append(_mark_path(kind, x, y))
        if len(run) > 1:
            body.append(_line(run, fill))
        elif run and not marks:
            x, y = (float(v) for v in run[0].split(","))
            points.append(_mark_path(kind, x, y))
        if points:
            body.append(f'<path d="{"".join(points)}" fill="{fill}"/>')
    body += _week_ticks(figures, left, step, baseline)
    key, bottom = _legend([series.name for series in figures.series], baseline + 46, label, _MARKS)
    return _svg(bottom, body + key, "Median intensity per week, by body area")


def _line(points: list[str], fill: str) -> str:
    return f'<polyline points="{" ".join(points)}" fill="none" stroke="{fill}" stroke-width="2"/>'


def triggers_chart(figures: Figures, label: Label = same) -> str:
    """How many flares named each trigger, most frequent first (the first few)."""
    shown = figures.triggers[:MAX_TRIGGERS]
    row, top, left = 22.0, 10.0, 250.0
    height = top + row * max(1, len(shown)) + 10
    peak = max((count for _, count in shown), default=1)
    room = WIDTH - left - 60
    body = []
    for index, (trigger, count) in enumerate(shown):
        y = top + index * row
        words = label(visible(trigger))
        if len(words) > 38:
            words = words[:37] + "…" if label is same else words[:35] + "..."
        body.append(_text(left - 8, y + 14, words, anchor="end"))
        width = max(1.0, room * count / peak)
        body.append(_box(left, y + 3, width, row - 6, colour(0)))
        body.append(_text(left + width + 6, y + 14, str(count)))
    return _svg(height, body, "How many flares named each trigger")
