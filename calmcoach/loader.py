"""Read exercise files, validate them strictly, and collect every problem.

Each exercise is one TOML file; its id is the file's stem. Validation rejects
unknown keys and keeps going after the first problem, so a person fixing a file
sees everything that is wrong at once. A problem names the file, the line (when
it can be found), the field path (``phase[2].seconds``, counting from 1, as a
person would) and what was expected.

Pure: reads files, never imports the UI or audio.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calmcoach.model import (
    AREAS,
    Exercise,
    Kind,
    Minutes,
    Origin,
    Pace,
    Part,
    Phase,
    Step,
    Variant,
)

if TYPE_CHECKING:
    import tomllib

MAX_FILE_BYTES = 256 * 1024
"""Exercise files larger than this are refused unread."""
MAX_SECONDS = 600.0
"""The longest a single phase or step may last: ten minutes."""
MAX_MINUTES = 120.0
MAX_CYCLES = 1000
MAX_TEXT = 600
MAX_TITLE = 80

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SOUND_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an exercise file."""

    path: Path
    message: str
    field: str | None = None
    """Where in the file, as a path such as ``phase[2].seconds`` (1-based)."""
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


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

    def get(self, exercise_id: str) -> Exercise | None:
        """The exercise with this id, or None."""
        return self.exercises.get(exercise_id)

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

    def __init__(self, text: str) -> None:
        self.lines: dict[str, int] = {}
        counts: dict[str, int] = {}
        prefix = ""
        in_multiline = False
        for number, raw in enumerate(text.splitlines(), start=1):
            if raw.count('"""') % 2 == 1 or raw.count("'''") % 2 == 1:
                in_multiline = not in_multiline
                if not in_multiline:
                    continue
            elif in_multiline:
                continue
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
                self.lines.setdefault(f"{prefix}.{key}" if prefix else key, number)

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

    def __init__(self, path: Path, text: str, sound_names: frozenset[str] | None) -> None:
        self.path = path
        self._source = text
        self._lines: _Lines | None = None
        self.sound_names = sound_names
        self.problems: list[Problem] = []

    def problem(self, where: str | None, message: str) -> None:
        if self._lines is None:  # scanned only when a file has something wrong with it
            self._lines = _Lines(self._source)
        self.problems.append(Problem(self.path, message, field=where, line=self._lines.find(where)))

    # --- generic value checks -------------------------------------------------

    def keys(self, table: Mapping[str, Any], where: str, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in table:
            if key not in allowed:
                at = f"{where}.{key}" if where else key
                self.problem(at, f"unknown key; expected one of: {', '.join(allowed)}")

    def text(
        self,
        table: Mapping[str, Any],
        key: str,
        where: str,
        *,
        required: bool = True,
        limit: int = MAX_TEXT,
    ) -> str:
        at = f"{where}.{key}" if where else key
        if key not in table:
            if required:
                self.problem(where or None, f"missing '{key}' (text)")
            return ""
        raw = table[key]
        if not isinstance(raw, str):
            self.problem(at, f"expected text in quotes, got {_describe(raw)}")
            return ""
        value: str = raw.strip()
        if required and not value:
            self.problem(at, "must not be empty")
        elif len(value) > limit:
            self.problem(at, f"too long ({len(value)} characters; at most {limit})")
        elif _CONTROL_RE.search(value):
            self.problem(at, "contains control characters; use plain text")
        return value

    def seconds(self, value: Any, at: str) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(at, f"expected a number of seconds, got {_describe(value)}")
            return None
        number = float(value)
        if not math.isfinite(number):
            self.problem(at, f"must be a finite number of seconds, got {value}")
            return None
        if number <= 0:
            self.problem(at, f"must be more than 0 seconds, got {_num(number)}")
            return None
        if number > MAX_SECONDS:
            self.problem(at, f"at most {_num(MAX_SECONDS)} seconds (10 minutes), got {_num(number)}")
            return None
        return number

    def minutes_value(self, value: Any, at: str) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(at, f"expected a number of minutes, got {_describe(value)}")
            return None
        number = float(value)
        if not math.isfinite(number) or number <= 0 or number > MAX_MINUTES:
            self.problem(at, f"expected minutes between 0 and {_num(MAX_MINUTES)}, got {value}")
            return None
        return number

    def cue(self, table: Mapping[str, Any], where: str) -> str | None:
        if "cue" not in table:
            return None
        at = f"{where}.cue"
        value = table["cue"]
        if not isinstance(value, str):
            self.problem(at, f"expected a sound name in quotes, got {_describe(value)}")
            return None
        if "/" in value or "\\" in value or value.endswith(".wav") or value.startswith("."):
            self.problem(at, f"a cue is a sound's name, not a file path (got '{value}')")
            return None
        if not _SOUND_RE.match(value):
            self.problem(at, f"'{value}' is not a sound name (letters, digits, - and _)")
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
            self.problem(f"{where}.pace", f"expected inhale, hold, exhale or rest, got {_describe(value)}")
            return None

    def area_name(self, value: Any, at: str) -> str | None:
        if not isinstance(value, str) or value not in AREAS:
            self.problem(at, f"unknown body area {_describe(value)}; expected one of: {', '.join(AREAS)}")
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

    def text_list(self, data: Mapping[str, Any], key: str) -> tuple[str, ...]:
        if key not in data:
            return ()
        value = data[key]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.problem(key, f"expected a list of texts, got {_describe(value)}")
            return ()
        out = []
        for i, item in enumerate(value, start=1):
            at = f"{key}[{i}]"
            if not isinstance(item, str) or not item.strip():
                self.problem(at, f"expected text in quotes, got {_describe(item)}")
            elif _CONTROL_RE.search(item):
                self.problem(at, "contains control characters; use plain text")
            elif len(item) > MAX_TEXT:
                self.problem(at, f"too long ({len(item)} characters; at most {MAX_TEXT})")
            else:
                out.append(item.strip())
        return tuple(out)

    # --- kinds ----------------------------------------------------------------

    def exercise(self, data: Mapping[str, Any], exercise_id: str, origin: Origin) -> Exercise | None:
        common = ("title", "kind", "summary", "safety", "tags")
        per_kind = {
            Kind.BREATHING: ("minutes", "cycles", "phase"),
            Kind.ROUTINE: ("step", "area"),
            Kind.PROGRAM: ("part",),
        }
        if not _ID_RE.match(exercise_id):
            self.problem(None, f"file name '{exercise_id}' is not a usable id (letters, digits, . - _)")
        title = self.text(data, "title", "", limit=MAX_TITLE)
        summary = self.text(data, "summary", "", required=False)
        safety = self.text_list(data, "safety")
        tags = self.text_list(data, "tags")
        raw_kind = data.get("kind")
        if raw_kind is None:
            raw_kind = ""
        kind: Kind | None
        try:
            kind = Kind(str(raw_kind))
        except ValueError:
            kind = None
            if raw_kind == "":
                self.problem(None, "missing 'kind' (breathing, routine or program)")
            else:
                self.problem("kind", f"expected breathing, routine or program, got {_describe(raw_kind)}")
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
        tables = self.table_list(data, "phase", "")
        if not tables and "phase" not in data:
            self.problem(None, "a breathing exercise needs at least one [[phase]]")
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
                    "cycles", f"expected a whole number from 1 to {MAX_CYCLES}, got {_describe(value)}"
                )
            else:
                cycles = value
        if "minutes" in data and "cycles" in data:
            self.problem("cycles", "give either 'minutes' or 'cycles', not both")
        elif "minutes" not in data and "cycles" not in data:
            self.problem(None, "a breathing exercise needs 'minutes' or 'cycles'")
        return replace(base, phases=tuple(phases), minutes=minutes, cycles=cycles)

    def minutes(self, data: Mapping[str, Any]) -> Minutes | None:
        value = data["minutes"]
        if isinstance(value, bool):
            self.problem("minutes", f"expected a number or a table, got {_describe(value)}")
            return None
        if isinstance(value, int | float):
            number = self.minutes_value(value, "minutes")
            return Minutes(number, number, number) if number else None
        if not isinstance(value, dict):
            self.problem("minutes", f"expected {{ default = 3, min = 2, max = 5 }}, got {_describe(value)}")
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
        for i, table in enumerate(self.table_list(data, "step", where), start=1):
            at = f"{where}.step[{i}]" if where else f"step[{i}]"
            self.keys(table, at, ("title", "say", "seconds", "wait", "pace", "cue"))
            title = self.text(table, "title", at, required=False, limit=MAX_TITLE)
            say = self.text(table, "say", at)
            pace = self.pace(table, at, required=False) or Pace.REST
            cue = self.cue(table, at)
            waits = table.get("wait", False)
            if not isinstance(waits, bool):
                self.problem(f"{at}.wait", f"expected true or false, got {_describe(waits)}")
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
            if ok:
                steps.append(Step(say=say, seconds=seconds, title=title, pace=pace, cue=cue))
        return tuple(steps)

    def routine(self, data: Mapping[str, Any], base: Exercise) -> Exercise:
        steps = self.steps(data, "")
        variants = []
        areas = data.get("area", {})
        if not isinstance(areas, dict):
            self.problem("area", f"expected [area.<name>] tables, got {_describe(areas)}")
            areas = {}
        for name, table in areas.items():
            where = f"area.{name}"
            if self.area_name(name, where) is None:
                continue
            if not isinstance(table, dict):
                self.problem(where, f"expected a table, got {_describe(table)}")
                continue
            self.keys(table, where, ("title", "step"))
            title = self.text(table, "title", where, required=False, limit=MAX_TITLE) or AREAS[name]
            area_steps = self.steps(table, where)
            if not area_steps and "step" not in table:
                self.problem(where, "an area needs at least one [[...step]]")
            variants.append(Variant(area=name, title=title, steps=area_steps))
        if "step" not in data and not areas:
            self.problem(None, "a routine needs [[step]] tables or [area.<name>] variants")
        return replace(base, steps=steps, variants=tuple(variants))

    def program(self, data: Mapping[str, Any], base: Exercise) -> Exercise:
        parts = []
        tables = self.table_list(data, "part", "")
        if not tables and "part" not in data:
            self.problem(None, "a program needs at least one [[part]]")
        for i, table in enumerate(tables, start=1):
            at = f"part[{i}]"
            self.keys(table, at, ("exercise", "minutes", "area"))
            ref = table.get("exercise")
            if not isinstance(ref, str) or not _ID_RE.match(ref):
                self.problem(
                    f"{at}.exercise" if "exercise" in table else at,
                    f"expected an exercise id, got {_describe(ref)}",
                )
                continue
            minutes = None
            if "minutes" in table:
                minutes = self.minutes_value(table["minutes"], f"{at}.minutes")
            area = None
            if "area" in table:
                area = self.area_name(table["area"], f"{at}.area")
            parts.append(Part(exercise=ref, minutes=minutes, area=area))
        return replace(base, parts=tuple(parts))


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'" if len(value) < 40 else f"'{value[:37]}...'"
    if isinstance(value, int | float):
        return _num(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


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
        if path is None:
            return
        try:
            stored = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
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
        except (TypeError, ValueError):  # a file with a date: keep all the others
            entries = {key: value for key, value in entries.items() if _is_json(value)}
            text = json.dumps({"version": self.VERSION, "files": entries})
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(text, "utf-8")
            os.replace(temporary, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                temporary.unlink()
            return
        self._entries, self._changed = entries, False


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
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

    Cross-file checks (program parts exist, no cycles) are ``check_references``'s job.
    ``sound_names`` of None skips the check that cues name existing sounds. A ``cache``
    saves parsing a file whose bytes it has seen before.
    """
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return (
                Problem(path, f"is too large ({size // 1024} KiB; at most {MAX_FILE_BYTES // 1024} KiB)"),
            )
        raw = path.read_bytes()
    except OSError as error:
        return (Problem(path, f"cannot be read: {error.strerror or error}"),)
    text, problem = _decode(path, raw)
    if problem or text is None:
        return (problem or Problem(path, "cannot be read"),)
    key = cache.key(raw) if cache is not None else ""
    data = cache.get(key) if cache is not None else None
    if data is None:
        import tomllib  # only for files the cache has not seen: most starts never need it

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            return (_syntax_problem(path, text, error),)
        if cache is not None:
            cache.put(key, data)
    checker = _Checker(path, text, sound_names)
    exercise = checker.exercise(data, path.stem, origin)
    if checker.problems or exercise is None:
        return tuple(checker.problems)
    return exercise


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
    it: too large, unreadable, not UTF-8 text, or a TOML syntax error. Checking the
    tables is the caller's job.
    """
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return Problem(path, f"is too large ({size // 1024} KiB; at most {MAX_FILE_BYTES // 1024} KiB)")
        raw = path.read_bytes()
    except OSError as error:
        return Problem(path, f"cannot be read: {error.strerror or error}")
    text, problem = _decode(path, raw)
    if problem or text is None:
        return problem or Problem(path, "cannot be read")
    import tomllib

    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as error:
        return _syntax_problem(path, text, error)


def line_of(text: str, where: str | None) -> int | None:
    """The line of TOML ``text`` that defines the field path ``where`` (``flag[2].urgency``,
    counting from 1), or that of the nearest enclosing path that can be placed."""
    return _Lines(text).find(where)


def check_references(exercises: Mapping[str, Exercise]) -> dict[str, tuple[Problem, ...]]:
    """Problems between files: parts that name missing exercises, or programs in a cycle."""
    found: dict[str, list[Problem]] = {}

    def add(exercise: Exercise, index: int, message: str) -> None:
        where = f"part[{index}].exercise"
        line = None
        with contextlib.suppress(OSError, UnicodeDecodeError):
            line = _Lines(exercise.path.read_text("utf-8")).find(where)
        found.setdefault(exercise.id, []).append(Problem(exercise.path, message, where, line))

    for exercise in exercises.values():
        for i, part in enumerate(exercise.parts, start=1):
            target = exercises.get(part.exercise)
            if target is None:
                add(exercise, i, f"no exercise with id '{part.exercise}'")
                continue
            if (
                part.area is not None
                and target.kind is Kind.ROUTINE
                and target.variants
                and target.variant(part.area) is None
            ):
                add(exercise, i, f"'{part.exercise}' has no '{part.area}' area")
            if (
                part.minutes is not None
                and target.minutes is not None
                and not (target.minutes.min <= part.minutes <= target.minutes.max)
            ):
                add(
                    exercise,
                    i,
                    f"'{part.exercise}' runs {_num(target.minutes.min)} to "
                    f"{_num(target.minutes.max)} minutes, not {_num(part.minutes)}",
                )
            if _reaches(exercises, part.exercise, exercise.id):
                add(
                    exercise,
                    i,
                    f"'{part.exercise}' leads back to '{exercise.id}': a program cannot include itself",
                )
    return {key: tuple(value) for key, value in found.items()}


def _reaches(exercises: Mapping[str, Exercise], start: str, goal: str) -> bool:
    seen: set[str] = set()
    todo = [start]
    while todo:
        current = todo.pop()
        if current == goal:
            return True
        if current in seen:
            continue
        seen.add(current)
        exercise = exercises.get(current)
        if exercise is not None:
            todo.extend(part.exercise for part in exercise.parts)
    return False


def sound_names_in(*dirs: Path) -> frozenset[str]:
    """The cue names available: the stems of the WAV files in these dirs."""
    names: set[str] = set()
    for directory in dirs:
        if directory.is_dir():
            names.update(p.stem for p in directory.glob("*.wav") if p.is_file())
    return frozenset(names)


@dataclass
class _Found:
    exercises: dict[str, Exercise] = field(default_factory=dict)
    broken: list[BrokenFile] = field(default_factory=list)


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
    """
    found = _Found()
    sources = [(builtin_dir, Origin.BUILTIN)]
    if user_dir is not None:
        sources.append((user_dir, Origin.USER))
    for directory, origin in sources:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.toml")):
            result = parse_file(path, origin, sound_names, cache)
            if isinstance(result, Exercise):
                previous = found.exercises.get(result.id)
                if previous is not None and previous.origin is Origin.BUILTIN and origin is Origin.USER:
                    result = replace(result, overrides_builtin=True)
                found.exercises[result.id] = result
            else:
                found.broken.append(BrokenFile(path.stem, path, origin, result))
    for exercise_id, problems in check_references(found.exercises).items():
        exercise = found.exercises.pop(exercise_id)
        found.broken.append(BrokenFile(exercise_id, exercise.path, exercise.origin, problems))
    ordered = dict(
        sorted(found.exercises.items(), key=lambda kv: (list(Kind).index(kv[1].kind), kv[1].title.lower()))
    )
    return Library(ordered, tuple(found.broken))


def validate_files(
    paths: Iterable[Path], library: Library, sound_names: frozenset[str] | None
) -> dict[Path, tuple[Problem, ...]]:
    """Check files as ``calmcoach validate`` does: alone, then against the library."""
    results: dict[Path, tuple[Problem, ...]] = {}
    parsed: dict[str, Exercise] = {}
    for path in paths:
        if not path.exists():
            results[path] = (Problem(path, "no such file"),)
            continue
        result = parse_file(path, Origin.USER, sound_names)
        if isinstance(result, Exercise):
            parsed[result.id] = result
            results[path] = ()
        else:
            results[path] = result
    combined = {**library.exercises, **parsed}
    references = check_references(combined)
    for exercise in parsed.values():
        if exercise.id in references:
            results[exercise.path] = references[exercise.id]
    return results
