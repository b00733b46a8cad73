"""A FIFO (or a folder) where one of calmcoach's own files belongs never hangs anything.

Opening a FIFO waits for the other end forever, so each test makes one with os.mkfifo
where calmcoach keeps a file, and runs the real code where a hang shows: the app in a
real process on a pty (it must draw, quit on Ctrl+Q and end on SIGTERM), the app under
Pilot with a guard that releases the FIFO if the app waited on it, and the rest in a
thread that fails the test if it has not returned (``within``). Timeouts are hang
guards, far above the real times.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from calmcoach.data import locations, logfile, safefile
from calmcoach.services import presence
from tests.helpers import calmcoach_command
from tests.terminal_process import TerminalProcess
from tests.test_hostile_files import within
from tests.ui.helpers import new_app

START_LIMIT = 60.0
"""Hang guard for the app's first frame on a busy machine."""
EXIT_LIMIT = 15.0
"""Hang guard for the app's exit (well under a second when nothing hangs)."""
GUARD = 5.0
"""In-process hang guard: seconds before a waiting open is released and the test fails."""


def state_fifo(name: str) -> Path:
    path = locations.state_dir() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return path


@contextlib.contextmanager
def released_if_stuck(directory: Path) -> Iterator[list[str]]:
    """Opens both ends of every FIFO in ``directory`` if the block has not finished after
    GUARD seconds, so an open that waits on one returns and the test can fail (instead of
    hanging the suite). The list names the FIFOs it had to release."""
    done = threading.Event()
    released: list[str] = []

    def guard() -> None:
        if done.wait(GUARD):
            return
        for path in directory.iterdir():
            if path.is_fifo():
                released.append(path.name)
                for flags in (os.O_RDONLY | os.O_NONBLOCK, os.O_WRONLY | os.O_NONBLOCK):
                    with contextlib.suppress(OSError):
                        os.close(os.open(path, flags))

    thread = threading.Thread(target=guard, daemon=True)
    thread.start()
    try:
        yield released
    finally:
        done.set()
        thread.join()


@pytest.fixture
def app_env(cli_env: dict[str, str]) -> dict[str, str]:
    env = dict(cli_env)
    env["TERM"] = "xterm-256color"
    return env


@pytest.mark.parametrize("ending", ["ctrl+q", "SIGTERM"])
def test_the_app_starts_and_ends_with_a_fifo_as_its_lock(app_env: dict[str, str], ending: str) -> None:
    state_fifo("app.lock")
    app = TerminalProcess(calmcoach_command(), app_env)
    try:
        assert app.read_until(b"Welcome to calmcoach", START_LIMIT), app.output[-2000:]
        if ending == "ctrl+q":
            os.write(app.master, b"\x11")
            assert app.wait(EXIT_LIMIT) == 0
        else:
            app.process.send_signal(signal.SIGTERM)
            assert app.wait(EXIT_LIMIT) == 128 + signal.SIGTERM
        assert b"Traceback" not in app.output
    finally:
        app.close()
    log = (locations.state_dir() / "calmcoach.log").read_text()
    assert "app.lock is a FIFO (named pipe), not a regular file" in log


def test_the_app_runs_with_a_file_as_its_state_dir_and_says_so_in_one_line(app_env: dict[str, str]) -> None:
    state = locations.state_dir()
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text("not a folder")
    app = TerminalProcess(calmcoach_command(), app_env)
    try:
        assert app.read_until(b"Welcome to calmcoach", START_LIMIT), app.output[-2000:]
        os.write(app.master, b"\x11")
        assert app.wait(EXIT_LIMIT) == 0
    finally:
        app.close()
    after = app.output[app.output.rfind(b"\x1b[?1049l") :]  # once the app gave the terminal back
    assert b"Traceback" not in app.output
    assert f"calmcoach: no log is kept: {state}: is a file, not a folder".encode() in after
    assert after.count(b"calmcoach:") == 1


def test_the_reminder_sees_no_app_behind_a_fifo_lock() -> None:
    state_fifo("app.lock")
    assert within(GUARD, presence.app_is_open) is False


async def test_a_fifo_left_as_the_nudge_while_the_app_runs_is_removed_unread() -> None:
    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.nudges.presence.held
        fifo = state_fifo("app-nudge")
        with released_if_stuck(fifo.parent) as released:
            app.nudges.check()  # what its timer does every few seconds
        assert released == [], "the app waited on the FIFO"
        await pilot.pause()
        assert app.nudges.shown == 0 and not list(app._notifications)
        assert not os.path.lexists(fifo) and not presence.nudge_waiting()
        assert app.is_running


def test_a_fifo_where_the_nudge_is_written_first_is_never_opened() -> None:
    fifo = state_fifo(f".app-nudge.{os.getpid()}")  # the name it used to write first
    within(GUARD, lambda: presence.post_nudge(datetime.now(UTC)))
    assert presence.nudge_waiting() and fifo.is_fifo()


def test_a_fifo_with_a_reader_is_refused_on_its_descriptor(tmp_path: Path) -> None:
    fifo = tmp_path / "log"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # so a writer's open would succeed
    try:
        for opening in (safefile.open_for_append, safefile.open_lock_file):
            with pytest.raises(safefile.RefusedFile, match="FIFO"):
                within(GUARD, lambda opening=opening: opening(fifo))  # type: ignore[misc]
    finally:
        os.close(reader)


def test_the_player_log_and_the_trace_never_wait_on_a_fifo(tmp_path: Path) -> None:
    from calmcoach.audio.process import ProcessPlayer
    from calmcoach.ui.trace import Trace

    fifo = state_fifo("audio-player.log")
    player = within(
        GUARD,
        lambda: ProcessPlayer((), bell=lambda: None, log_file=fifo, command=[sys.executable, "-c", "pass"]),
    )
    player.close()
    trace = tmp_path / "trace"
    os.mkfifo(trace)
    within(GUARD, lambda: Trace(str(trace))).write("start")


@pytest.mark.parametrize("what", ["a folder at the log", "a file as the state dir"])
def test_a_plain_run_says_in_one_line_that_the_log_cannot_be_kept(cli_env: dict[str, str], what: str) -> None:
    state = locations.state_dir()
    if what == "a folder at the log":
        (state / "calmcoach.log").mkdir(parents=True)
        expected = f"calmcoach: no log is kept: {state / 'calmcoach.log'} is a folder, not a regular file\n"
    else:
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text("not a folder")
        expected = f"calmcoach: no log is kept: {state}: is a file, not a folder\n"
    result = subprocess.run(
        [*calmcoach_command(), "run", "physiological-sigh", "--plain", "--no-sound", "--speed", "50"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0
    assert result.stderr == expected


def test_a_fifo_at_the_log_is_named_in_the_line_saying_it_is_not_kept(tmp_path: Path) -> None:
    path = tmp_path / "calmcoach.log"
    os.mkfifo(path)
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert within(GUARD, lambda: logfile.start(path)) is None
        assert logfile.not_kept == f"no log is kept: {path} is a FIFO (named pipe), not a regular file"
    finally:
        os.close(reader)


def test_a_fifo_as_the_reminders_login_entry_is_not_ours_and_never_waited_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from calmcoach.remind import autostart

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config-home"))
    entry = autostart.entry_path()
    entry.parent.mkdir(parents=True)
    os.mkfifo(entry)
    assert within(GUARD, lambda: autostart.is_ours(entry)) is False
    with pytest.raises(FileExistsError, match="was not written by calmcoach"):
        within(GUARD, autostart.install)
    assert entry.is_fifo()  # someone else's: left as it is
