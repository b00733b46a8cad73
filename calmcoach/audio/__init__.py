"""Audio cue players. The session works the same whichever one is in use.

``CuePlayer`` is the small protocol the shells talk to. The real backend plays
WAVs through simpleaudio in a separate player process (``calmcoach.audio.process``);
the fallbacks are the terminal bell and silence.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Protocol, TextIO


class CuePlayer(Protocol):
    """Plays cue sounds by name, without blocking."""

    muted: bool
    """When True, ``play`` does nothing."""

    def prepare(self, names: Iterable[str]) -> None:
        """Load these cues now, so that no file is read at a boundary."""

    def play(self, name: str) -> None:
        """Start playing cue ``name`` and return at once."""

    def take_notice(self) -> str | None:
        """A one-time message about sound (such as falling back to the bell), or None."""

    def close(self) -> None:
        """Release the device and any helper process."""


class SilentPlayer:
    """Plays nothing. For ``--no-sound`` and tests."""

    def __init__(self, notice: str | None = None) -> None:
        self.muted = False
        self.played: list[str] = []
        """Names asked for, in order (what would have played)."""
        self._notice = notice

    def prepare(self, names: Iterable[str]) -> None:
        del names

    def play(self, name: str) -> None:
        if not self.muted:
            self.played.append(name)

    def take_notice(self) -> str | None:
        notice, self._notice = self._notice, None
        return notice

    def close(self) -> None:
        pass


class BellPlayer(SilentPlayer):
    """Rings the terminal bell for every cue: the fallback when sound is off."""

    def __init__(self, notice: str | None = None, stream: TextIO | None = None) -> None:
        super().__init__(notice)
        self._stream = stream

    def play(self, name: str) -> None:
        if self.muted:
            return
        super().play(name)
        stream = self._stream or sys.stdout
        if stream.isatty():
            stream.write("\a")
            stream.flush()
