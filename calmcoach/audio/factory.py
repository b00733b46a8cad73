"""Pick the cue player for this run."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

from calmcoach import locations
from calmcoach.audio import BellPlayer, CuePlayer, SilentPlayer, terminal_bell
from calmcoach.content import sound_dirs

LOG_NAME = "audio-player.log"


def make_player(*, no_sound: bool = False, bell: Callable[[], None] = terminal_bell) -> CuePlayer:
    """Silence for ``--no-sound``; simpleaudio in a player process; else the bell, said once."""
    if no_sound:
        return SilentPlayer()
    if importlib.util.find_spec("simpleaudio") is None:
        return BellPlayer(
            "sound off: simpleaudio is not installed (pip install 'calmcoach[audio]'). "
            "Using the terminal bell",
            bell=bell,
        )
    from calmcoach.audio.process import ProcessPlayer

    return ProcessPlayer(sound_dirs(), bell=bell, log_file=locations.state_dir() / LOG_NAME)
