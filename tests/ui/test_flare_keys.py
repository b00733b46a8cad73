"""Issue 10: the doctor page from every screen, straight to the release, type to filter,
and safety notes before a session starts. Pilot in virtual time."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from calmcoach.domain.session import State
from calmcoach.ui.screens.choice import ChoiceScreen
from calmcoach.ui.screens.help import HelpScreen
from calmcoach.ui.screens.home import HomeScreen
from calmcoach.ui.screens.safety import RedFlagsScreen
from calmcoach.ui.screens.session import SessionScreen
from calmcoach.ui.screens.summary import SummaryScreen
from calmcoach.ui.widgets.keybar import KeyBar
from tests.clocks import FakeClock
from tests.ui.helpers import T0, AheadPlayer, advance, new_app, session_screen


def listed(app: object) -> list[str]:
    listing = app.screen.query_one("#library", OptionList)  # type: ignore[attr-defined]
    ids = [listing.get_option_at_index(i).id or "" for i in range(listing.option_count)]
    return [i for i in ids if not i.startswith(":group-")]


def highlighted(app: object) -> str | None:
    option = app.screen.query_one("#library", OptionList).highlighted_option  # type: ignore[attr-defined]
    return None if option is None else option.id


def keys_shown(screen: object) -> str:
    return screen.query_one(KeyBar).render().plain  # type: ignore[attr-defined]


# --- 9. "!" from every screen; a session under it pauses ------------------------------


async def test_doctor_page_opens_over_a_session_which_pauses_and_resumes_where_it_was() -> None:
    clock = FakeClock(T0)
    player = AheadPlayer(clock)
    app, clock, _ = new_app(clock, cues=player, start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = session_screen(pilot)
        assert "! Doctor?" in keys_shown(screen)
        await advance(pilot, clock, 5.0)
        assert player.pending == ("exhale", T0 + 6)
        await pilot.press("exclamation_mark")
        assert isinstance(app.screen, RedFlagsScreen)
        assert screen.session.state is State.PAUSED
        assert player.pending is None  # the cue handed ahead is withdrawn while it is open
        await advance(pilot, clock, 120.0)  # reading for two minutes
        assert screen.session.position() == 5.0
        await pilot.press("escape")
        assert app.screen is screen
        assert screen.session.state is State.RUNNING
        assert player.pending == ("exhale", clock() + 1.0)
        await advance(pilot, clock, 1.0)
        assert screen.session.position() == 6.0


async def test_help_over_a_session_pauses_it_too_but_a_pause_of_ones_own_stays() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = session_screen(pilot)
        await advance(pilot, clock, 2.0)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert screen.session.state is State.PAUSED
        await pilot.press("escape")
        assert screen.session.state is State.RUNNING
        # Paused by the person first: closing the page does not start it again.
        await pilot.press("space")
        await pilot.press("exclamation_mark")
        await pilot.press("escape")
        assert app.screen is screen and screen.session.state is State.PAUSED


async def test_doctor_page_from_the_summary_the_flare_picker_and_help() -> None:
    app, clock, _ = new_app(start="physiological-sigh")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("q")  # stop: the summary
        assert isinstance(app.screen, SummaryScreen)
        assert "! Doctor?" in keys_shown(app.screen)
        await pilot.press("exclamation_mark")
        assert isinstance(app.screen, RedFlagsScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, SummaryScreen)
        await pilot.press("enter")
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("ctrl+f")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("exclamation_mark")
        assert isinstance(app.screen, RedFlagsScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("escape", "question_mark", "exclamation_mark")
        assert isinstance(app.screen, RedFlagsScreen)
        await pilot.press("exclamation_mark")  # never a second copy on top of itself
        assert sum(isinstance(s, RedFlagsScreen) for s in app.screen_stack) == 1


async def test_space_shows_resume_while_paused() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = session_screen(pilot)
        assert "space Pause" in keys_shown(screen) and "Resume" not in keys_shown(screen)
        await pilot.press("space")
        await pilot.pause()
        assert screen.session.state is State.PAUSED
        assert "space Resume" in keys_shown(screen) and "Pause" not in keys_shown(screen)
        await pilot.press("space")
        await pilot.pause()
        assert screen.session.state is State.RUNNING and "space Pause" in keys_shown(screen)


# --- 10. Straight to the release ----------------------------------------------------------


async def test_one_key_leaves_the_flare_breathing_for_the_release() -> None:
    app, clock, cues = new_app(start="flare", area="eyelid")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = session_screen(pilot)
        assert "p Next part" in keys_shown(screen)
        await advance(pilot, clock, 3.0)
        await pilot.press("p")
        segment = screen.session.current()
        assert segment.exercise_id == "tension-release" and segment.index == screen.timeline.parts[1].first
        assert screen.session.state is State.RUNNING


async def test_next_part_is_not_offered_for_a_single_exercise() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = session_screen(pilot)
        assert "Next part" not in keys_shown(screen)
        await pilot.press("p")
        assert screen.session.current().index == 0


async def test_flare_picker_offers_the_release_alone_for_each_area() -> None:
    app, clock, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+f", "r")
        assert isinstance(app.screen, ChoiceScreen)
        assert [c.value for c in app.screen.choices] == ["eyelid", "hand", "leg", "general"]
        await pilot.press("h")
        screen = session_screen(pilot)
        assert screen.timeline.exercise_id == "tension-release"
        assert screen.timeline.area == "hand"
        assert len(screen.timeline.parts) == 1


# --- 15. Type to filter means type to filter ----------------------------------------------


async def test_typing_words_that_start_with_command_letters_only_filters() -> None:
    app, clock, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        for word, first in (("flare", "flare"), ("sigh", "physiological-sigh"), ("quiet", None)):
            await pilot.press(*word)
            assert isinstance(app.screen, HomeScreen), f"typing {word!r} left home"
            assert app.screen.query_one("#filter", Input).value == word
            if first is not None:
                assert first in listed(app)
            await pilot.press("escape")
        assert app.is_running  # "quiet" did not quit


async def test_filter_matches_body_areas_and_tags() -> None:
    app, clock, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"leg")
        assert {"tension-release", "flare"} <= set(listed(app))
        assert "breathing-4-2-6" not in listed(app)
        await pilot.press("escape", *"eye")
        assert {"tension-release", "flare"} <= set(listed(app))
        await pilot.press("escape", *"hand")
        assert "tension-release" in listed(app)


async def test_f_enter_e_reaches_the_eyelid_release_in_three_presses_with_its_caution() -> None:
    app, clock, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f")
        assert highlighted(app) == "flare"
        await pilot.press("enter")
        picker = app.screen
        assert isinstance(picker, ChoiceScreen)
        assert "release-only" in [c.value for c in picker.choices]  # the same picker as Ctrl+F
        flare = app.library.exercises["flare"]
        notes = str(picker.query_one("#choice-notes", Static).render())
        assert flare.safety[0] in notes
        await pilot.press("e")
        screen = session_screen(pilot)
        assert screen.timeline.exercise_id == "flare" and screen.timeline.area == "eyelid"
        caution = str(screen.query_one("#caution", Static).render())
        assert caution == flare.safety[0]
        assert screen.query_one("#caution").display


# --- 4. Safety notes before and as each part begins ---------------------------------------


async def test_each_part_shows_its_own_caution_as_it_begins_then_it_goes() -> None:
    app, clock, _ = new_app(start="flare", area="leg")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = session_screen(pilot)
        caution = screen.query_one("#caution", Static)
        await advance(pilot, clock, 13.0)  # second breath: the note has had its time
        assert str(caution.render()) == "" and not caution.display
        await pilot.press("p")
        release = app.library.exercises["tension-release"]
        assert str(caution.render()) == release.safety[0]
        assert caution.display


async def test_a_single_exercise_shows_up_to_two_notes_and_its_options_screen_too() -> None:
    app, clock, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        drill = app.library.exercises["breathing-4-7-8"]
        await pilot.press(*"4-7-8", "enter")
        assert isinstance(app.screen, ChoiceScreen)
        assert str(app.screen.query_one("#choice-notes", Static).render()) == "\n".join(drill.safety[:2])
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        assert str(screen.query_one("#caution", Static).render()) == " ".join(drill.safety[:2])


async def test_home_detail_line_carries_the_first_safety_note() -> None:
    app, clock, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("down")  # past the flare routine, first in the list
        first = app.library.exercises["breathing-4-2-6"]
        detail = str(app.screen.query_one("#detail", Static).render())
        assert detail.splitlines()[0] == first.summary
        assert detail.splitlines()[1].startswith("Note: ")


async def test_filter_words_match_the_start_of_words_not_the_middle() -> None:
    app, clock, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"sigh")
        assert listed(app) == ["physiological-sigh"]
        await pilot.press("escape", *"ing")  # inside "breathing", "grounding": the start of no word
        assert listed(app) == [":none"]  # "Nothing matches"


async def test_exercises_named_like_the_lists_own_rows_stay_exercises() -> None:
    """A user's ``none.toml`` or ``group-routine.toml`` is an exercise like any other: it
    never takes the place of "Nothing matches" or of a heading (the list's own rows have
    ids no exercise can have)."""
    from calmcoach.data import locations
    from tests.helpers import QUICK_BREATH

    folder = locations.user_exercises_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("none", "group-routine", "broken-x"):
        (folder / f"{name}.toml").write_text(QUICK_BREATH.format(cycles=1).replace("Quick breath", name))
    app, clock, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        assert {"none", "group-routine", "broken-x"} <= set(listed(app))
        await pilot.press(*"zzzq")
        assert listed(app) == [":none"]
        listing = app.screen.query_one("#library", OptionList)
        assert listing.get_option(":none").disabled
        await pilot.press("escape", *"none")
        assert listed(app) == ["none"]
        assert not listing.get_option("none").disabled


async def test_flare_picker_leads_to_the_reassurance_page_and_back() -> None:
    from calmcoach.ui.screens.safety import ReassuranceScreen

    app, clock, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+f", "a")
        assert isinstance(app.screen, ReassuranceScreen)
        text = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "health professional" in text
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_lengths_are_worked_out_once_per_library_not_per_keystroke(user_exercises, monkeypatch) -> None:
    from calmcoach.data import locations
    from calmcoach.ui.screens import home

    flare = (locations.builtin_exercises_dir() / "flare.toml").read_text()
    for n in range(40):
        (user_exercises / f"my-flare-{n}.toml").write_text(flare.replace("Flare routine", f"My flare {n}"))
    worked_out: list[str] = []
    real = home.length_words

    def counting(exercise, length):  # type: ignore[no-untyped-def]
        worked_out.append(exercise.id)
        return real(exercise, length)

    monkeypatch.setattr(home, "length_words", counting)
    app, clock, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"my", "backspace", "backspace", *"fl", "escape")
        assert len(worked_out) == len(set(worked_out)) == len(app.library.exercises)


async def test_settings_that_cannot_be_saved_are_said_once(told) -> None:
    from calmcoach.data import locations

    locations.settings_file().mkdir(parents=True)  # a folder where the file should go
    app, clock, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+t", "ctrl+t", "ctrl+t")
        problems = [m for m in told() if "could not be saved" in m]
        assert len(problems) == 1 and str(locations.settings_file()) in problems[0]


def _every_row(app: object) -> list[str]:
    listing = app.screen.query_one("#library", OptionList)  # type: ignore[attr-defined]
    return [listing.get_option_at_index(i).id or "" for i in range(listing.option_count)]


async def test_filter_shows_the_rows_a_fresh_search_finds_while_typing_on_and_back(
    user_exercises,
) -> None:
    """Typing on searches only the rows the last query found, and rows are built once and
    shown again: what is listed after each key is what a search of the whole library for
    that text gives, in the same order, with the same row highlighted."""
    from calmcoach.data import locations

    flare = (locations.builtin_exercises_dir() / "flare.toml").read_text()
    for n in range(30):
        (user_exercises / f"copy-{n:02d}.toml").write_text(
            flare.replace("Flare routine", f"Flare copy {n:02d}")
        )
    (user_exercises / "broken-one.toml").write_text("kind = 'routine'\n")
    app, _clock, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        typed = ""
        keys = [*"flare copy 1", "backspace", *"2", "space", *"br", "backspace", "backspace", "backspace"]
        keys += [*"xyz", "escape"]
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
            typed = {"backspace": typed[:-1], "space": typed + " ", "escape": ""}.get(key, typed + key)
            fresh = HomeScreen(app.library)  # no last query: searches every exercise
            options = fresh._options(typed)
            assert _every_row(app) == [option.id for option in options], typed
            listing = screen.query_one("#library", OptionList)
            if typed.strip():
                assert listing.highlighted == fresh._best(options, typed)
        assert typed == "" and len(listed(app)) == len(app.library) + 1  # the broken file too


def _long_library(folder: Path) -> int:
    """User copies of the flare routine, two steps of rows past the first screenful; how many."""
    from calmcoach.data import locations
    from calmcoach.ui.screens import home

    flare = (locations.builtin_exercises_dir() / "flare.toml").read_text()
    count = home.FIRST_ROWS + home.ROWS_PER_STEP + 7
    for n in range(count):
        (folder / f"copy-{n:04d}.toml").write_text(flare.replace("Flare routine", f"Flare copy {n:04d}"))
    return count


def _all_listed(screen: HomeScreen, query: str | None = None) -> bool:
    """Whether home's list shows every row ``query`` (by default, what the filter field
    holds) matches: none still waiting."""
    if query is None:
        query = next((field.value for field in screen.query("#filter").results(Input)), "")
    rows = HomeScreen(screen.library)._options(query)
    return screen.query_one("#library", OptionList).option_count == len(rows)


async def _until_listed(pilot: Pilot[object], query: str | None = None) -> None:
    """Wait (five seconds at most) until home has added every row it has waiting."""
    screen = pilot.app.screen
    assert isinstance(screen, HomeScreen)
    for _ in range(250):
        if _all_listed(screen, query):
            return
        await pilot.pause(0.02)
    raise AssertionError("home still had rows waiting after five seconds")


async def test_a_long_library_is_listed_whole_after_the_first_screenful(user_exercises) -> None:
    """The first frame holds the first rows and the rest follow a few at a time: in the end
    every row is listed, in the order of a list built at once; a filter typed before they
    are all in shows its own rows, and nothing is added to it afterwards."""
    _long_library(user_exercises)
    app, _clock, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await _until_listed(pilot)
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        assert _every_row(app) == [option.id for option in HomeScreen(app.library)._options("")]
    app, _clock, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"copy 0001")  # at once, while rows are still being added
        await _until_listed(pilot)
        await pilot.pause(0.1)  # a step due for the old list would have come by now
        assert listed(app) == ["copy-0001"]


async def test_what_the_whole_list_made_is_frozen_once_it_is_listed(user_exercises, monkeypatch) -> None:
    """A thousand rows live as long as home; once all are listed, what listing them made is
    frozen out of the garbage collector's sight, as start-up's objects are (issue 16)."""
    import gc

    from calmcoach.ui.screens import home

    _long_library(user_exercises)
    monkeypatch.setattr(home, "STEP_EVERY", 60.0)  # the steps are taken by hand below
    app, _clock, _ = new_app()
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            for _ in range(5):
                await pilot.pause()  # start-up's own freeze is done
            screen = app.screen
            assert isinstance(screen, HomeScreen) and not _all_listed(screen)
            frozen = gc.get_freeze_count()
            while not _all_listed(screen):
                screen._add_waiting()
            await pilot.pause()  # home has said so, and the app has frozen them
            assert gc.get_freeze_count() > frozen
    finally:
        gc.unfreeze()


async def test_waiting_rows_come_in_timed_steps_not_all_in_the_frame_after(
    user_exercises, monkeypatch
) -> None:
    """Each step of rows waits for a timer, so a frame (and a key) can come in between: the
    screen's after-refresh callbacks had run one step after another, all in one go."""
    from calmcoach.ui.screens import home

    count = _long_library(user_exercises)
    monkeypatch.setattr(home, "STEP_EVERY", 60.0)  # no step is due while this test runs
    app, _clock, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(10):
            await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        listing = screen.query_one("#library", OptionList)
        assert not _all_listed(screen)
        assert home.FIRST_ROWS <= listing.option_count < count


async def test_a_filter_matching_many_rows_lists_a_screenful_then_all_of_them(user_exercises) -> None:
    """A key whose rows are many more than a screen shows shows a screenful in its own frame
    and the rest just after, in order; a backspace to them again keeps them all."""
    from calmcoach.ui.screens import home

    count = _long_library(user_exercises)
    app, _clock, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await _until_listed(pilot)
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        listing = screen.query_one("#library", OptionList)
        screen._fill("cop")  # what the key does, seen before any frame after it
        assert home.FIRST_ROWS <= listing.option_count < count
        await _until_listed(pilot, "cop")
        fresh = HomeScreen(app.library)
        assert _every_row(app) == [option.id for option in fresh._options("cop")]
        assert listing.highlighted == fresh._best(fresh._options("cop"), "cop")
        await pilot.press(*"copy", "backspace")  # typed this time, to the same rows
        await _until_listed(pilot)
        assert _every_row(app) == [option.id for option in fresh._options("cop")]


async def test_the_list_looks_the_same_when_the_filter_field_takes_the_focus() -> None:
    """Moving the focus from the list to the filter field changes nothing in the list: the
    highlighted row is what Enter opens either way, and the first key draws no row afresh."""
    app, _clock, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        listing = app.screen.query_one("#library", OptionList)
        assert listing.has_focus

        def look() -> tuple[object, ...]:
            rows = [[(s.text, s.style) for s in listing.render_line(y)] for y in range(listing.size.height)]
            return (rows, listing.styles.border, listing.styles.background_tint)

        before = look()
        await pilot.press("slash")  # the filter field, the list's rows as they were
        await pilot.pause()
        assert app.screen.query_one("#filter", Input).has_focus and not listing.has_focus
        assert look() == before


async def test_a_new_list_waits_a_full_step_for_its_next_rows(user_exercises, monkeypatch) -> None:
    """A key that replaces the list stops the step due for the old one and starts its own,
    so the new list's next rows never come in the key's own frame."""
    from calmcoach.ui.screens import home

    _long_library(user_exercises)
    monkeypatch.setattr(home, "STEP_EVERY", 60.0)
    app, _clock, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HomeScreen) and not _all_listed(screen)
        due = screen._stepping
        assert due is not None
        screen._fill("cop")
        assert screen.query_one("#library", OptionList).option_count < len(screen._options("cop"))
        assert screen._stepping is not None and screen._stepping is not due
