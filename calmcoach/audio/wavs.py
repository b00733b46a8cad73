"""Check cue WAV files before a session, so nothing is read or refused at a boundary."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

MAX_WAV_BYTES = 4 * 1024 * 1024
"""Cue files larger than this are refused: a cue is a short sound."""
PLAYABLE_RATES = {8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000}
PLAYABLE_WIDTHS = {1, 2}


class CueError(ValueError):
    """A cue sound that cannot be used, with the reason in plain words."""


@dataclass(frozen=True)
class CueFile:
    """A checked WAV: where it is and how to play it."""

    name: str
    path: Path
    channels: int
    width: int
    rate: int
    frames: int

    @property
    def seconds(self) -> float:
        """Length of the sound."""
        return self.frames / self.rate


def check_wav(name: str, path: Path) -> CueFile:
    """Open ``path`` and check that simpleaudio can play it. Raises CueError."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise CueError(f"cannot be read: {error.strerror or error}") from None
    if size > MAX_WAV_BYTES:
        raise CueError(f"is too large ({size // 1024} KiB; at most {MAX_WAV_BYTES // 1024} KiB)")
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, rate, frames = (
                wav.getnchannels(),
                wav.getsampwidth(),
                wav.getframerate(),
                wav.getnframes(),
            )
    except (wave.Error, EOFError) as error:
        raise CueError(f"is not a PCM WAV file ({error})") from None
    except OSError as error:
        raise CueError(f"cannot be read: {error.strerror or error}") from None
    if channels not in (1, 2):
        raise CueError(f"has {channels} channels; use mono or stereo")
    if width not in PLAYABLE_WIDTHS:
        raise CueError(f"is {8 * width}-bit; use 16-bit PCM")
    if rate not in PLAYABLE_RATES:
        raise CueError(f"has a sample rate of {rate} Hz; use 44100 Hz")
    if frames == 0:
        raise CueError("is empty")
    return CueFile(name, path, channels, width, rate, frames)


def find_cues(names: list[str], dirs: tuple[Path, ...]) -> tuple[dict[str, CueFile], dict[str, str]]:
    """Locate and check each cue; later dirs override earlier ones.

    Returns the usable cues and, for the rest, why not.
    """
    found: dict[str, CueFile] = {}
    errors: dict[str, str] = {}
    for name in names:
        path = next((d / f"{name}.wav" for d in reversed(dirs) if (d / f"{name}.wav").is_file()), None)
        if path is None:
            errors[name] = "no such sound"
            continue
        try:
            found[name] = check_wav(name, path)
        except CueError as error:
            errors[name] = f"{path.name} {error}"
    return found, errors
