"""SIGTERM and SIGHUP, sent to the real app and to plain mode: the session is recorded
as stopped with the time really done, the terminal is given back, and the exit code
says which signal it was (143 for SIGTERM, 129 for SIGHUP)."""

from __future__ import annotations

import json
import signal
import subprocess
import termios
import time
from pathlib import Path
from typing import Any

import pytest

from calmcoach.data import locations
from tests.helpers import calmcoach_command
from tests.terminal_process import TerminalProcess

pytestmark = pytest.mark.slow

START_LIMIT = 60.0
"""Hang guard for the first frame: a start-up on a busy 2-core machine, many times over."""
EXIT_LIMIT = 15.0
"""Hang guard for the exit after a signal (the app ends in well under a second)."""

SIGNALS = [pytest.param(signal.SIGTERM, 143, id="SIGTERM"), pytest.param(signal.SIGHUP, 129, id="SIGHUP")]


def session_rows(env: dict[str, str]) -> list[dict[str, Any]]:
    """The history as ``calmcoach history --json`` reads it back."""
    result = subprocess.run(
        [*calmcoach_command(), "history", "--json"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return [row for row in json.loads(result.stdout) if row["type"] == "session"]


@pytest.fixture
def app_env(cli_env: dict[str, str]) -> dict[str, str]:
    """A terminal that can show the app, and the first-run note already read."""
    settings = locations.settings_file()
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text('{"first_run_seen": true}')
    env = dict(cli_env)
    env["TERM"] = "xterm-256color"
    env.pop("NO_COLOR", None)
    return env


def last(output: bytes, sequence: str) -> int:
    return output.rfind(sequence.encode())


@pytest.mark.parametrize(("signum", "code"), SIGNALS)
def test_app_on_signal_stops_the_session_gives_the_terminal_back_and_exits(
    app_env: dict[str, str], signum: int, code: int
) -> None:
    spawned = time.monotonic()
    app = TerminalProcess([*calmcoach_command(), "run", "breathing-4-2-6", "--no-sound"], app_env)
    try:
        assert app.read_until(b"breath 1 of", START_LIMIT), app.output[-2000:]
        assert not app.local_modes() & termios.ECHO  # the app has the terminal in raw mode
        time.sleep(1.0)  # into the first in-breath: the time done is not a boundary
        app.process.send_signal(signum)
        assert app.wait(EXIT_LIMIT) == code
        ended = time.monotonic()
        out = app.output
        # Everything the app turned on is turned off after it, at the very end.
        assert last(out, "\x1b[?1049l") > last(out, "\x1b[?1049h") >= 0  # alternate screen left
        assert last(out, "\x1b[?25h") > last(out, "\x1b[?25l") >= 0  # cursor shown
        for mode in ("1000", "1003", "1006"):  # mouse tracking off
            assert last(out, f"\x1b[?{mode}l") > last(out, f"\x1b[?{mode}h") >= 0, mode
        assert b"Traceback" not in out
        modes = app.local_modes()
        assert modes & termios.ECHO and modes & termios.ICANON  # stty: echo icanon
    finally:
        app.close()
    (row,) = session_rows(app_env)
    assert row["status"] == "stopped"
    # The time really done: at least the second waited after the first frame, at most
    # the whole life of the process (the last boundary, 0:00, would be 0).
    assert 1.0 <= row["seconds"] <= ended - spawned


def test_app_when_the_terminal_hangs_up_records_the_session_and_exits(app_env: dict[str, str]) -> None:
    app = TerminalProcess([*calmcoach_command(), "run", "breathing-4-2-6", "--no-sound"], app_env)
    try:
        assert app.read_until(b"breath 1 of", START_LIMIT), app.output[-2000:]
        time.sleep(0.5)
        app.hang_up()  # the terminal window closes: the kernel sends SIGHUP, writes fail
        # Textual's output thread dies on the first failed write; the app must not
        # then block on its full queue forever.
        assert app.wait(EXIT_LIMIT) == 129
    finally:
        app.close()
    (row,) = session_rows(app_env)
    assert row["status"] == "stopped" and row["seconds"] >= 0.5


@pytest.mark.parametrize(("signum", "code"), SIGNALS)
def test_plain_on_signal_prints_its_summary_records_stopped_and_exits(
    cli_env: dict[str, str], signum: int, code: int
) -> None:
    process = subprocess.Popen(
        [*calmcoach_command(), "run", "breathing-4-2-6", "--plain", "--no-sound"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env,
    )
    try:
        assert process.stdout is not None
        lines: list[bytes] = []
        while not lines or (lines[-1] and b"0:00  inhale" not in lines[-1]):
            lines.append(process.stdout.readline())  # safety notes, then the first step
        assert b"0:00  inhale" in lines[-1], lines
        time.sleep(1.0)
        process.send_signal(signum)
        out, err = process.communicate(timeout=EXIT_LIMIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == code
    assert err == b""
    assert out.decode().strip().splitlines()[-1].startswith("4-2-6 breathing stopped at 0:0")
    (row,) = session_rows(cli_env)
    assert row["status"] == "stopped" and row["seconds"] >= 1.0


def test_plain_when_the_terminal_hangs_up_records_the_session_and_exits(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    errors = tmp_path / "stderr.txt"
    plain = TerminalProcess(
        [*calmcoach_command(), "run", "breathing-4-2-6", "--plain", "--no-sound"], cli_env, stderr=errors
    )
    try:
        assert plain.read_until(b"inhale", START_LIMIT), plain.output
        time.sleep(0.5)
        plain.hang_up()  # no terminal left to print the summary to
        assert plain.wait(EXIT_LIMIT) == 129
    finally:
        plain.close()
    assert errors.read_text() == ""  # no traceback from printing to a terminal that is gone
    (row,) = session_rows(cli_env)
    assert row["status"] == "stopped" and row["seconds"] >= 0.5
