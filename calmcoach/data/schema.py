"""The exercise schema: check one parsed exercise file strictly and build its exercise.

Validation rejects unknown keys and keeps going after the first problem, so a person
fixing a file sees everything that is wrong at once. Each problem names the field and
what was expected; its line is found in the file's text only when there is a problem.
Checks between files (a program's parts) are in ``plancheck``.

Pure: never imports the UI or audio.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from calmcoach.data.fields import FieldChecker, field_key
from calmcoach.data.tomlfile import describe_value, figure
from calmcoach.domain import planner
from calmcoach.domain.model import (
    AREAS,
    Exercise,
    Kind,
    Minutes,
    Origin,
    Pace,
    Part,
    Phase,
    Reminder,
    Step,
    Variant,
)

MAX_CYCLES = 1000
MAX_TITLE = 80
MAX_REMINDERS = 40
"""Spoken reminders one step may have (a 10-minute step, one every 15 seconds)."""
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Checker(FieldChecker):
    """Walks one parsed file, building the exercise and collecting problems."""

    def exercise(self, data: Mapping[str, Any], exercise_id: str, origin: Origin) -> Exercise | None:
        common = ("title", "kind", "summary", "safety", "tags")
        per_kind = {
            Kind.BREATHING: (
                "minutes",
                "cycles",
                "phase",
                "voice_cycles",
                "ramp_cycles",
                "start",
                "start_default",
            ),
            Kind.ROUTINE: ("step", "area"),
            Kind.PROGRAM: ("part",),
        }
        if not _ID_RE.match(exercise_id):
            self.problem(
                None, f"file name {describe_value(exercise_id)} is not a usable id (letters, digits, . - _)"
            )
        title = self.text(data, "title", "", limit=MAX_TITLE, lines=False)
        summary = self.text(data, "summary", "", required=False)
        safety = self.text_list(data, "safety", lines=True)
        tags = self.text_list(data, "tags", lines=False)
        raw_kind = data.get("kind")
        kinds = {k.value: k for k in Kind}
        kind = kinds.get(raw_kind) if isinstance(raw_kind, str) else None
        if raw_kind is None or raw_kind == "":
            self.problem(None, "missing 'kind' (breathing, routine or program)")
        elif kind is None:
            self.problem("kind", f"expected breathing, routine or program, got {describe_value(raw_kind)}")
        allowed = common + (per_kind[kind] if kind else sum(per_kind.values(), ()))
        self.keys(data, "", allowed)
        if kind is None:
            return None
        base = Exercise(
            id=exercise_id,
            title=title,
            kind=kind,
            summary=summary,
            path=self.path,
            origin=origin,
            safety=safety,
            tags=tags,
        )
        if kind is Kind.BREATHING:
            return self.breathing(data, base)
        if kind is Kind.ROUTINE:
            return self.routine(data, base)
        return self.program(data, base)

    def breathing(self, data: Mapping[str, Any], base: Exercise) -> Exercise:
        phases = []
        tables = self.required_tables(data, "phase", "a breathing exercise")
        for i, table in enumerate(tables, start=1):
            where = f"phase[{i}]"
            self.keys(table, where, ("pace", "seconds", "say", "cue"))
            pace = self.pace(table, where, required=True)
            seconds = ramp_from = None
            ok = True
            if "seconds" not in table:
                self.problem(where, "missing 'seconds'")
            elif isinstance(table["seconds"], dict):
                ramp_from, seconds = self.ramp_range(table["seconds"], f"{where}.seconds")
                ok = ramp_from is not None
            else:
                seconds = self.seconds(table["seconds"], f"{where}.seconds")
            say = self.text(table, "say", where)
            cue = self.cue(table, where)
            if pace is not None and seconds is not None and ok:
                phases.append(Phase(pace=pace, seconds=seconds, say=say, cue=cue, ramp_from=ramp_from))
        tapped = self.start(data)
        ramp_cycles = self.ramp_cycles(data, tables, tapped=tapped or "start" in data)
        start_default = self.start_default(data, tables, tapped=tapped)
        minutes = self.minutes(data) if "minutes" in data else None
        cycles = None
        if "cycles" in data:
            value = data["cycles"]
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CYCLES:
                self.problem(
                    "cycles", f"expected a whole number from 1 to {MAX_CYCLES}, got {describe_value(value)}"
                )
            else:
                cycles = value
        voice_cycles = None
        if "voice_cycles" in data:
            value = data["voice_cycles"]
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_CYCLES:
                self.problem(
                    "voice_cycles",
                    f"expected a whole number from 0 to {MAX_CYCLES}, got {describe_value(value)}",
                )
            else:
                voice_cycles = value
        if "minutes" in data and "cycles" in data:
            self.problem("cycles", "give either 'minutes' or 'cycles', not both")
        elif "minutes" not in data and "cycles" not in data:
            self.problem(None, "a breathing exercise needs 'minutes' or 'cycles'")
        exercise = replace(
            base,
            phases=tuple(phases),
            minutes=minutes,
            cycles=cycles,
            voice_cycles=voice_cycles,
            ramp_cycles=ramp_cycles,
            tapped_start=tapped,
            start_default=start_default,
        )
        if phases and len(phases) == len(tables):
            self.breathing_length(exercise, data)
            self.ramp_length(exercise)
            for i, (first, phase) in enumerate(zip(start_default or (), phases, strict=False), start=1):
                if first > phase.seconds:
                    self.problem(
                        f"start_default[{i}]",
                        f"at most the phase's own {figure(phase.seconds)} seconds (a tapped start "
                        f"slows down to the phases), got {figure(first)}",
                    )
        return exercise

    def ramp_range(self, value: Mapping[str, Any], at: str) -> tuple[float | None, float | None]:
        """A phase's ``seconds = { from = 3, to = 6 }``: (from, to), or Nones on a problem."""
        self.keys(value, at, ("from", "to"))
        got: dict[str, float | None] = {}
        for key in ("from", "to"):
            if key not in value:
                self.problem(at, f"missing '{key}' (a range is {{ from = 3, to = 6 }}, in seconds)")
                got[key] = None
            else:
                got[key] = self.seconds(value[key], f"{at}.{key}")
        if any(key not in ("from", "to") for key in value):
            return None, None
        return got["from"], got["to"]

    def start(self, data: Mapping[str, Any]) -> bool:
        """``start = "tapped"``: True for a session that begins at the person's tapped pace."""
        if "start" not in data:
            return False
        value = data["start"]
        if value != "tapped":
            self.problem(
                "start",
                f'expected "tapped" (begin at the pace the person taps), got {describe_value(value)}',
            )
            return False
        if "ramp_cycles" not in data:
            self.problem(
                "start", "a tapped start needs 'ramp_cycles' (how many cycles it takes to reach the phases)"
            )
            return False
        return True

    def start_default(
        self, data: Mapping[str, Any], tables: list[Mapping[str, Any]], *, tapped: bool
    ) -> tuple[float, ...] | None:
        """``start_default = [3, 1, 4]``: a tapped start's first lengths when no taps come."""
        if "start_default" not in data:
            return None
        value = data["start_default"]
        if not tapped:
            if data.get("start") is None:
                self.problem("start_default", 'only a tapped start has a default: add start = "tapped"')
            return None
        if not isinstance(value, list) or len(value) != len(tables):
            self.problem(
                "start_default",
                f"expected a list of {len(tables)} numbers of seconds, one for each phase, "
                f"got {describe_value(value)}",
            )
            return None
        lengths = [self.seconds(item, f"start_default[{i}]") for i, item in enumerate(value, start=1)]
        found = [x for x in lengths if x is not None]
        return tuple(found) if len(found) == len(lengths) else None

    def ramp_cycles(
        self, data: Mapping[str, Any], tables: list[Mapping[str, Any]], *, tapped: bool = False
    ) -> int | None:
        """``ramp_cycles``, which a ranged phase needs and only a ranged phase or a tapped
        start may use (a tapped start ramps every phase, so none may have its own range)."""
        ranged = [i for i, table in enumerate(tables, start=1) if isinstance(table.get("seconds"), dict)]
        if tapped:
            for i in ranged:
                self.problem(
                    f"phase[{i}].seconds",
                    "a tapped start ramps every phase from the tapped pace; give plain seconds",
                )
        if "ramp_cycles" not in data:
            for i in ranged:
                self.problem(
                    f"phase[{i}].seconds",
                    "a range of seconds needs 'ramp_cycles' (how many cycles it takes to go "
                    "from 'from' to 'to')",
                )
            return None
        value = data["ramp_cycles"]
        if isinstance(value, bool) or not isinstance(value, int) or not 2 <= value <= MAX_CYCLES:
            self.problem(
                "ramp_cycles", f"expected a whole number from 2 to {MAX_CYCLES}, got {describe_value(value)}"
            )
            return None
        if not ranged and not tapped:
            self.problem(
                "ramp_cycles",
                "no phase changes length: give a phase 'seconds = { from = 3, to = 6 }', "
                "or leave 'ramp_cycles' out",
            )
            return None
        return value

    def ramp_length(self, exercise: Exercise) -> None:
        """A ramp must end inside the shortest session the exercise allows (the fewest
        minutes a person may choose, or its cycles), so every session reaches ``to``."""
        ramp = exercise.ramp_cycles
        if ramp is None:
            return
        if exercise.cycles is not None:
            cycles, shortest = exercise.cycles, f"a session has {exercise.cycles} cycles"
        elif exercise.minutes is not None:
            cycles = planner.cycles_for(exercise, exercise.minutes.min)
            count = "1 cycle" if cycles == 1 else f"{cycles} cycles"
            minutes = "1 minute" if exercise.minutes.min == 1 else f"{figure(exercise.minutes.min)} minutes"
            shortest = f"the shortest session, {minutes}, has only {count}"
        else:
            return
        if ramp > cycles:
            self.problem(
                "ramp_cycles",
                f"the ramp takes {ramp} cycles, but {shortest}; use fewer ramp cycles or more minutes",
            )

    def breathing_length(self, exercise: Exercise, data: Mapping[str, Any]) -> None:
        """The longest session this exercise allows must fit in MAX_SEGMENTS phases."""
        phases = len(exercise.phases)
        if exercise.cycles is not None:
            cycles, at = exercise.cycles, "cycles"
            how = f"{cycles} cycles"
        elif exercise.minutes is not None:
            cycles = planner.cycles_for(exercise, exercise.minutes.max)
            at = "minutes.max" if isinstance(data.get("minutes"), dict) else "minutes"
            how = (
                f"{figure(exercise.minutes.max)} minutes of {figure(exercise.cycle_seconds)}-second "
                f"cycles is {cycles} cycles"
            )
        else:
            return
        if exercise.tapped_start and exercise.ramp_cycles is not None and exercise.minutes is not None:
            # A quicker tapped pace fits more cycles in the minutes, at most the ramp's more.
            cycles += exercise.ramp_cycles
            how += f" and up to {exercise.ramp_cycles} more from a quicker tapped start"
        if cycles * phases > planner.MAX_SEGMENTS:
            self.problem(
                at,
                f"{how} of {phases} phases, {cycles * phases} in all; a session may have at most "
                f"{planner.MAX_SEGMENTS} (use fewer cycles or minutes, or longer phases)",
            )

    def minutes(self, data: Mapping[str, Any]) -> Minutes | None:
        value = data["minutes"]
        if isinstance(value, bool):
            self.problem("minutes", f"expected a number or a table, got {describe_value(value)}")
            return None
        if isinstance(value, int | float):
            number = self.minutes_value(value, "minutes")
            return Minutes(number, number, number) if number else None
        if not isinstance(value, dict):
            self.problem(
                "minutes", f"expected {{ default = 3, min = 2, max = 5 }}, got {describe_value(value)}"
            )
            return None
        self.keys(value, "minutes", ("default", "min", "max"))
        got: dict[str, float] = {}
        for key in ("default", "min", "max"):
            if key not in value:
                self.problem("minutes", f"missing '{key}'")
                continue
            number = self.minutes_value(value[key], f"minutes.{key}")
            if number is not None:
                got[key] = number
        if len(got) != 3:
            return None
        if not got["min"] <= got["default"] <= got["max"]:
            self.problem("minutes", "expected min <= default <= max")
            return None
        return Minutes(got["default"], got["min"], got["max"])

    def steps(self, data: Mapping[str, Any], where: str) -> tuple[Step, ...]:
        steps = []
        if data.get("step") == []:
            self.problem(f"{where}.step" if where else "step", "an empty list of steps; give at least one")
        for i, table in enumerate(self.table_list(data, "step", where), start=1):
            at = f"{where}.step[{i}]" if where else f"step[{i}]"
            self.keys(table, at, ("title", "say", "seconds", "wait", "pace", "cue", "remind"))
            title = self.text(table, "title", at, required=False, limit=MAX_TITLE, lines=False)
            say = self.text(table, "say", at)
            pace = self.pace(table, at, required=False) or Pace.REST
            cue = self.cue(table, at)
            waits = table.get("wait", False)
            if not isinstance(waits, bool):
                self.problem(f"{at}.wait", f"expected true or false, got {describe_value(waits)}")
                waits = False
            seconds: float | None = None
            ok = True
            if waits and "seconds" in table:
                self.problem(at, "give either 'seconds' or 'wait = true', not both")
                ok = False
            elif "seconds" in table:
                seconds = self.seconds(table["seconds"], f"{at}.seconds")
                ok = seconds is not None
            elif not waits:
                self.problem(at, "missing 'seconds' (or 'wait = true' for a step that waits for you)")
                ok = False
            remind = self.reminders(table, at, seconds, waits is True)
            if ok:
                steps.append(Step(say=say, seconds=seconds, title=title, pace=pace, cue=cue, remind=remind))
        return tuple(steps)

    def reminders(
        self, table: Mapping[str, Any], where: str, seconds: float | None, waits: bool
    ) -> tuple[Reminder, ...]:
        """A step's ``remind = [{ at = 45, say = "..." }, ...]``: spoken lines at seconds
        from the step's start, in order, inside a timed step."""
        if "remind" not in table:
            return ()
        at = f"{where}.remind"
        value = table["remind"]
        if waits:
            self.problem(at, "a step that waits for you has no time to remind in; give it 'seconds'")
            return ()
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.problem(
                at, f'expected a list like [{{ at = 45, say = "..." }}], got {describe_value(value)}'
            )
            return ()
        if len(value) > MAX_REMINDERS:
            self.problem(at, f"{len(value)} reminders; a step may have at most {MAX_REMINDERS}")
            return ()
        found: list[Reminder] = []
        for i, item in enumerate(value, start=1):
            here = f"{at}[{i}]"
            self.keys(item, here, ("at", "say"))
            say = self.text(item, "say", here)
            if "at" not in item:
                self.problem(here, "missing 'at' (seconds from the step's start)")
                continue
            moment = self.number(item["at"], f"{here}.at", "seconds")
            if moment is None:
                continue
            if not math.isfinite(moment) or moment <= 0 or (seconds is not None and moment >= seconds):
                limit = (
                    f"less than the step's {figure(seconds)} seconds"
                    if seconds is not None
                    else "inside the step"
                )
                self.problem(
                    f"{here}.at", f"expected more than 0 and {limit}, got {describe_value(item['at'])}"
                )
                continue
            if found and moment <= found[-1].at:
                self.problem(
                    f"{here}.at", f"expected a later time than the reminder before ({figure(found[-1].at)})"
                )
                continue
            if say:
                found.append(Reminder(at=moment, say=say))
        return tuple(found)

    def routine(self, data: Mapping[str, Any], base: Exercise) -> Exercise:
        steps = self.steps(data, "")
        variants = []
        areas = data.get("area", {})
        if not isinstance(areas, dict):
            self.problem("area", f"expected [area.<name>] tables, got {describe_value(areas)}")
            areas = {}
        for name, table in areas.items():
            where = f"area.{field_key(name)}"
            if self.area_name(name, where) is None:
                continue
            if not isinstance(table, dict):
                self.problem(where, f"expected a table, got {describe_value(table)}")
                continue
            self.keys(table, where, ("title", "step"))
            title = self.text(table, "title", where, required=False, limit=MAX_TITLE, lines=False)
            title = title or AREAS[name]
            area_steps = self.steps(table, where)
            if not area_steps and "step" not in table:
                self.problem(where, "an area needs at least one [[...step]]")
            variants.append(Variant(area=name, title=title, steps=area_steps))
        if "step" not in data and not areas:
            self.problem(None, "a routine needs [[step]] tables or [area.<name>] variants")
        self.routine_length(steps, variants)
        return replace(base, steps=steps, variants=tuple(variants))

    def routine_length(self, steps: tuple[Step, ...], variants: list[Variant]) -> None:
        """Shared steps and any one area's steps together must fit in MAX_SEGMENTS."""
        cap = planner.MAX_SEGMENTS
        if len(steps) > cap:
            self.problem(f"step[{cap + 1}]", f"{len(steps)} steps; a session may have at most {cap}")
            return
        for variant in variants:
            if len(steps) + len(variant.steps) > cap:
                total = len(steps) + len(variant.steps)
                self.problem(
                    f"area.{variant.area}.step[{cap - len(steps) + 1}]",
                    f"{total} steps with the shared ones; a session may have at most {cap}",
                )

    def program(self, data: Mapping[str, Any], base: Exercise) -> Exercise:
        parts = []
        tables = self.required_tables(data, "part", "a program")
        for i, table in enumerate(tables, start=1):
            at = f"part[{i}]"
            self.keys(table, at, ("exercise", "minutes", "area"))
            ref = table.get("exercise")
            usable = isinstance(ref, str) and _ID_RE.match(ref) is not None
            if not usable:
                self.problem(
                    f"{at}.exercise" if "exercise" in table else at,
                    f"expected an exercise id, got {describe_value(ref)}",
                )
            # Every field of every part is checked, so one run of validate shows it all.
            minutes = None
            if "minutes" in table:
                minutes = self.minutes_value(table["minutes"], f"{at}.minutes")
            area = None
            if "area" in table:
                area = self.area_name(table["area"], f"{at}.area")
            # A part without a usable id stays as a blank, so the parts keep their numbers
            # for the checks between files (its file has a problem: it never runs).
            parts.append(
                Part(exercise=ref if usable and isinstance(ref, str) else "", minutes=minutes, area=area)
            )
        return replace(base, parts=tuple(parts))
