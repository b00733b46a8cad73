"""Issue 13 in the app: the voice key, the remembered setting, and when the voice is on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from calmcoach.audio import VOICE_PREFIX
from calmcoach.audio.voice import Voices
from calmcoach.data import settings as user_settings
from calmcoach.data.loader import load_library
from calmcoach.domain.planner import PlanOptions
from calmcoach.ui.screens.session import SessionScreen
from calmcoach.ui.widgets.keybar import KeyBar
from tests.clocks import FakeClock
from tests.ui.helpers import T0, AheadPlayer, new_app, session_opened

OWN = """\
title = "My rest"
kind = "routine"
summary = "A short rest of my own."

[[step]]
say = "Close your eyes and let your shoulders drop."
seconds = 8
"""


def key_bar_text(screen: SessionScreen) -> str:
    return str(screen.query_one(KeyBar).render())


async def test_the_voice_key_is_in_the_key_bar_turns_the_voice_off_and_is_remembered() -> None:
    clock = FakeClock(T0)
    cues = AheadPlayer(clock)
    app, _, _ = new_app(clock, cues=cues, start="tension-release", area="eyelid")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await session_opened(pilot)
        assert "v Voice" in key_bar_text(screen).replace("  ", " ")
        assert screen.conductor.voice_on, "a step asks to close the eyes: on by default"
        assert cues.played[-1].startswith(VOICE_PREFIX)
        await pilot.press("v")
        await pilot.pause()
        assert not screen.conductor.voice_on
        assert cues.hushed, "the sentence being spoken stops"
        assert user_settings.load().voice == "off"
        await pilot.press("v")
        await pilot.pause()
        assert screen.conductor.voice_on and user_settings.load().voice == "on"


async def test_the_voice_is_on_for_the_eyelid_flare_and_off_for_the_4_2_6_drill() -> None:
    app, _, cues = new_app(start="flare", area="eyelid", flare=True)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await session_opened(pilot)
        assert screen.conductor.voice_on
        assert cues.played == [screen.conductor.voice[0]]
    app, _, cues = new_app(start="breathing-4-2-6")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await session_opened(pilot)
        assert not screen.conductor.voice_on and screen.conductor.speaks
        assert cues.played == ["inhale"]


async def test_eyes_closed_turns_the_voice_on_and_no_voice_turns_it_off() -> None:
    app, _, cues = new_app(start="breathing-4-2-6", eyes_closed=True)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await session_opened(pilot)
        assert screen.conductor.voice_on and cues.played[0].startswith(VOICE_PREFIX)
    app, _, cues = new_app(start="tension-release", area="eyelid", voice=False)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await session_opened(pilot)
        assert not screen.conductor.voice_on
        assert not any(name.startswith(VOICE_PREFIX) for name in cues.played)


async def test_the_remembered_setting_applies_and_the_command_line_wins_over_it() -> None:
    user_settings.save(user_settings.Settings(first_run_seen=True, voice="on"))
    app, _, cues = new_app(start="breathing-4-2-6")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await session_opened(pilot)
        assert screen.conductor.voice_on and cues.played[0].startswith(VOICE_PREFIX)
    app, _, _ = new_app(start="breathing-4-2-6", voice=False)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await session_opened(pilot)
        assert not screen.conductor.voice_on


async def test_a_bad_voice_setting_means_auto() -> None:
    path = user_settings.locations.settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"voice": "\\u001b[31mloud", "first_run_seen": true}', "utf-8")
    assert user_settings.load().voice == "auto"


async def test_an_own_exercise_with_no_engine_opens_with_tones_and_one_notice(
    tmp_path: Path, told: Callable[[], list[str]]
) -> None:
    folder = tmp_path / "own"
    folder.mkdir()
    (folder / "my-rest.toml").write_text(OWN, "utf-8")
    library = load_library(folder, None, None)
    voices = Voices(cache_dir=tmp_path / "cache", engine=lambda: None)
    app, _, cues = new_app(library=library, voices=voices)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(2):
            app.starter.start_exercise("my-rest", PlanOptions())
            screen = await session_opened(pilot)
            assert not any(name.startswith(VOICE_PREFIX) for name in cues.played)
            assert screen.conductor.voice == {}
            await pilot.press("q")
            await pilot.pause()
        notices = [text for text in told() if "no speech program was found" in text]
        assert len(notices) == 1, told()
        assert "install Festival" in notices[0]
