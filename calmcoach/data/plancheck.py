"""Checks between exercise files and with the plan: a program's parts exist and fit,
every session an exercise allows can be planned, and the voice has time for each step.

Pure: asks the planner by counting alone, never imports the UI or audio.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from calmcoach.data.safefile import RefusedFile, read_limited
from calmcoach.data.schema import Checker
from calmcoach.data.tomlfile import MAX_FILE_BYTES, Problem, describe_value, figure, line_of
from calmcoach.domain import planner
from calmcoach.domain.model import AREAS, Exercise, Kind, Part


def check_references(
    exercises: Mapping[str, Exercise],
    only: Iterable[Exercise] | None = None,
    broken: Collection[str] = (),
) -> dict[str, tuple[Problem, ...]]:
    """Problems between files and with the plan, for each exercise with any.

    Parts that name a missing exercise or a program, options a part's exercise does not
    have, and sessions longer than the planner builds. The planner is asked (without
    building anything) for every body area, so an exercise with no problems here can be
    planned for each. Checks the exercises in ``only`` (default: all) against ``exercises``;
    ``broken`` names files that exist but did not load (a part naming one says so).
    """
    checked = list(exercises.values() if only is None else only)
    found: dict[str, tuple[Problem, ...]] = {}
    for exercise in checked:  # parts are never programs: check the others first
        if exercise.kind is not Kind.PROGRAM and (problems := _plan_problems(exercise, exercises)):
            found[exercise.id] = problems
    usable = {key: value for key, value in exercises.items() if key not in found}
    known = {*exercises, *broken}
    fine: set[tuple[Part, ...]] = set()
    """The parts of programs checked and found to have no problem. These checks look at a
    program's parts and nothing else of it (its title and id only go into problems), so a
    copy of a fine program under another name is fine too, without asking the planner."""
    for exercise in checked:
        if exercise.kind is Kind.PROGRAM and exercise.parts not in fine:
            problems = part_problems(exercise, usable, known)
            if problems := problems or _plan_problems(exercise, usable):
                found[exercise.id] = problems
            else:
                fine.add(exercise.parts)
    return found


def part_problems(
    program: Exercise, usable: Mapping[str, Exercise], known: Collection[str] = ()
) -> tuple[Problem, ...]:
    """What is wrong with each part of ``program``, looked up in ``usable``: every problem
    of every part. ``known`` holds the ids of files that exist, runnable or not."""
    checker = Checker(program.path, None, None)
    for i, part in enumerate(program.parts, start=1):
        if not part.exercise:  # no usable id: already reported with the file's own problems
            continue
        at = f"part[{i}]"
        name = describe_value(part.exercise)
        target = usable.get(part.exercise)
        if target is None:
            if part.exercise in known:
                checker.problem(f"{at}.exercise", f"{name} has problems of its own, so it cannot run")
            else:
                checker.problem(f"{at}.exercise", f"no exercise with id {name}")
            continue
        if target.kind is Kind.PROGRAM:
            if target.id == program.id:
                checker.problem(f"{at}.exercise", f"{name} is this program: a program cannot include itself")
            else:
                checker.problem(
                    f"{at}.exercise", f"{name} is a program; a part is a breathing exercise or a routine"
                )
            continue
        if part.minutes is not None:
            if target.kind is not Kind.BREATHING:
                checker.problem(
                    f"{at}.minutes",
                    f"{name} is a {target.kind.value} that lasts as long as its steps; "
                    "minutes are for breathing parts",
                )
            elif target.minutes is not None and not target.minutes.min <= part.minutes <= target.minutes.max:
                checker.problem(
                    f"{at}.minutes",
                    f"{name} runs {figure(target.minutes.min)} to {figure(target.minutes.max)} minutes, "
                    f"not {figure(part.minutes)}",
                )
            elif target.ramp_cycles and planner.cycles_for(target, part.minutes) < target.ramp_cycles:
                checker.problem(
                    f"{at}.minutes",
                    f"{name} changes its pace over its first {target.ramp_cycles} cycles; "
                    f"{figure(part.minutes)} minutes holds only {planner.cycles_for(target, part.minutes)}",
                )
        if part.area is not None:
            if not target.variants:
                checker.problem(f"{at}.area", f"{name} has no body areas to choose from")
            elif target.variant(part.area) is None:
                checker.problem(f"{at}.area", f"{name} has no {describe_value(part.area)} area")
    return checker.all_problems()


def _plan_options(exercise: Exercise) -> list[planner.PlanOptions]:
    """Every way a person can start ``exercise`` that changes its length: each body area
    (and none), and for breathing its longest minutes."""
    if exercise.kind is Kind.BREATHING:
        return [planner.PlanOptions(minutes=exercise.minutes.max if exercise.minutes else None)]
    areas = AREAS if exercise.kind is Kind.PROGRAM else exercise.areas
    return [planner.PlanOptions(area=area) for area in (None, *areas)]


def _plan_problems(exercise: Exercise, exercises: Mapping[str, Exercise]) -> tuple[Problem, ...]:
    """A session of ``exercise`` that the planner would refuse, found by counting alone."""
    checker = Checker(exercise.path, None, None)
    for options in _plan_options(exercise):
        area = f" (for the {options.area} area)" if options.area else ""
        try:
            counts = planner.part_counts(exercise, options, exercises)
            total = 0
            for i, number in enumerate(counts, start=1):
                total += number
                if total > planner.MAX_SEGMENTS and exercise.kind is Kind.PROGRAM:
                    checker.problem(
                        f"part[{i}]",
                        f"the parts up to here come to {total} phases and steps{area}; "
                        f"a session may have at most {planner.MAX_SEGMENTS}",
                    )
                    return checker.all_problems()
            planner.count(exercise, options, exercises)  # the planner's own word on it
        except planner.PlanError as error:
            checker.problem(None, f"cannot be planned{area}: {error}")
            return checker.all_problems()
    return ()


def voice_warnings(exercise: Exercise) -> tuple[Problem, ...]:
    """A problem for each step of ``exercise`` whose text the voice cannot say before
    the step ends (by the speech-length estimate), with its line in the file."""
    from calmcoach.domain.voice_text import fit_problems

    found = fit_problems(exercise)
    if not found:
        return ()
    try:
        text = read_limited(exercise.path, MAX_FILE_BYTES).decode("utf-8")
    except (OSError, RefusedFile, ValueError):
        text = ""
    return tuple(
        Problem(exercise.path, f"warning: {message}", where, line_of(text, where) if text else None)
        for where, message in found
    )
