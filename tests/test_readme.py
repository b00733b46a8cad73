"""The README's promises to a newcomer hold: its commands, its packages, its example file."""

from __future__ import annotations

import re
from pathlib import Path

from calmcoach.data.library import load_default_library, sound_names
from calmcoach.data.loader import validate_files

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def _section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def test_run_and_test_commands_come_first() -> None:
    sections = re.findall(r"^## (.+)$", README, flags=re.MULTILINE)
    assert sections[:2] == ["Run it", "Test it"]
    assert "python3 -m venv .venv && .venv/bin/pip install '.[audio]' && .venv/bin/calmcoach" in _section(
        "Run it"
    )
    assert (
        "python3 -m venv .venv && .venv/bin/pip install '.[audio,test]' && .venv/bin/python -m pytest"
        in _section("Test it")
    )


def test_every_system_package_is_on_one_line() -> None:
    lines = [line for line in _section("Run it").splitlines() if "apt-get install" in line]
    assert len(lines) == 1
    for package in ("python3-venv", "python3-dev", "gcc", "libasound2-dev"):
        assert package in lines[0].split()


def test_it_says_how_to_run_it_again_and_how_to_quit() -> None:
    run_it = _section("Run it")
    assert "`.venv/bin/calmcoach`" in run_it
    assert "source .venv/bin/activate" in run_it
    assert "Ctrl+Q" in run_it and "Esc" in run_it


def test_the_example_exercise_file_is_valid(tmp_path: Path) -> None:
    """The TOML in "Your own exercises" passes ``calmcoach validate``."""
    blocks = re.findall(r"```toml\n(.*?)```", _section("Your own exercises"), flags=re.DOTALL)
    assert blocks
    path = tmp_path / "readme-example.toml"
    path.write_text(blocks[0])
    assert validate_files([path], load_default_library(), sound_names()) == {path: ()}


def test_the_documented_fields_are_named_and_load(tmp_path: Path) -> None:
    """The id rule, step and area titles, tags, cycles and safety are documented, and a
    file using them as the README says loads."""
    text = _section("Your own exercises")
    for word in (
        "`title`",
        "`tags`",
        "`cycles`",
        "`safety`",
        "file name without `.toml`",
        '(`title = "Left hand"`)',
    ):
        assert word in text
    path = tmp_path / "my-calves.toml"
    path.write_text(
        'title = "Calves"\nkind = "routine"\ntags = ["leg"]\nsafety = ["Easy does it."]\n'
        '[area.hand]\ntitle = "Left hand"\n[[area.hand.step]]\ntitle = "Open"\nsay = "open"\nseconds = 5\n'
    )
    assert validate_files([path], load_default_library(), sound_names()) == {path: ()}
