"""Real audio without a sound card: simpleaudio plays through ALSA into a file.

ALSA's ``file`` plugin (tests/audio_fixtures/capture.asoundrc, the same as
shared/alsa-capture.asoundrc) appends every played buffer to a raw PCM file, so
a test can check which cues played, in which order, and for how long.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import itertools
import logging
import os
import signal
import subprocess
import sys
import time
import wave
from collections.abc import Callable
from pathlib import Path

import pytest

from calmcoach.audio import BellPlayer
from calmcoach.audio.wavs import CueError, check_wav, find_cues
from calmcoach.domain.planner import PlanOptions, plan
from tests.helpers import (
    FIXTURES,
    SOUNDS,
    audio_env,
    calmcoach_command,
    capture_player,
    cue_bytes,
    need_simpleaudio,
    split_capture,
    wait_for_file,
)

pytestmark = pytest.mark.audio


SHORT_4_2_6 = (
    (Path(__file__).resolve().parent.parent / "exercises" / "breathing-4-2-6.toml")
    .read_text("utf-8")
    .replace("minutes = { default = 3, min = 2, max = 5 }", "minutes = { default = 1, min = 1, max = 1 }")
)
"""The shipped 4-2-6 breathing, one minute long (five cycles): what a real-sound run proves
with ten cycles, it proves with five in half the time."""


def test_plain_session_capture_has_every_cue_in_order(cli_env, tmp_path: Path, user_exercises: Path) -> None:
    need_simpleaudio()
    (user_exercises / "short-4-2-6.toml").write_text(SHORT_4_2_6, "utf-8")
    capture = tmp_path / "capture.raw"
    env = audio_env(cli_env, tmp_path / "home", "capture.asoundrc", capture)
    result = subprocess.run(
        [*calmcoach_command(), "run", "short-4-2-6", "--plain", "--speed", "20"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "sound off" not in result.stdout
    known = cue_bytes()
    expected = ["inhale", "hold", "exhale"] * 5 + ["end"]
    data = wait_for_file(capture, sum(len(known[n]) for n in expected))
    assert split_capture(data, known) == expected


def test_eyes_closed_tones_last_exactly_each_phase(cli_env, tmp_path: Path, user_exercises: Path) -> None:
    need_simpleaudio()
    (user_exercises / "short-4-2-6.toml").write_text(SHORT_4_2_6, "utf-8")
    capture = tmp_path / "capture.raw"
    env = audio_env(cli_env, tmp_path / "home", "capture.asoundrc", capture)
    result = subprocess.run(
        [
            *calmcoach_command(),
            "run",
            "short-4-2-6",
            "--plain",
            "--speed",
            "20",
            "--eyes-closed",
            "--no-voice",  # the tones alone: the voice takes the first two cycles' place
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    end = cue_bytes()["end"]
    per_second = 44100 * 2
    expected = 5 * 12 * per_second + len(end)  # each phase's sound is exactly its length
    data = wait_for_file(capture, expected)
    assert len(data) == expected
    assert data.endswith(end)
    samples = array.array("h", data[: 12 * 44100 * 2])

    def crossings(start: float, stop: float) -> int:
        window = samples[int(start * 44100) : int(stop * 44100)]
        return sum(1 for a, b in itertools.pairwise(window) if (a < 0) != (b < 0))

    # The tone rises through the inhale and falls through the exhale.
    assert crossings(3.0, 3.9) > crossings(1.0, 1.9)
    assert crossings(6.0 + 5.0, 6.0 + 5.9) < crossings(6.0 + 1.0, 6.0 + 1.9)


def test_broken_device_falls_back_to_the_bell_once(cli_env, tmp_path: Path) -> None:
    need_simpleaudio()
    env = audio_env(cli_env, tmp_path / "home", "broken.asoundrc")
    result = subprocess.run(
        [*calmcoach_command(), "run", "breathing-4-2-6", "--plain", "--speed", "100", "--minutes", "2"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0
    assert result.stdout.count("sound off") == 1
    assert "sound device could not be opened" in result.stdout
    assert "4-2-6 breathing finished: 2:00" in result.stdout
    assert result.stderr == ""  # ALSA's complaints went to the player's log, not the terminal


def test_simpleaudio_missing_falls_back_to_the_bell_once(cli_env, tmp_path: Path) -> None:
    env = dict(cli_env)
    env["PYTHONPATH"] = str(FIXTURES / "no_simpleaudio")
    result = subprocess.run(
        [*calmcoach_command(), "run", "breathing-4-2-6", "--plain", "--speed", "100", "--minutes", "2"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("sound off") == 1
    assert "simpleaudio" in result.stdout
    assert "4-2-6 breathing finished: 2:00" in result.stdout


def test_player_killed_mid_session_goes_on_with_the_bell(tmp_path: Path, library) -> None:
    need_simpleaudio()
    from calmcoach.audio import sounds_for
    from calmcoach.cli.plain import PlainRunner
    from calmcoach.domain.session import StepStarted

    player, rings = capture_player(tmp_path, tmp_path / "capture.raw")
    timeline = plan(library.get("breathing-4-2-6"), PlanOptions(minutes=2))
    player.prepare(*sounds_for(timeline, False))
    player.wait_ready(10.0)
    assert player.working

    def kill_after_a_few(session, events) -> None:
        steps = [e for e in events if isinstance(e, StepStarted)]
        if steps and steps[-1].segment.index == 5 and player.pid:
            os.kill(player.pid, signal.SIGKILL)
            time.sleep(0.3)  # let the reader see the pipe close

    out = tmp_path / "out.txt"
    with out.open("w") as stream:
        runner = PlainRunner(timeline, cues=player, out=stream, speed=100, observers=(kill_after_a_few,))
        assert runner.run() == 0
    player.close()
    text = out.read_text()
    assert "finished: 2:00" in text
    assert text.count("sound off") == 1 and "the player stopped (signal 9)" in text
    assert len(rings) >= 20  # the rest of the cues rang the bell
    assert not player.working


def test_player_process_never_outlives_the_app(tmp_path: Path) -> None:
    need_simpleaudio()
    code = (
        "import os, sys, time\n"
        "from calmcoach.audio.process import ProcessPlayer\n"
        "from calmcoach.data.library import sound_dirs\n"
        "p = ProcessPlayer(sound_dirs(), bell=lambda: None)\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    worker = int(parent.stdout.readline())
    os.kill(worker, 0)  # alive
    parent.kill()  # a crash: no clean-up code runs
    parent.wait()
    limit = time.monotonic() + 5
    while time.monotonic() < limit:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        with contextlib.suppress(ChildProcessError):
            os.waitpid(worker, os.WNOHANG)
        time.sleep(0.05)
    pytest.fail("the player process outlived its parent")


def test_close_leaves_no_player_process(tmp_path: Path) -> None:
    need_simpleaudio()
    player, _ = capture_player(tmp_path)
    pid = player.pid
    assert pid is not None
    player.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_bad_user_wav_gets_a_clear_error_and_the_bell(tmp_path: Path, isolated_dirs: Path) -> None:
    need_simpleaudio()
    from calmcoach.data import locations

    user_sounds = locations.user_sounds_dir()
    user_sounds.mkdir(parents=True)
    (user_sounds / "gong.wav").write_text("this is not a wav")
    player, rings = capture_player(tmp_path, tmp_path / "capture.raw")
    player.prepare(["inhale", "gong"])
    player.wait_ready(10.0)
    notice = player.take_notice()
    assert notice is not None and "cue 'gong'" in notice and "not a PCM WAV" in notice
    player.play("gong")
    assert len(rings) == 1
    player.play("inhale")
    assert len(rings) == 1 and player.working
    assert player.take_notice() is None  # said once
    player.close()


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: p.write_bytes(b"RIFF....WAVEjunk"), "not a PCM WAV"),
        (lambda p: _wav(p, channels=6), "6 channels"),
        (lambda p: _wav(p, width=3), "24-bit"),
        (lambda p: _wav(p, rate=12345), "12345 Hz"),
        (lambda p: _wav(p, frames=0), "empty"),
        (lambda p: p.write_bytes(b"\0" * (5 * 1024 * 1024)), "too large"),
    ],
)
def test_wav_checks(tmp_path: Path, make, words: str) -> None:
    path = tmp_path / "cue.wav"
    make(path)
    with pytest.raises(CueError, match=words):
        check_wav("cue", path)


def _wav(path: Path, channels: int = 1, width: int = 2, rate: int = 44100, frames: int = 100) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(b"\0" * (frames * channels * width))


def test_user_sound_overrides_builtin(tmp_path: Path) -> None:
    user = tmp_path / "user"
    user.mkdir()
    _wav(user / "inhale.wav", frames=441)
    found, errors = find_cues(["inhale", "exhale", "nope"], (SOUNDS, user))
    assert found["inhale"].path == user / "inhale.wav"
    assert found["exhale"].path == SOUNDS / "exhale.wav"
    assert errors == {"nope": "no such sound"}


def test_muted_bell_player_rings_nothing() -> None:
    rings: list[str] = []
    player = BellPlayer(bell=lambda: rings.append("ring"))
    player.muted = True
    player.play("inhale")
    assert rings == []
    player.muted = False
    player.play("inhale")
    assert rings == ["ring"]


def test_play_calls_are_reported_with_their_times(tmp_path: Path) -> None:
    need_simpleaudio()
    player, _ = capture_player(tmp_path, tmp_path / "capture.raw")
    player.prepare(["hold"])
    player.wait_ready(10.0)
    for _ in range(5):
        player.play("hold")
    player.close(drain=True)
    assert [name for name, _ in player.played] == ["hold"] * 5
    for (_, sent), (_, played) in zip(player.sent, player.played, strict=True):
        assert played >= sent  # the same monotonic clock on both sides


async def until(condition: Callable[[], bool], failure: str, limit: float = 5.0) -> None:
    """Await (letting the app run) until ``condition`` holds. The limit only stops a hang:
    the pipe closes within milliseconds of the kill."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(failure)
        await asyncio.sleep(0.01)


async def test_app_says_sound_off_once_when_the_player_dies(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    need_simpleaudio()
    from calmcoach.domain.session import State
    from calmcoach.ui.app import make_app
    from tests.clocks import FakeClock
    from tests.ui.helpers import advance, notices_told, session_opened, session_screen

    caplog.set_level(logging.INFO, logger="calmcoach.ui")

    player, rings = capture_player(tmp_path, tmp_path / "capture.raw")
    clock = FakeClock(100.0)
    app = make_app(clock=clock, cues=player, start="breathing-4-2-6", minutes=2, show_first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await session_opened(pilot)
        await advance(pilot, clock, 5.0)
        assert player.pid is not None
        os.kill(player.pid, signal.SIGKILL)
        await until(lambda: not player.working, "the player's death was not noticed")
        await advance(pilot, clock, 30.0)
        screen = session_screen(pilot)
        assert screen.session.state is State.RUNNING and screen.session.position() == 35.0
        # Toasts, and (during a session) its own notice line: every notice is logged.
        assert sum("sound off" in m for m in notices_told(caplog)) == 1
        assert rings  # the bell stood in


def test_cue_handed_over_ahead_starts_at_its_moment_and_not_before(tmp_path: Path) -> None:
    need_simpleaudio()
    capture = tmp_path / "capture.raw"
    player, rings = capture_player(tmp_path, capture)
    player.prepare(["hold", "inhale"])
    player.wait_ready(10.0)
    at = time.monotonic() + 0.3
    assert player.schedule("inhale", at)
    deadline = time.monotonic() + 5
    while not player.played and time.monotonic() < deadline:
        time.sleep(0.01)
    player.close(drain=True)
    assert [name for name, _ in player.played] == ["inhale"]
    assert player.played[0][1] >= at  # the player's own clock reached the moment first
    assert split_capture(wait_for_file(capture, len(cue_bytes()["inhale"])), cue_bytes()) == ["inhale"]
    assert rings == []


def test_a_later_cue_replaces_the_one_handed_over_and_cancel_drops_it(tmp_path: Path) -> None:
    need_simpleaudio()
    capture = tmp_path / "capture.raw"
    player, _ = capture_player(tmp_path, capture)
    player.prepare(["hold", "inhale", "exhale"])
    player.wait_ready(10.0)
    now = time.monotonic()
    assert player.schedule("inhale", now + 0.4)
    assert player.schedule("exhale", now + 0.2)  # replaces inhale
    time.sleep(0.5)
    assert player.schedule("hold", time.monotonic() + 0.2)
    player.cancel_scheduled()
    time.sleep(0.4)
    player.close(drain=True)
    assert [name for name, _ in player.played] == ["exhale"]
    assert split_capture(wait_for_file(capture, len(cue_bytes()["exhale"])), cue_bytes()) == ["exhale"]


def test_draining_right_at_the_end_keeps_a_cue_that_is_due(tmp_path: Path) -> None:
    need_simpleaudio()
    player, _ = capture_player(tmp_path, tmp_path / "capture.raw")
    player.prepare(["end"])
    player.wait_ready(10.0)
    assert player.schedule("end", time.monotonic())  # due now, as the session ends
    player.close(drain=True)
    assert [name for name, _ in player.played] == ["end"]


def test_muted_player_or_missing_cue_is_not_taken_ahead(tmp_path: Path) -> None:
    need_simpleaudio()
    player, _ = capture_player(tmp_path, tmp_path / "capture.raw")
    player.prepare(["inhale", "no-such-cue"])
    player.wait_ready(10.0)
    player.muted = True
    assert not player.schedule("inhale", time.monotonic() + 1)
    player.muted = False
    assert not player.schedule("no-such-cue", time.monotonic() + 1)  # no file: the bell stands in
    assert player.schedule("inhale", time.monotonic() + 1)
    player.close()
    assert player.played == []  # closed before its moment


def test_sounds_already_made_are_not_made_again(tmp_path: Path, library) -> None:
    """Eyes-closed tones are made once per player: running a session again waits for nothing."""
    need_simpleaudio()
    from calmcoach.audio import sounds_for

    player, _ = capture_player(tmp_path)
    try:
        timeline = plan(library.get("breathing-4-7-8"), PlanOptions(minutes=2))
        names, tones = sounds_for(timeline, True)
        assert tones  # eyes closed: a guide tone for each phase
        player.prepare(names, tones)
        assert player.wait_ready(10.0)
        player.prepare(names, tones)  # "Again": everything is there
        assert player.wait_ready(0)  # nothing was sent, so nothing to wait for
    finally:
        player.close()


def test_a_sound_due_but_not_yet_started_is_played_not_dropped_by_the_next_hand_over() -> None:
    """The app hands over the next boundary's sound as soon as it sees a boundary pass;
    on a busy machine that can come before the player's scheduler thread has woken for
    the one now due. That one must still play, once, before the next is set."""
    from calmcoach.audio.worker import Scheduler

    played: list[str] = []
    scheduler = Scheduler(played.append)
    try:
        now = time.monotonic()
        # Back to back, as the app's two lines arrive: the thread has had no time to run.
        scheduler.set("first", now - 0.001)
        scheduler.set("second", now + 60)
        for _ in range(100):  # the thread may be the one to play it: wait for it, bounded
            if played:
                break
            time.sleep(0.01)
        time.sleep(0.05)
        assert played == ["first"]
    finally:
        scheduler.stop()
