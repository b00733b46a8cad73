"""From an exercise's id and the options to its timeline: finding it in the library,
checking that ``--minutes`` and ``--area`` fit it, and asking for the body area when
plain mode starts without one. ``show``, ``run``, ``flare`` and ``desktop`` use it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NamedTuple, TextIO

from calmcoach.cli.common import EXIT_USAGE, err, load_library
from calmcoach.domain.describe import adjustable_minutes, area_choices, length_text, number_text
from calmcoach.domain.model import BODY_AREAS, Exercise, area_key
from calmcoach.domain.planner import PlanError, PlanOptions, Timeline, areas_of, plan

if TYPE_CHECKING:
    from calmcoach.data.loader import Library
    from calmcoach.services.launch import RunOptions


class Planned(NamedTuple):
    timeline: Timeline
    exercise: Exercise
    library: Library


def find(exercise_id: str) -> tuple[Library, Exercise] | int:
    """The library and the exercise, or an exit code after saying why not."""
    library = load_library()
    exercise = library.get(exercise_id)
    if exercise is not None:
        return library, exercise
    broken = [b for b in library.broken if b.id == exercise_id]
    if broken:
        err(f"'{exercise_id}' cannot be loaded:")
        for problem in broken[0].problems:
            print(f"  {problem}", file=sys.stderr)
    else:
        err(f"no exercise '{exercise_id}'. Try: calmcoach list")
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


def plan_from_options(options: RunOptions, exercise_id: str, ask_area: str | None = None) -> Planned | int:
    """Find and plan the exercise the arguments name, or say why not and give the exit code:
    2 for options that do not fit it, 1 when it cannot be found, planned or no area is chosen.

    With ``ask_area`` (how to name an area on the command line, ``{area}`` standing for
    one), an exercise run for a body area and started without one asks for it
    (see ``_area_for_plain``).
    """
    found = find(exercise_id)
    if isinstance(found, int):
        return found
    library, exercise = found
    minutes, area = options.minutes, options.area
    problem = option_problem(exercise, library, minutes, area)
    if problem is not None:
        err(problem)
        return EXIT_USAGE
    if area is None and ask_area is not None:
        chosen = _area_for_plain(exercise, library, ask_area)
        if isinstance(chosen, int):
            return chosen
        area = chosen
    try:
        timeline = plan(exercise, PlanOptions(minutes=minutes, area=area), library.exercises)
    except PlanError as error:
        err(str(error))
        return 1
    return Planned(timeline, exercise, library)


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
            err("no area chosen, so nothing was started.")
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
