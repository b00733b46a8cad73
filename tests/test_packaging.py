"""A built wheel carries the command, the built-in exercises and the sounds."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    (path,) = out.glob("calmcoach-*.whl")
    return path


def test_wheel_has_exercises_sounds_and_entry_point(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for exercise in (REPO / "exercises").glob("*.toml"):
        assert f"calmcoach/_builtin/exercises/{exercise.name}" in names
    for sound in (REPO / "sounds").glob("*.wav"):
        assert f"calmcoach/_builtin/sounds/{sound.name}" in names
    for clip in [*(REPO / "sounds" / "voice").glob("*.wav"), REPO / "sounds" / "voice" / "manifest.json"]:
        assert f"calmcoach/_builtin/sounds/voice/{clip.name}" in names
    assert "calmcoach/data/content/red_flags.toml" in names
    assert "calmcoach/ui/calmcoach.tcss" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "calmcoach = calmcoach.cli:main" in text


def test_installed_package_finds_builtins_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    code = (
        "from calmcoach.data import locations; "
        "print(locations.builtin_exercises_dir()); print(locations.builtin_sounds_dir())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
    )
    exercises, sounds = result.stdout.split()
    assert exercises.startswith(str(target)) and sounds.startswith(str(target))
    assert (Path(exercises) / "breathing-4-2-6.toml").is_file()
    assert (Path(sounds) / "inhale.wav").is_file()
