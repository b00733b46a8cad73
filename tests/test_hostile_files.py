"""Hostile exercise files: lengths that explode, deep nesting, special files, escape codes.

Each class of attack has a file made here by the test (a FIFO from os.mkfifo, a link to
/dev/zero, TOML with escape sequences), loaded through the real loader, or through the
real ``calmcoach`` command in a subprocess where the promise is about the command.
Subprocess timeouts are hang guards (a FIFO that blocks never returns), not speed checks.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from calmcoach.data import locations, settings
from calmcoach.data.fields import MIN_SECONDS
from calmcoach.data.library import load_default_library, sound_names
from calmcoach.data.loader import load_library, parse_file, validate_files
from calmcoach.data.parsecache import ParseCache
from calmcoach.data.tomlfile import MAX_FILE_BYTES, Problem
from calmcoach.domain import planner
from calmcoach.domain.model import Exercise, Kind, Minutes, Origin, Pace, Phase, Step
from calmcoach.domain.planner import MAX_SEGMENTS, PlanError, PlanOptions, plan
from calmcoach.domain.visible import visible
from tests.helpers import calmcoach_command

T = TypeVar("T")

HANG_GUARD = 20.0
"""Seconds a subprocess may take before the test calls it hung. Far above the real time
(well under a second), so a slow, busy machine never fails a test that is right."""

BREATH = 'title = "B"\nkind = "breathing"\nsummary = "s"\n'
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
"""What must never reach a terminal from a file: C0 controls but the line feed, DEL, C1."""

ESCAPES = "\x1b]0;PWNED\x07\x1b]52;c;aGVsbG8=\x07\x1b[2J\x1b[31m\u009d"
"""Set the window title, put "hello" on the clipboard (OSC 52), clear the screen, go red,
and a C1 operating-system command: what a hostile file tries to send to the terminal."""


def within(seconds: float, work: Callable[[], T]) -> T:
    """``work()``'s result, or a test failure if it has not returned after ``seconds``.

    For in-process loads that a FIFO would block forever: the work runs in a daemon
    thread, so a hang fails the test instead of stopping the whole suite."""
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(work())
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"still running after {seconds} s: it waits on a special file")
    if errors:
        raise errors[0]
    return results[0]


def cc(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*calmcoach_command(), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=HANG_GUARD,
        stdin=subprocess.DEVNULL,
    )


def only_problem(path: Path) -> Problem:
    result = parse_file(path, Origin.USER, None)
    assert not isinstance(result, Exercise), "expected the file to be refused"
    assert len(result) == 1, [str(p) for p in result]
    return result[0]


def problems_of(path: Path) -> tuple[Problem, ...]:
    result = parse_file(path, Origin.USER, None)
    assert not isinstance(result, Exercise), "expected the file to be refused"
    return result


def phases_file(seconds: str, count: int = 1, rest: str = "cycles = 3\n") -> str:
    phase = f'[[phase]]\npace = "inhale"\nseconds = {seconds}\nsay = "in"\n'
    return BREATH + rest + phase * count


# --- 1. lengths that explode ---------------------------------------------------------------


@pytest.mark.parametrize("seconds", ["1e-9", "0.001", "0.49"])
def test_a_phase_shorter_than_half_a_second_is_refused_with_file_line_and_field(
    tmp_path: Path, seconds: str
) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text(phases_file(seconds))
    problem = only_problem(path)
    assert (problem.field, problem.line) == ("phase[1].seconds", 7)
    assert str(problem).startswith(f"{path}:7: phase[1].seconds: at least 0.5 seconds")


def test_half_a_second_is_the_shortest_phase_that_loads(tmp_path: Path) -> None:
    path = tmp_path / "edge.toml"
    path.write_text(phases_file(str(MIN_SECONDS)))
    assert isinstance(parse_file(path, Origin.USER, None), Exercise)


def test_a_routine_step_shorter_than_half_a_second_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text('title = "R"\nkind = "routine"\n[[step]]\nsay = "a"\nseconds = 0.01\n')
    problem = only_problem(path)
    assert (problem.field, problem.line) == ("step[1].seconds", 5)


def test_cycles_times_phases_past_the_cap_is_refused_at_cycles(tmp_path: Path) -> None:
    # 100 phases of a second, 1000 cycles: 100 000 segments, in a small file.
    phases = ",".join('{pace = "hold", seconds = 1, say = "x"}' for _ in range(100))
    path = tmp_path / "many.toml"
    path.write_text(f"{BREATH}cycles = 1000\nphase = [{phases}]\n")
    assert path.stat().st_size < MAX_FILE_BYTES
    problem = only_problem(path)
    assert (problem.field, problem.line) == ("cycles", 4)
    assert "100000" in problem.message and str(MAX_SEGMENTS) in problem.message


def test_minutes_past_the_cap_is_refused_at_minutes_max(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With half-second phases two hours is 14 400 segments, under the cap: a smaller cap
    # shows the same check at work on the minutes field.
    monkeypatch.setattr(planner, "MAX_SEGMENTS", 1000)
    path = tmp_path / "long.toml"
    path.write_text(phases_file("1", 2, "minutes = { default = 5, min = 1, max = 120 }\n"))
    problem = only_problem(path)
    assert (problem.field, problem.line) == ("minutes.max", 4)
    assert "120 minutes of 2-second cycles is 3600 cycles of 2 phases, 7200 in all" in problem.message


def test_a_routine_past_the_cap_is_refused_at_the_first_step_too_many(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(planner, "MAX_SEGMENTS", 3)
    steps = '[[step]]\nsay = "a"\nseconds = 2\n' * 2
    hand = '[[area.hand.step]]\nsay = "h"\nseconds = 2\n' * 2
    path = tmp_path / "r.toml"
    path.write_text(f'title = "R"\nkind = "routine"\n{steps}[area.hand]\n{hand}')
    problem = only_problem(path)
    assert problem.field == "area.hand.step[2]" and problem.line == 13


def test_a_program_whose_parts_pass_the_cap_is_refused_at_that_part(user_exercises: Path) -> None:
    long = phases_file("0.5", 2, "minutes = { default = 120, min = 1, max = 120 }\n")
    (user_exercises / "fast.toml").write_text(long)  # 14 400 segments: loads on its own
    parts = '[[part]]\nexercise = "fast"\nminutes = 120\n' * 2
    (user_exercises / "twice.toml").write_text(f'title = "T"\nkind = "program"\n{parts}')
    library = load_default_library()
    assert "fast" in library.exercises
    (twice,) = [b for b in library.broken if b.id == "twice"]
    (problem,) = twice.problems
    assert (problem.field, problem.line) == ("part[2]", 6)
    assert "28800" in problem.message


def test_the_planner_counts_before_it_builds() -> None:
    # 1e-9-second phases for two minutes would be 1.2e11 segments: refused at once,
    # before a single one is built (building them ran out of memory after about 30 s).
    tiny = Exercise(
        id="tiny",
        title="Tiny",
        kind=Kind.BREATHING,
        summary="",
        path=Path("tiny.toml"),
        phases=(Phase(Pace.INHALE, 1e-9, "in"),),
        minutes=Minutes(2, 1, 5),
    )
    with pytest.raises(PlanError, match=f"more than {MAX_SEGMENTS}"):
        plan(tiny, PlanOptions(minutes=2))
    with pytest.raises(PlanError, match=f"more than {MAX_SEGMENTS}"):
        plan(dataclasses.replace(tiny, minutes=None, cycles=10**12), PlanOptions())
    steps = tuple(Step("s", 1.0) for _ in range(MAX_SEGMENTS + 1))
    routine = Exercise(id="r", title="R", kind=Kind.ROUTINE, summary="", path=Path("r"), steps=steps)
    with pytest.raises(PlanError, match=f"more than {MAX_SEGMENTS}"):
        planner.count(routine)
    assert planner.count(Exercise(**{**routine.__dict__, "steps": steps[:MAX_SEGMENTS]})) == MAX_SEGMENTS


def test_a_whole_number_too_large_for_a_float_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_text(phases_file("1" + "0" * 400))
    problem = only_problem(path)
    assert problem.field == "phase[1].seconds" and "more than 15 digits" in problem.message


# --- 2. deep nesting and anything else that goes wrong in one file ------------------------


@pytest.mark.parametrize("depth", [500, 5000])
def test_deep_nesting_is_one_problem_and_the_library_still_loads(user_exercises: Path, depth: int) -> None:
    (user_exercises / "deep.toml").write_text(f'title = "D"\ntags = {"[" * depth}{"]" * depth}\n')
    (user_exercises / "fine.toml").write_text(phases_file("4"))
    library = load_default_library()
    assert {"fine", "breathing-4-2-6", "flare"} <= set(library.exercises)
    (deep,) = library.broken
    (problem,) = deep.problems
    assert "too deeply" in problem.message and problem.line == 2


@pytest.mark.parametrize(
    "key",
    [
        "a" + ".a" * 16_000,
        '"a"' + '."a"' * 8000,
        "[" + ".".join(["t"] * 5000) + "]",
        "[[ x . y" + " . z" * 20 + "]]",
    ],
    ids=["bare", "quoted", "table", "array-of-tables"],
)
def test_keys_of_many_dotted_parts_are_refused_before_parsing(tmp_path: Path, key: str) -> None:
    # tomllib's time and memory grow with the square of a dotted key's parts: 16 000 parts
    # (32 KB) took 17 s and 1 GB. They are refused before tomllib sees them.
    path = tmp_path / "dots.toml"
    path.write_text(f'title = "D"\nkind = "routine"\n{key}{"" if key.startswith("[") else " = 1"}\n')
    problem = within(HANG_GUARD, lambda: only_problem(path))
    assert problem.line == 3 and "more than 16 dotted parts" in problem.message


def test_a_key_of_sixteen_parts_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "dots.toml"
    path.write_text(
        'title = "D"\nkind = "routine"\n' + ".".join(["a"] * 16) + ' = 1\n[[step]]\nsay = "a"\nseconds = 2\n'
    )
    problem = only_problem(path)  # read, and refused for what it is: a key no exercise has
    assert (problem.field, problem.line) == ("a", 3) and problem.message.startswith("unknown key")


def test_an_integer_past_pythons_digit_limit_is_one_problem(tmp_path: Path) -> None:
    # tomllib raises ValueError (not a TOML error) for an integer of over 4300 digits.
    path = tmp_path / "digits.toml"
    path.write_text(phases_file("1" + "0" * 5000))
    problem = only_problem(path)
    assert problem.message.startswith("cannot be loaded: ValueError")
    assert "\n" not in str(problem)


def test_a_deeply_nested_cache_is_ignored(tmp_path: Path) -> None:
    cache_file = tmp_path / "parsed.json"
    cache_file.write_text('{"version": 2, "files": ' + "[" * 100_000 + "]" * 100_000 + "}")
    exercise = tmp_path / "fine.toml"
    exercise.write_text(phases_file("4"))
    assert isinstance(parse_file(exercise, Origin.USER, None, ParseCache(cache_file)), Exercise)


@pytest.mark.slow
def test_commands_finish_with_a_deeply_nested_user_file(
    cli_env: dict[str, str], user_exercises: Path
) -> None:
    deep = user_exercises / "deep.toml"
    deep.write_text("tags = " + "[" * 5000 + "]" * 5000 + "\n")
    listed = cc("list", env=cli_env)
    assert listed.returncode == 0 and "Traceback" not in listed.stderr
    assert "deep.toml:1: nests lists or tables too deeply" in listed.stdout
    checked = cc("validate", str(deep), str(locations.builtin_exercises_dir() / "flare.toml"), env=cli_env)
    assert checked.returncode == 1 and "Traceback" not in checked.stderr
    assert checked.stdout.count("\n") == 2 and "flare.toml: ok" in checked.stdout
    ran = cc("run", "physiological-sigh", "--plain", "--speed", "100", "--no-sound", env=cli_env)
    assert ran.returncode == 0, ran.stderr
    assert "finished" in ran.stdout


# --- 3. special files ----------------------------------------------------------------------


def special_files(directory: Path) -> dict[str, str]:
    """A FIFO, a link to /dev/zero, a directory and a link to a FIFO, each named like an
    exercise; with the words each one's problem must say."""
    os.mkfifo(directory / "pipe.toml")
    (directory / "zero.toml").symlink_to("/dev/zero")
    (directory / "folder.toml").mkdir()
    (directory / "link-to-pipe.toml").symlink_to(directory / "pipe.toml")
    return {
        "pipe": "is a FIFO (named pipe), not a regular file",
        "zero": "is a character device, not a regular file",
        "folder": "is a folder, not a regular file",
        "link-to-pipe": "is a FIFO (named pipe), not a regular file",
    }


def test_special_files_in_the_exercises_dir_are_broken_entries(user_exercises: Path) -> None:
    expected = special_files(user_exercises)
    (user_exercises / "fine.toml").write_text(phases_file("4"))
    library = within(HANG_GUARD, load_default_library)  # a FIFO read with a plain open waits forever
    assert "fine" in library.exercises and "flare" in library.exercises
    found = {b.id: b.problems for b in library.broken}
    assert set(found) == set(expected)
    for name, words in expected.items():
        (problem,) = found[name]
        assert problem.message == words


def test_a_file_is_never_read_past_its_limit(tmp_path: Path) -> None:
    from calmcoach.data.safefile import RefusedFile, read_limited

    path = tmp_path / "big"
    path.write_bytes(b"x" * 101)
    with pytest.raises(RefusedFile, match="too large"):
        read_limited(path, 100)
    assert read_limited(path, 101) == b"x" * 101


def test_a_fifo_or_device_as_parse_cache_is_ignored_then_replaced(tmp_path: Path) -> None:
    exercise = tmp_path / "fine.toml"
    exercise.write_text(phases_file("4"))
    for make in (os.mkfifo, lambda p: p.symlink_to("/dev/zero")):
        cache_file = tmp_path / "parsed.json"
        make(cache_file)
        cache = within(HANG_GUARD, lambda: ParseCache(cache_file))  # noqa: B023 - called at once
        assert cache.problem is not None and "not a regular file" in cache.problem
        assert isinstance(parse_file(exercise, Origin.USER, None, cache), Exercise)
        cache.save()  # replaces the FIFO or link with a real cache
        assert cache_file.is_file() and not cache_file.is_symlink()
        assert ParseCache(cache_file).problem is None
        cache_file.unlink()


@pytest.mark.parametrize("kind", ["fifo", "zero", "folder"])
def test_a_special_settings_file_gives_the_defaults_and_is_replaced_on_save(
    isolated_dirs: Path, kind: str
) -> None:
    path = locations.settings_file()
    path.parent.mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "zero":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()
    assert within(HANG_GUARD, settings.load) == settings.Settings()
    problem = within(HANG_GUARD, lambda: settings.save(settings.Settings(first_run_seen=True)))
    if kind == "folder":
        assert problem is not None and "could not be saved" in problem  # a directory is not replaced
    else:
        assert problem is None and settings.load().first_run_seen


def test_settings_never_write_into_a_fifo_beside_them(isolated_dirs: Path) -> None:
    # The old temporary name was fixed ("settings.tmp"): a FIFO there blocked the save.
    path = locations.settings_file()
    path.parent.mkdir(parents=True)
    os.mkfifo(path.with_suffix(".tmp"))
    assert within(HANG_GUARD, lambda: settings.save(settings.Settings(theme="nord"))) is None
    assert settings.load().theme == "nord"


def test_special_sound_files_are_no_sounds(isolated_dirs: Path) -> None:
    sounds = locations.user_sounds_dir()
    sounds.mkdir(parents=True)
    os.mkfifo(sounds / "pipe.wav")
    (sounds / "zero.wav").symlink_to("/dev/zero")
    names = within(HANG_GUARD, sound_names)
    assert "pipe" not in names and "zero" not in names and "inhale" in names


@pytest.mark.slow
def test_commands_finish_with_special_files_everywhere(cli_env: dict[str, str], user_exercises: Path) -> None:
    expected = special_files(user_exercises)
    cache_file = locations.parse_cache_file()
    cache_file.parent.mkdir(parents=True)
    os.mkfifo(cache_file)
    settings_file = locations.settings_file()
    os.mkfifo(settings_file)
    sounds = locations.user_sounds_dir()
    sounds.mkdir()
    os.mkfifo(sounds / "x.wav")

    listed = cc("list", env=cli_env)
    assert listed.returncode == 0, listed.stderr
    for name, words in expected.items():
        assert f"{user_exercises / name}.toml: {words}" in listed.stdout
    assert listed.stderr.count(str(cache_file)) == 1
    assert "is a FIFO (named pipe), not a regular file" in listed.stderr

    paths = [str(user_exercises / f"{name}.toml") for name in expected]
    checked = cc("validate", *paths, env=cli_env)
    assert checked.returncode == 1
    lines = checked.stdout.splitlines()
    assert len(lines) == len(expected)
    for name, words in expected.items():
        assert f"{user_exercises / name}.toml: {words}" in lines

    ran = cc("run", "physiological-sigh", "--plain", "--speed", "100", "--no-sound", env=cli_env)
    assert ran.returncode == 0, ran.stderr
    assert "finished" in ran.stdout


# --- 4. terminal escape injection ----------------------------------------------------------


def test_visible_writes_out_every_control_and_format_character() -> None:
    assert visible("plain words [b]") == "plain words [b]"
    assert visible("\x1b]0;t\x07") == "\\x1b]0;t\\x07"
    assert visible("a\u009db") == "a\\u009db"
    assert visible("x\u202ey\u2066z") == "x\\u202ey\\u2066z"
    assert visible("\udcff") == "\\udcff"  # an undecodable byte in a file name
    assert visible("line\nnext\ttab") == "line\\x0anext\\x09tab"
    assert visible("line\nnext\ttab\r", layout=True) == "line\nnext\ttab\\x0d"
    assert (
        visible("non\u00a0breaking, emoji 👨\u200d👩 and \ue0b0")
        == "non\u00a0breaking, emoji 👨\u200d👩 and \ue0b0"
    )


def test_every_problem_shows_control_characters_visibly(tmp_path: Path) -> None:
    toml_escapes = ESCAPES.encode("unicode_escape").decode().replace("\\x", "\\u00")
    text = (
        f'title = "T"\nkind = "{toml_escapes}"\n"key{toml_escapes}" = 1\n'
        f'[[phase]]\npace = "{toml_escapes}"\nseconds = 1\nsay = "x"\n'
    )
    path = tmp_path / f"name{ESCAPES}.toml"
    path.write_text(text)
    problems = problems_of(path)
    rendered = "\n".join(str(p) for p in problems)
    assert not CONTROL.search(rendered), rendered
    assert "\\x1b]52;c;aGVsbG8=\\x07" in rendered
    fields = {p.field for p in problems}
    assert "kind" in fields and any(f and f.startswith("key\x1b") for f in fields)


@pytest.mark.parametrize(
    "character", ["\u202a", "\u202e", "\u2066", "\u2069", "\u200e", "\u2028", "\ufeff", "\x1b", "\x7f"]
)
def test_bidirectional_and_other_hidden_characters_are_refused_in_text(
    tmp_path: Path, character: str
) -> None:
    escaped = f"\\u{ord(character):04x}"
    path = tmp_path / "b.toml"
    path.write_text(f'title = "Calm {escaped} breath"\nkind = "routine"\n[[step]]\nsay = "a"\nseconds = 2\n')
    problem = only_problem(path)
    assert (problem.field, problem.line) == ("title", 1)
    assert "control characters" in problem.message and visible(character) in problem.message


def test_line_breaks_stay_allowed_in_instructions_but_not_in_titles(tmp_path: Path) -> None:
    path = tmp_path / "lines.toml"
    path.write_text('title = "R"\nkind = "routine"\n[[step]]\nsay = "one\\ntwo\\tthree"\nseconds = 2\n')
    assert isinstance(parse_file(path, Origin.USER, None), Exercise)
    path.write_text('title = "R\\nX"\nkind = "routine"\n[[step]]\nsay = "one"\nseconds = 2\n')
    assert only_problem(path).field == "title"


def hostile_user_files(directory: Path) -> list[Path]:
    """Files whose value, key and name carry escape sequences, as TOML escapes."""
    toml_escapes = ESCAPES.encode("unicode_escape").decode().replace("\\x", "\\u00")
    value = directory / "kind-value.toml"
    value.write_text(f'title = "T"\nkind = "{toml_escapes}"\n')
    key = directory / "key-name.toml"
    key.write_text(f'title = "T"\nkind = "routine"\n"{toml_escapes}" = 1\n[[step]]\nsay = "a"\nseconds = 2\n')
    name = directory / f"file{ESCAPES}.toml"
    name.write_text('title = "T"\nkind = "routine"\n[[step]]\nsay = "a"\nseconds = 2\n')
    bytes_name = directory / os.fsdecode(b"bad-\xff\x1b[2J.toml")  # not UTF-8 either
    bytes_name.write_text("not = toml = at all\n")
    return [value, key, name, bytes_name]


@pytest.mark.slow
def test_list_and_validate_never_write_a_control_character(
    cli_env: dict[str, str], user_exercises: Path
) -> None:
    files = hostile_user_files(user_exercises)
    for args in (["list"], ["validate", *map(str, files)]):
        result = cc(*args, env=cli_env)
        assert "Traceback" not in result.stderr, result.stderr
        for stream in (result.stdout, result.stderr):
            assert not CONTROL.search(stream), (args, stream)
        assert "\\x1b]52;c;aGVsbG8=\\x07" in result.stdout
        assert "kind-value" in result.stdout and "key-name" in result.stdout
        assert "bad-\\udcff\\x1b[2J" in result.stdout


@pytest.mark.slow
def test_show_and_plain_run_never_write_a_control_character(
    cli_env: dict[str, str], user_exercises: Path
) -> None:
    # Instructions may hold line breaks and tabs (kept as layout); nothing else gets through,
    # and an id typed on the command line is echoed visibly too.
    (user_exercises / "quiet.toml").write_text(
        'title = "Quiet"\nkind = "routine"\nsummary = "one\\ntwo"\n[[step]]\nsay = "a\\tb"\nseconds = 1\n'
    )
    shown = cc("show", "quiet", env=cli_env)
    ran = cc("run", "quiet", "--plain", "--speed", "100", "--no-sound", env=cli_env)
    for result in (shown, ran):
        assert result.returncode == 0, result.stderr
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", result.stdout + result.stderr)
    missing = cc("run", f"nope{ESCAPES}", "--plain", env=cli_env)
    assert missing.returncode == 1 and not CONTROL.search(missing.stderr)
    assert "nope\\x1b]0;PWNED" in missing.stderr


# --- the budget: every nasty file at once --------------------------------------------------


def nasty_files(directory: Path) -> dict[str, str]:
    """One of each kind of hostile exercise file, with words its single problem line says.

    Shared with benchmarks/hostile_files.py through the same shapes (kept small here)."""
    expected = special_files(directory)
    (directory / "huge.toml").write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    expected["huge"] = "is too large"
    (directory / "binary.toml").write_bytes(bytes(range(256)) * 4)
    expected["binary"] = "is a binary file"
    (directory / "deep.toml").write_text("tags = " + "[" * 5000 + "]" * 5000 + "\n")
    expected["deep"] = "too deeply"
    (directory / "dots.toml").write_text("a" + ".a" * 16_000 + " = 1\n")
    expected["dots"] = "more than 16 dotted parts"
    (directory / "tiny-phase.toml").write_text(phases_file("1e-9"))
    expected["tiny-phase"] = "at least 0.5 seconds"
    phases = ",".join('{pace = "hold", seconds = 1, say = "x"}' for _ in range(100))
    (directory / "many-steps.toml").write_text(f"{BREATH}cycles = 1000\nphase = [{phases}]\n")
    expected["many-steps"] = "100000 in all"
    toml_escapes = ESCAPES.encode("unicode_escape").decode().replace("\\x", "\\u00")
    (directory / "escapes.toml").write_text(f'title = "T"\nkind = "{toml_escapes}"\n')
    expected["escapes"] = "expected breathing, routine or program, got '\\x1b]0;PWNED"
    (directory / "uses-tiny.toml").write_text(
        'title = "P"\nkind = "program"\n[[part]]\nexercise = "tiny-phase"\n'
    )
    expected["uses-tiny"] = "'tiny-phase' has problems of its own"
    return expected


@pytest.mark.slow
def test_list_survives_a_directory_of_nasty_files(cli_env: dict[str, str], user_exercises: Path) -> None:
    expected = nasty_files(user_exercises)
    started = time.monotonic()
    result = cc("list", env=cli_env)
    assert time.monotonic() - started < HANG_GUARD
    assert result.returncode == 0, result.stderr
    assert not CONTROL.search(result.stdout + result.stderr)
    errors = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("error:")]
    assert len(errors) == len(expected), "\n".join(errors)  # one line per bad file
    for name, words in expected.items():
        (line,) = [e for e in errors if f"/{name}.toml" in e]
        assert words in line, line
    assert "flare" in result.stdout and "breathing-4-2-6" in result.stdout


def test_nasty_files_leave_the_rest_of_the_library_whole(user_exercises: Path) -> None:
    expected = nasty_files(user_exercises)
    library = within(
        HANG_GUARD, lambda: load_library(locations.builtin_exercises_dir(), user_exercises, sound_names())
    )
    assert {b.id for b in library.broken} == set(expected)
    assert all(len(b.problems) == 1 for b in library.broken)
    builtins = load_library(locations.builtin_exercises_dir(), None, sound_names())
    assert set(library.exercises) == set(builtins.exercises)  # every built-in, none of the nasty ones
    results = validate_files(sorted(user_exercises.iterdir()), library, sound_names())
    assert all(len(problems) == 1 for problems in results.values())
