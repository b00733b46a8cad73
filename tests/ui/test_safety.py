"""The red-flags page and the reassurance page, driven with Pilot and held in SVG snapshots."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from rich.text import Text
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import Static

from calmcoach.data import redflags
from calmcoach.data.redflags import URGENCY_LABELS, load_reassurance, load_red_flags
from calmcoach.domain.describe import cause_text
from calmcoach.ui.screens.home import HomeScreen
from calmcoach.ui.screens.safety import ReassuranceScreen, RedFlagsScreen
from calmcoach.ui.widgets.keybar import KeyBar
from tests.ui.helpers import new_app

SIZES = [(80, 24), (40, 12)]


def plain(static: Static) -> str:
    """What a Static shows, as plain text (lines of a table or list joined by newlines)."""
    content = static.content
    if isinstance(content, Text):
        return content.plain
    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(content)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


def texts(pilot: Pilot[object]) -> list[str]:
    """The text of every Static on the current screen, top to bottom."""
    return [plain(s) for s in pilot.app.screen.query(Static)]


def key_bar(pilot: Pilot[object]) -> str:
    return str(pilot.app.screen.query_one(KeyBar).render())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_fast_change_rule_comes_first_and_is_on_screen(size: tuple[int, int]) -> None:
    rule = load_red_flags().fast_change
    app, _, _ = new_app()
    async with app.run_test(size=size) as pilot:
        await pilot.press("exclamation_mark")
        assert isinstance(app.screen, RedFlagsScreen)
        shown = texts(pilot)
        assert shown[:2] == ["When to see a doctor", rule]
        block = app.screen.query_one("#fast-change", Static)
        # Whole, without scrolling, even at 40x12: above the key bar.
        assert block.region.height >= 2
        assert block.region.y + block.region.height <= app.screen.query_one(KeyBar).region.y


async def test_every_flag_shows_its_exact_label_and_the_habits_section_shows() -> None:
    safety = load_red_flags()
    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("exclamation_mark")
        shown = "\n".join(texts(pilot))
        for flag in safety.flags:
            label = URGENCY_LABELS[flag.urgency]
            indent = " " * (len(label) + 4)
            cause = f"{indent}{cause_text(flag.cause)}\n" if flag.cause else ""
            assert f" {label}   {flag.sign}\n{cause}{indent}{flag.action}" in shown
        assert safety.advice in shown
        assert plain(app.screen.query_one("#habits-title", Static)) == "Habits that help over time"
        habits = plain(app.screen.query_one("#habits", Static))
        assert habits.splitlines() == [f"• {h}" for h in safety.habits]
        assert len(safety.habits) == 7


async def test_the_anxiety_signs_key_opens_the_reassurance_page_and_escape_closes_it() -> None:
    page = load_reassurance()
    app, _, _ = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("exclamation_mark")
        assert " a Anxiety signs " in key_bar(pilot)
        await pilot.press("a")
        assert isinstance(app.screen, ReassuranceScreen)
        shown = texts(pilot)
        assert shown == [page.title, page.intro, "\n".join(f"• {s}" for s in page.signs), page.closing]
        assert "Back" in key_bar(pilot)
        await pilot.press("escape")
        assert isinstance(app.screen, RedFlagsScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_the_reassurance_screen_can_be_opened_from_loaded_data_and_dismissed() -> None:
    """As the flare picker opens it: from a loaded object, with a callback when it closes."""
    closed: list[object] = []
    app, _, _ = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(ReassuranceScreen(load_reassurance()), closed.append)
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert closed == [None] and isinstance(app.screen, HomeScreen)


async def test_a_broken_red_flags_file_still_opens_the_page_with_the_rule_and_the_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "red_flags.toml"
    broken.write_text(redflags.RED_FLAGS_FILE.read_text("utf-8").replace('urgency = "soon"', "urgency = 2"))
    monkeypatch.setattr(redflags, "RED_FLAGS_FILE", broken)
    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("exclamation_mark")
        assert isinstance(app.screen, RedFlagsScreen)
        shown = texts(pilot)
        assert shown[1] == redflags.FALLBACK.fast_change
        problem = plain(app.screen.query_one("#redflags-problems", Static))
        assert (
            problem.startswith(f"{broken}:") and "flag[4].urgency: expected text in quotes, got 2" in problem
        )


async def test_a_broken_reassurance_file_is_named_in_a_notice_and_nothing_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "reassurance.toml"
    broken.write_text(redflags.REASSURANCE_FILE.read_text("utf-8") + 'extra = "[b]not markup[/b]"\n')
    monkeypatch.setattr(redflags, "REASSURANCE_FILE", broken)
    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("exclamation_mark", "a")
        assert isinstance(app.screen, RedFlagsScreen)
        (notice,) = [n for n in app._notifications if n.severity == "error"]
        lines = broken.read_text().splitlines()
        assert notice.message == (
            f"{broken}:{len(lines)}: extra: unknown key; expected one of: title, intro, signs, closing"
        )


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_reassurance_snapshot(snap_compare, size: tuple[int, int]) -> None:
    app, _, _ = new_app()
    assert snap_compare(app, terminal_size=size, press=["exclamation_mark", "a"])


def drawn_lines(static: Static) -> list[str]:
    """A Static's lines as drawn at its width on screen (scrolled into view or not)."""
    height = max(static.virtual_size.height, static.size.height)
    return [strip.text.rstrip() for strip in static.render_lines(Region(0, 0, static.size.width, height))]


@pytest.mark.parametrize("size", [(100, 30), (80, 24), (40, 12)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_sign_that_wraps_lines_up_with_its_text_never_under_its_label(size: tuple[int, int]) -> None:
    safety = load_red_flags()
    app, _, _ = new_app()
    async with app.run_test(size=size) as pilot:
        await pilot.press("exclamation_mark")
        statics = list(app.screen.query(".flag").results(Static))
        assert len(statics) == len(safety.flags)
        columns = set()
        wrapped = 0
        for flag, static in zip(safety.flags, statics, strict=True):
            lines = [line for line in drawn_lines(static) if line.strip()]
            label = f" {flag.label} "
            assert lines[0].startswith(label.rstrip()), lines
            if lines[0].strip() == flag.label:  # the label on a line of its own, the text under it
                text_lines = lines[1:]
                column = len(text_lines[0]) - len(text_lines[0].lstrip())
            else:
                column = len(lines[0]) - len(lines[0][len(label) :].lstrip())
                assert column > len(label)
                text_lines = [lines[0][column:], *lines[1:]]
            columns.add(column)
            for line in lines[1:]:
                assert len(line) - len(line.lstrip()) == column, (flag.label, lines)
                assert len(line) <= static.size.width
            words = " ".join(line.strip() for line in text_lines).split()
            cause = cause_text(flag.cause) if flag.cause else ""
            assert words == f"{flag.sign} {cause} {flag.action}".split()
            wrapped += len(text_lines) > 2  # the sign or its action took more than a line
        assert wrapped, "no flag wrapped at this size: the test shows nothing"
        if size[0] == 40:
            assert columns == {2}  # every text under its label, at 40 columns too
