"""One session setup: every session option, given before the command or after it, reaches
the app and plain mode alike (calmcoach.services.launch), and ``--no-sound`` means silence
in both: no cue played, no voice rendered."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from calmcoach import cli
from calmcoach.audio import SilentPlayer
from calmcoach.audio.voice import VoicePlan, Voices
from calmcoach.cli.options import options_from
from calmcoach.cli.parser import parse
from calmcoach.cli.plain import PlainRunner
from calmcoach.services import launch
from calmcoach.services.launch import Prepared, RunOptions, SessionSetup
from calmcoach.ui.app import make_app
from calmcoach.ui.screens.session import SessionScreen
from tests.clocks import FakeClock
from tests.helpers import QUICK_BREATH, audio_env, calmcoach_command, need_simpleaudio

BREATHING = "breathing-4-2-6"
"""Takes --minutes."""
RELEASE = "tension-release"
"""Takes --area."""

# Each option, the exercise it goes with, and what it must do to the prepared session.
OPTIONS: list[tuple[list[str], str, Callable[[SessionSetup, RunOptions], bool]]] = [
    (["--no-sound"], BREATHING, lambda s, o: not s.sound and not s.voice and not s.lines),
    (["--voice"], BREATHING, lambda s, o: s.voice and o.voice is True),
    (["--no-voice"], RELEASE, lambda s, o: not s.voice and o.voice is False),
    (["--eyes-closed"], BREATHING, lambda s, o: s.eyes_closed and bool(s.tones) and s.voice),
    (["--speed", "10"], BREATHING, lambda s, o: s.speed == 10 and s.max_gap == 20 and not s.recorded),
    (["--minutes", "2"], BREATHING, lambda s, o: s.timeline.total == pytest.approx(120, abs=12)),
    (["--area", "hand"], RELEASE, lambda s, o: s.timeline.area == "hand"),
    (["--reduced-motion"], BREATHING, lambda s, o: o.reduced_motion),
]


def _argv(option: list[str], exercise: str, before: bool) -> list[str]:
    return [*option, "run", exercise] if before else ["run", exercise, *option]


def _default_setup(exercise: str, monkeypatch: pytest.MonkeyPatch) -> SessionSetup:
    """The session with no option, as plain mode prepares it."""
    return _plain(["run", exercise], monkeypatch)[0]


def _recording_prepare(monkeypatch: pytest.MonkeyPatch) -> list[Prepared]:
    """Every session prepared from now on, in order."""
    prepared: list[Prepared] = []
    real = launch.prepare

    def recording(*args: object, **kwargs: object) -> Prepared:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        prepared.append(result)
        return result

    monkeypatch.setattr(launch, "prepare", recording)
    return prepared


def _plain(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[SessionSetup, bool]:
    """The session ``calmcoach ARGV --plain`` prepares (not run: the steps are plain mode's
    own business), and whether a cue player with sound was asked for."""
    prepared = _recording_prepare(monkeypatch)
    sound: list[bool] = []

    def cues(options: RunOptions, **_kwargs: object) -> SilentPlayer:
        sound.append(options.sound)
        return SilentPlayer()

    monkeypatch.setattr(launch, "make_cues", cues)
    monkeypatch.setattr(PlainRunner, "run", lambda self: 0)
    assert cli.main([*argv, "--plain"]) == 0
    assert len(prepared) == 1 and sound == [prepared[0].setup.sound]
    return prepared[0].setup, prepared[0].speaks


async def _app(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[SessionSetup, bool, bool]:
    """The session the app prepares when started with ``calmcoach ARGV`` (on a fake clock),
    whether it speaks, and whether its screen keeps still (reduced motion)."""
    prepared = _recording_prepare(monkeypatch)
    options = options_from(parse(argv))
    app = make_app(options, clock=FakeClock(), cues=SilentPlayer(), show_first_run=False, history=False)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(50):
            if isinstance(app.screen, SessionScreen):
                break
            await pilot.pause(0.02)
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        assert len(prepared) == 1
        return prepared[0].setup, screen.conductor.voice_on, screen.reduced_motion


@pytest.mark.parametrize(("option", "exercise", "does"), OPTIONS, ids=[" ".join(o[0]) for o in OPTIONS])
async def test_each_option_before_or_after_the_command_prepares_the_same_session_in_the_app_and_plain_mode(
    option: list[str],
    exercise: str,
    does: Callable[[SessionSetup, RunOptions], bool],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    default = _default_setup(exercise, monkeypatch)
    seen: dict[str, tuple[SessionSetup, bool]] = {}
    for before in (True, False):
        argv = _argv(option, exercise, before)
        options = options_from(parse(argv))
        assert options == options_from(parse(_argv(option, exercise, not before)))
        plain, plain_speaks = _plain(argv, monkeypatch)
        app, app_speaks, still = await _app(argv, monkeypatch)
        assert app == plain, argv
        assert app_speaks == plain_speaks, argv
        assert does(app, options), argv
        assert still == options.reduced_motion
        seen["before" if before else "after"] = (app, app_speaks)
    assert seen["before"] == seen["after"]
    if option != ["--reduced-motion"]:  # the screen's business: the session is the same
        assert seen["before"][0] != default


def test_an_option_before_a_command_that_does_not_take_it_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse(["--minutes", "3", "list"])
    assert stopped.value.code == 2
    assert "--minutes goes with run or show, not list" in capsys.readouterr().err


def test_no_sound_before_the_command_plays_nothing_in_plain_mode(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """``calmcoach --no-sound run X --plain``: the option before the command counts."""
    need_simpleaudio()
    capture = tmp_path / "capture.raw"
    env = audio_env(cli_env, tmp_path / "home", "capture.asoundrc", capture)
    command = [
        *calmcoach_command(),
        "--no-sound",
        "run",
        BREATHING,
        "--plain",
        "--speed",
        "50",
        "--minutes",
        "2",
    ]
    result = subprocess.run([*command, "--eyes-closed"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "done" in result.stdout
    assert "voice on" not in result.stdout
    # The player would have drained its last cue into the file before the command ended.
    assert not capture.exists() or capture.stat().st_size == 0


class WatchedVoices(Voices):
    """Real voices that remember what each session asked of them."""

    def __init__(self, cache: Path) -> None:
        super().__init__(cache_dir=cache, engine=lambda: None)
        self.asked: list[tuple[dict[int, str], bool, bool]] = []

    def plan(self, lines: Mapping[int, str], render: bool = False, use_engine: bool = True) -> VoicePlan:
        self.asked.append((dict(lines), render, use_engine))
        return super().plan(lines, render, use_engine)


async def test_the_app_with_no_sound_renders_no_voice(user_exercises: Path, tmp_path: Path) -> None:
    """An own exercise's lines are spoken by the engine; with no sound nobody would hear them."""
    (user_exercises / "quick-breath.toml").write_text(QUICK_BREATH.format(cycles=2))
    voices = WatchedVoices(tmp_path / "voice-cache")
    app = make_app(
        start="quick-breath",
        no_sound=True,
        voice=True,
        clock=FakeClock(),
        cues=SilentPlayer(),
        show_first_run=False,
        history=False,
        voices=voices,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(50):
            if isinstance(app.screen, SessionScreen):
                break
            await pilot.pause(0.02)
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        assert not screen.conductor.voice_on
        assert not screen.conductor.speaks
    assert all(not lines and not render and not engine for lines, render, engine in voices.asked)


def test_no_argparse_namespace_leaves_the_cli() -> None:
    """Below and beside ``calmcoach/cli/`` code takes parsed options (RunOptions, say),
    never the parser's Namespace."""
    package = Path(cli.__file__).parent.parent
    outside = [
        path.relative_to(package).as_posix()
        for path in sorted(package.rglob("*.py"))
        if "cli" not in path.relative_to(package).parts and "Namespace" in path.read_text(encoding="utf-8")
    ]
    assert outside == []
