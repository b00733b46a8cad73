"""The command line, run in a subprocess against the installed package."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from calmcoach import __version__
from tests.conftest import calmcoach_command

pytestmark = pytest.mark.slow


def cc(
    *args: str, env: dict[str, str], stdin: str = "", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*calmcoach_command(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def test_version(cli_env) -> None:
    result = cc("--version", env=cli_env)
    assert result.returncode == 0
    assert result.stdout.strip() == f"calmcoach {__version__}"


def test_help_names_the_commands(cli_env) -> None:
    result = cc("--help", env=cli_env)
    assert result.returncode == 0
    for command in ("list", "show", "validate", "run", "flare", "history", "log"):
        assert command in result.stdout


def test_list_shows_builtins_and_a_broken_user_file(cli_env, user_exercises: Path) -> None:
    (user_exercises / "wobbly.toml").write_text('title = "W"\nkind = "breathing"\ncycles = -1\n')
    result = cc("list", env=cli_env)
    assert result.returncode == 0
    for exercise_id in (
        "breathing-4-2-6",
        "tension-release",
        "attention-shift",
        "flare",
        "box-breathing",
        "breathing-4-7-8",
        "coherent-breathing",
        "physiological-sigh",
        "progressive-muscle-relaxation",
        "grounding-5-4-3-2-1",
    ):
        assert exercise_id in result.stdout
    assert "wobbly" in result.stdout
    assert f"{user_exercises / 'wobbly.toml'}:3: cycles: expected a whole number" in result.stdout


def test_list_json(cli_env, user_exercises: Path) -> None:
    (user_exercises / "breathing-4-2-6.toml").write_text(
        (Path(__file__).parent.parent / "exercises" / "breathing-4-2-6.toml").read_text()
    )
    rows = json.loads(cc("list", "--json", env=cli_env).stdout)
    by_id = {row["id"]: row for row in rows}
    assert by_id["breathing-4-2-6"]["source"] == "user (overrides built-in)"
    assert by_id["flare"]["kind"] == "program" and by_id["flare"]["source"] == "built-in"
    assert by_id["breathing-4-2-6"]["minutes"] == "3 (2-5)"
    assert all(row["errors"] == [] for row in rows)


def test_show_prints_the_timeline(cli_env) -> None:
    result = cc("show", "breathing-4-2-6", "--minutes", "2", env=cli_env)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert "5.00 breaths per minute" in result.stdout
    assert any(line.split()[:3] == ["0:04", "2s", "hold"] for line in lines)
    assert any(line.split()[:3] == ["1:54", "6s", "exhale"] for line in lines)
    assert lines[-1] == "Total: 2:00"


def test_show_unknown_id(cli_env) -> None:
    result = cc("show", "nope", env=cli_env)
    assert result.returncode == 1
    assert "no exercise 'nope'" in result.stderr


def test_validate_prints_every_error_and_exits_1(cli_env, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'title = "Bad"\nkind = "breathing"\ncycles = 3\nflavour = "mint"\n'
        '[[phase]]\npace = "inhale"\nseconds = -4\nsay = "in"\n'
    )
    good = tmp_path / "good.toml"
    good.write_text('title = "Good"\nkind = "routine"\n[[step]]\nsay = "x"\nseconds = 3\n')
    result = cc("validate", str(bad), str(good), env=cli_env)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert (
        f"{bad}:4: flavour: unknown key; expected one of: title, kind, summary, safety, tags, minutes, cycles, phase"
        in lines
    )
    assert f"{bad}:7: phase[1].seconds: must be more than 0 seconds, got -4" in lines
    assert f"{good}: ok" in lines


def test_validate_all_good_exits_0(cli_env) -> None:
    files = sorted(str(p) for p in (Path(__file__).parent.parent / "exercises").glob("*.toml"))
    result = cc("validate", *files, env=cli_env)
    assert result.returncode == 0, result.stdout
    assert result.stdout.count(": ok") == len(files)


def test_run_plain_426_two_minutes(cli_env) -> None:
    result = cc(
        "run", "breathing-4-2-6", "--plain", "--speed", "100", "--minutes", "2", "--no-sound", env=cli_env
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    steps = [line.split(None, 2) for line in lines if line.split()[1:2] in (["inhale"], ["hold"], ["exhale"])]
    assert len(steps) == 30
    expected_times = [f"{s // 60}:{s % 60:02d}" for c in range(10) for s in (12 * c, 12 * c + 4, 12 * c + 6)]
    assert [s[0] for s in steps] == expected_times
    assert [s[1] for s in steps] == ["inhale", "hold", "exhale"] * 10
    assert lines[-1].split()[:2] == ["2:00", "done"]
    assert "10 of 10 cycles" in lines[-1]


def test_run_plain_prompt_reads_enter(cli_env) -> None:
    result = cc(
        "run", "attention-shift", "--plain", "--speed", "100", "--no-sound", env=cli_env, stdin="\n\n"
    )
    assert result.returncode == 0
    assert "[Enter to go on]" in result.stdout
    assert "Attention shifting finished: 2:45" in result.stdout


def test_run_unknown_minutes_is_a_clear_error(cli_env) -> None:
    result = cc("run", "breathing-4-2-6", "--plain", "--minutes", "9", env=cli_env)
    assert result.returncode == 1
    assert "runs 2 to 5 minutes" in result.stderr


def test_bad_speed_is_refused(cli_env) -> None:
    result = cc("run", "breathing-4-2-6", "--plain", "--speed", "500", env=cli_env)
    assert result.returncode == 2
    assert "speed must be from 1 to 100" in result.stderr


def test_flare_plain_runs_the_program(cli_env) -> None:
    result = cc("flare", "hand", "--plain", "--speed", "100", "--no-sound", env=cli_env, stdin="\n\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert (
        out.index("== 4-2-6 breathing ==")
        < out.index("== Tension release (Hand or forearm) ==")
        < out.index("== Attention shifting ==")
    )


def test_ctrl_c_ends_plain_session_with_summary(cli_env) -> None:
    process = subprocess.Popen(
        [*calmcoach_command(), "run", "breathing-4-2-6", "--plain", "--speed", "10", "--no-sound"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    assert "inhale" in first
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 130, err
    assert "4-2-6 breathing stopped at" in out
    assert "Traceback" not in err


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_version_does_not_import_textual(cli_env) -> None:
    code = "import sys; from calmcoach.cli import main; main(['list']); print('textual' in sys.modules)"
    result = subprocess.run([*_python(), "-c", code], capture_output=True, text=True, env=cli_env)
    assert result.stdout.strip().splitlines()[-1] == "False"


def _python() -> list[str]:
    import sys

    return [sys.executable]
