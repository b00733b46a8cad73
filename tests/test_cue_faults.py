"""Faults in cue sounds and in the player process, with the real player and real ALSA.

A broken cue costs that cue only (the bell for it, said once; every other cue still
plays), and a player that stops answering is found within a moment, replaced by the
bell, and never waited on.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from calmcoach.audio.process import DRAIN_TIMEOUT, HUNG_AFTER, READY_TIMEOUT
from calmcoach.audio.wavs import CueError, check_wav, find_cues
from calmcoach.data import locations
from tests.helpers import (
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

HANG_LIMIT = 5.0
"""Hang guard for things that must not wait on a stuck file or player (they take a
fraction of a second; the faults they guard against wait forever or 10 s)."""


def raw_wav(
    path: Path, data: bytes, *, claimed: int | None = None, channels: int = 1, width: int = 2
) -> Path:
    """A WAV written byte by byte, so its data chunk can claim a size it does not hold."""
    rate = 44100
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * width, channels * width, 8 * width)
    size = len(data) if claimed is None else claimed
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", size) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(body)) + body)
    return path


def tone(frames: int) -> bytes:
    return b"\x10\x00\xf0\xff" * (frames // 2)


# --- the checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "words"),
    [
        pytest.param(lambda p: raw_wav(p, tone(100) + b"\x01"), "201 bytes of sound", id="odd-16-bit"),
        pytest.param(
            lambda p: raw_wav(p, tone(100) + b"\x01\x02", channels=2), "not a whole number", id="stereo-part"
        ),
        pytest.param(
            lambda p: raw_wav(p, tone(500) + b"\x01", claimed=2000), "1001 bytes of sound", id="cut-odd"
        ),
        pytest.param(lambda p: raw_wav(p, tone(500), claimed=2000), "is cut short", id="cut-even"),
        pytest.param(
            lambda p: raw_wav(p, b"", claimed=2000),
            "empty: its header promises 1000 frames",
            id="header-only",
        ),
    ],
)
def test_sound_data_that_does_not_fit_its_header_is_refused(
    tmp_path: Path, make: Callable[[Path], Path], words: str
) -> None:
    path = tmp_path / "cue.wav"
    make(path)
    with pytest.raises(CueError, match=words):
        check_wav("cue", path)


def test_a_whole_wav_passes_with_its_real_length(tmp_path: Path) -> None:
    cue = check_wav("cue", raw_wav(tmp_path / "cue.wav", tone(1000)))
    assert cue.frames == 1000 and cue.channels == 1 and cue.width == 2


def in_thread(action: Callable[[], object]) -> object:
    """``action``'s result or exception, or a failure if it is still running after HANG_LIMIT."""
    box: list[object] = []

    def run() -> None:
        try:
            box.append(action())
        except Exception as error:
            box.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HANG_LIMIT)
    assert not thread.is_alive(), "it waited on the file"
    return box[0]


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "folder"])
def test_what_is_not_a_regular_file_is_refused_without_waiting(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "cue.wav"
    if kind == "fifo":
        os.mkfifo(path)  # nobody writes: reading it would wait forever
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")  # reading it without a limit fills memory
    else:
        path.mkdir()
    error = in_thread(lambda: check_wav("cue", path))
    assert isinstance(error, CueError) and "not a regular file" in str(error)


def test_a_fifo_over_a_builtin_cue_is_that_cue_broken(tmp_path: Path) -> None:
    user = tmp_path / "user"
    user.mkdir()
    os.mkfifo(user / "inhale.wav")
    result = in_thread(lambda: find_cues(["inhale", "hold"], (SOUNDS, user)))
    assert isinstance(result, tuple)
    found, errors = result
    assert list(found) == ["hold"]
    assert errors == {"inhale": "inhale.wav is a FIFO (named pipe), not a regular file"}


# --- one broken cue, in the real player ------------------------------------------------------


class WorkerPipe:
    """The player process spoken to line by line, as ProcessPlayer does."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "calmcoach.audio.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )

    def ask(self, *words: str) -> list[str]:
        """Send one command and give the first reply that is not a heartbeat."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("\t".join(words) + "\n")
        self.process.stdin.flush()
        while True:
            reply = self.process.stdout.readline().rstrip("\n").split("\t")
            if reply[0] not in ("hello", "alive"):
                return reply

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=HANG_LIMIT)


def test_player_checks_what_it_loads_and_a_lost_cue_is_that_cue_only(tmp_path: Path) -> None:
    """A file that changed after the app's check is refused by the player itself, and a
    cue that cannot be played is reported as lost (not as the device failing)."""
    need_simpleaudio()
    capture = tmp_path / "capture.raw"
    worker = WorkerPipe(audio_env(dict(os.environ), tmp_path / "home", "capture.asoundrc", capture))
    broken = raw_wav(tmp_path / "gong.wav", tone(500) + b"\x01", claimed=2000)
    try:
        bad = worker.ask("load", "gong", str(broken))
        assert bad[:2] == ["bad", "gong"] and "not a whole number of frames" in bad[2]
        assert worker.ask("load", "inhale", str(SOUNDS / "inhale.wav")) == ["loaded", "inhale"]
        assert worker.ask("play", "gong")[:2] == ["lost", "gong"]
        assert worker.ask("play", "inhale")[:2] == ["played", "inhale"]
        assert worker.ask("drain", "3") == ["drained"]
    finally:
        worker.close()
    known = cue_bytes()
    assert split_capture(wait_for_file(capture, len(known["inhale"])), known) == ["inhale"]


def test_cue_lost_while_playing_rings_the_bell_for_it_alone(tmp_path: Path) -> None:
    need_simpleaudio()
    capture = tmp_path / "capture.raw"
    player, rings = capture_player(tmp_path, capture)
    player.prepare(["inhale", "hold"])
    player.wait_ready(10.0)
    player.play("gong")  # never loaded: the player cannot play it
    limit = time.monotonic() + HANG_LIMIT
    notice = None
    while notice is None and time.monotonic() < limit:
        time.sleep(0.02)
        notice = player.take_notice()
    assert notice is not None and "cue 'gong' cannot be played" in notice and "sound off" not in notice
    assert len(rings) == 1  # the bell stood in for it
    player.play("gong")
    assert len(rings) == 2  # from now on at once, without asking the player
    known = cue_bytes()
    size = 0
    for name in ("inhale", "hold"):
        before = len(player.played)
        player.play(name)
        while len(player.played) == before and time.monotonic() < limit:
            time.sleep(0.01)
        # Each playback reaches the file through a `cat` of its own: let this one land
        # before the next starts, or a busy machine may write them the other way round.
        size += len(known[name])
        wait_for_file(capture, size)
    player.close(drain=True)
    assert player.working and player.take_notice() is None  # said once
    assert len(rings) == 2
    assert split_capture(wait_for_file(capture, size), known) == [
        "inhale",
        "hold",
    ]


def test_a_broken_user_cue_leaves_every_other_cue_playing_in_a_session(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """The case that turned all sound off: a user cue whose data stops partway through
    a frame, used by a user exercise; the built-in cues must still be heard."""
    need_simpleaudio()
    sounds = locations.user_sounds_dir()
    sounds.mkdir(parents=True)
    raw_wav(sounds / "gong.wav", tone(500) + b"\x01", claimed=2000)
    exercises = locations.user_exercises_dir()
    exercises.mkdir(parents=True)
    shutil.copy(SOUNDS.parent / "exercises" / "breathing-4-2-6.toml", exercises / "gong-breathing.toml")
    path = exercises / "gong-breathing.toml"
    # Three breaths (about 2 s at 20x) are as telling as ten: every cue but the gong, each time.
    text = path.read_text().replace('cue = "inhale"', 'cue = "gong"')
    path.write_text(text.replace("minutes = { default = 3, min = 2, max = 5 }", "cycles = 3"))
    capture = tmp_path / "capture.raw"
    env = audio_env(cli_env, tmp_path / "home", "capture.asoundrc", capture)
    result = subprocess.run(
        [*calmcoach_command(), "run", "gong-breathing", "--plain", "--speed", "20"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "sound off" not in result.stdout
    assert result.stdout.count("cue 'gong'") == 1
    known = cue_bytes()
    expected = ["hold", "exhale"] * 3 + ["end"]
    assert split_capture(wait_for_file(capture, sum(len(known[n]) for n in expected)), known) == expected


# --- a player that stops answering ------------------------------------------------------------


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_stopped_player_is_noticed_replaced_by_the_bell_and_not_waited_on(tmp_path: Path) -> None:
    need_simpleaudio()
    player, rings = capture_player(tmp_path, tmp_path / "capture.raw")
    player.prepare(["inhale"])
    player.wait_ready(10.0)
    assert player.working and player.pid is not None
    pid = player.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        stopped = time.monotonic()
        notice = None
        while notice is None and time.monotonic() - stopped < HANG_LIMIT:
            player.play("inhale")  # a session goes on asking for cues
            time.sleep(0.05)
            notice = player.take_notice()
        assert notice is not None, "the stopped player was never noticed"
        assert notice.count("sound off") == 1 and "stopped answering" in notice
        assert player.hung_at is not None and player.hung_at > stopped
        assert not player.working
        rung = len(rings)
        player.play("inhale")
        assert len(rings) == rung + 1  # the bell, at once
        closing = time.monotonic()
        player.close(drain=True)
        # It must not wait out a drain (DRAIN_TIMEOUT + 1 s) on a player that cannot answer.
        assert time.monotonic() - closing < DRAIN_TIMEOUT
        assert gone(pid)
        assert player.take_notice() is None  # said once
    finally:
        if not gone(pid):
            os.kill(pid, signal.SIGKILL)


def test_player_stopped_before_a_session_does_not_hold_its_start(tmp_path: Path) -> None:
    need_simpleaudio()
    player, _ = capture_player(tmp_path, tmp_path / "capture.raw")
    player.prepare(["inhale"])
    player.wait_ready(10.0)
    pid = player.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        asked = time.monotonic()
        player.prepare(["hold", "exhale"])  # waits for the player's "ready"
        player.wait_ready(10.0)
        assert time.monotonic() - asked < READY_TIMEOUT / 2  # not the whole READY_TIMEOUT
        assert not player.working
        notice = player.take_notice()
        assert notice is not None and "stopped answering" in notice
        player.close()
        assert gone(pid)
    finally:
        if not gone(pid):
            os.kill(pid, signal.SIGKILL)


def test_a_player_that_does_not_read_never_blocks_a_play(tmp_path: Path) -> None:
    """Faster than the watchdog: cues written to a stopped player fill the pipe (64 KiB)."""
    need_simpleaudio()
    player, rings = capture_player(tmp_path, tmp_path / "capture.raw")
    player.prepare(["inhale"])
    player.wait_ready(10.0)
    pid = player.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:

        def flood() -> None:
            for _ in range(20000):  # about 300 KiB of "play" lines
                player.play("inhale")

        assert in_thread(flood) is None
        assert not player.working and rings
        player.close()
        assert gone(pid)
    finally:
        if not gone(pid):
            os.kill(pid, signal.SIGKILL)


def test_a_quiet_player_is_not_taken_for_a_stopped_one(tmp_path: Path) -> None:
    need_simpleaudio()
    player, rings = capture_player(tmp_path, tmp_path / "capture.raw")
    player.prepare(["inhale"])
    player.wait_ready(10.0)
    time.sleep(2 * HUNG_AFTER)  # nothing asked of it: its heartbeat alone keeps it trusted
    assert player.working and player.take_notice() is None
    player.play("inhale")
    player.close(drain=True)
    assert [name for name, _ in player.played] == ["inhale"] and rings == []


def test_a_stopped_player_is_known_from_the_kernel_not_from_a_missed_heartbeat(tmp_path: Path) -> None:
    """Nothing is asked of the stopped player, so only the kernel's word (the parent is
    told when its child stops) can give the reason checked here."""
    need_simpleaudio()
    if not hasattr(os, "waitid"):
        pytest.skip("no os.waitid here: a stopped player is noticed by its silence alone")
    player, rings = capture_player(tmp_path, tmp_path / "capture.raw")
    player.prepare(["inhale"])
    player.wait_ready(10.0)
    pid = player.pid
    assert pid is not None and player.working
    os.kill(pid, signal.SIGSTOP)
    try:
        limit = time.monotonic() + HANG_LIMIT
        notice = None
        while notice is None and time.monotonic() < limit:
            time.sleep(0.02)
            notice = player.take_notice()
        assert notice is not None, "the stopped player was never noticed"
        assert "its process was stopped" in notice and notice.count("sound off") == 1
        assert rings == []  # nothing was due, so nothing to ring for
        player.close()
        assert gone(pid)
    finally:
        if not gone(pid):
            os.kill(pid, signal.SIGKILL)


SILENT_PLAYER = "import time; print('hello', flush=True); print('alive', flush=True); time.sleep(120)"
"""A player that answers once and then says nothing more, without being stopped (a
freeze the kernel does not report: a C call holding the interpreter, say)."""


def test_a_player_frozen_without_being_stopped_is_noticed_by_its_silence(tmp_path: Path) -> None:
    from calmcoach.data.library import sound_dirs
    from tests.doubles import RecordingProcessPlayer

    rings: list[float] = []
    player = RecordingProcessPlayer(
        sound_dirs(),
        bell=lambda: rings.append(time.monotonic()),
        log_file=tmp_path / "player.log",
        command=[sys.executable, "-c", SILENT_PLAYER],
    )
    pid = player.pid
    assert pid is not None
    try:
        # Hang guard: HUNG_AFTER of silence is the rule, HANG_LIMIT more for a busy machine.
        limit = time.monotonic() + HUNG_AFTER + HANG_LIMIT
        notice = None
        while notice is None and time.monotonic() < limit:
            time.sleep(0.05)
            notice = player.take_notice()
        assert notice is not None, "the silent player was never noticed"
        assert "stopped answering" in notice and "its process was stopped" not in notice
        assert not player.working and player.hung_at is not None
        player.play("inhale")
        assert len(rings) == 1  # the bell stands in from now on
        player.close()
        assert gone(pid)  # killed: it would have slept two minutes
        assert player.take_notice() is None  # said once
    finally:
        if not gone(pid):
            os.kill(pid, signal.SIGKILL)


STUCK_PLAYER = """
import sys, threading, time
def beat():
    while True:
        print("alive", flush=True)
        time.sleep(0.2)
print("hello", flush=True)
threading.Thread(target=beat, daemon=True).start()
for line in sys.stdin:
    pass
"""
"""A player that reads every command and keeps its heartbeat, but never starts a cue (as
one stuck opening its sound device would, its heartbeat thread still running)."""


def test_a_player_that_beats_but_does_not_start_a_cue_is_given_up_with_a_bell_for_it(
    tmp_path: Path,
) -> None:
    from calmcoach.audio.process import CUE_LATE_AFTER
    from calmcoach.data.library import sound_dirs
    from tests.doubles import RecordingProcessPlayer

    rings: list[float] = []
    player = RecordingProcessPlayer(
        sound_dirs(),
        bell=lambda: rings.append(time.monotonic()),
        log_file=tmp_path / "player.log",
        command=[sys.executable, "-c", STUCK_PLAYER],
    )
    pid = player.pid
    assert pid is not None
    try:
        assert player.schedule("inhale", time.monotonic() + 0.3)
        # Hang guard: CUE_LATE_AFTER past the cue's moment is the rule; HANG_LIMIT for a busy
        # machine (its heartbeat alone would keep it trusted for ever).
        limit = time.monotonic() + 0.3 + CUE_LATE_AFTER + HANG_LIMIT
        notice = None
        while notice is None and time.monotonic() < limit:
            time.sleep(0.05)
            notice = player.take_notice()
        assert notice is not None, "the stuck player was never noticed"
        assert "stopped answering (cue 'inhale' did not start)" in notice
        assert len(rings) == 1  # the bell for the cue that did not play
        assert not player.working
        player.close()
        assert gone(pid)
    finally:
        if not gone(pid):
            os.kill(pid, signal.SIGKILL)


def test_a_cue_that_starts_or_is_withdrawn_is_not_taken_for_a_stuck_player(tmp_path: Path) -> None:
    need_simpleaudio()
    from calmcoach.audio.process import CUE_LATE_AFTER

    player, rings = capture_player(tmp_path, tmp_path / "capture.raw")
    player.prepare(["inhale", "hold"])
    player.wait_ready(10.0)
    limit = time.monotonic() + HANG_LIMIT
    assert player.schedule("inhale", time.monotonic() + 0.2)
    while not player.played and time.monotonic() < limit:
        time.sleep(0.02)
    assert [name for name, _ in player.played] == ["inhale"]
    assert player.schedule("hold", time.monotonic() + 0.2)
    player.cancel_scheduled()  # withdrawn (a pause): nothing will be said of it
    time.sleep(0.2 + 2 * CUE_LATE_AFTER)
    assert player.working and player.take_notice() is None
    player.close(drain=True)
    assert [name for name, _ in player.played] == ["inhale"] and rings == []


def test_a_cue_waiting_behind_the_sounds_still_loading_is_not_taken_for_a_stuck_player(
    tmp_path: Path,
) -> None:
    """A session can start before its sounds are all made (a busy machine: the app waits
    only so long). The player works through its loads in order, so a cue handed over
    meanwhile is late, not lost: the player is kept, and the cue plays once it gets to it."""
    need_simpleaudio()
    from calmcoach.audio.process import CUE_LATE_AFTER

    player, rings = capture_player(tmp_path, tmp_path / "capture.raw")
    # Long guide tones: making them keeps the player busy well past CUE_LATE_AFTER.
    player.prepare(["inhale"], [("", "inhale", 10.0), ("", "exhale", 12.0)])
    moment = time.monotonic()
    assert player.schedule("inhale", moment)
    busy = not player.wait_ready(0)
    assert player.wait_ready(HANG_LIMIT * 4), "the tones were never made (a hang)"
    loaded = time.monotonic()
    assert busy and loaded - moment > CUE_LATE_AFTER, "the loads were too quick to test anything"
    limit = time.monotonic() + HANG_LIMIT
    while not player.played and time.monotonic() < limit:
        time.sleep(0.02)
    assert [name for name, _ in player.played] == ["inhale"]
    assert player.working and player.take_notice() is None and rings == []
    player.close()


def test_a_quiet_player_writes_nothing_but_a_rare_heartbeat(tmp_path: Path) -> None:
    """The player's whole cost while nothing plays is its heartbeat, and that is at most
    one line a second (it was ten, most of the quiet player's CPU; a slower machine only
    writes fewer)."""
    need_simpleaudio()
    worker = WorkerPipe(
        audio_env(dict(os.environ), tmp_path / "home", "capture.asoundrc", tmp_path / "c.raw")
    )
    assert worker.ask("load", "inhale", str(SOUNDS / "inhale.wav")) == ["loaded", "inhale"]
    assert worker.process.stdin is not None and worker.process.stdout is not None
    worker.process.stdin.write(f"at\tinhale\t{time.monotonic() + 600!r}\n")  # a long hold
    worker.process.stdin.flush()
    lines: list[str] = []
    stdout = worker.process.stdout
    reader = threading.Thread(target=lambda: lines.extend(stdout), daemon=True)
    started = time.monotonic()
    reader.start()
    time.sleep(3.0)
    worker.close()  # its stdin closes: it ends, and the reader sees the end
    elapsed = time.monotonic() - started
    reader.join(HANG_LIMIT)
    assert not reader.is_alive()
    said = [line.rstrip("\n") for line in lines]
    assert set(said) <= {"alive"}, said  # the cue ten minutes ahead was never played
    assert said.count("alive") <= elapsed / 1.0 + 1


async def test_app_says_sound_off_within_a_moment_when_its_player_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Said by the app at once, not at the next step: the session clock does not move here."""
    need_simpleaudio()
    caplog.set_level(logging.INFO, logger="calmcoach.ui")
    from calmcoach.audio.process import ProcessPlayer
    from calmcoach.ui.app import make_app
    from tests.clocks import FakeClock

    env = audio_env(dict(os.environ), tmp_path / "home", "capture.asoundrc", tmp_path / "capture.raw")
    monkeypatch.setenv("HOME", env["HOME"])
    monkeypatch.setenv("CALMCOACH_ALSA_CAPTURE", env["CALMCOACH_ALSA_CAPTURE"])
    clock = FakeClock(100.0)
    app = make_app(clock=clock, start="breathing-4-2-6", minutes=2, show_first_run=False)
    pid = None
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            limit = time.monotonic() + HANG_LIMIT
            while not isinstance(app.cues, ProcessPlayer) and time.monotonic() < limit:
                await pilot.pause(0.02)
            assert isinstance(app.cues, ProcessPlayer) and app.cues.pid is not None
            pid = app.cues.pid
            await pilot.pause(0.2)
            os.kill(pid, signal.SIGSTOP)

            def notices() -> list[str]:
                """Toasts, and (during a session) what the session's notice line told."""
                from tests.ui.helpers import notices_told

                return notices_told(caplog)

            def said() -> int:
                return sum("sound off" in notice for notice in notices())

            while said() == 0 and time.monotonic() < limit:
                await pilot.pause(0.05)
            assert said() == 1
            assert "stopped answering" in next(notice for notice in notices() if "sound off" in notice)
    finally:
        if pid is not None and not gone(pid):
            os.kill(pid, signal.SIGKILL)
    assert pid is not None and gone(pid)
