"""Issue 23, keys that do what the screen promises, and small screens: the library's filter,
! and ? anywhere, the key bar's words (Done, Unmute, the dialogs'), help, the voice key while
muted, the log form at 80x24, the emergency line and the key bar at 40 columns, and the
flare routine at the top of the library."""

from __future__ import annotations

import pytest
from textual import events
from textual.geometry import Region
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static

from calmcoach.data.history import TRIGGERS
from calmcoach.data.triggers import TRIGGER_NOTES
from calmcoach.ui.screens.choice import ChoiceScreen
from calmcoach.ui.screens.help import HelpScreen, keys_table
from calmcoach.ui.screens.home import HomeScreen
from calmcoach.ui.screens.safety import RedFlagsScreen
from calmcoach.ui.screens.stats import FlareLogScreen
from calmcoach.ui.widgets.keybar import KeyBar
from tests.ui.helpers import advance, new_app, session_screen


def bar_text(screen: Screen[object]) -> str:
    """The key bar as far as it is seen: the line is cut at the bar's width."""
    bar = screen.query_one(KeyBar)
    return " ".join(bar.render().plain[: bar.size.width].split())


def listed(screen: HomeScreen) -> list[str]:
    listing = screen.query_one("#library", OptionList)
    return [listing.get_option_at_index(i).id or "" for i in range(listing.option_count)]


async def test_a_space_typed_quickly_stays_in_the_filter() -> None:
    """Keys that come at once (typed fast, or pasted) reach the list before the filter has
    the focus; the space among them is kept."""
    app, _, _ = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        listing = app.screen.query_one("#library", OptionList)
        for character in "box breathing":
            key = "space" if character == " " else character
            listing.post_message(events.Key(key, character))
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        assert screen.query_one("#filter", Input).value == "box breathing"
        assert [i for i in listed(screen) if not i.startswith(":")] == ["box-breathing"]


async def test_a_space_typed_from_the_list_goes_into_the_filter() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"box", "down", "space", *"breathing")
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        assert screen.query_one("#filter", Input).value == "box breathing"


async def test_bang_and_question_mark_open_their_pages_after_a_word_in_the_filter() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"leg", "exclamation_mark")
        assert isinstance(app.screen, RedFlagsScreen)
        assert app.screen_stack[0].query_one("#filter", Input).value == "leg"
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "esc Close" in bar_text(app.screen)  # help says how to close it
        assert app.screen_stack[0].query_one("#filter", Input).value == "leg"
        await pilot.press("escape")
        assert "! Doctor?" in bar_text(app.screen) and "? Help" in bar_text(app.screen)


async def test_space_says_done_on_a_step_that_waits_and_pause_on_a_timed_one() -> None:
    app, clock, _ = new_app(start="attention-shift")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = session_screen(pilot)
        assert screen.session.waiting
        assert "space Done" in bar_text(screen) and "Pause" not in bar_text(screen)
        await pilot.press("space", "space")  # two steps that wait; the third is timed
        assert not screen.session.waiting
        await advance(pilot, clock, 0.5)
        assert "space Pause" in bar_text(screen) and "Done" not in bar_text(screen)
        await pilot.press("space")
        assert "space Resume" in bar_text(screen)


def test_help_lists_the_voice_key_and_the_rating_inside_a_session() -> None:
    from rich.console import Console

    console = Console(width=72, record=True)
    console.print(keys_table())
    text = console.export_text()
    during = text[text.index("During a session") : text.index("After a session")]
    assert "v" in during.split() and "Spoken guidance off or on" in during
    assert "0 to 10" in during and "How tense you feel as you begin" in during


async def test_voice_on_while_muted_says_the_sound_is_muted_and_the_bar_says_unmute() -> None:
    app, _, _ = new_app(start="breathing-4-2-6")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = session_screen(pilot)
        assert screen.conductor.speaks and not screen.conductor.voice_on
        assert "m Mute" in bar_text(screen)
        await pilot.press("m")
        assert "m Unmute" in bar_text(screen) and "m Mute" not in bar_text(screen)
        await pilot.press("v")
        notice = screen.query_one("#notice").render()
        assert screen.conductor.voice_on
        assert "muted" in str(notice) and "each step is spoken" not in str(notice)
        await pilot.press("m")
        assert "m Mute" in bar_text(screen) and not screen.conductor.cues.muted


async def test_the_choice_dialog_says_how_to_cancel_and_choose() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+f")
        assert isinstance(app.screen, ChoiceScreen)
        shown = bar_text(app.screen)
        assert "esc Cancel" in shown and "enter Choose" in shown


async def test_the_log_form_keeps_its_title_and_buttons_in_view_at_80x24() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+s", "l")
        form = app.screen
        assert isinstance(form, FlareLogScreen)
        await pilot.pause()
        screen_region = Region(0, 0, 80, 23)  # above the key bar
        for selector in ("#flare-title", "#flare-save", "#flare-cancel"):
            region = form.query_one(selector).region
            assert region.height >= 1 and screen_region.contains_region(region), selector
        assert "esc Cancel" in bar_text(form) and "^s Save" in bar_text(form)
        # Moving through the whole form keeps them there.
        for _ in range(12):
            await pilot.press("tab")
        for selector in ("#flare-title", "#flare-save", "#flare-cancel"):
            assert screen_region.contains_region(form.query_one(selector).region), selector


async def test_the_log_form_shows_the_guides_note_on_the_trigger_under_the_cursor() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+s", "l")
        form = app.screen
        assert isinstance(form, FlareLogScreen)
        triggers = form.query_one("#flare-triggers")
        triggers.focus()
        await pilot.pause()
        note = form.query_one("#trigger-note", Static)
        for index, trigger in enumerate(TRIGGERS):
            if index:
                await pilot.press("down")
            shown = " ".join(str(note.render()).split())
            assert shown.startswith(f"{trigger}: Feels like: ")
            assert TRIGGER_NOTES[trigger].feels in shown and TRIGGER_NOTES[trigger].why in shown
            assert Region(0, 0, 80, 23).contains_region(note.region)


async def test_the_emergency_line_is_never_cut_at_40x12() -> None:
    app, _, _ = new_app(start="flare", area="leg", flare=True)
    async with app.run_test(size=(40, 12)) as pilot:
        screen = session_screen(pilot)
        await pilot.pause()
        caution = screen.query_one("#caution", Static)
        rendered = " ".join(
            "".join(segment.text for segment in strip).strip()
            for strip in caution.render_lines(caution.region.reset_offset)
        )
        assert "stop and get emergency care right away." in " ".join(rendered.split())
        assert caution.region.height == caution.get_content_height(
            screen.size, screen.size, caution.size.width
        )


@pytest.mark.parametrize("start", ["attention-shift", "tension-release"])
async def test_every_safety_note_is_shown_whole_at_40x12(start: str) -> None:
    """Not only the emergency rule: "never while driving" cut off the end of a note
    changes what it tells you (found in a newcomer trial at 40x12)."""
    app, _, _ = new_app(start=start, area="hand")
    async with app.run_test(size=(40, 12)) as pilot:
        screen = session_screen(pilot)
        await pilot.pause()
        caution = screen.query_one("#caution", Static)
        rendered = " ".join(
            "".join(segment.text for segment in strip).strip()
            for strip in caution.render_lines(caution.region.reset_offset)
        )
        note = str(caution.render())
        assert len(note) > 70, note  # a note that wraps to three lines or more at 40 columns
        assert " ".join(rendered.split()) == " ".join(note.split())


async def test_stop_and_help_stay_in_the_key_bar_at_40_columns() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6")
    async with app.run_test(size=(40, 12)) as pilot:
        screen = session_screen(pilot)
        assert "q Stop" in bar_text(screen) and "? Help" in bar_text(screen)
        await pilot.press("space")
        assert "q Stop" in bar_text(screen) and "? Help" in bar_text(screen)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        assert "? Help" in bar_text(app.screen) and "! Doctor?" in bar_text(app.screen)


async def test_the_flare_routine_is_first_in_the_library_and_f_still_finds_it() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        ids = listed(screen)
        assert ids[:2] == [":group-flare", "flare"]
        assert ids.count("flare") == 1 and ":group-program" in ids
        listing = screen.query_one("#library", OptionList)
        assert listing.highlighted == 1
        await pilot.press("f")
        assert listing.get_option_at_index(listing.highlighted or 0).id == "flare"
        await pilot.press(*"lare routine")
        assert [i for i in listed(screen) if not i.startswith(":group-")] == ["flare"]
        await pilot.press("escape", "escape")
        await pilot.press(*"box")
        assert ":group-flare" not in listed(screen)


async def test_the_choice_dialog_at_40x12_shows_its_question_and_the_emergency_rule_whole() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.press("ctrl+f")
        dialog = app.screen
        assert isinstance(dialog, ChoiceScreen)
        await pilot.pause()
        above_bar = Region(0, 0, 40, 11)
        notes = dialog.query_one("#choice-notes", Static)
        for selector in ("#choice-question", "#choice-notes"):
            widget = dialog.query_one(selector)
            assert above_bar.contains_region(widget.region), selector
        assert notes.region.height == notes.get_content_height(dialog.size, dialog.size, notes.size.width)
        assert "emergency care right away" in " ".join(str(notes.render()).split())
        answers = dialog.query_one("#choice-list", OptionList)
        assert answers.region.height >= 3 and above_bar.contains_region(answers.region)
        assert "esc Cancel" in bar_text(dialog)


async def test_the_library_shows_the_flare_routines_emergency_note_whole_at_80x24_and_40x12() -> None:
    for size in ((80, 24), (40, 12)):
        app, _, _ = new_app()
        async with app.run_test(size=size) as pilot:
            await pilot.press(*"flare")  # its row highlighted, wherever it is listed
            detail = app.screen.query_one("#detail", Static)
            seen = " ".join(
                "".join(segment.text for segment in strip)
                for strip in detail.render_lines(detail.region.reset_offset)
            )
            rule = app.library.exercises["flare"].safety[0]
            assert f"Note: {rule}" in " ".join(seen.split()), size
            assert detail.region.bottom <= size[1] - 1  # above the key bar


async def test_escape_clears_the_filter_when_the_list_has_the_focus() -> None:
    """Back from a session the focus is on the list; Esc still clears the filter, as help says."""
    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"sigh")
        field = app.screen.query_one("#filter", Input)
        assert field.value == "sigh"
        app.screen.query_one(OptionList).focus()
        await pilot.pause()
        await pilot.press("escape")
        assert field.value == ""
        assert isinstance(app.screen, HomeScreen)
