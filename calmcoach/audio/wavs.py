"""Check cue WAV files before a session, so nothing is read or refused at a boundary.

The app checks each file before a session (``check_wav``) and the player process
reads the samples with the same rules (``load_wav``), so a file changed in between
is caught there too, as a problem of that one cue.
"""

from __future__ import annotations

import io
import struct
import wave
from dataclasses import dataclass
from pathlib import Path

from calmcoach.data import safefile
from calmcoach.domain.visible import visible

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


def read_limited(path: Path, limit: int = MAX_WAV_BYTES) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them. Raises CueError.

    ``safefile.read_limited``'s rules: a FIFO never hangs the caller, and anything but
    a regular file (a FIFO, a device such as /dev/zero, a folder) is refused unread.
    """
    try:
        return safefile.read_limited(path, limit)
    except safefile.RefusedFile as error:
        raise CueError(str(error)) from error
    except OSError as error:
        raise CueError(f"cannot be read: {error.strerror or error}") from error


def _declared_data_size(data: bytes) -> int | None:
    """The size the ``data`` chunk's header gives, or None if there is no such chunk."""
    at = 12  # after "RIFF", the RIFF size and "WAVE"
    while at + 8 <= len(data):
        chunk_id, size = data[at : at + 4], struct.unpack_from("<I", data, at + 4)[0]
        if chunk_id == b"data":
            return int(size)
        at += 8 + size + (size & 1)
    return None


def _parse(name: str, path: Path, data: bytes) -> tuple[CueFile, bytes]:
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            claimed = wav.getnframes()
            pcm = wav.readframes(claimed)
    except (wave.Error, EOFError, struct.error) as error:
        raise CueError(f"is not a PCM WAV file ({visible(str(error))})") from error
    if channels not in (1, 2):
        raise CueError(f"has {channels} channels; use mono or stereo")
    if width not in PLAYABLE_WIDTHS:
        raise CueError(f"is {8 * width}-bit; use 16-bit PCM")
    if rate not in PLAYABLE_RATES:
        raise CueError(f"has a sample rate of {rate} Hz; use 44100 Hz")
    frame = channels * width
    declared = _declared_data_size(data)
    if declared is None:
        declared = len(pcm)
    if not pcm:
        if claimed:
            raise CueError(f"is empty: its header promises {claimed} frames but no sound follows")
        raise CueError("is empty")
    kind = f"{8 * width}-bit {'mono' if channels == 1 else 'stereo'}"
    for size in (declared, len(pcm)):
        if size % frame:
            raise CueError(
                f"has {size} bytes of sound, not a whole number of frames "
                f"({kind} takes {frame} bytes a frame)"
            )
    if len(pcm) < claimed * frame:
        raise CueError(f"is cut short: its header promises {claimed} frames but it holds {len(pcm) // frame}")
    return CueFile(name, path, channels, width, rate, len(pcm) // frame), pcm


def check_wav(name: str, path: Path) -> CueFile:
    """Open ``path`` and check that simpleaudio can play it. Raises CueError."""
    return _parse(name, path, read_limited(path))[0]


def load_wav(path: Path) -> tuple[CueFile, bytes]:
    """Check ``path`` like ``check_wav`` and give its samples too. Raises CueError."""
    return _parse(path.stem, path, read_limited(path))


def find_cues(names: list[str], dirs: tuple[Path, ...]) -> tuple[dict[str, CueFile], dict[str, str]]:
    """Locate and check each cue; later dirs override earlier ones.

    Returns the usable cues and, for the rest, why not.
    """
    found: dict[str, CueFile] = {}
    errors: dict[str, str] = {}
    for name in names:
        path = next((d / f"{name}.wav" for d in reversed(dirs) if (d / f"{name}.wav").exists()), None)
        if path is None:
            errors[name] = "no such sound"
            continue
        try:
            found[name] = check_wav(name, path)
        except CueError as error:
            errors[name] = f"{visible(path.name)} {error}"
    return found, errors
