"""KeptDrawing: a row that keeps its lines draws exactly what its content draws."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.content import Content
from textual.selection import Selection
from textual.style import Style
from textual.visual import RenderOptions
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from calmcoach.ui.widgets.kept import KeptDrawing


def _row() -> Content:
    line = Text()
    line.append("Flare copy 0001", style="bold")
    line.append("   about 5 min", style="dim")
    line.append("   (yours)", style="italic")
    return Content.from_rich_text(line)


def _options(selection: Selection | None = None) -> RenderOptions:
    return RenderOptions(Style.parse, {}, selection)


def test_the_same_width_and_style_give_the_lines_kept_and_others_are_drawn() -> None:
    content = _row()
    kept = KeptDrawing(content)
    style = Style(bold=False)
    first = kept.render_strips(40, None, style, _options())
    assert kept.render_strips(40, None, style, _options()) is first
    assert first == content.render_strips(40, None, style, _options())
    narrow = kept.render_strips(12, None, style, _options())
    assert narrow is not first and narrow == content.render_strips(12, None, style, _options())
    assert len(narrow) > 1  # wrapped, as the content itself wraps
    assert kept.get_height({}, 12) == content.get_height({}, 12) == len(narrow)
    assert str(kept) == content.plain


def test_a_drawing_with_a_selection_is_not_kept() -> None:
    kept = KeptDrawing(_row())
    style = Style()
    plain = kept.render_strips(40, None, style, _options())
    selected = kept.render_strips(40, None, style, _options(Selection(None, None)))
    assert selected is not plain
    assert kept.render_strips(40, None, style, _options(Selection(None, None))) is not selected


class _Rows(App[None]):
    def compose(self) -> ComposeResult:
        yield OptionList(Option(_row(), id="a"), Option(_row(), id="b"), id="plain")
        yield OptionList(Option(KeptDrawing(_row()), id="a"), Option(KeptDrawing(_row()), id="b"), id="kept")


async def test_an_option_list_draws_kept_rows_as_it_draws_their_content() -> None:
    """Highlighted or not, focused or not, and drawn again after the rows are replaced."""
    app = _Rows()
    async with app.run_test(size=(60, 12)) as pilot:
        plain, kept = app.query_one("#plain", OptionList), app.query_one("#kept", OptionList)

        def lines(listing: OptionList) -> list[list[tuple[str, object]]]:
            return [[(s.text, s.style) for s in listing.render_line(y)] for y in range(listing.size.height)]

        for highlight in (0, 1, 0):
            for listing in (plain, kept):
                listing.highlighted = highlight
            plain.focus()
            await pilot.pause()
            plain_focused, kept_blurred = lines(plain), lines(kept)
            kept.focus()
            await pilot.pause()
            assert lines(kept) == plain_focused and lines(plain) == kept_blurred
        rows = [kept.get_option_at_index(i) for i in range(kept.option_count)]
        kept.clear_options().add_options(rows)
        plain_rows = [plain.get_option_at_index(i) for i in range(plain.option_count)]
        plain.clear_options().add_options(plain_rows)
        for listing in (plain, kept):
            listing.highlighted = 1
        await pilot.pause()  # the kept list has the focus
        kept_focused, plain_blurred = lines(kept), lines(plain)
        plain.focus()
        await pilot.pause()
        assert lines(plain) == kept_focused and lines(kept) == plain_blurred
