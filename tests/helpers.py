"""Helpers that several test files share (the UI's own are in tests/ui/helpers.py).

Test files import from here, never from each other or from ``conftest``.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import wave
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from calmcoach.data import locations
from calmcoach.data.history import History
from calmcoach.data.library import sound_dirs
from calmcoach.services.record import Recorder
from tests.doubles import RecordingProcessPlayer


def calmcoach_command() -> list[str]:
    """The installed ``calmcoach`` script beside this Python, or ``python -m calmcoach``."""
    script = Path(sys.executable).parent / "calmcoach"
    if script.exists():
        return [str(script)]
    found = shutil.which("calmcoach")
    return [found] if found else [sys.executable, "-m", "calmcoach"]


def with_default_sigint(command: list[str]) -> list[str]:
    """``command``, started with SIGINT at its default, as Ctrl+C finds it in a terminal.

    A test run started in the background (``nohup``, ``&`` in a script) ignores SIGINT,
    and a child inherits that: Python then installs no KeyboardInterrupt handler, and the
    signal a test sends is lost. This resets it in the child just before ``exec``.
    """
    reset = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])"
    return [sys.executable, "-c", reset, *command]


# --- History ------------------------------------------------------------------------------

QUICK_BREATH = """
title = "Quick breath"
kind = "breathing"
summary = "Two phases of a second each: a real session that ends in seconds."
cycles = {cycles}

[[phase]]
pace = "inhale"
seconds = 1
say = "In"

[[phase]]
pace = "exhale"
seconds = 1
say = "Out"
"""


def quick_breath(cycles: int = 1) -> list[str]:
    """A real-time session (no --speed: a preview is not recorded) that lasts ``2 * cycles`` s:
    the command that runs it in plain mode. The exercise is written to the user's folder."""
    folder = locations.user_exercises_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "quick-breath.toml").write_text(QUICK_BREATH.format(cycles=cycles))
    return [*calmcoach_command(), "run", "quick-breath", "--plain", "--no-sound"]


def settle(recorder: Recorder) -> None:
    """Wait for the recorder's writer to have done every write asked for so far."""
    assert recorder.writer is not None
    assert recorder.writer.flush(10.0), "the history writer did not catch up within 10 s (a hang)"


def month_of_data(history: History, today: date) -> None:
    """Thirty days up to ``today``: a rated 4-2-6 session on three days in four, and an
    eyelid flare logged every other day."""
    for back in range(30):
        day = datetime.combine(today - timedelta(days=back), datetime.min.time(), tzinfo=UTC) + timedelta(
            hours=8
        )
        if back % 4 == 3:
            continue
        sid = history.start_session("breathing-4-2-6", "4-2-6 breathing", 180, now=day, rating_before=6)
        history.end_session(sid, "finished", seconds=60.0 * (1 + back % 5), cycles=5, steps=15, now=day)
        history.rate_session(sid, after=3)
        if back % 2 == 0:
            history.log_flare("eyelid", 4 + back % 3, ["caffeine"] if back % 3 else ["poor sleep"], now=day)


# --- Real audio: ALSA's file plugin captures what the player plays ----------------------

FIXTURES = Path(__file__).resolve().parent / "audio_fixtures"
SOUNDS = Path(__file__).resolve().parent.parent / "sounds"
CUE_NAMES = ["inhale", "hold", "exhale", "step", "end"]


def need_simpleaudio() -> None:
    """Skip where simpleaudio is missing, with the reason; in CI that is a failure."""
    try:
        import simpleaudio  # noqa: F401
    except ImportError as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"simpleaudio is required in CI: {error}")
        pytest.skip(f"simpleaudio is not installed ({error}); pip install '.[audio]'")


def cue_bytes() -> dict[str, bytes]:
    out = {}
    for name in CUE_NAMES:
        with wave.open(str(SOUNDS / f"{name}.wav"), "rb") as wav:
            out[name] = wav.readframes(wav.getnframes())
    return out


def split_capture(data: bytes, known: dict[str, bytes]) -> list[str]:
    """Cut a capture into the known cues it is made of, in order; fail on anything else."""
    found = []
    at = 0
    while at < len(data):
        for name, pcm in known.items():
            if data.startswith(pcm, at):
                found.append(name)
                at += len(pcm)
                break
        else:
            raise AssertionError(f"unknown audio at byte {at} after {found[-3:]}")
    return found


def audio_env(base: dict[str, str], home: Path, asoundrc: str, capture: Path | None = None) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / asoundrc, home / ".asoundrc")
    env = dict(base)
    env["HOME"] = str(home)
    if capture is not None:
        env["CALMCOACH_ALSA_CAPTURE"] = str(capture)
    return env


def wait_for_file(path: Path, size: int, timeout: float = 5.0) -> bytes:
    """The pipe to the capture file is flushed when the device closes: wait for it."""
    limit = time.monotonic() + timeout
    while time.monotonic() < limit:
        if path.exists() and path.stat().st_size >= size:
            break
        time.sleep(0.05)
    time.sleep(0.1)
    return path.read_bytes() if path.exists() else b""


def capture_player(
    tmp_path: Path, capture: Path | None = None, asoundrc: str = "capture.asoundrc"
) -> tuple[RecordingProcessPlayer, list[float]]:
    """A real player process whose ALSA device is ``asoundrc`` (the capture file plugin by
    default, writing to ``capture``), and the moments its bell rang."""

    env = audio_env(dict(os.environ), tmp_path / "home", asoundrc, capture)
    rings: list[float] = []
    player = RecordingProcessPlayer(
        sound_dirs(), bell=lambda: rings.append(time.monotonic()), log_file=tmp_path / "player.log", env=env
    )
    return player, rings
