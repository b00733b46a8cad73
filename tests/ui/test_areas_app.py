"""Issue 23: the app's pickers, log form and filter name the body areas as model.BODY_AREAS
does: one title and one key each, and the filter finds what the command line accepts."""

from __future__ import annotations

import pytest
from textual.widgets import Input, OptionList, RadioButton, RadioSet

from calmcoach.domain.model import BODY_AREAS
from calmcoach.ui.screens.choice import ChoiceScreen
from calmcoach.ui.screens.stats import FlareLogScreen
from tests.ui.helpers import new_app, session_screen

ROWS = [f"{area.key}  {area.title}" for area in BODY_AREAS]
"""How each area's answer reads in a picker: its key, then its title."""


def answers(app: object) -> list[str]:
    listing = app.screen.query_one("#choice-list", OptionList)  # type: ignore[attr-defined]
    return [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]


async def test_the_flare_picker_names_each_area_once_with_its_one_key() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+f")
        assert isinstance(app.screen, ChoiceScreen)
        assert answers(app)[:4] == ROWS
        await pilot.press("n")
        screen = session_screen(pilot)
        assert (screen.timeline.exercise_id, screen.timeline.area) == ("flare", "general")


async def test_the_release_pickers_name_the_areas_the_same_way() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+f", "r")  # the release alone
        assert isinstance(app.screen, ChoiceScreen)
        assert answers(app) == ROWS
        await pilot.press("escape")
        app.starter.choose_and_start("tension-release")
        await pilot.pause()
        assert answers(app) == ROWS
        await pilot.press("n")
        screen = session_screen(pilot)
        assert (screen.timeline.exercise_id, screen.timeline.area) == ("tension-release", "general")


async def test_the_log_form_offers_the_same_areas_and_its_notice_says_a_flare() -> None:
    app, _, _ = new_app(log_flare=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, FlareLogScreen)
        radios = app.screen.query_one(RadioSet).query(RadioButton)
        assert [(r.name, str(r.label)) for r in radios] == [(a.id, a.title) for a in BODY_AREAS]
        app.screen.query_one("#flare-intensity", Input).value = "4"
        await pilot.press("ctrl+s")
        messages = [n.message for n in app._notifications]
        assert "Logged a flare: eyelid or face, intensity 4 of 10." in messages


@pytest.mark.parametrize("word", [w for area in BODY_AREAS for w in area.words])
async def test_the_filter_finds_the_release_by_every_word_the_command_line_takes(word: str) -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("slash")
        app.screen.query_one("#filter", Input).value = word
        await pilot.pause()
        listing = app.screen.query_one("#library", OptionList)
        ids = [listing.get_option_at_index(i).id for i in range(listing.option_count)]
        assert "tension-release" in ids, (word, ids)
        assert "box-breathing" not in ids, (word, ids)  # the filter did narrow the list
