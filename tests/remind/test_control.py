"""Controlling a running reminder: the lock, the socket, the state file, the autostart entry."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from calmcoach.data import locations
from calmcoach.remind import autostart, control

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)


# --- the state file -------------------------------------------------------------------------


def test_a_pause_is_kept_and_read_back() -> None:
    control.write_pause(NOW + timedelta(hours=2))
    assert control.read_pause(NOW) == (NOW + timedelta(hours=2), None)
    assert control.read_pause(NOW + timedelta(hours=3)) == (None, None)  # over
    control.write_pause(None)
    assert control.read_pause(NOW) == (None, None)


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            "paused_until = 'tomorrow'\n",
            ":1: paused_until: ",
            "expected a date and time with its offset, got 'tomorrow'",
        ),
        ("paused_until = 2026-11-23T12:00:00\n", ":1: paused_until: ", "got a date without its offset"),
        (
            "paused_until = 2027-11-23T12:00:00Z\n",
            ":1: paused_until: ",
            "a pause longer than a week is refused",
        ),
        ("\n\npid = 1\n", ":3: pid: ", "unknown key; expected only paused_until"),
        ("paused_until = \n", ":1: ", "TOML syntax error"),
        ("paused_until = 99999-01-01\n", ":1: ", "TOML syntax error"),
    ],
)
def test_hostile_state_files_are_one_clear_line_and_ignored(text: str, where: str, message: str) -> None:
    path = control.private_state_dir() / "remind-state.toml"
    path.write_text(text, "utf-8")
    paused, problem = control.read_pause(NOW)
    assert paused is None and problem is not None
    line = str(problem)
    assert line.startswith(f"{path}{where}") and message in line, line
    assert "\n" not in line


def test_the_state_dir_is_private() -> None:
    directory = control.private_state_dir()
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700


# --- the lock --------------------------------------------------------------------------------


def test_only_one_reminder_holds_the_lock_and_a_dead_one_lets_go() -> None:
    code = "from calmcoach.remind import control; h = control.take_lock(); print('ok', flush=True); input()"
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ok"
        with pytest.raises(control.AlreadyRunning):
            control.take_lock()
    finally:
        child.kill()
        child.wait(timeout=10)
    control.take_lock().close()  # free again


# --- the socket ------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[list[dict[str, Any]]]:
    """A control socket served on a loop in a thread; yields the requests it handled."""
    seen: list[dict[str, Any]] = []
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def handler(request: dict[str, Any]) -> dict[str, Any]:
        seen.append(request)
        return {"now": f"did {request['do']}", "pid": os.getpid()}

    async def start() -> None:
        holder["server"] = await control.serve(handler)
        ready.set()

    thread = threading.Thread(target=lambda: (loop.run_until_complete(start()), loop.run_forever()))
    thread.start()
    assert ready.wait(10)
    try:
        yield seen
    finally:
        loop.call_soon_threadsafe(holder["server"].close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def raw(data: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(5)
        connection.connect(str(control.socket_path()))
        connection.sendall(data)
        connection.shutdown(socket.SHUT_WR)
        out = b""
        while chunk := connection.recv(4096):
            out += chunk
        return out


def test_requests_reach_the_running_reminder(server: list[dict[str, Any]]) -> None:
    assert stat.S_IMODE(control.socket_path().stat().st_mode) & 0o077 == 0
    assert control.ask({"do": "status"}) == {"now": "did status", "pid": os.getpid()}
    assert control.ask({"do": "pause", "seconds": 7200})["now"] == "did pause"
    assert [r["do"] for r in server] == ["status", "pause"]


@pytest.mark.parametrize(
    ("data", "reply"),
    [
        (b"not json\n", {"error": "not JSON"}),
        (b'["status"]\n', {"error": "unknown request"}),
        (b'{"do": "rm -rf"}\n', {"error": "unknown request"}),
        (b'{"do": "pause", "seconds": -5}\n', {"error": "a pause is from 1 second to a week"}),
        (b'{"do": "pause", "seconds": 1e300}\n', {"error": "a pause is from 1 second to a week"}),
        (b'{"do": "pause", "seconds": true}\n', {"error": "a pause is from 1 second to a week"}),
        (b'{"do": "status"}', {"error": "request too long"}),  # no end of line: cut short
    ],
)
def test_hostile_requests_get_a_plain_refusal(
    server: list[dict[str, Any]], data: bytes, reply: dict[str, str]
) -> None:
    assert json.loads(raw(data)) == reply
    assert server == []


def test_an_oversized_request_gets_nothing_and_the_server_goes_on(server: list[dict[str, Any]]) -> None:
    assert raw(b"x" * 100_000 + b"\n") == b""
    assert control.ask({"do": "status"})["now"] == "did status"


def test_no_reminder_listening_is_none() -> None:
    assert control.ask({"do": "status"}) is None
    control.private_state_dir()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stale:
        stale.bind(str(control.socket_path()))  # a socket file left behind by a dead reminder
    assert control.ask({"do": "status"}) is None


# --- the command's control options ------------------------------------------------------------


def calmcoach(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calmcoach", "remind", *args], capture_output=True, text=True, timeout=60
    )


def test_pause_and_resume_with_no_reminder_running_are_kept_for_later() -> None:
    result = calmcoach("--pause", "2h")
    assert result.returncode == 0 and "No reminder is running; the pause until" in result.stdout
    status = calmcoach("--status")
    assert status.returncode == 3 and "is not running" in status.stdout and "Paused until" in status.stdout
    assert calmcoach("--resume").returncode == 0
    assert "Paused until" not in calmcoach("--status").stdout


def test_a_pause_in_days_is_taken_up_to_a_week() -> None:
    assert calmcoach("--pause", "7d").returncode == 0
    assert calmcoach("--pause", "1d").returncode == 0
    status = calmcoach("--status")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%a")  # the tests run in UTC
    assert f"Paused until {tomorrow} " in status.stdout


def test_a_second_reminder_says_so_and_exits_4() -> None:
    held = control.take_lock()
    try:
        result = calmcoach()
    finally:
        held.close()
    assert result.returncode == 4
    assert (
        result.stdout == "calmcoach remind: a reminder is already running; see calmcoach remind --status.\n"
    )


def test_a_pause_past_today_says_its_day_in_the_running_reminder() -> None:
    from calmcoach.remind.main import Reminder
    from calmcoach.remind.settings import RemindSettings

    now = NOW.astimezone()
    reminder = Reminder(RemindSettings(), out=io.StringIO(), clock=lambda: now)
    later = asyncio.run(reminder._request({"do": "pause", "seconds": 25 * 3600}))
    soon = asyncio.run(reminder._request({"do": "pause", "seconds": 3600}))
    assert later["now"] == "paused until Tue 11:00" and soon["now"] == "paused until 11:00"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("soon", "wants a time such as 2h, 45m, 1h30m or 1d"),
        ("30s", "is from 1m to 7 days"),
        ("8d", "not 8 days"),
    ],
)
def test_bad_pause_is_one_line(value: str, message: str) -> None:
    result = calmcoach("--pause", value)
    assert result.returncode == 1 and message in result.stderr and result.stderr.count("\n") == 1


def test_hostile_state_file_is_one_line_in_status() -> None:
    control.private_state_dir()
    control.state_path().write_text('paused_until = "\\u001b[2J"\n')
    result = calmcoach("--status")
    assert result.stderr.count("\n") == 1 and "paused_until: expected a date and time" in result.stderr
    assert "\x1b" not in result.stderr + result.stdout


# --- the autostart entry ----------------------------------------------------------------------


@pytest.fixture
def xdg_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "my home" / ".config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def validate(path: Path) -> None:
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("desktop-file-validate is missing in CI (apt-get install desktop-file-utils)")
        pytest.skip("desktop-file-validate is not installed (desktop-file-utils)")
    result = subprocess.run([validator, str(path)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout


def test_install_writes_an_entry_that_validates_and_uninstall_removes_exactly_it(xdg_config: Path) -> None:
    sibling = xdg_config / "autostart" / "other.desktop"
    sibling.parent.mkdir(parents=True)
    sibling.write_text("[Desktop Entry]\nType=Application\nName=Other\nExec=other\n")
    result = calmcoach("--install")
    assert result.returncode == 0, result.stderr
    entry = xdg_config / "autostart" / "calmcoach-remind.desktop"
    assert str(entry) in result.stdout
    validate(entry)
    text = entry.read_text()
    assert "\nExec=" in text and text.rstrip().endswith("X-Calmcoach-Remind=true")
    assert calmcoach("--install").returncode == 0  # again: replaces its own
    assert "starts at login" in calmcoach("--status").stdout
    result = calmcoach("--uninstall")
    assert result.returncode == 0 and f"Removed {entry}." in result.stdout
    assert not entry.exists() and sibling.exists()
    assert "Nothing to remove" in calmcoach("--uninstall").stdout


def test_a_file_of_that_name_not_written_by_calmcoach_is_left_alone(xdg_config: Path) -> None:
    entry = xdg_config / "autostart" / "calmcoach-remind.desktop"
    entry.parent.mkdir(parents=True)
    entry.write_text("[Desktop Entry]\nType=Application\nName=Mine\nExec=mine\n")
    for option in ("--install", "--uninstall"):
        result = calmcoach(option)
        assert result.returncode == 1 and "was not written by calmcoach" in result.stderr
    assert "Name=Mine" in entry.read_text()


@pytest.mark.parametrize(
    "word", ["/opt/my apps/bin/python3", 'we"ird$`\\path', "/100%/python", "plain/path-1.2_x"]
)
def test_exec_quoting_keeps_odd_paths_valid(xdg_config: Path, word: str) -> None:
    entry = xdg_config / "autostart" / "x.desktop"
    entry.parent.mkdir(parents=True)
    entry.write_text(autostart.entry_text([word, "-m", "calmcoach", "remind"]))
    validate(entry)


def test_the_entry_runs_this_installation() -> None:
    words = autostart.command()
    assert words[-1] == "remind"
    assert Path(words[0]).is_absolute() and os.access(words[0], os.X_OK)
    assert locations.config_dir() != Path(words[0]).parent


# --- what "Start" runs ------------------------------------------------------------------------


def test_start_opens_the_desktop_window_where_there_is_a_display(monkeypatch: pytest.MonkeyPatch) -> None:
    from calmcoach.remind.main import start_command
    from calmcoach.remind.settings import RemindSettings

    monkeypatch.setattr(sys, "platform", "linux")
    desktop = [sys.executable, "-m", "calmcoach", "desktop", "run", "desk-break"]
    assert start_command(RemindSettings(), {"DISPLAY": ":0"}) == desktop
    assert start_command(RemindSettings(), {"WAYLAND_DISPLAY": "wayland-0"}) == desktop
    terminal = start_command(RemindSettings(), {"TERMINAL": "foot --title 'calm coach'"})
    assert terminal == [
        "foot",
        "--title",
        "calm coach",
        "-e",
        sys.executable,
        "-m",
        "calmcoach",
        "run",
        "desk-break",
    ]
    own = RemindSettings(start_command=("my-break",))
    assert start_command(own, {"DISPLAY": ":0"}) == ["my-break"]
    monkeypatch.setenv("PATH", "/nonexistent")
    assert start_command(RemindSettings(), {}) is None  # nowhere to open it: said once, see main
