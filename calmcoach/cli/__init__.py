"""The ``calmcoach`` command: parsing, and every subcommand.

Only the standard library and the core are imported at the top, so that
``calmcoach --version``, ``list`` and ``validate`` start fast and never load
Textual. The app, the audio player and the history load when a command needs them;
the ``history`` and ``log`` commands are in :mod:`calmcoach.cli.history`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

from calmcoach import __version__
from calmcoach.cli import terminal
from calmcoach.domain.describe import (
    adjustable_minutes,
    area_choices,
    breath_text,
    breaths_text,
    clock_text,
    exercise_lengths,
    length_text,
    length_words,
    number_text,
    part_heading,
    plural,
    ramp_texts,
    safety_notes,
)
from calmcoach.domain.model import BODY_AREAS, Exercise, Origin, area_from_word, area_key, area_words_text
from calmcoach.domain.planner import PlanError, PlanOptions, Timeline, areas_of, plan
from calmcoach.domain.visible import visible

if TYPE_CHECKING:
    import argparse

    from calmcoach.audio.voice import VoicePlan
    from calmcoach.data.loader import Library, Problem
    from calmcoach.services.launch import RunOptions, SessionSetup

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


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


def _add_session_options(
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


AREA_HELP = (
    ", ".join(a.id for a in BODY_AREAS[:-1])
    + f" or {BODY_AREAS[-1].id} (also {', '.join(a.words[1] for a in BODY_AREAS)}...)"
)
"""How ``--area`` and ``AREA`` are described in ``--help``; the full list is :func:`area_words_text`."""


def resolve_area(args: argparse.Namespace) -> bool:
    """Turn the area word on the command line (``eye``, ``calf``, ``not-sure``) into its
    area id in ``args``; False, with one line naming the accepted words, for any other."""
    word = vars(args).get("area")
    if word is None:
        return True
    area = area_from_word(word)
    if area is None:
        shown = word if len(word) <= 40 else word[:40] + "..."
        _err(f"unknown body area {shown!r}; use one of: {area_words_text()}")
        return False
    args.area = area
    return True


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="calmcoach",
        description="A guided breathing and relaxation coach for the terminal. "
        "With no command, opens the exercise library.",
    )
    parser.add_argument("--version", action="version", version=f"calmcoach {__version__}")
    parser.set_defaults(func=cmd_app)
    # Before the command as well as after it (see SESSION_OPTIONS).
    _add_session_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("list", help="list the exercises, and any files with errors")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="print an exercise's planned timeline")
    p.add_argument("id")
    _add_session_options(p, plain=False)
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("validate", help="check exercise files and print every error")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("run", help="run an exercise")
    p.add_argument("id")
    _add_session_options(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("flare", help="start the flare routine: breathe, release, shift attention")
    p.add_argument(
        "area", nargs="?", metavar="AREA", default=argparse.SUPPRESS, help=f"where the twitch is: {AREA_HELP}"
    )
    _add_session_options(p, minutes=False, area=False)
    p.set_defaults(func=cmd_flare)

    p = sub.add_parser(
        "doctor",
        help="print when to see a doctor: the red flags, the emergency rule first",
        description="Print the signs that mean a twitch should be checked by a doctor, "
        "with what may be behind each and how soon to act. The emergency rule comes first.",
    )
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("history", help="print past sessions and logged flares")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    p.add_argument("--since", metavar="DATE", help="only from this date (YYYY-MM-DD)")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("log", help="log a flare in the journal (with no area: open the app's journal form)")
    p.add_argument("area", nargs="?", metavar="AREA", help=f"where the twitch is: {AREA_HELP}")
    p.add_argument("--intensity", type=int, choices=range(11), metavar="0-10", help="required with an area")
    p.add_argument(
        "--trigger", action="append", default=[], metavar="T", help="what may have set it off (repeatable)"
    )
    p.add_argument("--note", default="", metavar="TEXT")
    p.set_defaults(func=cmd_log)

    # --- the desktop shell (calmcoach/desktop) ---
    p = sub.add_parser("desktop", help="open calmcoach in a window of its own, served on this computer only")
    p.add_argument("--install", action="store_true", help="add calmcoach to the desktop's application menu")
    p.add_argument("--uninstall", action="store_true", help="remove what --install added")
    p.add_argument("--no-window", action="store_true", help="open no window; print the address to open")
    p.add_argument(
        "app_args",
        nargs=argparse.REMAINDER,
        metavar="...",
        help="what to open: run ID [options], flare [AREA] [options] or log (default: the library)",
    )
    p.set_defaults(func=cmd_desktop)

    p = sub.add_parser("remind", help="gentle nudges to stand up and move through the working day")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--pause", metavar="TIME", help="hold nudges for a while, e.g. 2h or 45m")
    how.add_argument("--resume", action="store_true", help="end a pause now")
    how.add_argument("--status", action="store_true", help="say whether it runs and what comes next")
    how.add_argument("--install", action="store_true", help="start the reminder when you log in")
    how.add_argument("--uninstall", action="store_true", help="stop starting it at login")
    how.add_argument("--now", action="store_true", help="one nudge now, whatever the hours: to try it")
    p.add_argument(
        "--every",
        metavar="TIME",
        help="nudge this often for this run, over the settings file (e.g. 30m; down to 2s to try it out)",
    )
    p.set_defaults(func=cmd_remind)
    return parser


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The parsed command line, its area word turned into an area id. A usage error (an
    option before a command that does not take it, say) exits here, with its message."""
    parser = build_parser()
    args = parser.parse_args(argv)
    given = vars(args)
    takes = TAKES.get(args.command or "", ())
    for name in SESSION_OPTIONS:
        if name in given and name not in takes and name not in FOR_THE_APP:
            flag = "--" + name.replace("_", "-")
            which = [command for command, names in TAKES.items() if name in names and command != "log"]
            parser.error(f"{flag} goes with {' or '.join(which)}, not {args.command or 'the library'}")
    if not resolve_area(args):
        raise SystemExit(EXIT_USAGE)
    return args


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


def _err(message: str) -> None:
    print(f"calmcoach: {visible(message)}", file=sys.stderr)


def _library() -> Library:
    """The library, with a line on stderr about each file met on the way that was not used."""
    from calmcoach.data.library import load_default_library

    library = load_default_library()
    for notice in library.notices:
        _err(notice)
    return library


def _origin_text(exercise: Exercise) -> str:
    """Where a listed exercise comes from, in the home screen's words (empty if built in)."""
    if exercise.overrides_builtin:
        return "your version"
    return "yours" if exercise.origin is Origin.USER else ""


def cmd_list(args: argparse.Namespace) -> int:
    library = _library()
    rows: list[dict[str, Any]] = []
    lengths = exercise_lengths(library.exercises)
    for exercise in library.exercises.values():
        length = lengths[exercise.id]
        rows.append(
            {
                "id": exercise.id,
                "kind": exercise.kind.value,
                "title": exercise.title,
                "length": length_words(exercise, length),
                "minutes": None if length is None else round(length.minutes, 2),
                "minutes_min": None if length is None else round(length.low, 2),
                "minutes_max": None if length is None else round(length.high, 2),
                "waits_for_you": None if length is None else length.waits,
                "source": exercise.origin.value
                + (" (overrides built-in)" if exercise.overrides_builtin else ""),
                "path": str(exercise.path),
                "errors": [],
                "_mark": _origin_text(exercise),
            }
        )
    for broken in library.broken:
        rows.append(
            {
                "id": broken.id,
                "kind": "?",
                "title": "(cannot load)",
                "length": "",
                "minutes": None,
                "minutes_min": None,
                "minutes_max": None,
                "waits_for_you": None,
                "source": broken.origin.value,
                "path": str(broken.path),
                "errors": [str(p) for p in broken.problems],
                "_mark": "",
            }
        )
    if args.json:
        print(json.dumps([{k: v for k, v in row.items() if not k.startswith("_")} for row in rows], indent=2))
        return 0
    for row in rows:  # names and titles from files: shown, never obeyed by the terminal
        row["id"], row["title"] = visible(row["id"]), visible(row["title"])
    width = max([2, *(len(r["id"]) for r in rows)])
    long = max([6, *(len(r["length"]) for r in rows)])
    print(f"{'ID':<{width}}  {'KIND':<9}  {'LENGTH':<{long}}  TITLE")
    for row in rows:
        mark = f"  ({row['_mark']})" if row["_mark"] else ""
        print(f"{row['id']:<{width}}  {row['kind']:<9}  {row['length']:<{long}}  {row['title']}{mark}")
        for error in row["errors"]:
            print(f"{'':<{width}}  error: {error}")
    return 0


class _Planned(NamedTuple):
    timeline: Timeline
    exercise: Exercise
    library: Library


def _find(exercise_id: str) -> tuple[Library, Exercise] | int:
    """The library and the exercise, or an exit code after saying why not."""
    library = _library()
    exercise = library.get(exercise_id)
    if exercise is not None:
        return library, exercise
    broken = [b for b in library.broken if b.id == exercise_id]
    if broken:
        _err(f"'{exercise_id}' cannot be loaded:")
        for problem in broken[0].problems:
            print(f"  {problem}", file=sys.stderr)
    else:
        _err(f"no exercise '{exercise_id}'. Try: calmcoach list")
    return 1


def _accepts(exercise: Exercise, library: Library) -> str:
    """What ``exercise`` takes on the command line, e.g. ``--area (eyelid, hand, leg, general)``."""
    words = []
    bounds = adjustable_minutes(exercise)
    if bounds is not None:
        words.append(f"--minutes ({number_text(bounds.min)} to {number_text(bounds.max)})")
    areas = areas_of(exercise, library.exercises)
    if areas:
        words.append(f"--area ({', '.join(areas)})")
    return " and ".join(words)


def option_problem(
    exercise: Exercise, library: Library, minutes: float | None, area: str | None
) -> str | None:
    """Why ``--minutes`` or ``--area`` does not fit ``exercise``, in one line; None if they do."""
    bounds = adjustable_minutes(exercise)
    areas = areas_of(exercise, library.exercises)
    wrong = [
        flag
        for flag, given, fits in (("--minutes", minutes, bounds is not None), ("--area", area, bool(areas)))
        if given is not None and not fits
    ]
    accepts = _accepts(exercise, library)
    if wrong:
        if not accepts:
            length = length_text(exercise, library.exercises)
            fixed = f"; its length is fixed: {length}" if length else ""
            return f"{exercise.id} takes neither --minutes nor --area{fixed}"
        return f"{exercise.id} takes {accepts}, not {' or '.join(wrong)}"
    if minutes is not None and bounds is not None and not bounds.min <= minutes <= bounds.max:
        return (
            f"{exercise.id} takes --minutes from {number_text(bounds.min)} to {number_text(bounds.max)}, "
            f"not {number_text(minutes)}"
        )
    if area is not None and area not in areas:
        return f"{exercise.id} takes --area ({', '.join(areas)}), not {area}"
    return None


def _plan_from_args(options: RunOptions, exercise_id: str, ask_area: str | None = None) -> _Planned | int:
    """Find and plan the exercise the arguments name, or say why not and give the exit code:
    2 for options that do not fit it, 1 when it cannot be found, planned or no area is chosen.

    With ``ask_area`` (how to name an area on the command line, ``{area}`` standing for
    one), an exercise run for a body area and started without one asks for it
    (see ``_area_for_plain``).
    """
    found = _find(exercise_id)
    if isinstance(found, int):
        return found
    library, exercise = found
    minutes, area = options.minutes, options.area
    problem = option_problem(exercise, library, minutes, area)
    if problem is not None:
        _err(problem)
        return EXIT_USAGE
    if area is None and ask_area is not None:
        chosen = _area_for_plain(exercise, library, ask_area)
        if isinstance(chosen, int):
            return chosen
        area = chosen
    try:
        timeline = plan(exercise, PlanOptions(minutes=minutes, area=area), library.exercises)
    except PlanError as error:
        _err(str(error))
        return 1
    return _Planned(timeline, exercise, library)


def cmd_show(args: argparse.Namespace) -> int:
    planned = _plan_from_args(options_from(args), args.id)
    if isinstance(planned, int):
        return planned
    timeline, exercise, library = planned
    # Text from files is shown with any control character written out, never obeyed.
    print(f"{visible(exercise.title)}  ({exercise.kind.value})")
    if exercise.summary:
        print(visible(exercise.summary, layout=True))
    print(f"Length: {length_text(exercise, library.exercises)}")
    notes = safety_notes(exercise, timeline, library.exercises)
    for note in notes.start:
        print(f"Note: {visible(note, layout=True)}")
    for index, part in enumerate(timeline.parts):
        if len(timeline.parts) > 1 or part.area:
            print(
                f"\n== {visible(part_heading(part, library.exercises))}: "
                f"{clock_text(part.start)} to {clock_text(part.end)} =="
            )
        for note in notes.parts[index]:
            print(f"Note: {visible(note, layout=True)}")
        breaths = breaths_text(part)
        if breaths:
            print(f"   {breaths}")
        for line in ramp_texts(timeline, part):
            print(f"   {line}")
        for segment in timeline.segments[part.first : part.last + 1]:
            length = "waits" if segment.waits else f"{number_text(segment.duration)}s"
            label = segment.pace.value if segment.cycle is not None else (segment.title or "step")
            breath = f", {breath_text(segment)}" if segment.cycle is not None else ""
            say = visible(segment.say, layout=True)
            print(f"{clock_text(segment.start):>6}  {length:>6}  {visible(label)}{breath}: {say}")
    waits = sum(1 for s in timeline.segments if s.waits)
    verb = "waits" if waits == 1 else "wait"
    extra = f", plus {plural(waits, 'step')} that {verb} for you" if waits else ""
    print(f"\nTotal: {clock_text(timeline.total)}{extra}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from calmcoach.data.library import sound_names
    from calmcoach.data.loader import validate_files

    warnings: dict[Path, tuple[Problem, ...]] = {}
    results = validate_files(args.files, _library(), sound_names(), warnings)
    bad = 0
    for path, problems in results.items():
        if problems:
            bad += 1
            for problem in problems:
                print(problem)
            continue
        # A warning does not stop the file running: the voice is cut off by the next step.
        said = warnings.get(path, ())
        for problem in said:
            print(problem)
        print(f"{visible(str(path))}: ok" + (f" ({plural(len(said), 'warning')})" if said else ""))
    return 1 if bad else 0


def cmd_run(args: argparse.Namespace) -> int:
    options = options_from(args)
    exercise_id = args.id
    plain = options.plain or terminal.app_cannot_start() is not None
    how = f"calmcoach run {exercise_id} --area {{area}}"
    planned = _plan_from_args(options, exercise_id, ask_area=how if plain else None)
    if isinstance(planned, int):
        return planned
    if plain:
        return run_plain(planned, options)
    return run_app(options)


def ask_area(choices: list[tuple[str, str]], stdin: TextIO, out: TextIO) -> str | None:
    """Ask on a terminal which body area to run for; None at end of input (Ctrl+D).

    Each area has its letter (the app's key for it) and a number; any word the command
    line takes for it works too. Enter alone picks ``general`` when it is offered.
    Anything else asks again.
    """
    keys: dict[str, str] = {}
    letters: list[str] = []
    for number, (area, _title) in enumerate(choices, start=1):
        letter = area_key(area)
        if not letter or letter in keys:  # an area outside the one list: its first free letter
            letter = next((c for c in area.lower() if c.isalpha() and c not in keys), str(number))
        letters.append(letter)
        keys.update({letter: area, str(number): area, area.lower(): area})
    for area, _title in choices:
        keys.update({word: area for a in BODY_AREAS if a.id == area for word in a.words if word not in keys})
    default = "general" if "general" in (a for a, _ in choices) else None
    out.write("Where is the twitch?\n")
    for letter, (_area, title) in zip(letters, choices, strict=True):
        out.write(f"  {letter}  {title}\n")
    enter = f" (Enter alone: {letters[[a for a, _ in choices].index(default)]})" if default else ""
    prompt = f"Type a letter and press Enter{enter}: "
    while True:
        out.write(prompt)
        out.flush()
        line = stdin.readline()
        if not line:
            out.write("\n")
            return None
        answer = line.strip().lower()
        if not answer and default is not None:
            return default
        if answer in keys:
            return keys[answer]
        out.write(f"Please type one of: {', '.join(letters)}.\n")


def _area_for_plain(exercise: Exercise, library: Library, how: str) -> str | int | None:
    """The body area for a plain run started without one: asked on a terminal, else the
    usual one with a line saying so. An exit code when the question gets no answer."""
    choices = area_choices(exercise, library.exercises)
    if not choices:
        return None
    if sys.stdin.isatty():
        area = ask_area(choices, sys.stdin, sys.stderr)
        if area is None:
            _err("no area chosen, so nothing was started.")
            return 1
        return area
    area = "general" if "general" in (a for a, _ in choices) else choices[0][0]
    example = how.format(area=next(a for a, _ in choices if a != area) if len(choices) > 1 else area)
    print(
        f"No area given and no terminal to ask on, so this runs for: {dict(choices)[area]}. "
        f"Name one next time, e.g. {example}",
        flush=True,
    )
    return area


def run_plain(planned: _Planned, options: RunOptions) -> int:
    import contextlib

    from calmcoach.audio.process import READY_TIMEOUT
    from calmcoach.data import logfile
    from calmcoach.plain import PlainRunner
    from calmcoach.services import launch

    if logfile.start() is None and logfile.not_kept:
        _err(logfile.not_kept)
    logfile.log.info("calmcoach %s: a plain run of %s", __version__, planned[0].exercise_id)

    def say(text: str) -> None:
        logfile.log.info("told: %s", visible(text))
        # After a hangup (SIGHUP) there is no terminal left to read this.
        with contextlib.suppress(OSError):
            print(f"  ({text})", flush=True)

    timeline, exercise, library = planned
    recorder = launch.open_recorder(options, say)
    cues = launch.make_cues(options)
    code = 1
    try:
        setup, voice = _setup_for_plain(options, planned, say)
        prepared = launch.prepare(setup, voice, cues, recorder)
        cues.wait_ready(READY_TIMEOUT)
        runner = PlainRunner.conducting(
            prepared, notes=safety_notes(exercise, timeline, library.exercises), exercises=library.exercises
        )
        code = runner.run()
        return code
    finally:
        recorder.close()
        cues.close(drain=code == 0)
        notice = cues.take_notice()
        if notice:
            say(notice)


def _setup_for_plain(
    options: RunOptions, planned: _Planned, say: Callable[[str], None]
) -> tuple[SessionSetup, VoicePlan]:
    """The session and its spoken lines, rendered now (before the first step) where the
    person's own exercise needs it, with a line on each thing worth knowing."""
    from calmcoach.audio.voice import Voices
    from calmcoach.data import settings as user_settings
    from calmcoach.services import launch

    timeline, _exercise, library = planned
    setup = launch.decide(options, timeline, library.exercises, user_settings.load().voice)
    voices = Voices()
    if launch.needs_rendering(setup, voices):
        say("getting the spoken lines of your own exercise ready (made once, then kept)")
    plan = launch.voice_for(setup, voices)
    if plan.notice:
        say(plan.notice)
    if setup.voice and plan.keys:
        say("voice on: each step is spoken; --no-voice turns it off")
    return setup, plan


def library_instead_of_app(problem: str) -> int:
    """Where the app cannot run: the library as ``calmcoach list`` prints it, and one line
    (on standard error, so the list stays clean for a pipe) on what to do instead."""
    import argparse

    code = cmd_list(argparse.Namespace(json=False))
    _err(f"{problem}, so the app did not open. Run an exercise as text with: calmcoach run ID --plain")
    return code


def cmd_app(args: argparse.Namespace) -> int:
    """``calmcoach`` with options and no command: the library."""
    return run_app(options_from(args))


def run_app(options: RunOptions | None) -> int:
    """Open the app; without a terminal that can show it, print the library instead."""
    problem = terminal.app_cannot_start()
    if problem is not None:
        return library_instead_of_app(problem)
    from calmcoach.data import logfile
    from calmcoach.ui.app import make_app

    logfile.start()
    start = None if options is None else options.exercise or ("flare" if options.flare else None)
    logfile.log.info("calmcoach %s: the app starts (%s)", __version__, start or "home")
    app = make_app(options)
    if os.environ.get("CALMCOACH_DESKTOP_SPARE"):  # calmcoach.desktop.spare.SPARE, unimported
        from calmcoach.desktop.spare import await_page, is_spare

        if is_spare() and not await_page():
            logfile.log.info("the desktop's spare app ended: no page came")
            return 0
    try:
        app.run()
    except Exception:
        logfile.log.exception("the app stopped with an error")
        raise
    logfile.log.info("the app ended with exit code %s", app.return_code or 0)
    if logfile.not_kept:  # said once the app has given the terminal back
        import contextlib

        with contextlib.suppress(OSError):
            _err(logfile.not_kept)
    if app.history_unsaved:
        import contextlib

        with contextlib.suppress(OSError):  # after a hangup there is no terminal to say it on
            _err(app.history_unsaved)
    return app.return_code or 0


def cmd_flare(args: argparse.Namespace) -> int:
    options = options_from(args)
    if options.plain or terminal.app_cannot_start() is not None:
        planned = _plan_from_args(options, "flare", ask_area="calmcoach flare {area}")
        if isinstance(planned, int):
            return planned
        return run_plain(planned, options)
    return run_app(options)


def cmd_doctor(args: argparse.Namespace) -> int:
    from calmcoach.cli.doctor import cmd_doctor as doctor

    del args
    return doctor()


def cmd_history(args: argparse.Namespace) -> int:
    from calmcoach.cli.history import cmd_history as history

    return history(args)


def cmd_log(args: argparse.Namespace) -> int:
    if args.area is None:
        return cmd_log_form(args)
    if args.intensity is None:
        build_parser().error("log: --intensity is required with an area")
    from calmcoach.cli.history import cmd_log as log

    return log(args)


def cmd_remind(args: argparse.Namespace) -> int:
    from calmcoach.remind.main import RemindRequest
    from calmcoach.remind.main import cmd_remind as remind

    return remind(
        RemindRequest(
            install=args.install,
            uninstall=args.uninstall,
            status=args.status,
            pause=args.pause,
            resume=args.resume,
            every=args.every,
            now=args.now,
        )
    )


def cmd_log_form(args: argparse.Namespace) -> int:
    """``calmcoach log`` with no area: the app opens on the journal's flare form."""
    if args.intensity is not None or args.trigger or args.note:
        _err("name the area first: calmcoach log AREA --intensity N")
        return EXIT_USAGE
    if terminal.app_cannot_start() is not None:
        _err("with no terminal, name the flare: calmcoach log AREA --intensity N")
        return EXIT_USAGE
    return run_app(options_from(args))


# --- the desktop shell -------------------------------------------------------------

DESKTOP_OPENS = ("run", "flare", "log")


def cmd_desktop(args: argparse.Namespace) -> int:
    """``calmcoach desktop``: check what the window should open here, in the terminal,
    then serve it (see calmcoach.desktop)."""
    from calmcoach.desktop.launch import EXIT_UNSUPPORTED, launch, unsupported_platform

    if args.install or args.uninstall:
        if args.app_args or (args.install and args.uninstall):
            _err("desktop: --install and --uninstall take nothing else")
            return EXIT_USAGE
        problem = unsupported_platform()
        if problem is not None:
            _err(problem)
            return EXIT_UNSUPPORTED
        from calmcoach.desktop import entries

        try:
            if args.install:
                for path in entries.install():
                    print(f"Wrote {path}")
            else:
                removed = entries.uninstall()
                for path in removed:
                    print(f"Removed {path}")
                if not removed:
                    print("Nothing to remove: calmcoach's desktop entries are not installed.")
        except entries.InstallError as error:
            _err(str(error))
            return 1
        return 0
    app_args = list(args.app_args)
    if app_args:
        inner = parse(app_args)  # a usage error exits here, with its message
        opens = options_from(inner)
        if inner.command not in DESKTOP_OPENS or (inner.command == "log" and (opens.area or inner.intensity)):
            _err("desktop opens the library, run ID [options], flare [AREA] [options] or log")
            return EXIT_USAGE
        if opens.plain:
            _err("desktop: --plain prints lines in a terminal; it has no window to open")
            return EXIT_USAGE
        if opens.exercise is not None and inner.command == "run":
            found = _find(opens.exercise)
            if isinstance(found, int):
                return found
            library, exercise = found
            problem = option_problem(exercise, library, opens.minutes, opens.area)
            if problem is not None:
                _err(problem)
                return EXIT_USAGE
    return launch(app_args, window=not args.no_window)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``calmcoach`` command."""
    if not (sys.argv[1:] if argv is None else argv):
        # Plain ``calmcoach``, the most common start: open the library without
        # building the parser (argparse is about 8 ms of the start-up).
        return run_app(None)
    args = parse(argv)
    command: Callable[[argparse.Namespace], int] = args.func
    try:
        return command(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
