"""``make_app``: the one factory the CLI and the tests share (``calmcoach.ui.app`` gives it too)."""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from calmcoach.data import locations
from calmcoach.data.library import load_default_library
from calmcoach.data.loader import Library, ParseCache
from calmcoach.domain.model import AREAS
from calmcoach.domain.visible import visible
from calmcoach.services.launch import RunOptions

if TYPE_CHECKING:
    from calmcoach.audio import CuePlayer
    from calmcoach.audio.voice import Voices
    from calmcoach.domain.session import Clock
    from calmcoach.ui.app import CalmApp

log = logging.getLogger("calmcoach.ui")

CELL_ASPECT: Final = "CALMCOACH_CELL_ASPECT"
"""A terminal cell's height over its width, where it is not the usual 2 (the desktop
server sets it for its page; a person may for a terminal with an unusual font)."""
CELL_ASPECTS: Final = (1.0, 4.0)
"""The cell shapes taken; anything else is a mistake, not a font."""


def cell_aspect(environment: Mapping[str, str]) -> float | None:
    """The cell shape ``environment`` gives, or None when it gives none or a wrong one
    (logged once, and the usual shape kept)."""
    text = environment.get(CELL_ASPECT)
    if text is None:
        return None
    try:
        aspect = float(text[:40])
    except ValueError:
        aspect = math.nan
    low, high = CELL_ASPECTS
    if len(text) > 40 or not low <= aspect <= high:  # NaN fails both
        log.warning("%s=%s ignored: not a number from %g to %g", CELL_ASPECT, visible(text[:40]), low, high)
        return None
    return aspect


def make_app(
    options: RunOptions | None = None,
    *,
    start: str | None = None,
    area: str | None = None,
    minutes: float | None = None,
    flare: bool = False,
    reduced_motion: bool = False,
    no_sound: bool = False,
    eyes_closed: bool = False,
    clock: Clock | None = None,
    library: Library | None = None,
    cues: CuePlayer | None = None,
    show_first_run: bool | None = None,
    history: bool = True,
    speed: float = 1.0,
    log_flare: bool = False,
    voice: bool | None = None,
    voices: Voices | None = None,
) -> CalmApp:
    """Build the app, as the CLI runs it (``options``, parsed from the command line) and
    as the tests drive it (the same options one by one, a clock, players)."""
    if options is None:
        options = RunOptions(
            exercise=start,
            minutes=minutes,
            area=area,
            sound=not no_sound,
            voice=voice,
            eyes_closed=eyes_closed,
            speed=speed,
            reduced_motion=reduced_motion,
            flare=flare,
            log_flare=log_flare,
        )
    aspect = cell_aspect(os.environ)  # read once, here, as the app starts
    if aspect is not None:
        options = dataclasses.replace(options, cell_aspect=aspect)
    if options.area is not None and options.area not in AREAS:
        raise ValueError(f"unknown area {options.area!r}")
    cache = None
    if library is None:
        cache = ParseCache(locations.parse_cache_file())
        library = load_default_library(cache)
    if clock is None and options.speed != 1.0:
        from calmcoach.domain.session import ScaledClock

        clock = ScaledClock(options.speed)
    from calmcoach.ui.app import CalmApp  # here: the app's module gives this factory too

    app = CalmApp(
        history=history,
        library=library,
        clock=clock or time.monotonic,
        cues=cues,
        options=options,
        show_first_run=show_first_run,
        voices=voices,
    )
    app.parse_cache = cache
    from calmcoach.ui.trace import install

    install(app)  # the benchmarks' hooks, when their environment asks
    return app
