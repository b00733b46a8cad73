"""The library on the command line: ``list``, ``show`` (an exercise's planned timeline)
and ``validate`` (exercise files, every error).

Standard library and the core only: these commands never load Textual, sound or SQLite.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calmcoach.cli.common import err, load_library
from calmcoach.cli.options import add_session_options, options_from
from calmcoach.cli.planning import plan_from_options
from calmcoach.domain.describe import (
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
from calmcoach.domain.model import Exercise, Origin
from calmcoach.domain.planner import PlanError
from calmcoach.domain.visible import visible
from calmcoach.services import launch

if TYPE_CHECKING:
    import argparse

    from calmcoach.cli.common import Subparsers
    from calmcoach.data.loader import Problem


def add_parser(subparsers: Subparsers) -> None:
    """``list``, ``show`` and ``validate``."""
    p = subparsers.add_parser("list", help="list the exercises, and any files with errors")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_list)

    p = subparsers.add_parser("show", help="print an exercise's planned timeline")
    p.add_argument("id")
    add_session_options(p, plain=False)
    p.set_defaults(func=cmd_show)

    p = subparsers.add_parser("validate", help="check exercise files and print every error")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.set_defaults(func=cmd_validate)


def _origin_text(exercise: Exercise) -> str:
    """Where a listed exercise comes from, in the home screen's words (empty if built in)."""
    if exercise.overrides_builtin:
        return "your version"
    return "yours" if exercise.origin is Origin.USER else ""


def cmd_list(args: argparse.Namespace) -> int:
    return print_library(as_json=args.json)


def print_library(*, as_json: bool) -> int:
    """The exercises, and each file that cannot be loaded with its errors: as a table, or
    as JSON for a program."""
    library = load_library()
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
    if as_json:
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


def cmd_show(args: argparse.Namespace) -> int:
    options = options_from(args)
    planned = plan_from_options(options, args.id)
    if isinstance(planned, int):
        return planned
    timeline, exercise, library = planned
    tapped = launch.asks_for_taps(exercise)
    if tapped:  # the session starts from taps; shown as it starts when there are none
        try:
            timeline = launch.plan_tapped(exercise, options.plan_options, library.exercises, None)
        except PlanError as error:
            err(str(error))
            return 1
    # Text from files is shown with any control character written out, never obeyed.
    print(f"{visible(exercise.title)}  ({exercise.kind.value})")
    if exercise.summary:
        print(visible(exercise.summary, layout=True))
    print(f"Length: {length_text(exercise, library.exercises)}")
    if tapped:
        print("Starts from your own pace: first you tap at three in-breaths. Below, the start without taps.")
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
    results = validate_files(args.files, load_library(), sound_names(), warnings)
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
