"""The ``calmcoach`` command.

Only the standard library and the core are imported at the top, so that
``calmcoach --version``, ``list`` and ``validate`` start fast and never load
Textual. The app, the audio player and the history load when a command needs them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calmcoach import __version__
from calmcoach.model import AREAS, Exercise, Kind
from calmcoach.planner import PlanError, PlanOptions, Timeline, plan

if TYPE_CHECKING:
    import argparse

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _speed(value: str) -> float:
    import argparse

    try:
        speed = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 1.0 <= speed <= 100.0:
        raise argparse.ArgumentTypeError("speed must be from 1 to 100")
    return speed


def _minutes(value: str) -> float:
    import argparse

    try:
        minutes = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0 < minutes <= 120:
        raise argparse.ArgumentTypeError("minutes must be more than 0 and at most 120")
    return minutes


def _add_session_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plain",
        action="store_true",
        help="print one line per step instead of opening the app (automatic when output is not a terminal)",
    )
    parser.add_argument(
        "--speed",
        type=_speed,
        default=1.0,
        metavar="F",
        help="preview F times faster than real time (1 to 100)",
    )
    parser.add_argument("--no-sound", action="store_true", help="no audio cues")
    parser.add_argument(
        "--eyes-closed",
        action="store_true",
        help="add a soft tone that rises with each in-breath and falls with each out-breath",
    )
    parser.add_argument(
        "--reduced-motion", action="store_true", help="a still pacer: phase word and countdown, nothing moves"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="calmcoach",
        description="A guided breathing and relaxation coach for the terminal. "
        "With no command, opens the exercise library.",
    )
    parser.add_argument("--version", action="version", version=f"calmcoach {__version__}")
    parser.add_argument(
        "--reduced-motion",
        action="store_true",
        dest="top_reduced_motion",
        help="a still pacer: phase word and countdown, nothing moves",
    )
    parser.add_argument("--no-sound", action="store_true", dest="top_no_sound", help="no audio cues")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("list", help="list the exercises, and any files with errors")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser("show", help="print an exercise's planned timeline")
    p.add_argument("id")
    p.add_argument("--minutes", type=_minutes)
    p.add_argument("--area", choices=list(AREAS))

    p = sub.add_parser("validate", help="check exercise files and print every error")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")

    p = sub.add_parser("run", help="run an exercise")
    p.add_argument("id")
    p.add_argument("--minutes", type=_minutes, help="how long, for breathing exercises")
    p.add_argument("--area", choices=list(AREAS), help="body area, for tension release")
    _add_session_options(p)

    p = sub.add_parser("flare", help="start the flare routine: breathe, release, shift attention")
    p.add_argument("area", nargs="?", choices=list(AREAS), help="where the twitch is")
    _add_session_options(p)

    p = sub.add_parser("history", help="print past sessions and logged flares")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    p.add_argument("--since", metavar="DATE", help="only from this date (YYYY-MM-DD)")

    p = sub.add_parser("log", help="log a flare in the journal")
    p.add_argument("area", choices=list(AREAS))
    p.add_argument("--intensity", type=int, required=True, choices=range(11), metavar="0-10")
    p.add_argument(
        "--trigger", action="append", default=[], metavar="T", help="what may have set it off (repeatable)"
    )
    p.add_argument("--note", default="", metavar="TEXT")
    return parser


def _err(message: str) -> None:
    print(f"calmcoach: {message}", file=sys.stderr)


def _minutes_text(exercise: Exercise, library: Any) -> str:
    if exercise.kind is Kind.BREATHING and exercise.minutes is not None:
        m = exercise.minutes
        if m.min == m.max:
            return f"{m.default:g}"
        return f"{m.default:g} ({m.min:g}-{m.max:g})"
    try:
        timeline = plan(exercise, PlanOptions(), library.exercises)
    except PlanError:
        return "?"
    minutes = timeline.total / 60
    plus = "+" if any(s.waits for s in timeline.segments) else ""
    return f"{minutes:.1f}{plus}"


def cmd_list(args: argparse.Namespace) -> int:
    from calmcoach.content import load_default_library

    library = load_default_library()
    rows: list[dict[str, Any]] = []
    for exercise in library.exercises.values():
        rows.append(
            {
                "id": exercise.id,
                "kind": exercise.kind.value,
                "title": exercise.title,
                "minutes": _minutes_text(exercise, library),
                "source": exercise.origin.value
                + (" (overrides built-in)" if exercise.overrides_builtin else ""),
                "path": str(exercise.path),
                "errors": [],
            }
        )
    for broken in library.broken:
        rows.append(
            {
                "id": broken.id,
                "kind": "?",
                "title": "(cannot load)",
                "minutes": "",
                "source": broken.origin.value,
                "path": str(broken.path),
                "errors": [str(p) for p in broken.problems],
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(r["id"]) for r in rows) if rows else 2
    print(f"{'ID':<{width}}  {'KIND':<9}  {'MINUTES':<9}  {'SOURCE':<8}  TITLE")
    for row in rows:
        print(
            f"{row['id']:<{width}}  {row['kind']:<9}  {row['minutes']:<9}  "
            f"{row['source'].split(' ')[0]:<8}  {row['title']}"
            + ("  [overrides built-in]" if "overrides" in row["source"] else "")
        )
        for error in row["errors"]:
            print(f"{'':<{width}}  error: {error}")
    return 0


def _plan_from_args(args: argparse.Namespace, exercise_id: str) -> tuple[Timeline, Exercise] | None:
    from calmcoach.content import load_default_library

    library = load_default_library()
    exercise = library.get(exercise_id)
    if exercise is None:
        broken = [b for b in library.broken if b.id == exercise_id]
        if broken:
            _err(f"'{exercise_id}' cannot be loaded:")
            for problem in broken[0].problems:
                print(f"  {problem}", file=sys.stderr)
        else:
            _err(f"no exercise '{exercise_id}'. Try: calmcoach list")
        return None
    try:
        timeline = plan(
            exercise,
            PlanOptions(minutes=getattr(args, "minutes", None), area=getattr(args, "area", None)),
            library.exercises,
        )
    except PlanError as error:
        _err(str(error))
        return None
    return timeline, exercise


def cmd_show(args: argparse.Namespace) -> int:
    from calmcoach.plain import clock_text

    found = _plan_from_args(args, args.id)
    if found is None:
        return 1
    timeline, exercise = found
    print(f"{exercise.title}  ({exercise.kind.value})")
    if exercise.summary:
        print(exercise.summary)
    for note in exercise.safety:
        print(f"  ! {note}")
    for part in timeline.parts:
        if len(timeline.parts) > 1:
            area = f" ({AREAS[part.area]})" if part.area else ""
            print(f"\n== {part.title}{area}: {clock_text(part.start)} to {clock_text(part.end)} ==")
        if part.breaths_per_minute is not None:
            print(
                f"   {part.cycles} cycles of {60 / part.breaths_per_minute:g} s, "
                f"{part.breaths_per_minute:.2f} breaths per minute"
            )
        for segment in timeline.segments[part.first : part.last + 1]:
            length = "waits" if segment.waits else f"{segment.duration:g}s"
            label = segment.pace.value if segment.cycle is not None else (segment.title or "step")
            cycle = f" {segment.cycle}/{segment.cycles}" if segment.cycle else ""
            print(f"{clock_text(segment.start):>6}  {length:>6}  {label}{cycle}: {segment.say}")
    waits = sum(1 for s in timeline.segments if s.waits)
    extra = f", plus {waits} step(s) that wait for you" if waits else ""
    print(f"\nTotal: {clock_text(timeline.total)}{extra}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from calmcoach.content import load_default_library, sound_names
    from calmcoach.loader import validate_files

    results = validate_files(args.files, load_default_library(), sound_names())
    bad = 0
    for path, problems in results.items():
        if problems:
            bad += 1
            for problem in problems:
                print(problem)
        else:
            print(f"{path}: ok")
    return 1 if bad else 0


def _make_cues(args: argparse.Namespace) -> Any:
    from calmcoach.audio.factory import make_player

    return make_player(no_sound=args.no_sound)


def cmd_run(args: argparse.Namespace, exercise_id: str) -> int:
    found = _plan_from_args(args, exercise_id)
    if found is None:
        return 1
    timeline, _exercise = found
    if args.plain or not sys.stdout.isatty():
        return run_plain(timeline, args)
    return run_app(args, start=exercise_id)


def run_plain(timeline: Timeline, args: argparse.Namespace) -> int:
    from calmcoach.audio import sounds_for
    from calmcoach.plain import PlainRunner
    from calmcoach.record import Recorder, open_history

    def say(text: str) -> None:
        print(f"  ({text})", flush=True)

    recorder = Recorder(open_history(say), say)
    cues = _make_cues(args)
    code = 1
    try:
        names, tones = sounds_for(timeline, args.eyes_closed)
        cues.prepare(names, tones)
        runner = PlainRunner(
            timeline,
            cues=cues,
            speed=args.speed,
            eyes_closed=args.eyes_closed,
            observers=(recorder.observe,),
        )
        recorder.begin(timeline)
        code = runner.run()
        return code
    finally:
        recorder.close()
        cues.close(drain=code == 0)
        notice = cues.take_notice()
        if notice:
            say(notice)


def run_app(args: argparse.Namespace | None, start: str | None = None, flare: bool = False) -> int:
    from calmcoach.ui.app import make_app

    app = make_app(
        start=start,
        area=getattr(args, "area", None),
        minutes=getattr(args, "minutes", None),
        flare=flare,
        reduced_motion=getattr(args, "reduced_motion", False) or getattr(args, "top_reduced_motion", False),
        no_sound=getattr(args, "no_sound", False) or getattr(args, "top_no_sound", False),
        eyes_closed=getattr(args, "eyes_closed", False),
        speed=getattr(args, "speed", 1.0),
    )
    app.run()
    return app.return_code or 0


def cmd_flare(args: argparse.Namespace) -> int:
    if args.plain or not sys.stdout.isatty():
        if args.area is None:
            args.area = "general"
        found = _plan_from_args(args, "flare")
        if found is None:
            return 1
        return run_plain(found[0], args)
    return run_app(args, start="flare" if args.area else None, flare=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``calmcoach`` command."""
    if not (sys.argv[1:] if argv is None else argv):
        # Plain ``calmcoach``, the most common start: open the library without
        # building the parser (argparse is about 8 ms of the start-up).
        return run_app(None)
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command
    try:
        if command is None:
            return run_app(args)
        if command == "list":
            return cmd_list(args)
        if command == "show":
            return cmd_show(args)
        if command == "validate":
            return cmd_validate(args)
        if command == "run":
            return cmd_run(args, args.id)
        if command == "flare":
            return cmd_flare(args)
        if command == "history":
            from calmcoach.record import cmd_history

            return cmd_history(args)
        if command == "log":
            from calmcoach.record import cmd_log

            return cmd_log(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
    parser.error(f"unknown command {command}")
    return EXIT_USAGE
