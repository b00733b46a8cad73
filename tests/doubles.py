"""Cue players for tests: the production players keep no record of what they played.

``RecordingPlayer`` is the silent player with a list of what was asked of it;
``RecordingProcessPlayer`` is the real player process, with what it reported back and
what was handed to it kept for the test. Both are for tests only: a player in a session
of hours must not keep a list that only grows.
"""

from __future__ import annotations

import time
from typing import Any

from calmcoach.audio import SilentPlayer
from calmcoach.audio.process import ProcessPlayer


class RecordingPlayer(SilentPlayer):
    """Plays nothing, and keeps the names asked for while not muted, in order."""

    def __init__(self, notice: str | None = None) -> None:
        super().__init__(notice)
        self.played: list[str] = []
        """Names asked for, in order (what would have played)."""

    def play(self, name: str) -> None:
        if not self.muted:
            self.played.append(name)
        super().play(name)


class RecordingProcessPlayer(ProcessPlayer):
    """The real player process; the test reads what it said it played and what was sent."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Before the player starts: its reader thread may report a play at once.
        self.played: list[tuple[str, float]] = []
        """(key, monotonic time of the play call in the player process) as it reported."""
        self.sent: list[tuple[str, float]] = []
        """(key, monotonic time the play line was written, or the moment given to ``schedule``)."""
        super().__init__(*args, **kwargs)

    @property
    def working(self) -> bool:
        """True while cues go to the player; False once it fell back to the bell."""
        return self._failed is None

    def _send(self, *words: str) -> bool:
        written_at = time.monotonic()
        sent = super()._send(*words)
        if sent and words[0] == "play":
            self.sent.append((words[1], written_at))
        elif sent and words[0] == "at":
            self.sent.append((words[1], float(words[2])))
        return sent

    def _answered(self, key: str, called: str | None) -> None:
        if called is not None:  # a "played" line, with the moment the player started it
            self.played.append((key, float(called)))
        super()._answered(key, called)
