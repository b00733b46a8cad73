"""The cue sounds: the right format, no clipping, no clicks, no DC, similar loudness."""

from __future__ import annotations

import array
import math
import wave
from pathlib import Path

import pytest

from calmcoach.audio import synth as tones

SOUNDS = Path(__file__).resolve().parent.parent / "sounds"
NAMES = ["inhale", "hold", "exhale", "step", "end"]


def samples(name: str) -> tuple[array.array[int], tuple[int, int, int]]:
    with wave.open(str(SOUNDS / f"{name}.wav"), "rb") as wav:
        data = array.array("h", wav.readframes(wav.getnframes()))
        return data, (wav.getsampwidth(), wav.getnchannels(), wav.getframerate())


def rms(values: array.array[int] | list[int]) -> float:
    return math.sqrt(sum(v * v for v in values) / len(values)) / 32768


@pytest.mark.parametrize("name", NAMES)
def test_format_is_16_bit_mono_44k(name: str) -> None:
    _, params = samples(name)
    assert params == (2, 1, 44100)


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [("inhale", 0.3, 1.5), ("hold", 0.05, 0.3), ("exhale", 0.3, 1.5), ("step", 0.3, 1.5), ("end", 1.0, 3.0)],
)
def test_cues_are_short(name: str, low: float, high: float) -> None:
    data, params = samples(name)
    assert low <= len(data) / params[2] <= high


@pytest.mark.parametrize("name", NAMES)
def test_peak_below_full_scale(name: str) -> None:
    data, _ = samples(name)
    assert max(abs(v) for v in data) / 32767 <= tones.PEAK_LIMIT + 1e-3


@pytest.mark.parametrize("name", NAMES)
def test_no_dc_offset(name: str) -> None:
    data, _ = samples(name)
    assert abs(sum(data) / len(data)) / 32768 < 0.002


@pytest.mark.parametrize("name", NAMES)
def test_fades_in_and_out(name: str) -> None:
    data, _ = samples(name)
    edge = 44  # the first and last millisecond
    assert abs(data[0]) < 200 and abs(data[-1]) < 200
    assert rms(data[:edge]) < rms(data) / 3
    assert rms(data[-edge:]) < rms(data) / 3


def test_similar_loudness() -> None:
    levels = {name: rms(samples(name)[0]) for name in NAMES if name != "hold"}
    assert max(levels.values()) / min(levels.values()) < 1.6, levels


@pytest.mark.parametrize("name", NAMES)
def test_files_match_the_generator(name: str) -> None:
    data, _ = samples(name)
    assert tones.CUES[name]().tobytes() == data.tobytes(), "run: python sounds/make_sounds.py"


@pytest.mark.parametrize("seconds", [2.0, 4.0, 5.5, 6.0])
@pytest.mark.parametrize("rising", [True, False])
def test_guide_tone_is_exactly_the_phase_long(seconds: float, rising: bool) -> None:
    tone = tones.guide_tone(seconds, rising)
    assert len(tone) == round(seconds * tones.RATE)
    assert abs(tone[0]) < 200 and abs(tone[-1]) < 200
