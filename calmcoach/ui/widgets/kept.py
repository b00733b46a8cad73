"""A visual that keeps what it drew, for rows drawn again and again (home's library)."""

from __future__ import annotations

from textual.content import Content
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual

KEPT_DRAWINGS = 4
"""Drawings kept per visual: plain, highlighted and under the mouse at one width, and one more."""
LAYOUT_RULES = ("text_wrap", "text_overflow", "text_align", "line_pad")
"""The style rules that change how content is laid out in lines: part of a drawing's key."""


class KeptDrawing(Visual):
    """Content that draws itself once per width and style, and gives the same lines again.

    An OptionList forgets how it drew its rows whenever its rows are replaced, as home's
    filter does at almost every key. A row given as ``KeptDrawing`` keeps its own lines, so
    a filter that shows rows seen before draws only what is new: a screenful of rows drawn
    afresh took about a third of such a key's frame with a thousand user programs (issue 16).
    A drawing is kept by width, height, base style and the rules that lay text out; one with
    a text selection or a style laid over it is drawn afresh each time.

    Kept for README Benchmarks' "largest frame gap while typing in home, 1000 programs"
    (goal <= 50 ms, 43.0 ms) and "home filter, keystroke to its frame, 1000 programs".
    """

    def __init__(self, content: Content) -> None:
        self.content = content
        self._drawn: dict[tuple[object, ...], list[Strip]] = {}

    def __str__(self) -> str:
        return self.content.plain

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        if options.selection is not None or options.post_style is not None:
            return self.content.render_strips(width, height, style, options)
        rules = options.rules
        key = (width, height, style, *(rules.get(rule) for rule in LAYOUT_RULES))
        strips = self._drawn.get(key)
        if strips is None:
            if len(self._drawn) >= KEPT_DRAWINGS:
                self._drawn.clear()
            strips = self._drawn[key] = self.content.render_strips(width, height, style, options)
        return strips

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.content.get_optimal_width(rules, container_width)

    def get_minimal_width(self, rules: RulesMap) -> int:
        return self.content.get_minimal_width(rules)

    def get_height(self, rules: RulesMap, width: int) -> int:
        return self.content.get_height(rules, width)
