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
import functools
import glob
import io
import math
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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
RENDER_TIMEOUT = 120.0
"""Seconds one text may take to render before the engine is given up as hung."""
PROBE_TIMEOUT = 30.0
"""Seconds an engine may take to say which version it is."""

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
    values = [float(v) for v in raw[first:last]]
    mean = sum(values) / len(values)
    values = [v - mean for v in values]
    speech = [v for start in loud for v in values[max(0, start - first) : start - first + window]]
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


def _run(command: list[str], what: str, timeout: float) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError as error:
        raise VoiceError(f"{what} is not installed") from error
    except subprocess.TimeoutExpired as error:
        raise VoiceError(f"{what} took over {timeout:g} s") from error
    except OSError as error:
        raise VoiceError(f"{what} could not start ({error})") from error


def _version(command: list[str], what: str) -> str:
    done = _run(command, what, PROBE_TIMEOUT)
    match = re.search(r"(\d+\.\d+(?:\.\d+)?)", done.stdout + done.stderr)
    return match.group(1) if match else "unknown"


def _render_with(
    command: Callable[[Path, Path], list[str]], what: str, text: str
) -> tuple[Samples[int], int]:
    """Run an engine that reads a text file and writes a WAV file."""
    with tempfile.TemporaryDirectory(prefix="calmcoach-voice-") as tmp:
        source = Path(tmp) / "line.txt"
        target = Path(tmp) / "line.wav"
        source.write_text(text + "\n", "utf-8")
        done = _run(command(source, target), what, RENDER_TIMEOUT)
        if done.returncode != 0 or not target.exists():
            detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no message"]
            raise VoiceError(f"{what} failed ({detail[0]})")
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
