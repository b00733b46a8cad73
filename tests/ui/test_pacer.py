"""The pacer's shaded edge: coverage and blends, and which terminals get it.

A truecolour terminal (and the desktop window) gets the edge cells blended from the
pacer's colour into the background; 256 colours, 16 colours and ``NO_COLOR`` keep the
solid half blocks in the one colour.
"""

from __future__ import annotations

import logging
import math

import pytest
from rich.color import Color, ColorSystem
from rich.style import Style
from textual import constants

from calmcoach.ui.factory import cell_aspect
from calmcoach.ui.widgets.pacer import Pacer
from calmcoach.ui.widgets.shading import LEVELS, blends, pixel_coverage, shade_rows
from tests.ui.helpers import advance, new_app, session_screen

WIDTH, HEIGHT = 40, 12
"""Cells; 40 x 24 square pixels, centre (20, 12)."""


def test_a_pixel_wholly_inside_is_covered_and_one_wholly_outside_is_not() -> None:
    assert pixel_coverage(20.0, 12.0, 5.0, 19.0, 11.0) == 1.0  # at the centre
    assert pixel_coverage(20.0, 12.0, 5.0, 30.0, 12.0) == 0.0  # 10 pixels out


def test_a_pixel_on_the_edge_is_partly_covered() -> None:
    # The pixel from x=24.5 to 25.5 straddles the circle's rightmost point (x=25).
    covered = pixel_coverage(20.0, 12.0, 5.0, 24.5, 11.5)
    assert 0.3 < covered < 0.6


def test_coverage_grows_with_the_radius() -> None:
    radii = [5.0 + i / 64 for i in range(0, 129)]
    covered = [pixel_coverage(20.0, 12.0, r, 24.0, 13.0) for r in radii]
    assert covered == sorted(covered)
    assert covered[0] < covered[-1]


def _levels(radius: float, stretch: float = 1.0) -> list[list[tuple[int, int]]]:
    """Each cell's (upper, lower) shade, row by row."""
    return [
        [(upper, lower) for upper, lower, cells in runs for _ in range(cells)]
        for runs in shade_rows(WIDTH, HEIGHT, radius, stretch)
    ]


def test_shades_are_full_inside_empty_outside_and_between_at_the_edge() -> None:
    cells = _levels(7.3)
    assert all(len(row) == WIDTH for row in cells) and len(cells) == HEIGHT
    assert cells[6][20] == (LEVELS, LEVELS)  # just below the centre
    assert cells[0][0] == (0, 0)  # a corner
    edge = {level for row in cells for pair in row for level in pair} - {0, LEVELS}
    assert edge, "no edge cell is shaded between background and colour"


def test_shades_grow_with_the_radius_in_every_cell() -> None:
    previous = _levels(4.0)
    for step in range(1, 65):
        current = _levels(4.0 + step / 16)
        for row_before, row_now in zip(previous, current, strict=True):
            for before, now in zip(row_before, row_now, strict=True):
                assert now[0] >= before[0] and now[1] >= before[1]
        previous = current


def test_blends_run_from_the_background_to_the_colour() -> None:
    fill, background = (255, 140, 0), (20, 30, 40)
    table = blends(fill, background)
    assert len(table) == LEVELS + 1
    assert table[0] == background and table[LEVELS] == fill
    reds = [c[0] for c in table]
    assert reds == sorted(reds) and len(set(reds)) == LEVELS + 1


def _colours(pacer: Pacer) -> set[tuple[int, int, int]]:
    """Every foreground and background colour the pacer draws, as RGB."""
    found: set[tuple[int, int, int]] = set()
    for y in range(pacer.size.height):
        for segment in pacer.render_line(y):
            style = segment.style or Style()
            for colour in (style.color, style.bgcolor):
                if colour is not None:
                    found.add(tuple(colour.get_truecolor()))  # type: ignore[arg-type]
    return found


def _fill_and_background(pacer: Pacer) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    fill = pacer.get_component_rich_style("pacer--fill")
    assert isinstance(fill.color, Color) and isinstance(fill.bgcolor, Color)
    return tuple(fill.color.get_truecolor()), tuple(fill.bgcolor.get_truecolor())  # type: ignore[return-value]


Rgb = tuple[int, int, int]


async def _pacer_colours(monkeypatch: pytest.MonkeyPatch, color_system: str) -> tuple[set[Rgb], Rgb, Rgb]:
    """The colours drawn mid in-breath, then the pacer's own colour and background."""
    # The app reads the colour system when it is made: as Textual does from
    # TEXTUAL_COLOR_SYSTEM, which it reads once at import.
    monkeypatch.setattr(constants, "COLOR_SYSTEM", color_system)
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await advance(pilot, clock, 2.3)  # mid in-breath
        pacer = session_screen(pilot).query_one(Pacer)
        assert 0.0 < pacer.level < 1.0
        return _colours(pacer), *_fill_and_background(pacer)


async def test_a_truecolour_terminal_shows_blended_colours_at_the_edge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    colours, fill, background = await _pacer_colours(monkeypatch, "truecolor")
    between = colours - {fill, background}
    assert len(between) >= 4, f"only {between} between {fill} and {background}"
    for colour in between:  # each a blend of the two, not some other colour
        for channel in range(3):
            low, high = sorted((fill[channel], background[channel]))
            assert low <= colour[channel] <= high


@pytest.mark.parametrize("color_system", ["256", "standard"])
async def test_fewer_colours_keep_the_solid_circle(
    monkeypatch: pytest.MonkeyPatch, color_system: str
) -> None:
    colours, fill, background = await _pacer_colours(monkeypatch, color_system)
    assert colours == {fill, background}


async def test_no_color_keeps_the_solid_circle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    colours, fill, background = await _pacer_colours(monkeypatch, "truecolor")
    assert colours == {fill, background}


# Cells of other shapes: the desktop window's are 9 x 21 px, so each half cell is 1.17
# times as tall as wide; the circle is measured in widths and must be round in them.


@pytest.mark.parametrize("stretch", [1.0, 1.17])
def test_the_covered_area_is_the_circles_in_square_units(stretch: float) -> None:
    radius, cx, cy = 9.3, 20.0, 12.0
    covered = sum(
        pixel_coverage(cx, cy, radius, float(x), float(y), stretch) for x in range(40) for y in range(24)
    )
    # Each pixel is 1 wide and ``stretch`` tall.
    assert covered * stretch == pytest.approx(math.pi * radius * radius, rel=0.005)


def _mean_chord(radius: float, span: float) -> float:
    """The circle's mean chord over a strip from its centre line to ``span`` away."""
    samples = 1000
    return sum(2 * math.sqrt(radius**2 - (span * (i + 0.5) / samples) ** 2) for i in range(samples)) / samples


@pytest.mark.parametrize("stretch", [1.0, 1.17, 1.5])
def test_a_stretched_circles_width_in_pixels_is_its_height_in_square_units(stretch: float) -> None:
    radius = 7.3
    cells = _levels(radius, stretch)
    # Across the pixel row just below the centre (``stretch`` tall), and down the pixel
    # column just right of it (1 wide), both against the circle's chords over the strip.
    width = sum(upper for upper, _ in cells[HEIGHT // 2]) / LEVELS
    height = sum(cells[row][WIDTH // 2][half] for row in range(HEIGHT) for half in (0, 1)) / LEVELS
    assert width == pytest.approx(_mean_chord(radius, stretch), abs=0.1)
    assert height * stretch == pytest.approx(_mean_chord(radius, 1.0), abs=0.1 * stretch)


def test_a_stretched_pixel_is_wholly_in_wholly_out_or_between_and_grows_with_the_radius() -> None:
    assert pixel_coverage(20.0, 12.0, 5.0, 19.0, 11.0, 1.17) == 1.0
    # A pixel from 4.5 pixels below the centre: 5.3 widths down, so outside a circle of 5
    # (as it is not with square pixels), partly inside one of 6.
    assert pixel_coverage(20.0, 12.0, 5.0, 19.5, 16.5, 1.17) == 0.0
    assert pixel_coverage(20.0, 12.0, 5.0, 19.5, 16.5, 1.0) > 0.0
    assert 0.0 < pixel_coverage(20.0, 12.0, 6.0, 19.5, 16.5, 1.17) < 1.0
    previous = _levels(4.0, 1.17)
    for step in range(1, 33):
        current = _levels(4.0 + step / 8, 1.17)
        for row_before, row_now in zip(previous, current, strict=True):
            for before, now in zip(row_before, row_now, strict=True):
                assert now[0] >= before[0] and now[1] >= before[1]
        previous = current


def _drawn(pacer: Pacer) -> list[list[float]]:
    """How much of each half cell the drawn circle covers (0 to 1), read back from its glyphs
    and colours: half-pixel rows by columns."""
    fill, background = _fill_and_background(pacer)

    def share(colour: Color | None) -> float:
        assert colour is not None
        red = colour.get_truecolor()[0]
        return (red - background[0]) / (fill[0] - background[0])

    halves: list[list[float]] = []
    for y in range(pacer.size.height):
        upper: list[float] = []
        lower: list[float] = []
        for segment in pacer.render_line(y):
            style = segment.style or Style()
            for glyph in segment.text:
                top, bottom = {
                    "█": (1.0, 1.0),
                    " ": (0.0, 0.0),
                    "▀": (share(style.color), share(style.bgcolor)) if glyph == "▀" else (0.0, 0.0),
                    "▄": (0.0, 1.0),
                }[glyph]
                upper.append(top)
                lower.append(bottom)
        halves += [upper, lower]
    return halves


async def _extents(monkeypatch: pytest.MonkeyPatch, color_system: str) -> tuple[float, float, float]:
    """The full circle's width and height in cells as drawn, and its radius in pixel widths."""
    monkeypatch.setattr(constants, "COLOR_SYSTEM", color_system)
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await advance(pilot, clock, 4.5)  # the hold after the in-breath: full
        pacer = session_screen(pilot).query_one(Pacer)
        assert pacer.level == 1.0
        halves = _drawn(pacer)
        width = max(sum(row) for row in halves)
        height = max(sum(row[x] for row in halves) for x in range(pacer.size.width)) / 2
        return width, height, pacer.radius


@pytest.mark.parametrize("color_system", ["truecolor", "256"])
@pytest.mark.parametrize("aspect", [2.0, 2.33])
async def test_the_drawn_circle_is_round_on_a_screen_of_that_cell_shape(
    monkeypatch: pytest.MonkeyPatch, aspect: float, color_system: str
) -> None:
    if aspect != 2.0:
        monkeypatch.setenv("CALMCOACH_CELL_ASPECT", str(aspect))
    width, height, radius = await _extents(monkeypatch, color_system)
    # Round where a cell is ``aspect`` times as tall as wide: as many cells across as
    # ``aspect`` times the cells down. Solid half blocks round to whole half cells: a
    # half cell in 35 down and a cell in 41 across, up to 6% between them.
    tolerance = 0.01 if color_system == "truecolor" else 0.07
    assert width / height == pytest.approx(aspect, rel=tolerance)
    assert width == pytest.approx(2 * radius, abs=0.2 if color_system == "truecolor" else 1.5)


def test_the_cell_shape_is_read_from_the_environment(caplog: pytest.LogCaptureFixture) -> None:
    assert cell_aspect({}) is None
    assert cell_aspect({"CALMCOACH_CELL_ASPECT": "2.333"}) == 2.333
    assert cell_aspect({"CALMCOACH_CELL_ASPECT": " 1.0"}) == 1.0
    assert not caplog.records


@pytest.mark.parametrize(
    "text", ["", "abc", "0.5", "4.01", "nan", "inf", "-2", "1e308", "2" * 5000, "\x1b[31m2.3", "2.3\x00"]
)
def test_a_wrong_cell_shape_is_ignored_with_one_log_line(caplog: pytest.LogCaptureFixture, text: str) -> None:
    with caplog.at_level(logging.WARNING, logger="calmcoach"):
        assert cell_aspect({"CALMCOACH_CELL_ASPECT": text}) is None
    (record,) = caplog.records
    message = record.getMessage()
    assert "CALMCOACH_CELL_ASPECT" in message and "ignored" in message
    assert message.isprintable() and len(message) < 200


async def test_the_app_reads_the_cell_shape_once_as_it_starts(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CALMCOACH_CELL_ASPECT", "2.5")
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    monkeypatch.setenv("CALMCOACH_CELL_ASPECT", "3.0")  # too late: not read again
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert session_screen(pilot).query_one(Pacer).stretch == 1.25  # 2.5 / 2, not 1.5
    monkeypatch.setenv("CALMCOACH_CELL_ASPECT", "wide")
    with caplog.at_level(logging.WARNING, logger="calmcoach"):
        app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    assert app.options.cell_aspect == 2.0
    assert len(caplog.records) == 1


# The widget's background, in dark and light themes: cells outside the circle must be
# exactly what Textual paints behind the widget on both sides of the centre, and the edge
# must blend into that background (a blend towards a fixed dark grey would leave a dark
# fringe on a light theme).


def _outside(pacer: Pacer, col: int, row: int) -> bool:
    """Whether the cell at ``(col, row)`` lies wholly outside the pacer's circle: its
    nearest point is farther from the centre than the radius, measured in pixel widths."""
    width, height = pacer.size
    cx, cy = width / 2.0, float(height)  # pixels: a cell is 1 wide and 2 tall
    dx = max(col - cx, 0.0, cx - col - 1.0)
    dy = max(2.0 * row - cy, 0.0, cy - 2.0 * row - 2.0) * pacer.stretch
    return dx * dx + dy * dy > pacer.radius * pacer.radius + 1e-6


def _cells(pacer: Pacer) -> list[list[tuple[str, Style]]]:
    """Each cell's glyph and style, row by row, as the pacer draws them."""
    rows = []
    for y in range(pacer.size.height):
        rows.append(
            [(glyph, segment.style or Style()) for segment in pacer.render_line(y) for glyph in segment.text]
        )
    return rows


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
async def test_cells_outside_the_circle_are_the_widgets_own_background_on_both_sides(
    monkeypatch: pytest.MonkeyPatch, theme: str
) -> None:
    monkeypatch.setattr(constants, "COLOR_SYSTEM", "truecolor")
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        app.theme = theme
        await pilot.pause()
        await advance(pilot, clock, 2.3)  # mid in-breath: an edge, and room around it
        pacer = session_screen(pilot).query_one(Pacer)
        painted = app.screen.styles.background.rich_color  # what Textual paints behind it
        assert (painted.get_truecolor().red < 128) == (theme == "textual-dark")
        assert pacer.rich_style.bgcolor == painted
        cells = _cells(pacer)
        width, height = pacer.size
        outside = 0
        for row in range(height):
            for col in range(width // 2):
                mirror = width - 1 - col
                if not (_outside(pacer, col, row) and _outside(pacer, mirror, row)):
                    continue
                outside += 2
                for glyph, style in (cells[row][col], cells[row][mirror]):
                    assert glyph == " ", f"({col}, {row}) or its mirror draws {glyph!r}"
                    assert style.bgcolor == painted, f"({col}, {row}) or its mirror is on {style.bgcolor}"
                left, right = cells[row][col][1], cells[row][mirror][1]
                # The same escape codes either side of the centre, not only the same colour.
                assert left.render("x", color_system=ColorSystem.TRUECOLOR) == right.render(
                    "x", color_system=ColorSystem.TRUECOLOR
                ), f"row {row}: {left} left of the centre, {right} right of it"
        assert outside > width * height // 2


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
async def test_the_edge_blends_into_the_widgets_own_background(
    monkeypatch: pytest.MonkeyPatch, theme: str
) -> None:
    monkeypatch.setattr(constants, "COLOR_SYSTEM", "truecolor")
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        app.theme = theme
        await pilot.pause()
        await advance(pilot, clock, 2.3)
        pacer = session_screen(pilot).query_one(Pacer)
        painted = app.screen.styles.background.rich_color.get_truecolor()
        assert (painted.red < 128) == (theme == "textual-dark")
        fill = pacer.get_component_rich_style("pacer--fill").color
        assert fill is not None
        accent = fill.get_truecolor()
        shades = set()
        for row in _cells(pacer):
            for glyph, style in row:
                if glyph == "▀":
                    for colour in (style.color, style.bgcolor):
                        assert colour is not None
                        shades.add(colour.get_truecolor())
        between = shades - {accent, painted}
        assert len(between) >= 4, f"only {between} between {accent} and {painted}"
        for shade in between:
            for channel in range(3):
                low, high = sorted((accent[channel], painted[channel]))
                assert low <= shade[channel] <= high, f"{shade} is not between {accent} and {painted}"
