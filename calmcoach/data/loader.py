"""Read exercise files, validate them strictly, and collect every problem.

Each exercise is one TOML file; its id is the file's stem. Validation rejects
unknown keys and keeps going after the first problem, so a person fixing a file
sees everything that is wrong at once. A problem names the file, the line (when
it can be found), the field path (``phase[2].seconds``, counting from 1, as a
person would) and what was expected.

Pure: reads files, never imports the UI or audio.
"""

from __future__ import annotations

import json
import math
import os
import re
import zlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calmcoach.data.safefile import RefusedFile, read_limited, write_atomic
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
from calmcoach.domain.visible import LAYOUT, first_hidden, hidden_name, visible

if TYPE_CHECKING:
    import tomllib

MAX_FILE_BYTES = 64 * 1024
"""Exercise files larger than this are refused unread. The largest built-in is about 3 KiB;
the limit keeps the worst file tomllib can be given to a fraction of a second."""
MAX_SECONDS = 600.0
"""The longest a single phase or step may last: ten minutes."""
MIN_SECONDS = 0.5
"""The shortest a timed phase or step may be: a breath phase shorter than this is not
something a person can follow, and a thousand of them a second would flood the session."""
MAX_MINUTES = 120.0
MAX_CYCLES = 1000
MAX_TEXT = 600
MAX_TITLE = 80
MAX_REMINDERS = 40
"""Spoken reminders one step may have (a 10-minute step, one every 15 seconds)."""
MAX_PROBLEMS = 100
"""Problems reported for one file; past this, one more line says how many were left out."""
MAX_CACHE_BYTES = 32 * 1024 * 1024
"""A parse cache larger than this is not read (it is rebuilt, smaller)."""
MAX_KEY_SHOWN = 40
"""Longer key names are cut short in field paths."""
MAX_KEY_PARTS = 16
"""Dotted parts one key or table name may have (``area.hand.step`` has three). tomllib takes
time and memory that grow with the square of the parts: 16 000 took 17 s and 1 GB."""

_KEY_PART = r"""(?:[A-Za-z0-9_-]++|"(?:[^"\\\n]|\\.)*+"|'[^'\n]*+')"""
_LONG_KEY = re.compile(
    rf"^[ \t]*+\[{{0,2}}[ \t]*+{_KEY_PART}(?:[ \t]*+\.[ \t]*+{_KEY_PART}){{{MAX_KEY_PARTS}}}", re.MULTILINE
)
"""A line that starts a key or a table name of more than MAX_KEY_PARTS parts. Possessive
quantifiers and the line anchor keep the search linear in the file's length."""

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SOUND_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an exercise file."""

    path: Path
    message: str
    field: str | None = None
    """Where in the file, as a path such as ``phase[2].seconds`` (1-based)."""
    line: int | None = None

    def __str__(self) -> str:
        """``file:line: field: message`` on one line, with any control character in the file's
        name, the field path or the message written out visibly (never sent to a terminal)."""
        path = visible(str(self.path))
        where = f"{path}:{self.line}" if self.line else path
        message = visible(self.message)
        return f"{where}: {visible(self.field)}: {message}" if self.field else f"{where}: {message}"


@dataclass(frozen=True)
class BrokenFile:
    """An exercise file that could not be loaded, with everything wrong with it."""

    id: str
    path: Path
    origin: Origin
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Library:
    """Every exercise found, plus the files that failed to load."""

    exercises: Mapping[str, Exercise]
    broken: tuple[BrokenFile, ...] = ()
    notices: tuple[str, ...] = ()
    """One line each about other files met while loading (a parse cache that is a FIFO...)."""

    def get(self, exercise_id: str) -> Exercise | None:
        """The exercise with this id, or None. Ids ignore case (see ``load_library``)."""
        found = self.exercises.get(exercise_id)
        if found is None:
            folded = exercise_id.casefold()
            found = next((e for key, e in self.exercises.items() if key.casefold() == folded), None)
        return found

    def __len__(self) -> int:
        return len(self.exercises)


class _Lines:
    """Maps field paths to the line that defines them, by a light scan of the text.

    tomllib reports no positions for values, so this follows table headers and
    ``key =`` lines. It is a guide for error messages, not a parser: when a path
    cannot be placed, the nearest enclosing path that can be is used.
    """

    _ARRAY = re.compile(r"^\s*\[\[\s*([^\]]+?)\s*\]\]")
    _TABLE = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
    _KEY = re.compile(r"""^\s*([A-Za-z0-9_\-."']+?)\s*=""")
    _INLINE_KEY = re.compile(r"[{,]\s*([A-Za-z0-9_\-]+)\s*=")

    def __init__(self, text: str) -> None:
        self.lines: dict[str, int] = {}
        counts: dict[str, int] = {}
        prefix = ""
        in_multiline = False
        items: tuple[str, int] | None = None
        """In an array of inline tables written one a line (a step's ``remind``): its
        path and how many tables so far, so ``remind[2].at`` finds its own line."""
        for number, raw in enumerate(text.splitlines(), start=1):
            if raw.count('"""') % 2 == 1 or raw.count("'''") % 2 == 1:
                in_multiline = not in_multiline
                if not in_multiline:
                    continue
            elif in_multiline:
                continue
            if items is not None:
                stripped = raw.strip()
                if stripped.startswith("{"):
                    path = f"{items[0]}[{items[1] + 1}]"
                    items = (items[0], items[1] + 1)
                    self.lines.setdefault(path, number)
                    for key in self._INLINE_KEY.findall(stripped):
                        self.lines.setdefault(f"{path}.{key}", number)
                    continue
                if stripped.startswith("]") or self._TABLE.match(raw) or self._KEY.match(raw):
                    items = None
            if m := self._ARRAY.match(raw):
                name = _clean_key(m.group(1))
                counts[name] = counts.get(name, 0) + 1
                prefix = f"{name}[{counts[name]}]"
                self.lines.setdefault(prefix, number)
            elif m := self._TABLE.match(raw):
                prefix = _clean_key(m.group(1))
                self.lines.setdefault(prefix, number)
            elif m := self._KEY.match(raw):
                key = _clean_key(m.group(1))
                # A dotted key (``minutes.max = 5``) defines each table on its way too.
                parts = key.split(".")
                for end in range(1 if len(parts) <= MAX_KEY_PARTS else len(parts), len(parts) + 1):
                    path = ".".join(parts[:end])
                    self.lines.setdefault(f"{prefix}.{path}" if prefix else path, number)
                if raw[m.end() :].strip() == "[":
                    items = (f"{prefix}.{key}" if prefix else key, 0)

    def find(self, path: str | None) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None


def _clean_key(key: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in key.split("."))


class _Checker:
    """Walks one parsed file, building the exercise and collecting problems."""

    def __init__(self, path: Path, text: str | None, sound_names: frozenset[str] | None) -> None:
        self.path = path
        self._source = text
        """The file's text, for the lines of problems (None: read it if a problem needs it)."""
        self._lines: _Lines | None = None
        self.sound_names = sound_names
        self.problems: list[Problem] = []
        self.left_out = 0
        """Problems past MAX_PROBLEMS, counted but not kept."""

    def problem(self, where: str | None, message: str) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.left_out += 1
            return
        if self._lines is None:  # scanned only when a file has something wrong with it
            self._lines = _Lines(self._source if self._source is not None else _text_of(self.path))
        self.problems.append(Problem(self.path, message, field=where, line=self._lines.find(where)))

    def all_problems(self) -> tuple[Problem, ...]:
        """Every problem kept, and a last line saying how many more there were, if any."""
        if not self.left_out:
            return tuple(self.problems)
        more = Problem(self.path, f"and {self.left_out} more problems like these (not shown)")
        return (*self.problems, more)

    # --- generic value checks -------------------------------------------------

    def keys(self, table: Mapping[str, Any], where: str, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in table:
            if key not in allowed:
                at = f"{where}.{_key(key)}" if where else _key(key)
                self.problem(at, f"unknown key; expected one of: {', '.join(allowed)}")

    def text(
        self,
        table: Mapping[str, Any],
        key: str,
        where: str,
        *,
        required: bool = True,
        limit: int = MAX_TEXT,
        lines: bool = True,
    ) -> str:
        """A text field's value, stripped. ``lines``: it may hold line breaks and tabs."""
        at = f"{where}.{key}" if where else key
        if key not in table:
            if required:
                self.problem(where or None, f"missing '{key}' (text)")
            return ""
        raw = table[key]
        if not isinstance(raw, str):
            self.problem(at, f"expected text in quotes, got {describe_value(raw)}")
            return ""
        value: str = raw.strip()
        if required and not value:
            self.problem(at, "must not be empty")
        elif len(value) > limit:
            self.problem(at, f"too long ({len(value)} characters; at most {limit})")
        elif hidden := _hidden_problem(value, lines=lines):
            self.problem(at, hidden)
        return value

    def number(self, value: Any, at: str, unit: str) -> float | None:
        """A number of ``unit`` from the file as a float (true and false are not numbers)."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(at, f"expected a number of {unit}, got {describe_value(value)}")
            return None
        return _float(value)

    def seconds(self, value: Any, at: str) -> float | None:
        number = self.number(value, at, "seconds")
        if number is None:
            return None
        if not math.isfinite(number):
            self.problem(at, f"must be a finite number of seconds, got {describe_value(value)}")
            return None
        if number <= 0:
            self.problem(at, f"must be more than 0 seconds, got {_num(number)}")
            return None
        if number < MIN_SECONDS:
            self.problem(
                at, f"at least {_num(MIN_SECONDS)} seconds (too short to follow), got {_num(number)}"
            )
            return None
        if number > MAX_SECONDS:
            self.problem(at, f"at most {_num(MAX_SECONDS)} seconds (10 minutes), got {_num(number)}")
            return None
        return number

    def minutes_value(self, value: Any, at: str) -> float | None:
        number = self.number(value, at, "minutes")
        if number is None:
            return None
        if not math.isfinite(number) or number <= 0 or number > MAX_MINUTES:
            self.problem(
                at, f"expected minutes between 0 and {_num(MAX_MINUTES)}, got {describe_value(value)}"
            )
            return None
        return number

    def cue(self, table: Mapping[str, Any], where: str) -> str | None:
        if "cue" not in table:
            return None
        at = f"{where}.cue"
        value = table["cue"]
        if not isinstance(value, str):
            self.problem(at, f"expected a sound name in quotes, got {describe_value(value)}")
            return None
        if "/" in value or "\\" in value or value.endswith(".wav") or value.startswith("."):
            self.problem(at, f"a cue is a sound's name, not a file path (got {describe_value(value)})")
            return None
        if not _SOUND_RE.match(value):
            self.problem(at, f"{describe_value(value)} is not a sound name (letters, digits, - and _)")
            return None
        if self.sound_names is not None and value not in self.sound_names:
            known = ", ".join(sorted(self.sound_names)) or "none"
            self.problem(at, f"no sound named '{value}' (known: {known})")
            return None
        return value

    def pace(self, table: Mapping[str, Any], where: str, *, required: bool) -> Pace | None:
        if "pace" not in table:
            if required:
                self.problem(where, "missing 'pace' (inhale, hold, exhale or rest)")
            return None
        value = table["pace"]
        try:
            return Pace(value)
        except ValueError:
            self.problem(
                f"{where}.pace", f"expected inhale, hold, exhale or rest, got {describe_value(value)}"
            )
            return None

    def area_name(self, value: Any, at: str) -> str | None:
        if not isinstance(value, str) or value not in AREAS:
            self.problem(
                at, f"unknown body area {describe_value(value)}; expected one of: {', '.join(AREAS)}"
            )
            return None
        return value

    def table_list(self, data: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
        at = f"{where}.{key}" if where else key
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem(at, f"expected [[{at}]] tables")
            return []
        return value

    def text_list(self, data: Mapping[str, Any], key: str, *, lines: bool) -> tuple[str, ...]:
        if key not in data:
            return ()
        value = data[key]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.problem(key, f"expected a list of texts, got {describe_value(value)}")
            return ()
        out = []
        for i, item in enumerate(value, start=1):
            at = f"{key}[{i}]"
            if not isinstance(item, str) or not item.strip():
                self.problem(at, f"expected text in quotes, got {describe_value(item)}")
            elif hidden := _hidden_problem(item, lines=lines):
                self.problem(at, hidden)
            elif len(item) > MAX_TEXT:
                self.problem(at, f"too long ({len(item)} characters; at most {MAX_TEXT})")
            else:
                out.append(item.strip())
        return tuple(out)

    # --- kinds ----------------------------------------------------------------

    def required_tables(self, data: Mapping[str, Any], key: str, what: str) -> list[Mapping[str, Any]]:
        """The top-level ``[[key]]`` tables of an exercise that needs at least one
        (``what`` names the exercise in the problem when there are none)."""
        tables = self.table_list(data, key, "")
        if not tables and key not in data:
            self.problem(None, f"{what} needs at least one [[{key}]]")
        elif data.get(key) == []:
            self.problem(key, f"{what} needs at least one {key}")
        return tables

    def exercise(self, data: Mapping[str, Any], exercise_id: str, origin: Origin) -> Exercise | None:
        common = ("title", "kind", "summary", "safety", "tags")
        per_kind = {
            Kind.BREATHING: ("minutes", "cycles", "phase", "voice_cycles"),
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
            seconds = None
            if "seconds" in table:
                seconds = self.seconds(table["seconds"], f"{where}.seconds")
            else:
                self.problem(where, "missing 'seconds'")
            say = self.text(table, "say", where)
            cue = self.cue(table, where)
            if pace is not None and seconds is not None:
                phases.append(Phase(pace=pace, seconds=seconds, say=say, cue=cue))
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
            base, phases=tuple(phases), minutes=minutes, cycles=cycles, voice_cycles=voice_cycles
        )
        if phases and len(phases) == len(tables):
            self.breathing_length(exercise, data)
        return exercise

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
                f"{_num(exercise.minutes.max)} minutes of {_num(exercise.cycle_seconds)}-second "
                f"cycles is {cycles} cycles"
            )
        else:
            return
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
                    f"less than the step's {_num(seconds)} seconds"
                    if seconds is not None
                    else "inside the step"
                )
                self.problem(
                    f"{here}.at", f"expected more than 0 and {limit}, got {describe_value(item['at'])}"
                )
                continue
            if found and moment <= found[-1].at:
                self.problem(
                    f"{here}.at", f"expected a later time than the reminder before ({_num(found[-1].at)})"
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
            where = f"area.{_key(name)}"
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


def describe_value(value: Any) -> str:
    """A value from a TOML file, for a problem message: short, quoted, control characters
    visible. Every file calmcoach reads (exercises, red flags, reminder settings) says
    what it got in these words."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{visible(value)}'" if len(value) < 40 else f"'{visible(value[:37])}...'"
    if isinstance(value, int) and abs(value) >= 10**15:
        return "a whole number with more than 15 digits"
    if isinstance(value, int | float):
        return _num(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    return type(value).__name__


def _float(value: int | float) -> float:
    """A number from a file as a float; a whole number too large for one becomes infinity
    (TOML has no limit on digits, a float has), which the checks then refuse."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _key(key: str) -> str:
    """A key from a file for a field path, cut short if long (``Problem`` shows its controls)."""
    return key if len(key) <= MAX_KEY_SHOWN else f"{key[: MAX_KEY_SHOWN - 3]}..."


def _hidden_problem(value: str, *, lines: bool) -> str | None:
    """What is wrong with a text holding a control, format or bidirectional character, if it does."""
    found = first_hidden(value, allowed=LAYOUT if lines else "")
    if found is None:
        return None
    return f"contains control characters such as {hidden_name(found)}; use plain text"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _decode(path: Path, raw: bytes) -> tuple[str | None, Problem | None]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return None, Problem(path, "starts with a UTF-8 byte-order mark (BOM); save it as UTF-8 without BOM")
    if b"\x00" in raw:
        return None, Problem(path, "is a binary file, not a TOML text file")
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as error:
        return None, Problem(path, f"is not UTF-8 text (bad byte at offset {error.start})")


class ParseCache:
    """Parsed TOML of exercise files from earlier runs, keyed by checksums of each file's bytes.

    tomllib is most of the time it takes to load a large library (about 0.12 ms for a
    small file); this keeps what it returned as JSON, so an unchanged file is only read
    and checksummed. The key comes from the file's content, so an edit is not missed,
    whatever its timestamps say. Every check still runs on the cached tables: the library loaded is
    the same with or without a cache. A cache that cannot be read is ignored and
    rebuilt; one that cannot be written is simply not kept.
    """

    VERSION = 2

    def __init__(self, path: Path | None) -> None:
        self.path = path
        """The JSON file (None: keep nothing between runs)."""
        self._entries: dict[str, Any] = {}
        self._used: set[str] = set()
        self._changed = False
        self.problem: str | None = None
        """Why a cache file that is there was not read, when that is worth telling: it is
        not a regular file (a FIFO, a device...) or too large. It is replaced on save."""
        if path is None:
            return
        try:
            raw = read_limited(path, MAX_CACHE_BYTES)
        except RefusedFile as error:
            self.problem = f"{visible(str(path))} {error}; calmcoach does not read it and will replace it"
            return
        except OSError:  # missing or unreadable: rebuilt, as if deleted
            return
        try:
            stored = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):  # damaged or nested past json's limit: rebuilt
            return
        if isinstance(stored, dict) and stored.get("version") == self.VERSION:
            files = stored.get("files")
            if isinstance(files, dict):
                self._entries = files

    @staticmethod
    def key(raw: bytes) -> str:
        """The cache key of a file with these bytes: its size and two checksums (64 bits).

        Not a cryptographic hash: the cache is the user's own, with no one to forge it,
        and hashlib would load OpenSSL (over half a MiB of memory) into the app."""
        return f"{len(raw):x}-{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}"

    def get(self, key: str) -> dict[str, Any] | None:
        """The parsed tables stored for this key, if any (never to be modified)."""
        data = self._entries.get(key)
        if not isinstance(data, dict):
            return None
        self._used.add(key)
        return data

    def put(self, key: str, data: dict[str, Any]) -> None:
        """Keep freshly parsed tables (any with dates or times, not JSON, are left out on save)."""
        self._entries[key] = data
        self._used.add(key)
        self._changed = True

    def save(self) -> None:
        """Write the entries used by this load (and only those), if anything changed."""
        if self.path is None or (not self._changed and self._used == set(self._entries)):
            return
        entries = {key: value for key, value in self._entries.items() if key in self._used}
        try:
            text = json.dumps({"version": self.VERSION, "files": entries})
        except (TypeError, ValueError, RecursionError):  # a file with a date: keep all the others
            entries = {key: value for key, value in entries.items() if _is_json(value)}
            text = json.dumps({"version": self.VERSION, "files": entries})
        try:
            write_atomic(self.path, text.encode("utf-8"))
        except OSError:
            return
        self._entries, self._changed = entries, False


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        return False
    return True


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_END = re.compile(r"\s*\(at end of document\)\s*$")


def parse_file(
    path: Path,
    origin: Origin = Origin.USER,
    sound_names: frozenset[str] | None = None,
    cache: ParseCache | None = None,
) -> Exercise | tuple[Problem, ...]:
    """Read and validate one exercise file on its own.

    Cross-file checks (program parts exist and fit) are ``check_references``'s job.
    ``sound_names`` of None skips the check that cues name existing sounds. A ``cache``
    saves parsing a file whose bytes it has seen before. Never raises: whatever goes
    wrong with one file comes back as its problems.
    """
    exercise, problems = _load(path, origin, sound_names, cache)
    if problems or exercise is None:
        return problems or (Problem(path, "cannot be loaded"),)
    return exercise


def _load(
    path: Path, origin: Origin, sound_names: frozenset[str] | None, cache: ParseCache | None
) -> tuple[Exercise | None, tuple[Problem, ...]]:
    """The exercise in ``path`` and its problems. With problems, the exercise (if any) is
    what could be built despite them, for the cross-file checks of ``validate``."""
    text: str | None = None
    try:
        raw = read_limited(path, MAX_FILE_BYTES)
        text, problem = _decode(path, raw)
        if problem or text is None:
            return None, (problem or Problem(path, "cannot be read"),)
        key = cache.key(raw) if cache is not None else ""
        data = cache.get(key) if cache is not None else None
        if data is None:
            import tomllib  # only for files the cache has not seen: most starts never need it

            if long_key := _LONG_KEY.search(text):
                line = text.count("\n", 0, long_key.start()) + 1
                message = f"a key or table name of more than {MAX_KEY_PARTS} dotted parts (like a.b.c)"
                return None, (Problem(path, message, line=line),)
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as error:
                return None, (_syntax_problem(path, text, error),)
            if cache is not None:
                cache.put(key, data)
        checker = _Checker(path, text, sound_names)
        exercise = checker.exercise(data, path.stem, origin)
        return exercise, checker.all_problems()
    except RefusedFile as error:
        return None, (Problem(path, str(error)),)
    except OSError as error:
        return None, (Problem(path, f"cannot be read: {error.strerror or error}"),)
    except RecursionError:
        message = "nests lists or tables too deeply to read (keep values a level or two deep)"
        return None, (Problem(path, message, line=_deepest_line(text or "")),)
    except Exception as error:  # one broken file never stops the others from loading
        return None, (Problem(path, f"cannot be loaded: {type(error).__name__}: {error}"),)


def _deepest_line(text: str) -> int | None:
    """The line where brackets and braces nest deepest (a guide: strings are not skipped)."""
    depth, deepest, line_of_deepest = 0, 0, None
    for number, line in enumerate(text.splitlines(), start=1):
        for character in line:
            if character in "[{":
                depth += 1
                if depth > deepest:
                    deepest, line_of_deepest = depth, number
            elif character in "]}":
                depth = max(0, depth - 1)
    return line_of_deepest


def _syntax_problem(path: Path, text: str, error: tomllib.TOMLDecodeError) -> Problem:
    """A TOML syntax error as a problem, with the line tomllib gave."""
    message = str(error)
    line = None
    if m := _TOML_POSITION.search(message):
        line = int(m.group(1))
        message = message[: m.start()]
    elif m := _TOML_END.search(message):
        line = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
        message = message[: m.start()] + " at the end of the file"
    return Problem(path, f"TOML syntax error: {message}", line=line)


def read_data_file(path: Path) -> tuple[dict[str, Any], str] | Problem:
    """Read a small TOML data file that is not an exercise (the red flags, for one).

    Gives its tables and its text (for ``line_of``), or the one problem that stopped
    it: not a regular file, too large, unreadable, not UTF-8 text, nested too deeply or
    a TOML syntax error. Checking the tables is the caller's job.
    """
    try:
        raw = read_limited(path, MAX_FILE_BYTES)
    except RefusedFile as error:
        return Problem(path, str(error))
    except OSError as error:
        return Problem(path, f"cannot be read: {error.strerror or error}")
    text, problem = _decode(path, raw)
    if problem or text is None:
        return problem or Problem(path, "cannot be read")
    import tomllib

    if long_key := _LONG_KEY.search(text):
        line = text.count("\n", 0, long_key.start()) + 1
        return Problem(path, f"a key or table name of more than {MAX_KEY_PARTS} dotted parts", line=line)
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as error:
        return _syntax_problem(path, text, error)
    except RecursionError:
        return Problem(path, "nests lists or tables too deeply to read", line=_deepest_line(text))
    except ValueError as error:  # an integer past Python's digit limit
        return Problem(path, f"cannot be read: {error}")


def line_of(text: str, where: str | None) -> int | None:
    """The line of TOML ``text`` that defines the field path ``where`` (``flag[2].urgency``,
    counting from 1), or that of the nearest enclosing path that can be placed."""
    return _Lines(text).find(where)


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
    checker = _Checker(program.path, None, None)
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
                    f"{name} runs {_num(target.minutes.min)} to {_num(target.minutes.max)} minutes, "
                    f"not {_num(part.minutes)}",
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
    checker = _Checker(exercise.path, None, None)
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


def _text_of(path: Path) -> str:
    """A file's text for finding lines in problems (empty if it cannot be read now)."""
    try:
        return read_limited(path, MAX_FILE_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def sound_names_in(*dirs: Path) -> frozenset[str]:
    """The cue names available: the stems of the WAV files in these dirs.

    Only regular files count (``is_file`` looks without opening): a FIFO or a link to a
    device named ``x.wav`` is no sound, so no cue can name it and nothing waits on it."""
    names: set[str] = set()
    for directory in dirs:
        if directory.is_dir():
            names.update(p.stem for p in directory.glob("*.wav") if p.is_file())
    return frozenset(names)


@dataclass
class _Found:
    exercises: dict[str, Exercise] = field(default_factory=dict)
    broken: list[BrokenFile] = field(default_factory=list)
    partial: dict[int, Exercise] = field(default_factory=dict)
    """Programs built despite problems, by their index in ``broken``: their parts are
    checked too, so every problem shows at once."""
    folded: dict[str, str] = field(default_factory=dict)
    """Each id in ``exercises`` by its case-folded form (ids ignore case)."""


def load_library(
    builtin_dir: Path,
    user_dir: Path | None,
    sound_names: frozenset[str] | None,
    cache: ParseCache | None = None,
) -> Library:
    """Load the built-ins, then the user's files over them.

    A user file with a built-in's id replaces it and is marked ``overrides_builtin``.
    A broken file is listed with its problems; it never hides the others. A user
    file that is broken does not hide the built-in of the same id either.

    Ids ignore case, as people do (and some file systems): a user's
    ``Breathing-4-2-6.toml`` replaces the built-in ``breathing-4-2-6`` like any
    replacement, keeping the built-in's spelling so that programs and the history
    that name it still find it, and a notice says so. Of two files in one folder whose
    names differ only in case, the first by name is used and the other is listed as
    broken, naming it.
    """
    found = _Found()
    notices: list[str] = []
    sources = [(builtin_dir, Origin.BUILTIN)]
    if user_dir is not None:
        sources.append((user_dir, Origin.USER))
    for directory, origin in sources:
        if not directory.is_dir():
            continue
        here: dict[str, Path] = {}
        for path in sorted(directory.glob("*.toml")):
            first = here.setdefault(path.stem.casefold(), path)
            if first != path:
                message = f"has the same id as {first.name} (ids ignore case), which is used; rename one"
                found.broken.append(BrokenFile(path.stem, path, origin, (Problem(path, message),)))
                continue
            result, problems = _load(path, origin, sound_names, cache)
            if result is not None and not problems:
                previous = found.exercises.get(found.folded.get(result.id.casefold(), result.id))
                if previous is not None and previous.origin is Origin.BUILTIN and origin is Origin.USER:
                    if previous.id != result.id:
                        notices.append(
                            f"{visible(str(path))} replaces the built-in {previous.id} "
                            f"(ids ignore case) and keeps its id, {previous.id}"
                        )
                    result = replace(result, id=previous.id, overrides_builtin=True)
                found.exercises[result.id] = result
                found.folded[result.id.casefold()] = result.id
                continue
            if result is not None and result.kind is Kind.PROGRAM:
                found.partial[len(found.broken)] = result
            found.broken.append(BrokenFile(path.stem, path, origin, problems))
    known = {*found.exercises, *(item.id for item in found.broken)}
    for exercise_id, problems in check_references(found.exercises, broken=known).items():
        exercise = found.exercises.pop(exercise_id)
        found.broken.append(BrokenFile(exercise_id, exercise.path, exercise.origin, problems))
    for index, program in found.partial.items():
        item = found.broken[index]
        more = part_problems(program, found.exercises, known)
        found.broken[index] = replace(item, problems=_capped(item.path, _by_line(item.problems + more)))
    ordered = dict(
        sorted(found.exercises.items(), key=lambda kv: (list(Kind).index(kv[1].kind), kv[1].title.lower()))
    )
    return Library(ordered, tuple(found.broken), tuple(notices))


def validate_files(
    paths: Iterable[Path],
    library: Library,
    sound_names: frozenset[str] | None,
    warnings: dict[Path, tuple[Problem, ...]] | None = None,
) -> dict[Path, tuple[Problem, ...]]:
    """Check files as ``calmcoach validate`` does: alone, then against the library.

    ``warnings``, when given, receives for each file that loads what does not stop it
    running: steps too short for the voice to say their text (see :func:`voice_warnings`)."""
    results: dict[Path, tuple[Problem, ...]] = {}
    parsed: dict[str, Exercise] = {}
    partial: dict[Path, Exercise] = {}
    for path in paths:
        if not os.path.lexists(path):
            results[path] = (Problem(path, "no such file"),)
            continue
        result, problems = _load(path, Origin.USER, sound_names, None)
        results[path] = problems
        if result is not None and not problems:
            parsed[result.id] = result
        elif result is not None and result.kind is Kind.PROGRAM:
            partial[path] = result
    if warnings is not None:
        for exercise in parsed.values():
            warnings[exercise.path] = voice_warnings(exercise)
    combined = {**library.exercises, **parsed}
    broken = {item.id for item in library.broken}
    references = check_references(combined, only=parsed.values(), broken=broken)
    for exercise in parsed.values():
        if exercise.id in references:
            results[exercise.path] = references[exercise.id]
    for path, program in partial.items():  # every problem at once, those of the parts too
        more = part_problems(program, combined, {*combined, *broken})
        results[path] = _capped(path, _by_line(results[path] + more))
    return results


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


def _by_line(problems: tuple[Problem, ...]) -> tuple[Problem, ...]:
    """Problems in the order of the file (those of the whole file first)."""
    return tuple(sorted(problems, key=lambda problem: problem.line or 0))


def _capped(path: Path, problems: tuple[Problem, ...]) -> tuple[Problem, ...]:
    """At most MAX_PROBLEMS problems, and a line saying how many more there were."""
    if len(problems) <= MAX_PROBLEMS + 1:
        return problems
    more = len(problems) - MAX_PROBLEMS
    return (*problems[:MAX_PROBLEMS], Problem(path, f"and {more} more problems like these (not shown)"))
