"""Checking a parsed data file's fields one value at a time, each problem with its line.

``FieldChecker`` walks values (text, numbers, seconds, cues, paces, areas, lists of
tables) and collects each problem with its field path; the line is found in the file's
text only when there is a problem. ``schema.Checker`` builds exercises on top of it.

Pure: never imports the UI or audio.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from calmcoach.data.safefile import read_limited
from calmcoach.data.tomlfile import MAX_FILE_BYTES, Lines, Problem, describe_value, figure
from calmcoach.domain.model import (
    AREAS,
    Pace,
)
from calmcoach.domain.visible import LAYOUT, first_hidden, hidden_name

MAX_SECONDS = 600.0
"""The longest a single phase or step may last: ten minutes."""
MIN_SECONDS = 0.5
"""The shortest a timed phase or step may be: a breath phase shorter than this is not
something a person can follow, and a thousand of them a second would flood the session."""
MAX_MINUTES = 120.0
MAX_TEXT = 600
MAX_PROBLEMS = 100
"""Problems reported for one file; past this, one more line says how many were left out."""
MAX_KEY_SHOWN = 40
"""Longer key names are cut short in field paths."""
_SOUND_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class FieldChecker:
    """Walks one parsed file's values and collects the problems found, with their lines."""

    def __init__(self, path: Path, text: str | None, sound_names: frozenset[str] | None) -> None:
        self.path = path
        self._source = text
        """The file's text, for the lines of problems (None: read it if a problem needs it)."""
        self._lines: Lines | None = None
        self.sound_names = sound_names
        self.problems: list[Problem] = []
        self.left_out = 0
        """Problems past MAX_PROBLEMS, counted but not kept."""

    def problem(self, where: str | None, message: str) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.left_out += 1
            return
        if self._lines is None:  # scanned only when a file has something wrong with it
            self._lines = Lines(self._source if self._source is not None else _text_of(self.path))
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
                at = f"{where}.{field_key(key)}" if where else field_key(key)
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
            self.problem(at, f"must be more than 0 seconds, got {figure(number)}")
            return None
        if number < MIN_SECONDS:
            self.problem(
                at, f"at least {figure(MIN_SECONDS)} seconds (too short to follow), got {figure(number)}"
            )
            return None
        if number > MAX_SECONDS:
            self.problem(at, f"at most {figure(MAX_SECONDS)} seconds (10 minutes), got {figure(number)}")
            return None
        return number

    def minutes_value(self, value: Any, at: str) -> float | None:
        number = self.number(value, at, "minutes")
        if number is None:
            return None
        if not math.isfinite(number) or number <= 0 or number > MAX_MINUTES:
            self.problem(
                at, f"expected minutes between 0 and {figure(MAX_MINUTES)}, got {describe_value(value)}"
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


def _float(value: int | float) -> float:
    """A number from a file as a float; a whole number too large for one becomes infinity
    (TOML has no limit on digits, a float has), which the checks then refuse."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def field_key(key: str) -> str:
    """A key from a file for a field path, cut short if long (``Problem`` shows its controls)."""
    return key if len(key) <= MAX_KEY_SHOWN else f"{key[: MAX_KEY_SHOWN - 3]}..."


def _hidden_problem(value: str, *, lines: bool) -> str | None:
    """What is wrong with a text holding a control, format or bidirectional character, if it does."""
    found = first_hidden(value, allowed=LAYOUT if lines else "")
    if found is None:
        return None
    return f"contains control characters such as {hidden_name(found)}; use plain text"


def _text_of(path: Path) -> str:
    """A file's text for finding lines in problems (empty if it cannot be read now)."""
    try:
        return read_limited(path, MAX_FILE_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
