"""The pacer's shaded edge: coverage and blends, and which terminals get it.

A truecolour terminal (and the desktop window) gets the edge cells blended from the
pacer's colour into the background; 256 colours, 16 colours and ``NO_COLOR`` keep the
solid half blocks in the one colour.
"""

from __future__ import annotations

import pytest
from rich.color import Color
from rich.style import Style
from textual import constants

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


def _levels(radius: float) -> list[list[tuple[int, int]]]:
    """Each cell's (upper, lower) shade, row by row."""
    return [
        [(upper, lower) for upper, lower, cells in runs for _ in range(cells)]
        for runs in shade_rows(WIDTH, HEIGHT, radius)
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
