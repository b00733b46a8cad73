"""Pilot tests: every flow and binding, in virtual time."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Static

from calmcoach.audio import SilentPlayer
from calmcoach.data import locations, settings
from calmcoach.data.history import History
from calmcoach.data.loader import Library
from calmcoach.domain.session import ScaledClock, State
from calmcoach.ui.app import make_app
from calmcoach.ui.screens.choice import ChoiceScreen
from calmcoach.ui.screens.help import HelpScreen
from calmcoach.ui.screens.home import HomeScreen
from calmcoach.ui.screens.safety import FirstRunNote, RedFlagsScreen
from calmcoach.ui.screens.summary import SummaryScreen
from calmcoach.ui.widgets.countdown import Countdown
from calmcoach.ui.widgets.keybar import KeyBar
from calmcoach.ui.widgets.pacer import Pacer
from tests.clocks import FakeClock
from tests.ui.helpers import T0, AheadPlayer, advance, new_app, session_screen


def visible_ids(listing: OptionList) -> list[str]:
    return [listing.get_option_at_index(i).id or "" for i in range(listing.option_count)]


async def test_home_lists_exercises_grouped_by_kind() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, HomeScreen)
        ids = visible_ids(app.screen.query_one("#library", OptionList))
        assert ids[:2] == [":group-flare", "flare"]  # first, where a person in a flare looks
        assert (
            ids.index(":group-breathing")
            < ids.index("breathing-4-2-6")
            < ids.index(":group-routine")
            < ids.index("tension-release")
            < ids.index(":group-program")
            < ids.index("evening-wind-down")
        )
        await pilot.pause()


async def test_typing_filters_the_list() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("b", "o", "x")
        field = app.screen.query_one("#filter", Input)
        assert field.value == "box" and field.has_focus
        ids = visible_ids(app.screen.query_one("#library", OptionList))
        assert [i for i in ids if not i.startswith(":group-")] == ["box-breathing"]
        await pilot.press("escape")
        assert field.value == ""
        assert len(visible_ids(app.screen.query_one("#library", OptionList))) > 10


async def test_enter_asks_minutes_then_starts_breathing() -> None:
    app, clock, cues = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("down", "enter")  # 4-2-6 is just below the flare routine
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("up", "enter")  # 3 (usual) -> 2 minutes
        screen = session_screen(pilot)
        assert screen.timeline.total == 120
        assert cues.played == ["inhale"]


async def test_flare_key_then_leg_starts_the_flare_program() -> None:
    app, clock, cues = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+f")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("l")
        screen = session_screen(pilot)
        assert screen.timeline.exercise_id == "flare"
        assert screen.timeline.area == "leg"
        assert screen.timeline.parts[1].area == "leg"
        assert screen.session.state is State.RUNNING


async def test_pacer_grows_holds_and_shrinks_on_time() -> None:
    app, clock, cues = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = session_screen(pilot)
        pacer = screen.query_one(Pacer)
        digits = screen.query_one(Countdown)
        assert pacer.level == 0 and digits.value == "4"
        radii = [pacer.radius]
        for _ in range(4):
            await advance(pilot, clock, 1.0)
            radii.append(pacer.radius)
        assert radii == sorted(radii) and radii[-1] > radii[0]  # grows through the inhale
        assert pacer.level == 1.0
        assert str(pacer.pace) == "hold" and digits.value == "2"
        await advance(pilot, clock, 1.5)
        assert pacer.level == 1.0  # holds steady
        await advance(pilot, clock, 0.5)
        assert str(pacer.pace) == "exhale" and digits.value == "6"
        await advance(pilot, clock, 3.0)
        assert 0.3 < pacer.level < 0.7
        await advance(pilot, clock, 3.0)
        assert pacer.level == 0 and str(pacer.pace) == "inhale"
        assert cues.played == ["inhale", "hold", "exhale", "inhale"]


async def test_space_pauses_and_resumes() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        await advance(pilot, clock, 1.0)
        screen = session_screen(pilot)
        await pilot.press("space")
        assert screen.session.state is State.PAUSED
        assert "Paused" in str(screen.query_one("#hint", Static).render())
        await advance(pilot, clock, 30.0)
        assert screen.session.position() == 1.0
        await pilot.press("space")
        await advance(pilot, clock, 1.0)
        assert screen.session.state is State.RUNNING
        assert screen.session.position() == 2.0


async def test_next_and_back_keys() -> None:
    app, clock, cues = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        screen = session_screen(pilot)
        assert screen.session.index() == 1
        await pilot.press("right")
        assert screen.session.index() == 2
        await pilot.press("b")
        assert screen.session.index() == 1
        await pilot.press("left")
        assert screen.session.index() == 0
        assert cues.played == ["inhale", "hold", "exhale", "hold", "inhale"]


async def test_mute_silences_cues() -> None:
    app, clock, cues = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("m")
        await advance(pilot, clock, 4.5)
        assert cues.played == ["inhale"]
        await pilot.press("m")
        await advance(pilot, clock, 2.0)
        assert cues.played == ["inhale", "exhale"]


async def test_finishing_shows_the_summary_and_rating() -> None:
    app, clock, cues = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        await advance(pilot, clock, 121.0, step=0.5)
        assert isinstance(app.screen, SummaryScreen)
        assert app.screen.session.state is State.FINISHED
        facts = str(app.screen.query_one("#summary-facts", Static).render())
        assert "Time: 2:00" in facts and "Breaths: 10 of 10" in facts
        assert cues.played[-1] == "end" and cues.played.count("inhale") == 10
        await pilot.press("7")
        assert app.screen.rating == 7
        writer = app.recorder.writer
        assert writer is not None and writer.flush(10.0)
        (row,) = History.open(locations.history_file()).history.sessions()
        assert row.rating_after == 7  # kept in the history
        await pilot.click("#rate-10")
        assert app.screen.rating == 10
        await pilot.press("enter")
        assert isinstance(app.screen, HomeScreen)


async def test_stop_part_way_shows_an_honest_summary() -> None:
    app, clock, cues = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        await advance(pilot, clock, 25.0)
        await pilot.press("q")
        assert isinstance(app.screen, SummaryScreen)
        assert app.screen.session.state is State.STOPPED
        facts = str(app.screen.query_one("#summary-facts", Static).render())
        assert "Stopped at 0:25 of 2:00" in facts and "Breaths: 2 of 10" in facts
        assert "end" not in cues.played
        await pilot.press("r")
        assert session_screen(pilot).timeline.total == 120


async def test_untimed_prompt_waits_for_enter() -> None:
    app, clock, _ = new_app(start="attention-shift")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = session_screen(pilot)
        assert screen.session.waiting
        assert "Press Enter or space" in str(screen.query_one("#hint", Static).render())
        await advance(pilot, clock, 60.0)
        assert screen.session.index() == 0
        await pilot.press("enter")
        assert screen.session.index() == 1 and screen.session.waiting
        await pilot.press("space")
        assert screen.session.index() == 2 and not screen.session.waiting
        await advance(pilot, clock, 10.0)
        assert screen.session.position() == 10.0


async def test_broken_user_file_is_listed_with_its_error(user_exercises: Path) -> None:
    (user_exercises / "oops.toml").write_text('title = "Oops"\nkind = "breathing"\ncycles = 0\n')
    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        listing = app.screen.query_one("#library", OptionList)
        ids = visible_ids(listing)
        assert ":broken:oops" in ids
        option = listing.get_option(":broken:oops")
        assert "oops.toml:3: cycles: expected a whole number" in str(option.prompt)
        await pilot.press("end", "enter")  # reachable by keyboard; Enter says what is wrong
        assert listing.highlighted_option is not None and listing.highlighted_option.id == ":broken:oops"
        assert str(app.screen.query_one("#detail", Static).render()).startswith("Not loaded.")
        messages = [n.message for n in app._notifications]
        assert any("cycles: expected a whole number" in m and "calmcoach validate" in m for m in messages)
        assert isinstance(app.screen, HomeScreen)


async def test_red_flags_from_home_and_from_help() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("exclamation_mark")
        assert isinstance(app.screen, RedFlagsScreen)
        text = " ".join(str(s.content) for s in app.screen.query(Static))
        assert "Trouble speaking, swallowing or breathing" in text and "EMERGENCY" in text
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("exclamation_mark")
        await pilot.pause()
        assert isinstance(app.screen, RedFlagsScreen)


async def test_first_run_note_shows_once() -> None:
    app, _, _ = new_app(show_first_run=None)
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, FirstRunNote)
        await pilot.press("enter")
        assert isinstance(app.screen, HomeScreen)
    assert settings.load().first_run_seen
    again, _, _ = new_app(show_first_run=None)
    async with again.run_test(size=(100, 30)) as pilot:
        assert isinstance(again.screen, HomeScreen)
        await pilot.pause()


async def test_reduced_motion_keeps_the_pacer_still() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2, reduced_motion=True)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = session_screen(pilot)
        pacer = screen.query_one(Pacer)
        assert pacer.still
        await advance(pilot, clock, 2.0)
        assert pacer.level == 0.0  # its reads once a second: test_still_screen_reads_once_a_second...
        assert screen.query_one(Countdown).value == "2"


async def test_animation_level_none_means_reduced_motion() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    app.animation_level = "none"
    async with app.run_test(size=(100, 30)) as pilot:
        assert session_screen(pilot).query_one(Pacer).still


async def test_small_terminal_still_shows_instruction_and_countdown() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        screen = session_screen(pilot)
        assert screen.has_class("-small")
        assert screen.query_one("#say").region.height > 0
        assert screen.query_one("#countdown").region.height > 0
        assert not screen.query_one(Pacer).display or screen.query_one(Pacer).region.height == 0


async def test_resize_keeps_the_session_on_time() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        await advance(pilot, clock, 3.0)
        await pilot.resize_terminal(60, 20)
        await advance(pilot, clock, 3.0)
        screen = session_screen(pilot)
        assert screen.session.position() == 6.0 and screen.session.index() == 2


async def test_suspend_pauses_the_session() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        await advance(pilot, clock, 1.0)
        screen = session_screen(pilot)
        app.app_suspend_signal.publish(app)
        assert screen.session.state is State.PAUSED
        clock.advance(300)
        app.app_resume_signal.publish(app)
        await advance(pilot, clock, 0.5)
        assert screen.session.state is State.RUNNING
        assert screen.session.position() == 1.5


async def test_help_lists_the_keys() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        help_text = app.screen.query_one(Static)
        text = "\n".join(strip.text for strip in help_text.render_lines(help_text.region.reset_offset))
        for words in ("Pause and resume", "Next step", "Sound cues off or on", "When to see a doctor"):
            assert words in text
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_markup_in_user_text_is_shown_verbatim(user_exercises: Path) -> None:
    (user_exercises / "brackets.toml").write_text(
        'title = "[bold]Mine[/bold]"\nkind = "routine"\nsummary = "[red]x[/red]"\n'
        '[[step]]\nsay = "Press [b] to [link=x]go[/link]"\nseconds = 5\n'
    )
    app, _, _ = new_app(start="brackets")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = session_screen(pilot)
        assert "Press [b] to [link=x]go[/link]" in str(screen.query_one("#say", Static).render())
        assert "[bold]Mine[/bold]" in str(screen.query_one("#heading", Static).render())


async def test_theme_toggle_switches_light_and_dark() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        dark = app.current_theme.dark
        await pilot.press("ctrl+t")
        assert app.current_theme.dark is not dark
        assert settings.load().theme == app.theme


async def test_reduced_motion_setting_from_the_command_palette() -> None:
    app, clock, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Reduced motion (now off)" in titles
        app.action_toggle_reduced_motion()
        assert settings.load().reduced_motion
        app.starter.start_exercise(
            "breathing-4-2-6", __import__("calmcoach.domain.planner").domain.planner.PlanOptions(minutes=2)
        )
        await pilot.pause()
        assert session_screen(pilot).query_one(Pacer).still


async def test_speed_previews_in_the_app_without_false_suspends() -> None:
    """At 100x, the real time between two reads is seconds of session time: the screen must
    not take that for a suspend (Ctrl+Z), or a preview would stand still. The real time
    under the scaled clock is a fake one too, so a busy machine cannot stretch it."""
    assert getattr(make_app(speed=100).clock, "speed", None) == 100  # what --speed builds
    real = FakeClock(T0)
    app = make_app(
        clock=ScaledClock(100, base=real),
        speed=100,  # the largest gap comes from the option, not from the clock
        start="physiological-sigh",
        show_first_run=False,
        cues=SilentPlayer(),
    )
    async with app.run_test(size=(100, 30)) as pilot:
        screen = session_screen(pilot)
        assert screen.session.max_gap == 200.0
        # Reads 50 ms of real time apart: 5 s of session time each, over the 2 s an
        # unscaled session would take for a suspend.
        await advance(pilot, real, 0.3, step=0.05)
        assert screen.session.position() == pytest.approx(30.0)
        assert screen.session.state is State.RUNNING
        await advance(pilot, real, 0.35, step=0.05)  # the 60 s session ends at 0.6 s
        assert isinstance(app.screen, SummaryScreen)
        assert app.screen.session.state is State.FINISHED
        assert app.screen.session.cycles_done == 5


async def test_first_run_note_comes_before_a_session_started_from_the_command_line() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2, show_first_run=True)
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, FirstRunNote)
        await advance(pilot, clock, 30.0)
        await pilot.press("enter")
        screen = session_screen(pilot)
        await advance(pilot, clock, 1.0)
        assert screen.session.position() == 1.0  # it started after the note, not under it


def next_read_in(screen: object) -> float:
    """Seconds until the session screen's next scheduled read of the clock."""
    import asyncio

    handle = screen._handle  # type: ignore[attr-defined]
    assert handle is not None, "no read scheduled"
    return float(handle.when() - asyncio.get_running_loop().time())


async def test_still_screen_reads_once_a_second_and_closes_in_on_boundaries() -> None:
    app, clock, _ = new_app(start="breathing-4-2-6", minutes=2, reduced_motion=True)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = session_screen(pilot)
        screen.tick()
        # Nothing moves: the next read is when the countdown next changes (4 -> 3), not sooner.
        assert 0.95 < next_read_in(screen) <= 1.0
        await advance(pilot, clock, 3.5)
        screen.tick()
        # Half a second before the inhale ends: a read 50 ms ahead, then one on the boundary.
        assert 0.40 < next_read_in(screen) <= 0.45
        clock.advance(0.45)
        screen.tick()
        assert 0.0 < next_read_in(screen) <= 0.05
        clock.advance(0.05)
        screen.tick()
        assert screen.query_one(Countdown).render_line(1).text.split()[0] == "HOLD"
        assert screen.query_one(Countdown).value == "2"


async def test_each_cue_is_handed_to_a_player_on_the_same_clock_ahead_of_its_boundary() -> None:
    clock = FakeClock(T0)
    player = AheadPlayer(clock)
    app, clock, _ = new_app(clock, cues=player, start="breathing-4-2-6", minutes=2)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = session_screen(pilot)
        assert player.played == ["inhale"]  # the first step plays as the session starts
        assert player.pending == ("hold", T0 + 4)
        await advance(pilot, clock, 3.9)
        clock.advance(0.1)
        player.catch_up()  # the player starts "hold" on its own at T0 + 4
        screen.tick()
        assert player.started == [("hold", T0 + 4)]
        assert player.played == ["inhale"]  # and the app does not play it a second time
        assert player.pending == ("exhale", T0 + 6)
        # Pausing withdraws it; resuming hands it over again, moved by the pause.
        await pilot.press("space")
        assert player.pending is None
        clock.advance(30)
        await pilot.press("space")
        assert player.pending == ("exhale", T0 + 36)
        # Skipping ahead plays the new step at once and hands over the one after it.
        await pilot.press("n")
        assert player.played == ["inhale", "exhale"]
        assert player.pending == ("inhale", clock() + 6)
        # Muting withdraws it; unmuting hands it over again.
        await pilot.press("m")
        assert player.pending is None
        await pilot.press("m")
        assert player.pending == ("inhale", clock() + 6)
        # The end bell too: handed over during the last step, never played twice.
        await advance(pilot, clock, 120, step=0.5)
        player.catch_up()
        await pilot.pause()
        assert player.started[-1][0] == "end"
        assert "end" not in player.played


async def test_key_bar_shows_each_screens_keys_and_a_click_presses_one() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        bar = app.screen.query_one(KeyBar)
        shown = bar.render().plain
        assert "^f Flare" in shown and "^q Quit" in shown and shown.rstrip().endswith("^p palette")
        await pilot.click(KeyBar, offset=(shown.index(" ? ") + 1, 0))  # on the "?" key
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("enter", "enter")  # 4-2-6 with its default length
        session = session_screen(pilot)
        shown = session.query_one(KeyBar).render().plain
        assert "space Pause" in shown and "q Stop" in shown and "Flare" not in shown


async def test_slash_opens_the_filter_field_in_place_of_its_hint() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        assert not app.screen.query("#filter") and app.screen.query("#filter-hint")
        await pilot.press("slash", "s", "i", "g", "h")
        field = app.screen.query_one("#filter", Input)
        assert field.has_focus and field.value == "sigh"
        assert not app.screen.query("#filter-hint")
        ids = visible_ids(app.screen.query_one("#library", OptionList))
        assert [i for i in ids if not i.startswith(":group-")] == ["physiological-sigh"]


async def test_detail_line_follows_the_highlighted_exercise() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        detail = app.screen.query_one("#detail", Static)
        flare = app.library.exercises["flare"]
        assert str(detail.render()).startswith(flare.summary)
        await pilot.press("down")
        first = app.library.exercises["breathing-4-2-6"]
        assert str(detail.render()).startswith(first.summary)
        await pilot.press("down")
        second = app.library.exercises["breathing-4-7-8"]
        assert str(detail.render()).startswith(second.summary)


async def test_parse_cache_is_written_after_the_first_frame_not_before(user_exercises: Path) -> None:
    from calmcoach.data import locations

    (user_exercises / "mine.toml").write_text(
        (locations.builtin_exercises_dir() / "box-breathing.toml").read_text().replace("Box", "Mine")
    )
    app, _, _ = new_app()
    cache_file = locations.parse_cache_file()
    assert "mine" in app.library.exercises
    assert not cache_file.exists()  # loading the library did not stop to write it
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert cache_file.exists()


def test_library_length_spans_every_area_an_exercise_can_run_for(library: Library) -> None:
    from calmcoach.domain.describe import length_text
    from calmcoach.domain.planner import PlanOptions, plan

    flare = library.exercises["flare"]
    minutes = [
        max(1, round(plan(flare, PlanOptions(area=a), library.exercises).total / 60))
        for a in ("eyelid", "hand", "leg", "general")
    ]
    assert min(minutes) < max(minutes)  # the areas really differ in length
    assert length_text(flare, library.exercises) == f"about {min(minutes)} to {max(minutes)} min + your pace"
    assert length_text(library.exercises["physiological-sigh"], library.exercises) == "about 1 min"


async def test_what_start_up_made_is_frozen_out_of_the_garbage_collectors_way() -> None:
    """After the first frame the start-up objects are frozen, so a full collection does not
    walk them in the middle of a key's frame (issue 16's typing gap)."""
    import gc

    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    app, _clock, _ = new_app()
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.pause()
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


async def test_the_youngest_generation_is_collected_less_often_while_the_app_runs() -> None:
    """Textual's layouts leave reference cycles; collected young they cost little (issue 16).
    The app raises the young threshold while it runs and puts the old one back as it closes."""
    import gc

    from calmcoach.ui.collector import YOUNG_COLLECTION_EVERY

    before = gc.get_threshold()
    assert before[0] != YOUNG_COLLECTION_EVERY
    app, _clock, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert gc.get_threshold() == (YOUNG_COLLECTION_EVERY, *before[1:])
    assert gc.get_threshold() == before


async def test_quitting_right_after_the_first_frame_is_clean() -> None:
    """Home puts its filter field in place after the first frame; an app already quitting
    then (as it does after one frame for a benchmark) must not fail on it."""
    app, _clock, _ = new_app()
    app.after_first_frame.append(app.exit)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
    assert app.return_code == 0
