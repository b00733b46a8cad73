"""The phase word and the time left in the step, in big digits (``7``, or ``2:29`` for a
step of a minute or more: see ``describe.count_text``)."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import BindingType
from textual.renderables.digits import Digits as DigitsRenderable
from textual.strip import Strip
from textual.widget import Widget

WORD_WIDTH = 8
"""Cells kept for the word on the left, and as many on the right so the digits stay centred:
the longest word (INHALE, EXHALE) and two cells before the digits."""


@lru_cache(maxsize=128)
def _digit_rows(value: str) -> tuple[str, str, str]:
    """The three rows of Textual's big-digit glyphs for ``value``."""
    rows = ["", "", ""]
    row = 0
    for segment in DigitsRenderable(value).render(Style()):
        if not isinstance(segment, Segment):
            continue
        if segment.text == "\n":
            row += 1
        elif row < 3:
            rows[row] += segment.text
    return rows[0], rows[1], rows[2]


@lru_cache(maxsize=512)
def _line(y: int, width: int, word: str, value: str, word_style: Style, digits_style: Style) -> Strip:
    digits = _digit_rows(value)[y] if 0 <= y < 3 else ""
    left = max(0, (width - 2 * WORD_WIDTH - len(digits)) // 2)
    cell = (word.upper()[: WORD_WIDTH - 2].rjust(WORD_WIDTH - 2) + "  ") if y == 1 else " " * WORD_WIDTH
    segments = [
        Segment(" " * left, digits_style),
        Segment(cell, word_style),
        Segment(digits, digits_style),
        Segment(" " * max(0, width - left - WORD_WIDTH - len(digits)), digits_style),
    ]
    return Strip(segments).crop_extend(0, width, digits_style)


class Countdown(Widget):
    """The phase word (INHALE, HOLD...) beside the seconds left in the step, in big digits.

    One widget drawn line by line from a small cache, where it used to be a row of three
    widgets: the countdown changes every second, and every widget in the way of a change
    costs Textual time to paint again, which is most of what holding a breath costs.
    """

    BINDINGS: ClassVar[list[BindingType]] = []

    COMPONENT_CLASSES: ClassVar[set[str]] = {"countdown--word"}
    """
    | Class | Description |
    | :- | :- |
    | `countdown--word` | The phase word. |
    """

    DEFAULT_CSS = """
    Countdown {
        width: 1fr;
        height: 3;
        & > .countdown--word { color: $accent; text-style: bold; }
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._word = ""
        self._value = ""
        self._styles: tuple[Style, Style] | None = None
        """The word's style and the digits' (from the CSS), until the CSS changes."""

    @property
    def word(self) -> str:
        """The phase word shown, as given (it is shown in capitals)."""
        return self._word

    @property
    def value(self) -> str:
        """The digits shown."""
        return self._value

    def render_line(self, y: int) -> Strip:
        if self._styles is None:
            self._styles = (self.get_component_rich_style("countdown--word"), self.rich_style)
        return _line(y, self.size.width, self._word, self._value, *self._styles)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None

    def show(self, *, word: str | None = None, value: str | None = None) -> None:
        """Show a new word, new digits, or both: a repaint, never a layout."""
        changed = False
        if word is not None and word != self._word:
            self._word = word
            changed = True
        if value is not None and value != self._value:
            self._value = value
            changed = True
        if changed:
            self.refresh()
