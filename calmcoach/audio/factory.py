"""Pick the cue player for this run."""

from __future__ import annotations

from calmcoach.audio import BellPlayer, CuePlayer, SilentPlayer


def make_player(*, no_sound: bool = False) -> CuePlayer:
    """Silence for ``--no-sound``; otherwise the best player that works here."""
    if no_sound:
        return SilentPlayer()
    return BellPlayer()
