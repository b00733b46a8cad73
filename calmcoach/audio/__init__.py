"""Audio: the cue players, the player process and the voice; imports data and the domain, never a shell.

``CuePlayer`` is the small protocol the shells talk to. The real backend plays
WAVs through simpleaudio in a separate player process (``calmcoach.audio.process``);
the fallbacks are the terminal bell and silence.
"""

from __future__ import annotations

import array
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Protocol, TextIO

from calmcoach.domain.model import Pace
from calmcoach.domain.planner import Segment, Timeline

GuideTone = tuple[str, str, float]
"""For eyes-closed mode: (cue name or "", pace, seconds) of a phase to preload."""


END_CUE = "end"
"""The cue played when a session finishes."""

VOICE_PREFIX = "voice:"
"""Player keys of spoken lines start with this (cue names cannot hold a colon)."""

QUIET_PREFIX = VOICE_PREFIX + "quiet:"
"""Player keys of a long step's reminders: the player plays them softer (``QUIET_LEVEL``),
so they reassure without startling."""
QUIET_LEVEL = 0.6
"""How loud a reminder plays, as a share of a spoken line's level (about 4.4 dB softer)."""


def softer(pcm: bytes, width: int, level: float = QUIET_LEVEL) -> bytes:
    """16-bit samples scaled by ``level`` (8-bit and other widths are left as they are)."""
    if width != 2:
        return pcm
    samples = array.array("h", pcm)
    if sys.byteorder == "big":
        samples.byteswap()
    samples = array.array("h", (round(v * level) for v in samples))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def tone_key(pace: str, seconds: float) -> str:
    """The name under which an eyes-closed guide tone is preloaded."""
    return f"~{pace}-{seconds:g}"


def guide_key(cue: str | None, pace: str, seconds: float) -> str:
    """What plays for a phase in eyes-closed mode: its cue laid over the guide tone."""
    return f"{cue}{tone_key(pace, seconds)}" if cue else tone_key(pace, seconds)


def sounds_for(timeline: Timeline, eyes_closed: bool) -> tuple[list[str], list[GuideTone]]:
    """Every cue name and guide tone a session will play, to preload before it starts."""
    names = sorted({s.cue for s in timeline.segments if s.cue} | {END_CUE})
    tones: list[GuideTone] = []
    if eyes_closed:
        tones = sorted({(s.cue or "", s.pace.value, s.duration) for s in timeline.segments if _guided(s)})
    return names, tones


def _guided(segment: Segment) -> bool:
    return segment.cycle is not None and segment.pace is not Pace.REST and segment.duration > 0


def sound_for(segment: Segment, eyes_closed: bool) -> str | None:
    """What to play when ``segment`` starts: its cue, or with eyes closed, cue plus tone."""
    if eyes_closed and _guided(segment):
        return guide_key(segment.cue, segment.pace.value, segment.duration)
    return segment.cue


class CuePlayer(Protocol):
    """Plays cue sounds by name, without blocking."""

    muted: bool
    """When True, ``play`` does nothing."""

    clock: Callable[[], float] | None
    """The clock ``schedule`` keeps time on, or None if the player cannot schedule."""

    def prepare(
        self, names: Iterable[str], tones: Iterable[GuideTone] = (), voices: Mapping[str, Path] | None = None
    ) -> None:
        """Load these cues (and eyes-closed tones, and spoken lines: player key to WAV
        file) now, so no file is read at a boundary."""

    def wait_ready(self, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds until what ``prepare`` asked for is loaded;
        True when nothing is left to wait for (``wait_ready(0)`` asks without waiting)."""

    def play(self, name: str) -> None:
        """Start playing cue ``name`` (or a guide key) and return at once."""

    def schedule(self, name: str, at: float) -> bool:
        """Start ``name`` by itself when ``clock`` reaches ``at``, replacing any cue set
        before; False if this player cannot (the caller then plays it at the boundary)."""

    def cancel_scheduled(self) -> None:
        """Drop the cue set with ``schedule``, if it has not started."""

    def hush(self) -> None:
        """Stop every sound playing now (a sentence being spoken, say)."""

    def take_notice(self) -> str | None:
        """A one-time message about sound (such as falling back to the bell), or None."""

    def close(self, drain: bool = False) -> None:
        """Release the device and any helper process; ``drain`` lets the last cue finish."""


class SilentPlayer:
    """Plays nothing: for ``--no-sound``, and the base of the bell."""

    def __init__(self, notice: str | None = None) -> None:
        self.muted = False
        self.clock: Callable[[], float] | None = None
        self._notice = notice

    def prepare(
        self, names: Iterable[str], tones: Iterable[GuideTone] = (), voices: Mapping[str, Path] | None = None
    ) -> None:
        del names, tones, voices

    def wait_ready(self, timeout: float) -> bool:
        del timeout
        return True

    def play(self, name: str) -> None:
        del name

    def schedule(self, name: str, at: float) -> bool:
        del name, at
        return False

    def cancel_scheduled(self) -> None:
        pass

    def hush(self) -> None:
        pass

    def take_notice(self) -> str | None:
        notice, self._notice = self._notice, None
        return notice

    def close(self, drain: bool = False) -> None:
        del drain


def terminal_bell(stream: TextIO | None = None) -> None:
    """Ring the bell on a terminal (never into a pipe or file)."""
    stream = stream or sys.stdout
    try:
        if stream.isatty():
            stream.write("\a")
            stream.flush()
    except (OSError, ValueError):
        pass


class BellPlayer(SilentPlayer):
    """Rings the bell for every cue: the fallback when sound is off."""

    def __init__(self, notice: str | None = None, bell: Callable[[], None] = terminal_bell) -> None:
        super().__init__(notice)
        self._bell = bell

    def play(self, name: str) -> None:
        del name
        if not self.muted:
            self._bell()
