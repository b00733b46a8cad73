"""Speech engines: a text in, a finished voice clip out.

The built-in exercises' clips are rendered at development time
(``sounds/make_voice.py``) with Festival and the CMU ARCTIC "slt" HTS voice. A
person's own exercise is rendered on the machine it runs on, the first time it is
used, by the first of these that is installed:

1. Festival with the same voice (``apt-get install festival festvox-us-slt-hts``):
   it sounds exactly like the built-in steps;
2. flite with its "slt" voice (``apt-get install flite``): the same speaker, a
   lighter engine;
3. espeak-ng (``apt-get install espeak-ng``): robotic, but everywhere.

Every clip, whichever engine made it, is trimmed, levelled and faded the same way
(:func:`finish`), so a person's own step is as loud as a built-in one.

Nothing here runs at import time; the engines are looked for on the first call.
"""

from __future__ import annotations

import array
import atexit
import contextlib
import functools
import glob
import io
import math
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from calmcoach.audio.wavs import PLAYABLE_RATES

RATE = 16_000
"""Samples per second of the built-in clips: plenty for speech, and it keeps them all
well inside the 12 MB budget."""
ENGINE = "festival"
VOICE = "cmu_us_slt_arctic_hts"
VOICE_PACKAGE = "festvox-us-slt-hts"
SPEED = 0.95
"""HTS speaking rate (``-r``): a little under 1 for an unhurried, calm pace."""
POST = 1
"""Version of the trimming and levelling in :func:`finish`: change it when they change."""
VOICE_KEY = f"{ENGINE}/{VOICE}/r{SPEED:g}/{RATE}/post{POST}"
"""Everything that decides how a built-in text sounds; part of each clip's file-name hash."""

TARGET_RMS = 0.1
"""Loudness of the speech itself (pauses left out), as a fraction of full scale:
close to the cues' 0.12, since speech has sharper peaks than a tone."""
PEAK_LIMIT = 0.7
"""Largest sample allowed, as for the cues (about -3 dBFS)."""
SILENCE = 0.01
"""A 10 ms window quieter than this (RMS, fraction of full scale) counts as silence."""
LEAD_IN = 0.02
TAIL = 0.08
"""Seconds kept before the first and after the last sound, so no syllable is clipped."""
FADE = 0.005
"""Seconds of fade at each end, against clicks."""
RENDER_TIMEOUT = 20.0
"""Seconds one text may take to render before the engine is given up on for that line
(Festival says a long sentence in about a second; a hostile text can take minutes)."""
PROBE_TIMEOUT = 3.0
"""Seconds an engine may take to say which version it is."""
MAX_MESSAGES = 64 * 1024
"""Bytes an engine may write to its output and error streams; one that writes more (a
runaway loop) is stopped. Only the last few lines are kept, for the notice."""
MAX_RAW_WAV = 4 * 1024 * 1024
"""Bytes of the WAV file an engine may write for one line (about 2 minutes at 16 kHz);
the kernel stops a larger write, and a file found larger is refused unread."""
POLL = 0.05
"""Seconds between two looks at a running engine (its time, its output, its file)."""

INSTALL_HINT = f"apt-get install {ENGINE} {VOICE_PACKAGE}"
ANY_ENGINE_HINT = f"install Festival ({INSTALL_HINT}), flite or espeak-ng"


class VoiceError(Exception):
    """The engine is missing or failed, or a clip does not fit."""


Samples = array.array  # 16-bit signed mono samples ("h")


@dataclass(frozen=True)
class Engine:
    """A speech program found on this machine."""

    name: str
    """What it is called in notices: "Festival (slt)", "flite (slt)", "espeak-ng"."""
    key: str
    """Its program version and voice settings: a clip made with another key is made again."""
    render: Callable[[str], tuple[Samples[int], int]]
    """Speak a text: raw 16-bit mono samples and their rate, not yet :func:`finish`-ed."""


# --- WAV in and out --------------------------------------------------------------


def read_wav(path: Path) -> tuple[Samples[int], int]:
    """The samples of a 16-bit mono WAV file, and its rate."""
    try:
        with wave.open(str(path), "rb") as wav:
            if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
                raise VoiceError(
                    f"{path}: expected 16-bit mono, got {wav.getsampwidth() * 8}-bit, "
                    f"{wav.getnchannels()} channels"
                )
            samples = array.array("h", wav.readframes(wav.getnframes()))
            rate = wav.getframerate()
    except (OSError, EOFError, wave.Error) as error:
        raise VoiceError(f"{path}: not a WAV file the voice can use ({error})") from error
    if rate not in PLAYABLE_RATES:
        # The header is the engine's word only: a rate of 0 cannot be written back, an
        # absurd one makes the work on the clip nonsense, and the player refuses any other
        # (the clip would be made again on every run).
        raise VoiceError(f"{path}: a sample rate of {rate} Hz is not one the voice can use")
    if sys.byteorder == "big":
        samples.byteswap()
    return samples, rate


def wav_bytes(samples: Samples[int], rate: int = RATE) -> bytes:
    """``samples`` as a 16-bit mono WAV file at ``rate``."""
    data = array.array("h", samples)
    if sys.byteorder == "big":
        data.byteswap()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(data.tobytes())
    return buffer.getvalue()


def finish(raw: Samples[int], rate: int = RATE) -> Samples[int]:
    """Trim the silence around the speech, level it, and fade its ends.

    The clip starts with the first sound (so the voice is on time at its boundary)
    and is scaled so the speech reaches ``TARGET_RMS`` unless that would push a peak
    past ``PEAK_LIMIT``.
    """
    window = max(1, round(0.01 * rate))
    floor = (SILENCE * 32768) ** 2 * window
    loud = [
        start
        for start in range(0, len(raw), window)
        if sum(v * v for v in raw[start : start + window]) > floor
    ]
    if not loud:
        raise VoiceError("the engine returned silence")
    first = max(0, loud[0] - round(LEAD_IN * rate))
    last = min(len(raw), loud[-1] + window + round(TAIL * rate))
    # Arrays of doubles, not lists: a long clip costs 8 bytes a sample, not 32.
    values = array.array("d", raw[first:last])
    mean = sum(values) / len(values)
    values = array.array("d", (v - mean for v in values))
    speech = array.array("d")
    for start in loud:
        speech.extend(values[max(0, start - first) : start - first + window])
    rms = math.sqrt(sum(v * v for v in speech) / len(speech)) / 32768 or 1.0
    peak = max(abs(v) for v in values) / 32768 or 1.0
    gain = min(TARGET_RMS / rms, PEAK_LIMIT / peak)
    fade = round(FADE * rate)
    out = array.array("h", [0] * len(values))
    for i, v in enumerate(values):
        edge = min(i, len(values) - 1 - i)
        shape = 0.5 - 0.5 * math.cos(math.pi * edge / fade) if edge < fade else 1.0
        out[i] = max(-32767, min(32767, round(v * gain * shape)))
    return out


# --- the engines -------------------------------------------------------------------


class VoiceCancelled(VoiceError):
    """Rendering was stopped because calmcoach is closing: not the line's fault."""


_running: set[subprocess.Popen[bytes]] = set()
_running_lock = threading.Lock()
_closing = False


@atexit.register
def stop_engines() -> None:
    """Stop every engine still running (a line being made for the cache while a session
    ran): no speech program outlives calmcoach."""
    global _closing
    _closing = True
    with _running_lock:
        running = list(_running)
    for process in running:
        _kill(process)


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Kill the engine and whatever it started (its own process group)."""
    with contextlib.suppress(OSError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        process.kill()


def _limit_files(pid: int, limit: int) -> None:
    """Have the kernel refuse the engine any file write past ``limit`` bytes (Linux; on
    other systems the file's size is only watched)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not a POSIX system
        return
    prlimit = getattr(resource, "prlimit", None)
    if prlimit is not None:
        with contextlib.suppress(OSError, ValueError):
            prlimit(pid, resource.RLIMIT_FSIZE, (limit, limit))


def run_bounded(
    command: list[str], what: str, timeout: float, output: Path | None = None, output_limit: int = MAX_RAW_WAV
) -> tuple[int, str]:
    """Run a speech program and return its exit code and the end of what it printed,
    decoded with replacement (any bytes at all). Raises VoiceError when it cannot start,
    runs past ``timeout`` seconds, prints more than MAX_MESSAGES bytes, or grows the file
    ``output`` past ``output_limit`` bytes; it is then killed with what it started."""
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group, so its children are stopped with it
        )
    except FileNotFoundError as error:
        raise VoiceError(f"{what} is not installed") from error
    except OSError as error:
        raise VoiceError(f"{what} could not start ({error})") from error
    if output is not None:
        _limit_files(process.pid, output_limit)
    with _running_lock:
        _running.add(process)
    assert process.stdout is not None
    stream = process.stdout.fileno()
    os.set_blocking(stream, False)
    kept = bytearray()
    written = 0
    problem: str | None = None
    deadline = time.monotonic() + timeout
    try:
        while problem is None:
            if _closing:
                raise VoiceCancelled(f"{what} was stopped: calmcoach is closing")
            left = deadline - time.monotonic()
            if left <= 0:
                problem = f"{what} took over {timeout:g} s"
                break
            ready, _, _ = select.select([stream], [], [], min(left, POLL))
            if ready:
                try:
                    chunk = os.read(stream, 65536)
                except BlockingIOError:
                    chunk = None
                if chunk == b"":  # every writer closed it: wait for the exit, bounded
                    try:
                        process.wait(timeout=max(0.0, deadline - time.monotonic()))
                    except subprocess.TimeoutExpired:
                        problem = f"{what} took over {timeout:g} s"
                    break
                if chunk:
                    written += len(chunk)
                    kept += chunk
                    del kept[:-4096]
                    if written > MAX_MESSAGES:
                        problem = f"{what} printed more than {MAX_MESSAGES // 1024} KiB"
            if output is not None and problem is None:
                with contextlib.suppress(OSError):
                    if output.stat().st_size > output_limit:
                        problem = f"{what} made a sound file over {output_limit // (1024 * 1024)} MiB"
    finally:
        if problem is not None or process.poll() is None:
            _kill(process)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
        process.stdout.close()
        with _running_lock:
            _running.discard(process)
    if _closing:  # killed by stop_engines: not the line's fault
        raise VoiceCancelled(f"{what} was stopped: calmcoach is closing")
    if problem is not None:
        raise VoiceError(problem)
    return process.returncode, kept.decode("utf-8", "replace")


def _version(command: list[str], what: str) -> str:
    _code, text = run_bounded(command, what, PROBE_TIMEOUT)
    match = re.search(r"(\d+\.\d+(?:\.\d+)?)", text)
    return match.group(1) if match else "unknown"


def _render_with(
    command: Callable[[Path, Path], list[str]], what: str, text: str
) -> tuple[Samples[int], int]:
    """Run an engine that reads a text file and writes a WAV file, within its bounds."""
    with tempfile.TemporaryDirectory(prefix="calmcoach-voice-") as tmp:
        source = Path(tmp) / "line.txt"
        target = Path(tmp) / "line.wav"
        source.write_text(text + "\n", "utf-8")
        code, said = run_bounded(command(source, target), what, RENDER_TIMEOUT, output=target)
        if code != 0 or not target.exists():
            detail = said.strip().splitlines()[-1:] or ["no message"]
            raise VoiceError(f"{what} failed ({detail[0]})")
        if target.stat().st_size > MAX_RAW_WAV:
            raise VoiceError(f"{what} made a sound file over {MAX_RAW_WAV // (1024 * 1024)} MiB")
        return read_wav(target)


def festival_command(source: Path, target: Path) -> list[str]:
    """text2wave with the built-in clips' voice, rate and speed."""
    return [
        "text2wave",
        "-F",
        str(RATE),
        "-eval",
        f"(voice_{VOICE})",
        "-eval",
        f'(set! hts_engine_params (append hts_engine_params (list (list "-r" {SPEED}))))',
        "-o",
        str(target),
        str(source),
    ]


def festival_render(text: str) -> Samples[int]:
    """Speak ``text`` with Festival and the HTS voice: raw 16-bit mono samples at ``RATE``."""
    try:
        samples, _rate = _render_with(festival_command, "Festival", text)
    except VoiceError as error:
        raise VoiceError(f"{error} on {text!r}; is the voice installed? {INSTALL_HINT}") from error
    return samples


def festival_version() -> str:
    """``festival 2.5.0``, or VoiceError when Festival is not installed."""
    if shutil.which("festival") is None or shutil.which("text2wave") is None:
        raise VoiceError(f"Festival is not installed; install it with: {INSTALL_HINT}")
    return f"{ENGINE} {_version(['festival', '--version'], 'Festival')}"


def _festival_voice_installed() -> bool:
    """True when Festival and the slt HTS voice are both installed (no engine is run)."""
    if shutil.which("text2wave") is None or shutil.which("festival") is None:
        return False
    return bool(glob.glob(f"/usr/share/festival/voices/*/{VOICE}")) or bool(
        glob.glob(f"/usr/local/share/festival/voices/*/{VOICE}")
    )


def _festival() -> Engine | None:
    if not _festival_voice_installed():
        return None
    return Engine(
        "Festival (slt)", f"{festival_version()}/{VOICE_KEY}", lambda text: (festival_render(text), RATE)
    )


def _flite() -> Engine | None:
    if shutil.which("flite") is None:
        return None
    version = _version(["flite", "--version"], "flite")

    def render(text: str) -> tuple[Samples[int], int]:
        return _render_with(
            lambda s, t: ["flite", "-voice", "slt", "-f", str(s), "-o", str(t)], "flite", text
        )

    return Engine("flite (slt)", f"flite {version}/slt/post{POST}", render)


def _espeak() -> Engine | None:
    if shutil.which("espeak-ng") is None:
        return None
    version = _version(["espeak-ng", "--version"], "espeak-ng")
    words_per_minute = 150  # a little under its default 175: calmer

    def render(text: str) -> tuple[Samples[int], int]:
        return _render_with(
            lambda s, t: ["espeak-ng", "-s", str(words_per_minute), "-f", str(s), "-w", str(t)],
            "espeak-ng",
            text,
        )

    return Engine("espeak-ng", f"espeak-ng {version}/s{words_per_minute}/post{POST}", render)


ENGINES: tuple[Callable[[], Engine | None], ...] = (_festival, _flite, _espeak)
"""The engines in the order they are tried."""


@functools.cache
def find_engine() -> Engine | None:
    """The first speech engine installed here, or None (looked for once per process)."""
    for candidate in ENGINES:
        try:
            engine = candidate()
        except VoiceError:
            continue
        if engine is not None:
            return engine
    return None
