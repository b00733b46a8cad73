"""The loader: every built-in loads, and every kind of error says what and where."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from calmcoach.data import locations
from calmcoach.data.library import load_default_library
from calmcoach.data.loader import parse_file, validate_files
from calmcoach.data.parsecache import ParseCache
from calmcoach.data.plancheck import check_references
from calmcoach.data.tomlfile import MAX_FILE_BYTES, Problem
from calmcoach.domain.model import Exercise, Kind, Origin, Pace

BUILTIN_IDS = {
    "breathing-4-2-6",
    "slow-down-gently",
    "tension-release",
    "attention-shift",
    "flare",
    "box-breathing",
    "breathing-4-7-8",
    "coherent-breathing",
    "physiological-sigh",
    "progressive-muscle-relaxation",
    "grounding-5-4-3-2-1",
    "desk-break",
    "evening-stretches",
    "evening-wind-down",
}

GOOD_BREATHING = """\
title = "Test breath"
kind = "breathing"
summary = "A test"
minutes = { default = 3, min = 2, max = 5 }

[[phase]]
pace = "inhale"
seconds = 4
say = "In"
cue = "inhale"

[[phase]]
pace = "exhale"
seconds = 6
say = "Out"
"""


def write(tmp_path: Path, text: str | bytes, name: str = "mine.toml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, "utf-8")
    return path


def problems_of(path: Path, sounds: frozenset[str] | None = None) -> tuple[Problem, ...]:
    result = parse_file(path, Origin.USER, sounds)
    assert not isinstance(result, Exercise), "expected the file to be rejected"
    return result


def test_every_builtin_loads(library) -> None:
    assert library.broken == ()
    assert set(library.exercises) == BUILTIN_IDS
    for exercise in library.exercises.values():
        assert exercise.origin is Origin.BUILTIN
        assert exercise.title and exercise.summary


def test_426_is_the_drill_from_the_design(library) -> None:
    drill = library.get("breathing-4-2-6")
    assert drill is not None and drill.kind is Kind.BREATHING
    assert [(p.pace, p.seconds) for p in drill.phases] == [(Pace.INHALE, 4), (Pace.HOLD, 2), (Pace.EXHALE, 6)]
    assert drill.minutes is not None
    assert (drill.minutes.min, drill.minutes.default, drill.minutes.max) == (2, 3, 5)


def test_tension_release_has_the_three_areas(library) -> None:
    release = library.get("tension-release")
    assert release is not None
    assert {"eyelid", "hand", "leg"} <= set(release.areas)


def test_flare_chains_breathing_release_and_attention(library) -> None:
    flare = library.get("flare")
    assert flare is not None and flare.kind is Kind.PROGRAM
    assert [p.exercise for p in flare.parts] == ["breathing-4-2-6", "tension-release", "attention-shift"]
    assert flare.parts[0].minutes == 2


def test_safety_notes_where_they_apply(library) -> None:
    assert any("light-headed" in n or "dizzy" in n for n in library.get("breathing-4-7-8").safety)
    assert any("hurt" in n for n in library.get("progressive-muscle-relaxation").safety)


def test_good_file_loads(tmp_path: Path, sounds) -> None:
    result = parse_file(write(tmp_path, GOOD_BREATHING), Origin.USER, sounds)
    assert isinstance(result, Exercise)
    assert result.id == "mine"
    assert result.cycle_seconds == 10


def _replace(old: str, new: str) -> str:
    assert old in GOOD_BREATHING
    return GOOD_BREATHING.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "field", "line", "words"),
    [
        (_replace("seconds = 4", "seconds = -4"), "phase[1].seconds", 8, "more than 0"),
        (_replace("seconds = 4", "seconds = 0"), "phase[1].seconds", 8, "more than 0"),
        (_replace("seconds = 4", "seconds = inf"), "phase[1].seconds", 8, "finite"),
        (_replace("seconds = 4", "seconds = nan"), "phase[1].seconds", 8, "finite"),
        (_replace("seconds = 4", "seconds = 601"), "phase[1].seconds", 8, "at most 600"),
        (_replace("seconds = 4", 'seconds = "4"'), "phase[1].seconds", 8, "number of seconds"),
        (_replace('pace = "inhale"', 'pace = "gasp"'), "phase[1].pace", 7, "inhale, hold, exhale or rest"),
        (_replace('cue = "inhale"', 'cue = "../../etc/passwd"'), "phase[1].cue", 10, "not a file path"),
        (_replace('cue = "inhale"', 'cue = "inhale.wav"'), "phase[1].cue", 10, "not a file path"),
        (_replace('cue = "inhale"', 'cue = "trumpet"'), "phase[1].cue", 10, "no sound named 'trumpet'"),
        (_replace('summary = "A test"', 'summary = "A test"\ncolour = "blue"'), "colour", 4, "unknown key"),
        (_replace('say = "Out"', 'say = "Out"\nvolume = 3'), "phase[2].volume", 16, "unknown key"),
        (_replace('kind = "breathing"', 'kind = "dance"'), "kind", 2, "breathing, routine or program"),
        (_replace("default = 3", "default = 9"), "minutes", 4, "min <= default <= max"),
        (_replace('say = "In"', 'say = ""'), "phase[1].say", 9, "must not be empty"),
        (_replace('say = "In"', 'say = "In\\u001b[31m"'), "phase[1].say", 9, "control characters"),
        (_replace('title = "Test breath"', "title = 5"), "title", 1, "expected text"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 and "\n" not in v else None,
)
def test_each_error_names_file_line_field_and_expectation(
    tmp_path: Path, sounds, text: str, field: str, line: int, words: str
) -> None:
    path = write(tmp_path, text)
    problems = problems_of(path, sounds)
    matching = [p for p in problems if p.field == field]
    assert matching, f"no problem for {field} in {[str(p) for p in problems]}"
    problem = matching[0]
    assert words in problem.message
    assert problem.line == line
    assert str(problem).startswith(f"{path}:{line}: {field}: ")


def test_all_errors_are_collected_not_just_the_first(tmp_path: Path, sounds) -> None:
    text = _replace("seconds = 4", "seconds = -4")
    text = text.replace("seconds = 6", "seconds = nan").replace(
        'summary = "A test"', 'summary = 3\nmood = "x"'
    )
    problems = problems_of(write(tmp_path, text), sounds)
    fields = {p.field for p in problems}
    assert {"phase[1].seconds", "phase[2].seconds", "summary", "mood"} <= fields


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\xef\xbb\xbf" + GOOD_BREATHING.encode(), "byte-order mark"),
        (b"\x00\x01\x02\xff binary junk", "binary"),
        (b'title = "caf\xe9"\n', "not UTF-8"),
        (b"title = \"unclosed\nkind = 'breathing'\n", "TOML syntax error"),
        (b"[[phase]\n", "TOML syntax error"),
    ],
)
def test_unreadable_files_get_one_clear_line(tmp_path: Path, content: bytes, words: str) -> None:
    problems = problems_of(write(tmp_path, content))
    assert len(problems) == 1
    assert words in problems[0].message
    assert "\n" not in str(problems[0])
    assert "Traceback" not in str(problems[0])


def test_syntax_error_has_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'title = "x"\nkind = "breathing"\nsummary = = "y"\n')
    (problem,) = problems_of(path)
    assert problem.line == 3
    assert str(problem).startswith(f"{path}:3: TOML syntax error")


def test_oversized_file_is_refused_unread(tmp_path: Path) -> None:
    path = write(tmp_path, "# " + "x" * MAX_FILE_BYTES + "\n")
    (problem,) = problems_of(path)
    assert "too large" in problem.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('title = "R"\nkind = "routine"\n[[step]]\nsay = "a"\nseconds = 3\nwait = true\n', "not both"),
        ('title = "R"\nkind = "routine"\n[[step]]\nsay = "a"\n', "missing 'seconds'"),
        (
            'title = "R"\nkind = "routine"\n[area.elbow]\n[[area.elbow.step]]\nsay = "a"\nseconds = 3\n',
            "unknown body area",
        ),
        ('title = "R"\nkind = "routine"\n', "needs [[step]]"),
        ('title = "B"\nkind = "breathing"\ncycles = 3\n', "at least one [[phase]]"),
        (
            'title = "B"\nkind = "breathing"\n[[phase]]\npace="inhale"\nseconds=3\nsay="x"\n',
            "'minutes' or 'cycles'",
        ),
        ('title = "P"\nkind = "program"\n', "at least one [[part]]"),
        ('title = "P"\nkind = "program"\n[[part]]\nexercise = 5\n', "exercise id"),
        ('kind = "routine"\n[[step]]\nsay = "a"\nseconds = 3\n', "missing 'title'"),
        ('title = "B"\nkind = "breathing"\nphase = 3\ncycles = 2\n', "[[phase]] tables"),
    ],
)
def test_kind_specific_errors(tmp_path: Path, sounds, text: str, words: str) -> None:
    problems = problems_of(write(tmp_path, text), sounds)
    assert any(words in p.message for p in problems), [str(p) for p in problems]


def test_untimed_prompt_loads_as_waiting_step(tmp_path: Path, sounds) -> None:
    text = 'title = "R"\nkind = "routine"\n[[step]]\nsay = "Name three sounds"\nwait = true\n'
    exercise = parse_file(write(tmp_path, text), Origin.USER, sounds)
    assert isinstance(exercise, Exercise)
    assert exercise.steps[0].waits and exercise.steps[0].seconds is None


def test_text_with_brackets_is_kept_verbatim(tmp_path: Path, sounds) -> None:
    text = 'title = "[b]Bold[/b]"\nkind = "routine"\n[[step]]\nsay = "[red]not markup[/red]"\nseconds = 3\n'
    exercise = parse_file(write(tmp_path, text), Origin.USER, sounds)
    assert isinstance(exercise, Exercise)
    assert exercise.title == "[b]Bold[/b]"
    assert exercise.steps[0].say == "[red]not markup[/red]"


def _program(tmp_path: Path, name: str, parts: list[str]) -> Path:
    body = "".join(f'[[part]]\nexercise = "{p}"\n' for p in parts)
    return write(tmp_path, f'title = "{name}"\nkind = "program"\n{body}', f"{name}.toml")


def test_program_cannot_include_itself(tmp_path: Path, library) -> None:
    path = _program(tmp_path, "loop", ["breathing-4-2-6", "loop"])
    exercise = parse_file(path, Origin.USER, None)
    assert isinstance(exercise, Exercise)
    found = check_references({**library.exercises, "loop": exercise})
    assert "loop" in found
    (problem,) = found["loop"]
    assert problem.field == "part[2].exercise" and problem.line == 6
    assert "cannot include itself" in problem.message


def test_program_cycle_through_another_program(tmp_path: Path, library) -> None:
    a = parse_file(_program(tmp_path, "a", ["b"]), Origin.USER, None)
    b = parse_file(_program(tmp_path, "b", ["a"]), Origin.USER, None)
    assert isinstance(a, Exercise) and isinstance(b, Exercise)
    found = check_references({"a": a, "b": b})
    assert set(found) == {"a", "b"}


def test_program_part_must_exist(tmp_path: Path, library) -> None:
    path = _program(tmp_path, "p", ["nope"])
    results = validate_files([path], library, None)
    (problem,) = results[path]
    assert "no exercise with id 'nope'" in problem.message


def test_user_file_overrides_builtin_and_is_marked(user_exercises: Path) -> None:
    text = GOOD_BREATHING.replace("Test breath", "My own 4-2-6")
    (user_exercises / "breathing-4-2-6.toml").write_text(text, "utf-8")
    library = load_default_library()
    mine = library.get("breathing-4-2-6")
    assert mine is not None and mine.title == "My own 4-2-6"
    assert mine.origin is Origin.USER and mine.overrides_builtin


def test_a_user_file_whose_id_differs_only_in_case_replaces_the_builtin(user_exercises: Path) -> None:
    text = GOOD_BREATHING.replace("Test breath", "My own 4-2-6")
    mine_path = user_exercises / "Breathing-4-2-6.toml"
    mine_path.write_text(text, "utf-8")
    library = load_default_library()
    assert set(library.exercises) == BUILTIN_IDS  # one id, not two side by side
    mine = library.exercises["breathing-4-2-6"]  # the built-in's spelling, for programs and history
    assert mine.title == "My own 4-2-6" and mine.path == mine_path
    assert mine.origin is Origin.USER and mine.overrides_builtin
    assert library.get("Breathing-4-2-6") is mine and library.get("BREATHING-4-2-6") is mine
    assert library.notices == (
        f"{mine_path} replaces the built-in breathing-4-2-6 (ids ignore case) and keeps its id, breathing-4-2-6",
    )


def test_of_two_user_files_differing_only_in_case_the_first_by_name_is_used(user_exercises: Path) -> None:
    (user_exercises / "Calm.toml").write_text(GOOD_BREATHING.replace("Test breath", "Upper"), "utf-8")
    (user_exercises / "calm.toml").write_text(GOOD_BREATHING.replace("Test breath", "Lower"), "utf-8")
    library = load_default_library()
    used = library.get("calm")
    assert used is not None and used.id == "Calm" and used.title == "Upper"
    assert "calm" not in library.exercises
    (broken,) = library.broken
    assert broken.path == user_exercises / "calm.toml"
    (problem,) = broken.problems
    assert problem.message == "has the same id as Calm.toml (ids ignore case), which is used; rename one"


def test_broken_user_file_is_listed_and_hides_nothing(user_exercises: Path) -> None:
    (user_exercises / "broken.toml").write_text(_replace("seconds = 4", "seconds = -4"), "utf-8")
    (user_exercises / "fine.toml").write_text(GOOD_BREATHING, "utf-8")
    (user_exercises / "tension-release.toml").write_text("kind = 'routine'\n", "utf-8")
    library = load_default_library()
    assert "fine" in library.exercises
    assert library.get("tension-release") is not None  # the built-in stays
    broken = {b.id: b for b in library.broken}
    assert set(broken) == {"broken", "tension-release"}
    assert any(p.field == "phase[1].seconds" for p in broken["broken"].problems)
    assert len(library.exercises) == len(BUILTIN_IDS) + 1


def test_user_sounds_count_as_cue_names(isolated_dirs: Path, tmp_path: Path) -> None:
    from calmcoach.data.library import sound_names

    locations.user_sounds_dir().mkdir(parents=True)
    (locations.user_sounds_dir() / "gong.wav").write_bytes(b"")
    assert "gong" in sound_names()
    assert "inhale" in sound_names()


# --- the parse cache ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BUILTIN_IDS))
def test_a_cached_parse_gives_the_same_exercise(tmp_path: Path, name: str) -> None:
    path = locations.builtin_exercises_dir() / f"{name}.toml"
    cache_file = tmp_path / "parsed.json"
    fresh = parse_file(path, Origin.BUILTIN, None)
    first = ParseCache(cache_file)
    assert parse_file(path, Origin.BUILTIN, None, first) == fresh
    first.save()
    second = ParseCache(cache_file)
    assert second.get(ParseCache.key(path.read_bytes())) is not None  # read back from disk
    assert parse_file(path, Origin.BUILTIN, None, second) == fresh


def test_an_edit_is_seen_even_with_the_same_size_and_timestamps(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_BREATHING)
    before = path.stat()
    cache_file = tmp_path / "parsed.json"
    cache = ParseCache(cache_file)
    first = parse_file(path, Origin.USER, None, cache)
    cache.save()
    assert isinstance(first, Exercise) and first.phases[0].seconds == 4
    write(tmp_path, GOOD_BREATHING.replace("seconds = 4", "seconds = 5"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    second = parse_file(path, Origin.USER, None, ParseCache(cache_file))
    assert isinstance(second, Exercise) and second.phases[0].seconds == 5


@pytest.mark.parametrize("content", ["not json {", '{"version": 999, "files": {}}', '["a list"]', ""])
def test_an_unreadable_cache_is_ignored_and_rebuilt(tmp_path: Path, content: str) -> None:
    path = write(tmp_path, GOOD_BREATHING)
    cache_file = tmp_path / "parsed.json"
    cache_file.write_text(content)
    cache = ParseCache(cache_file)
    assert isinstance(parse_file(path, Origin.USER, None, cache), Exercise)
    cache.save()
    assert json.loads(cache_file.read_text())["version"] == ParseCache.VERSION


def test_files_with_dates_are_parsed_each_time_and_still_checked(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_BREATHING.replace('summary = "A test"', "summary = 2026-11-25"))
    cache_file = tmp_path / "parsed.json"
    cache = ParseCache(cache_file)
    result = parse_file(path, Origin.USER, None, cache)
    assert isinstance(result, tuple) and result[0].field == "summary"
    cache.save()
    assert not cache_file.exists() or json.loads(cache_file.read_text())["files"] == {}


def test_the_cache_keeps_only_files_still_in_use(tmp_path: Path) -> None:
    a = write(tmp_path, GOOD_BREATHING, "a.toml")
    b = write(tmp_path, GOOD_BREATHING.replace("Test breath", "Other"), "b.toml")
    cache_file = tmp_path / "parsed.json"
    cache = ParseCache(cache_file)
    for path in (a, b):
        parse_file(path, Origin.USER, None, cache)
    cache.save()
    assert len(json.loads(cache_file.read_text())["files"]) == 2
    b.unlink()
    cache = ParseCache(cache_file)
    parse_file(a, Origin.USER, None, cache)
    cache.save()
    assert list(json.loads(cache_file.read_text())["files"]) == [ParseCache.key(a.read_bytes())]


def test_library_loads_when_the_cache_cannot_be_written(
    tmp_path: Path, user_exercises: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(user_exercises, GOOD_BREATHING)
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the cache dir should be")
    monkeypatch.setenv("CALMCOACH_CACHE_DIR", str(blocked / "cache"))
    library = load_default_library()
    assert "mine" in library.exercises and len(library.exercises) == len(BUILTIN_IDS) + 1
    assert not (blocked / "cache").exists()


def test_copies_of_a_program_are_each_checked_with_their_own_file(user_exercises: Path) -> None:
    """Programs with the same parts share their checks; each copy still loads or is
    reported on its own, under its own file and with the same problems as when alone."""
    flare = (locations.builtin_exercises_dir() / "flare.toml").read_text("utf-8")
    for n in range(3):
        (user_exercises / f"copy-{n}.toml").write_text(flare.replace("Flare routine", f"Copy {n}"))
    wrong = flare.replace('exercise = "tension-release"', 'exercise = "no-such-thing"')
    for n in range(2):
        (user_exercises / f"wrong-{n}.toml").write_text(wrong.replace("Flare routine", f"Wrong {n}"))
    # Parts naming a program: a copy of a fine program is fine, a program naming it is not.
    (user_exercises / "outer.toml").write_text(flare.replace('"attention-shift"', '"copy-0"'))
    library = load_default_library()
    assert {f"copy-{n}" for n in range(3)} <= set(library.exercises)
    broken = {b.id: b for b in library.broken}
    assert set(broken) == {"wrong-0", "wrong-1", "outer"}
    for n in range(2):
        item = broken[f"wrong-{n}"]
        alone = validate_files([item.path], library, None)[item.path]
        assert item.problems == alone
        assert [(p.path.name, p.field, p.line) for p in item.problems] == [
            (f"wrong-{n}.toml", "part[2].exercise", 15)
        ]
    assert "is a program" in broken["outer"].problems[0].message
