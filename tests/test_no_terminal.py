"""Where the full-screen app cannot run (no terminal, or TERM=dumb), calmcoach says so
and prints text instead: never escape codes, never a process that does not end."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from calmcoach.data import locations
from tests.helpers import calmcoach_command
from tests.terminal_process import TerminalProcess

pytestmark = pytest.mark.slow

HANG_LIMIT = 60.0
"""Hang guard: before the fix ``calmcoach`` with no terminal never ended (a busy machine
lists the library in well under this)."""

ESC = b"\x1b"


def no_terminal(args: list[str], env: dict[str, str], tmp_path: Path) -> tuple[int, bytes, bytes]:
    """Run calmcoach with standard input from /dev/null and output to a file, as cron would."""
    out_file = tmp_path / "out.txt"
    with out_file.open("wb") as out:
        result = subprocess.run(
            [*calmcoach_command(), *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.PIPE,
            env=env,
            timeout=HANG_LIMIT,
        )
    return result.returncode, out_file.read_bytes(), result.stderr


@pytest.mark.parametrize("args", [[], ["--no-sound"]], ids=["calmcoach", "calmcoach --no-sound"])
def test_no_terminal_prints_the_library_and_a_hint(
    args: list[str], cli_env: dict[str, str], tmp_path: Path
) -> None:
    code, out, err = no_terminal(args, cli_env, tmp_path)
    assert code == 0
    listed = subprocess.run(
        [*calmcoach_command(), "list"], capture_output=True, env=cli_env, timeout=HANG_LIMIT
    ).stdout
    assert out == listed  # the library, exactly as ``calmcoach list`` prints it
    assert b"breathing-4-2-6" in out
    hint = err.decode().splitlines()
    assert len(hint) == 1 and "no terminal" in hint[0] and "calmcoach run" in hint[0]
    assert ESC not in out and ESC not in err


def test_no_terminal_run_goes_plain(cli_env: dict[str, str], tmp_path: Path) -> None:
    code, out, err = no_terminal(
        ["run", "breathing-4-2-6", "--minutes", "2", "--speed", "100", "--no-sound"], cli_env, tmp_path
    )
    assert code == 0, err
    assert b"4-2-6 breathing finished: 2:00" in out
    assert ESC not in out and ESC not in err


@pytest.fixture
def dumb_env(cli_env: dict[str, str]) -> dict[str, str]:
    settings = locations.settings_file()
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text('{"first_run_seen": true}')
    return {**cli_env, "TERM": "dumb"}


def test_dumb_terminal_gets_the_library_and_a_hint(dumb_env: dict[str, str]) -> None:
    shell = TerminalProcess(calmcoach_command(), dumb_env)
    try:
        code = shell.wait(HANG_LIMIT)
    finally:
        shell.close()
    assert code == 0
    assert b"breathing-4-2-6" in shell.output
    assert b"TERM=dumb" in shell.output and b"calmcoach run" in shell.output
    assert ESC not in shell.output


def test_dumb_terminal_runs_a_session_as_plain_text(dumb_env: dict[str, str]) -> None:
    shell = TerminalProcess(
        [*calmcoach_command(), "run", "breathing-4-2-6", "--minutes", "2", "--speed", "100", "--no-sound"],
        dumb_env,
    )
    try:
        code = shell.wait(HANG_LIMIT)
    finally:
        shell.close()
    assert code == 0
    assert b"4-2-6 breathing finished: 2:00" in shell.output
    assert ESC not in shell.output
