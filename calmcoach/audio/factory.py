"""Pick the cue player for this run."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

from calmcoach.audio import BellPlayer, CuePlayer, SilentPlayer, terminal_bell
from calmcoach.data import locations
from calmcoach.data.library import sound_dirs

LOG_NAME = "audio-player.log"


def make_player(
    *,
    no_sound: bool = False,
    bell: Callable[[], None] = terminal_bell,
    on_notice: Callable[[], None] | None = None,
) -> CuePlayer:
    """Silence for ``--no-sound``; simpleaudio in a player process; else the bell, said once.

    ``on_notice`` is called from another thread when the player has news (see ProcessPlayer)."""
    if no_sound:
        return SilentPlayer()
    if importlib.util.find_spec("simpleaudio") is None:
        return BellPlayer(
            "sound off: simpleaudio is not installed (pip install 'calmcoach[audio]'). "
            "Using the terminal bell",
            bell=bell,
        )
    from calmcoach.audio.process import ProcessPlayer

    return ProcessPlayer(
        sound_dirs(), bell=bell, log_file=locations.state_dir() / LOG_NAME, on_notice=on_notice
    )
