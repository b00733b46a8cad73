"""Find the exercise files, load them, and collect every problem.

Each exercise is one TOML file; its id is the file's stem. Reading a file with line
numbers is ``tomlfile``'s job, checking its tables ``schema``'s, keeping what tomllib
returned ``parsecache``'s and the checks between files ``plancheck``'s; this module finds
the files, puts the built-ins and the user's together, and is where callers come in.

Pure: reads files, never imports the UI or audio.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from calmcoach.data.fields import MAX_PROBLEMS
from calmcoach.data.parsecache import ParseCache
from calmcoach.data.plancheck import check_references, part_problems, voice_warnings
from calmcoach.data.safefile import RefusedFile, read_limited
from calmcoach.data.schema import Checker
from calmcoach.data.tomlfile import (
    LONG_KEY,
    MAX_FILE_BYTES,
    MAX_KEY_PARTS,
    Problem,
    decode_text,
    deepest_line,
    syntax_problem,
)
from calmcoach.domain.model import Exercise, Kind, Origin
from calmcoach.domain.visible import visible

__all__ = [
    "BrokenFile",
    "Library",
    "ParseCache",
    "Problem",
    "load_library",
    "parse_file",
    "sound_names_in",
    "validate_files",
]
"""The entry points. ``ParseCache`` and ``Problem`` live in their own modules and are
named here too, for the callers that get them with the library."""


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
        text, problem = decode_text(path, raw)
        if problem or text is None:
            return None, (problem or Problem(path, "cannot be read"),)
        key = cache.key(raw) if cache is not None else ""
        data = cache.get(key) if cache is not None else None
        if data is None:
            import tomllib  # only for files the cache has not seen: most starts never need it

            if long_key := LONG_KEY.search(text):
                line = text.count("\n", 0, long_key.start()) + 1
                message = f"a key or table name of more than {MAX_KEY_PARTS} dotted parts (like a.b.c)"
                return None, (Problem(path, message, line=line),)
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as error:
                return None, (syntax_problem(path, text, error),)
            if cache is not None:
                cache.put(key, data)
        checker = Checker(path, text, sound_names)
        exercise = checker.exercise(data, path.stem, origin)
        return exercise, checker.all_problems()
    except RefusedFile as error:
        return None, (Problem(path, str(error)),)
    except OSError as error:
        return None, (Problem(path, f"cannot be read: {error.strerror or error}"),)
    except RecursionError:
        message = "nests lists or tables too deeply to read (keep values a level or two deep)"
        return None, (Problem(path, message, line=deepest_line(text or "")),)
    except Exception as error:  # one broken file never stops the others from loading
        return None, (Problem(path, f"cannot be loaded: {type(error).__name__}: {error}"),)


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


def _by_line(problems: tuple[Problem, ...]) -> tuple[Problem, ...]:
    """Problems in the order of the file (those of the whole file first)."""
    return tuple(sorted(problems, key=lambda problem: problem.line or 0))


def _capped(path: Path, problems: tuple[Problem, ...]) -> tuple[Problem, ...]:
    """At most MAX_PROBLEMS problems, and a line saying how many more there were."""
    if len(problems) <= MAX_PROBLEMS + 1:
        return problems
    more = len(problems) - MAX_PROBLEMS
    return (*problems[:MAX_PROBLEMS], Problem(path, f"and {more} more problems like these (not shown)"))
