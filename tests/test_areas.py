"""Issue 23: one definition of the body areas, used by the command line, plain mode's
question and the exercise files' titles; an unknown word is one clear line, exit 2."""

from __future__ import annotations

import io
import sqlite3
import subprocess
from pathlib import Path

import pytest

from calmcoach.cli.options import resolve_area
from calmcoach.cli.parser import build_parser
from calmcoach.cli.planning import ask_area
from calmcoach.data import locations
from calmcoach.data.library import load_default_library
from calmcoach.domain.describe import area_choices
from calmcoach.domain.model import AREAS, BODY_AREAS, area_from_word, area_words_text
from tests.helpers import calmcoach_command
from tests.plain_runs import Typed, run_plain_command

WORDS = {
    "eyelid": ("eyelid", "eye", "face"),
    "hand": ("hand", "arm"),
    "leg": ("leg", "calf"),
    "general": ("general", "not-sure"),
}
"""What the issue asks the command line to accept for each area (the library's filter words)."""


def cc(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*calmcoach_command(), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def test_each_area_has_one_id_title_and_key() -> None:
    ids = [a.id for a in BODY_AREAS]
    keys = [a.key for a in BODY_AREAS]
    assert ids == ["eyelid", "hand", "leg", "general"]
    assert len(set(keys)) == len(keys) and all(len(k) == 1 for k in keys)
    assert {a.id: a.title for a in BODY_AREAS} == AREAS
    assert dict(zip(ids, keys, strict=True))["general"] == "n"  # "Not sure": one key everywhere


def test_the_titles_are_the_exercise_files_titles() -> None:
    library = load_default_library()
    release = library.exercises["tension-release"]
    assert dict(area_choices(release, library.exercises)) == AREAS
    assert AREAS["general"] == "Not sure / whole body"


@pytest.mark.parametrize(("area", "word"), [(a, w) for a, words in WORDS.items() for w in words])
def test_the_command_line_words_name_their_area(area: str, word: str) -> None:
    assert area_from_word(word) == area
    assert area_from_word(word.upper()) == area
    for command in (
        ["flare", word],
        ["run", "tension-release", "--area", word],
        ["log", word, "--intensity", "3"],
    ):
        args = build_parser().parse_args(command)
        assert resolve_area(args) and args.area == area


@pytest.mark.parametrize("word", ["not sure", "Not  Sure", "whole body", "not_sure", " not-sure "])
def test_words_with_a_space_name_their_area_as_the_library_filter_finds_them(word: str) -> None:
    assert area_from_word(word) == "general"
    args = build_parser().parse_args(["flare", word])
    assert resolve_area(args) and args.area == "general"


def test_an_unknown_word_is_none() -> None:
    for word in ("elbow", "", "eyes!", "\x1b[31m", "x" * 10_000):
        assert area_from_word(word) is None


@pytest.mark.parametrize(
    "command",
    [
        ("flare", "elbow", "--plain"),
        ("run", "tension-release", "--area", "elbow", "--plain"),
        ("log", "elbow", "--intensity", "3"),
        ("show", "tension-release", "--area", "elbow"),
        ("desktop", "--no-window", "flare", "elbow"),
    ],
)
def test_an_unknown_area_word_is_one_line_naming_the_words_and_exit_2(
    cli_env, command: tuple[str, ...]
) -> None:
    result = cc(*command, env=cli_env)
    assert result.returncode == 2
    assert result.stderr == f"calmcoach: unknown body area 'elbow'; use one of: {area_words_text()}\n"
    assert "eyelid (eye, face)" in result.stderr and "general (not-sure" in result.stderr
    assert result.stdout == ""


def test_a_hostile_area_word_is_shown_escaped_and_cut_short(cli_env) -> None:
    result = cc("flare", "\x1b]0;pwned\x07" + "x" * 5000, "--plain", env=cli_env)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert "\x1b" not in line and "\x07" not in line and len(line) < 400


def test_flare_eye_runs_the_eyelid_routine(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_plain_command(
        ["flare", "eye", "--plain", "--speed", "100", "--no-sound"], monkeypatch, capsys, Typed("")
    )
    assert result.code == 0, result.err
    assert "== Tension release (Eyelid or face) ==" in result.out.splitlines()


def test_run_area_calf_is_the_leg(cli_env) -> None:
    result = cc("show", "tension-release", "--area", "calf", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert "== Tension release (Leg or foot)" in result.stdout


def test_log_arm_logs_a_hand_flare_and_says_so_plainly(cli_env, isolated_dirs: Path) -> None:
    result = cc("log", "arm", "--intensity", "3", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Logged a flare: hand or forearm, intensity 3 of 10.\n"
    with sqlite3.connect(locations.history_file()) as db:
        assert db.execute("SELECT area, intensity FROM flares").fetchall() == [("hand", 3)]


def test_log_eyelid_says_no_a_eyelid(cli_env) -> None:
    result = cc("log", "eyelid", "--intensity", "4", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert "a eyelid" not in result.stdout
    assert result.stdout == "Logged a flare: eyelid or face, intensity 4 of 10.\n"


def test_plain_question_uses_the_one_key_for_not_sure_and_takes_the_words() -> None:
    library = load_default_library()
    choices = area_choices(library.exercises["flare"], library.exercises)
    out = io.StringIO()
    assert ask_area(choices, io.StringIO("calf\n"), out) == "leg"
    shown = out.getvalue()
    for area in BODY_AREAS:
        assert f"  {area.key}  {area.title}\n" in shown
    assert "(Enter alone: n)" in shown
    assert ask_area(choices, io.StringIO("n\n"), io.StringIO()) == "general"
    assert ask_area(choices, io.StringIO("\n"), io.StringIO()) == "general"
    assert ask_area(choices, io.StringIO("not-sure\n"), io.StringIO()) == "general"


def test_the_readme_names_every_word_the_command_line_takes() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    for area in BODY_AREAS:
        for word in area.words:
            assert f"`{word}`" in readme, word
