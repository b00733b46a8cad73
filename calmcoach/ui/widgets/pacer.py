"""The breathing pacer: a circle that fills on the in-breath and empties on the out-breath."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.binding import BindingType
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from calmcoach.domain.model import Pace
from calmcoach.ui.widgets.shading import (
    LEVELS,
    RADIUS_QUANTUM,
    Rgb,
    blends,
    quantised_stretch,
    shade_rows,
)

MIN_FRACTION = 0.22
"""The empty circle's radius, as a fraction of the largest that fits."""
STEPS_PER_PIXEL = 2
"""Level resolution: how many distinct sizes per pixel of radius (redraws happen only then).
A shaded edge could show finer steps, but 4 a pixel cost 1.6 times the CPU while breathing
(benchmarks/pacer.py); at 2 it costs about 1.1 times, and each step already moves the edge
by a shade rather than a whole half cell."""


@lru_cache(maxsize=512)
def _raster(width: int, height: int, radius: float, stretch: float = 1.0) -> tuple[str, ...]:
    """Rows of half-block glyphs for a filled circle of ``radius`` pixel widths, centred.

    A cell is two pixels tall (upper and lower half), each ``stretch`` widths tall
    (1.0, square, in a cell twice as tall as wide).
    """
    cx = width / 2.0
    cy = height  # height rows = 2 * height pixels; centre in pixel units
    r2 = radius * radius
    rows = []
    for row in range(height):
        chars = []
        for col in range(width):
            dx = col + 0.5 - cx
            top = dx * dx + ((2 * row + 0.5 - cy) * stretch) ** 2 <= r2
            bottom = dx * dx + ((2 * row + 1.5 - cy) * stretch) ** 2 <= r2
            chars.append("█" if top and bottom else "▀" if top else "▄" if bottom else " ")
        rows.append("".join(chars))
    return tuple(rows)


@lru_cache(maxsize=512)
def _shaded(
    width: int, height: int, radius: float, stretch: float, fill: Style, colours: tuple[Rgb, Rgb]
) -> tuple[Strip, ...]:
    """Rows of a circle whose edge halves are ``fill``'s colour blended into its background
    by how much of each the circle covers (``colours``: the two as RGB)."""
    shades = blends(*colours)
    styles: dict[tuple[int, int], Style] = {}
    strips = []
    for runs in shade_rows(width, height, radius, stretch):
        segments = []
        for upper, lower, cells in runs:
            if upper == lower and upper in (0, LEVELS):
                segments.append(Segment(("█" if upper else " ") * cells, fill))
                continue
            style = styles.get((upper, lower))
            if style is None:
                style = styles[upper, lower] = fill + Style(
                    color=Color.from_rgb(*shades[upper]), bgcolor=Color.from_rgb(*shades[lower])
                )
            segments.append(Segment("▀" * cells, style))
        strips.append(Strip(segments, width))
    return tuple(strips)


def _rgb(style: Style) -> tuple[Rgb, Rgb] | None:
    """``style``'s colour and background as RGB, if both are (not ANSI or the terminal's own)."""
    if style.color is None or style.bgcolor is None:
        return None
    colour, background = style.color.triplet, style.bgcolor.triplet
    if colour is None or background is None:
        return None
    return (colour.red, colour.green, colour.blue), (background.red, background.green, background.blue)


class Pacer(Widget):
    """Shows how full the lungs should be, from the session's position.

    The screen sets ``level`` from the session clock on every tick; the widget
    only repaints when the level changes by a visible amount. In a truecolour
    terminal (and the desktop window) the edge is shaded so it grows smoothly;
    with fewer colours or ``NO_COLOR`` it is solid half blocks. With reduced
    motion it is a still band showing the phase word.

    ``cell_aspect`` is a cell's height over its width where it is shown (2.0 in most
    terminals; the desktop window's cells are taller), so that the circle is round there.
    """

    BINDINGS: ClassVar[list[BindingType]] = []

    COMPONENT_CLASSES: ClassVar[set[str]] = {"pacer--fill", "pacer--still"}
    """
    | Class | Description |
    | :- | :- |
    | `pacer--fill` | The circle. |
    | `pacer--still` | The band shown with reduced motion. |
    """

    DEFAULT_CSS = """
    Pacer {
        width: 1fr;
        height: 1fr;
        min-height: 3;
        & > .pacer--fill { color: $accent; }
        & > .pacer--still { color: $accent; text-style: bold; }
    }
    """

    level: reactive[float] = reactive(0.0)
    """How full, from 0 (empty) to 1 (full); rounded to what can be seen."""
    pace: reactive[Pace] = reactive(Pace.REST)
    """What the body is doing now."""
    still: reactive[bool] = reactive(False)
    """Reduced motion: a still band with the phase word, nothing moves."""

    def __init__(
        self,
        *,
        still: bool = False,
        cell_aspect: float = 2.0,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.set_reactive(Pacer.still, still)
        self.stretch = quantised_stretch(cell_aspect)
        """How many times as tall as wide each half cell is (1.0: square)."""
        self._smooth = False

    def on_mount(self) -> None:
        # Shades need 24-bit colour: in 256 or 16 colours they would snap to a few
        # unrelated colours, and NO_COLOR turns them grey.
        app = self.app
        self._smooth = not app.no_color and app.console.color_system == "truecolor"

    def _max_radius(self) -> float:
        width, height = self.size
        # Half the height is ``height`` pixels, each ``stretch`` widths tall.
        return max(1.0, min(width / 2.0, height * self.stretch) - 0.5)

    def validate_level(self, level: float) -> float:
        level = min(1.0, max(0.0, level))
        steps = max(1, round(self._max_radius() * (1 - MIN_FRACTION) * STEPS_PER_PIXEL))
        return round(level * steps) / steps

    def watch_still(self) -> None:
        self.refresh()

    def on_resize(self) -> None:
        self.level = self.level  # re-quantize for the new size

    @property
    def radius(self) -> float:
        """Radius in pixel widths for the current level and size."""
        biggest = self._max_radius()
        return biggest * (MIN_FRACTION + (1 - MIN_FRACTION) * self.level)

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        if self.still:
            band: Style = self.get_component_rich_style("pacer--still")
            if y == height // 2:
                word = f"  {self.pace.value.upper()}  "
                side = max(0, (width - len(word)) // 2)
                text = "━" * side + word + "━" * max(0, width - side - len(word))
                return Strip([Segment(text[:width], band)], width)
            return Strip.blank(width, self.rich_style)
        style: Style = self.get_component_rich_style("pacer--fill")
        colours = _rgb(style) if self._smooth else None
        if colours is not None:
            radius = round(self.radius * RADIUS_QUANTUM) / RADIUS_QUANTUM
            return _shaded(width, height, radius, self.stretch, style, colours)[y]
        rows = _raster(width, height, round(self.radius * 4) / 4, self.stretch)
        return Strip([Segment(rows[y], style)], width)
