"""Synthesize the soft cue sounds and the eyes-closed guide tones.

Standard library only. Samples are 16-bit signed mono at 44.1 kHz. Every sound
fades in and out (no clicks), has no DC offset, and is scaled to a common
loudness with its peak kept well below full scale.
"""

from __future__ import annotations

import array
import math
import wave
from collections.abc import Callable
from pathlib import Path

RATE = 44_100
"""Samples per second."""
PEAK_LIMIT = 0.7
"""Largest sample allowed, as a fraction of full scale (about -3 dBFS)."""
TARGET_RMS = 0.12
"""Loudness every cue is scaled to, as a fraction of full scale."""
FADE = 0.012
"""Seconds of fade at each end, long enough to avoid a click."""

Envelope = Callable[[float], float]


def _render(
    seconds: float,
    frequency: Callable[[float], float],
    envelope: Envelope,
    partials: tuple[tuple[float, float], ...] = ((1.0, 1.0),),
) -> list[float]:
    count = max(1, round(seconds * RATE))
    phase = 0.0
    out = []
    for n in range(count):
        t = n / RATE
        phase += 2.0 * math.pi * frequency(t) / RATE
        value = sum(weight * math.sin(phase * ratio) for ratio, weight in partials)
        out.append(value * envelope(t))
    return out


def _fade(samples: list[float], seconds: float = FADE) -> list[float]:
    length = min(len(samples) // 2, max(1, round(seconds * RATE)))
    for i in range(length):
        gain = 0.5 - 0.5 * math.cos(math.pi * i / length)
        samples[i] *= gain
        samples[-1 - i] *= gain
    return samples


def _finish(samples: list[float], rms: float = TARGET_RMS) -> array.array[int]:
    mean = sum(samples) / len(samples)
    samples = [s - mean for s in samples]
    samples = _fade(samples)
    current = math.sqrt(sum(s * s for s in samples) / len(samples)) or 1.0
    gain = rms / current
    peak = max(abs(s) for s in samples) * gain
    if peak > PEAK_LIMIT:
        gain *= PEAK_LIMIT / peak
    return array.array("h", (round(s * gain * 32767) for s in samples))


def _sweep(f0: float, f1: float, seconds: float) -> Callable[[float], float]:
    return lambda t: f0 * (f1 / f0) ** min(1.0, t / seconds)


def _swell(seconds: float) -> Envelope:
    return lambda t: math.sin(math.pi * min(1.0, t / seconds)) ** 0.8


def _decay(rate: float) -> Envelope:
    return lambda t: math.exp(-rate * t)


def cue_inhale() -> array.array[int]:
    """A soft rising glide."""
    return _finish(_render(0.7, _sweep(330.0, 523.0, 0.7), _swell(0.7), ((1, 1), (2, 0.15))))


def cue_exhale() -> array.array[int]:
    """A soft falling glide."""
    return _finish(_render(0.9, _sweep(523.0, 294.0, 0.9), _swell(0.9), ((1, 1), (2, 0.15))))


def cue_hold() -> array.array[int]:
    """A quiet wooden tick."""
    return _finish(_render(0.12, lambda t: 880.0, _decay(40.0), ((1, 1), (2.7, 0.3))), rms=0.08)


def cue_step() -> array.array[int]:
    """A two-note chime for a new step."""
    first = _render(0.35, lambda t: 659.0, _decay(7.0), ((1, 1), (2.0, 0.3), (3.0, 0.1)))
    second = _render(0.65, lambda t: 988.0, _decay(5.0), ((1, 1), (2.0, 0.25)))
    return _finish(first + second)


def cue_end() -> array.array[int]:
    """A gentle bell for the end of a session."""
    bell = ((1.0, 1.0), (2.0, 0.5), (2.76, 0.3), (5.4, 0.1))
    return _finish(_render(2.2, lambda t: 440.0, _decay(2.0), bell))


CUES: dict[str, Callable[[], array.array[int]]] = {
    "inhale": cue_inhale,
    "hold": cue_hold,
    "exhale": cue_exhale,
    "step": cue_step,
    "end": cue_end,
}
"""The built-in cue sounds, by name."""


def guide_tone(seconds: float, rising: bool) -> array.array[int]:
    """The eyes-closed tone for a phase: exactly ``seconds`` long, rising or falling."""
    low, high = 196.0, 392.0
    f0, f1 = (low, high) if rising else (high, low)
    return _finish(_render(seconds, _sweep(f0, f1, seconds), lambda t: 1.0), rms=0.05)


def steady_tone(seconds: float) -> array.array[int]:
    """A low steady tone for holds in eyes-closed mode."""
    return _finish(_render(seconds, lambda t: 147.0, lambda t: 1.0), rms=0.03)


def write_wav(path: Path, samples: array.array[int]) -> None:
    """Write 16-bit mono samples at ``RATE`` as a WAV file."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
