"""The session options (``--plain``, ``--speed``, ``--minutes``, ``--area``...), which may
be given before the command or after it, and their one reading into ``RunOptions``.

``argparse`` is imported only where a parser is built: plain ``calmcoach`` opens the
library without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from calmcoach.cli.common import err
from calmcoach.domain.model import BODY_AREAS, area_from_word, area_words_text

if TYPE_CHECKING:
    import argparse

    from calmcoach.services.launch import RunOptions


def _speed(value: str) -> float:
    import argparse

    try:
        speed = float(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from error
    if not 1.0 <= speed <= 100.0:
        raise argparse.ArgumentTypeError("speed must be from 1 to 100")
    return speed


def _minutes(value: str) -> float:
    import argparse

    try:
        minutes = float(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from error
    if not 0 < minutes <= 120:
        raise argparse.ArgumentTypeError("minutes must be more than 0 and at most 120")
    return minutes


SESSION_OPTIONS = ("plain", "speed", "no_sound", "eyes_closed", "reduced_motion", "voice", "minutes", "area")
"""Where each is read from the parsed arguments (``options_from``). Every one may be given
before the command or after it: both copies store in one place, and each is left out
where it was not given (``argparse.SUPPRESS``), so one copy never hides the other."""
FOR_THE_APP = ("no_sound", "reduced_motion", "voice")
"""Taken before any command (they set up the app, whatever opens it)."""
TAKES = {
    "run": SESSION_OPTIONS,
    "flare": tuple(name for name in SESSION_OPTIONS if name != "minutes"),
    "show": ("minutes", "area"),
    "log": ("area",),
}
"""The session options each command has of its own."""

AREA_HELP = (
    ", ".join(a.id for a in BODY_AREAS[:-1])
    + f" or {BODY_AREAS[-1].id} (also {', '.join(a.words[1] for a in BODY_AREAS)}...)"
)
"""How ``--area`` and ``AREA`` are described in ``--help``; the full list is :func:`area_words_text`."""


def add_session_options(
    parser: argparse.ArgumentParser, *, plain: bool = True, minutes: bool = True, area: bool = True
) -> None:
    """The session options (each stored only when given: see ``SESSION_OPTIONS``)."""
    import argparse

    suppress = argparse.SUPPRESS
    if minutes:
        parser.add_argument(
            "--minutes",
            type=_minutes,
            default=suppress,
            help="how long, for breathing exercises with a range",
        )
    if area:
        parser.add_argument(
            "--area",
            metavar="AREA",
            default=suppress,
            help=f"body area, for tension release and the flare routine: {AREA_HELP}",
        )
    if not plain:
        return
    parser.add_argument(
        "--plain",
        action="store_true",
        default=suppress,
        help="print one line per step instead of opening the app (automatic when output is not a terminal)",
    )
    parser.add_argument(
        "--speed",
        type=_speed,
        default=suppress,
        metavar="F",
        help="preview F times faster than real time (1 to 100)",
    )
    parser.add_argument("--no-sound", action="store_true", default=suppress, help="no audio cues, no voice")
    parser.add_argument(
        "--eyes-closed",
        action="store_true",
        default=suppress,
        help="add a soft tone that rises with each in-breath and falls with each out-breath",
    )
    parser.add_argument(
        "--reduced-motion",
        action="store_true",
        default=suppress,
        help="a still pacer: phase word and countdown, nothing moves",
    )
    voice = parser.add_mutually_exclusive_group()
    voice.add_argument(
        "--voice",
        action="store_const",
        const=True,
        default=suppress,
        help="speak every step (on by default where a step asks you to close your eyes, "
        "and with --eyes-closed; the app's v key remembers your choice)",
    )
    voice.add_argument(
        "--no-voice",
        action="store_const",
        const=False,
        dest="voice",
        default=suppress,
        help="no spoken guidance: tones and cues only (for a screen reader, say)",
    )


def resolve_area(args: argparse.Namespace) -> bool:
    """Turn the area word on the command line (``eye``, ``calf``, ``not-sure``) into its
    area id in ``args``; False, with one line naming the accepted words, for any other."""
    word = vars(args).get("area")
    if word is None:
        return True
    area = area_from_word(word)
    if area is None:
        shown = word if len(word) <= 40 else word[:40] + "..."
        err(f"unknown body area {shown!r}; use one of: {area_words_text()}")
        return False
    args.area = area
    return True


def options_from(args: argparse.Namespace) -> RunOptions:
    """The session options of a parsed command line, given before or after the command."""
    from calmcoach.services.launch import RunOptions

    given = vars(args)
    command = given.get("command")
    area = given.get("area")
    exercise = given.get("id") if command == "run" else ("flare" if command == "flare" and area else None)
    return RunOptions(
        exercise=exercise,
        minutes=given.get("minutes"),
        area=area,
        sound=not given.get("no_sound", False),
        voice=given.get("voice"),
        eyes_closed=given.get("eyes_closed", False),
        speed=given.get("speed", 1.0),
        reduced_motion=given.get("reduced_motion", False),
        plain=given.get("plain", False),
        flare=command == "flare",
        log_flare=command == "log",
    )
