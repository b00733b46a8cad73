"""Two or more calmcoach processes sharing one history file, on a real SQLite file.

SQLite's locks are POSIX advisory locks, held per process and file: a process that opens
and closes the database file with a descriptor of its own while its SQLite connection is
open drops every lock it holds on it ("How To Corrupt An SQLite Database File"). Another
program then believes it is the last user, checkpoints and deletes the ``-wal`` the first
still writes into, and rows are lost. These tests run the sequences that lost rows, in
real processes, and count every row afterwards.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from calmcoach.data import locations
from tests.conftest import REPO
from tests.helpers import calmcoach_command, quick_breath
from tests.plain_runs import Typed, run_plain_command

HANG_GUARD = 60.0
"""Seconds after which a process counts as hung (generous: the machine is shared)."""

APP_STAND_IN = textwrap.dedent(
    """
    import sys
    import time

    from calmcoach.data import locations
    from calmcoach.data.library import load_default_library
    from calmcoach.domain.planner import PlanOptions, plan
    from calmcoach.services.record import Recorder
    from calmcoach.domain.session import Session
    from tests.clocks import FakeClock

    said = []
    # What the app does: a recorder whose writer thread opens the history...
    recorder = Recorder(locations.history_file(), said.append)
    assert recorder.writer is not None and recorder.writer.wait_opened(30)
    # ...then Ctrl+S: the stats screen reads through the recorder's reader; Esc leaves it open.
    history = recorder.history
    assert history is not None, said
    history.stats()
    timeline = plan(load_default_library().get("breathing-4-2-6"), PlanOptions(minutes=2))
    print("ready", flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "session":
            for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 1):
                clock = FakeClock(0)
                session = Session(timeline, clock)
                recorder.begin(timeline, rating_before=5)
                recorder.observe(session, session.start())
                while session.active:
                    clock.advance(0.5)
                    recorder.observe(session, session.poll())
                recorder.rate(after=3)
            assert recorder.writer.flush(30), "the writer did not catch up"
            print("written", flush=True)
        elif command.startswith("both"):
            # Sessions through the writer and flares through the stats screen's form, in turn.
            for number in range(int(command.split()[1])):
                clock = FakeClock(0)
                session = Session(timeline, clock)
                recorder.begin(timeline)
                recorder.observe(session, session.start())
                while session.active:
                    clock.advance(2)
                    recorder.observe(session, session.poll())
                history.log_flare("eyelid", 4, ["caffeine"], f"app {number}")
                time.sleep(0.02)  # a person's pace: the others come and go meanwhile
            assert recorder.writer.flush(30), "the writer did not catch up"
            print("written", flush=True)
        elif command == "close":
            print("closed", recorder.close(), said, flush=True)
            break
    """
)


class AppStandIn:
    """A process that opens the history as the app does and waits for commands."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", APP_STAND_IN, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**env, "PYTHONPATH": str(REPO)},
            cwd=REPO,
        )
        self.expect("ready")

    def expect(self, word: str) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith(word), f"the app stand-in said {line!r}, not {word!r}"
        return line

    def ask(self, command: str, answer: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.expect(answer)

    def close(self) -> str:
        line = self.ask("close", "closed")
        assert self.process.wait(HANG_GUARD) == 0
        return line


def cc(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*calmcoach_command(), *args], capture_output=True, text=True, env=env, timeout=HANG_GUARD
    )


def rows(path: Path) -> tuple[list[tuple[str, str]], list[tuple[str, int]]]:
    """(exercise id, status) of every session and (area, intensity) of every flare, read by
    a connection of the test's own."""
    db = sqlite3.connect(path)
    try:
        sessions = db.execute("SELECT exercise_id, status FROM sessions ORDER BY id").fetchall()
        flares = db.execute("SELECT area, intensity FROM flares ORDER BY id").fetchall()
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()
    return sessions, flares


def test_the_app_and_other_commands_sharing_the_history_lose_no_row(
    cli_env, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plain_run = quick_breath(cycles=1)[-4:]  # run quick-breath --plain --no-sound
    app = AppStandIn(cli_env)
    try:
        logged = cc("log", "hand", "--intensity", "2", env=cli_env)
        assert logged.returncode == 0, logged.stderr
        app.ask("session", "written")
        # The plain run in this process (on a fake clock), beside the app's and the log's.
        ran = run_plain_command(plain_run, monkeypatch, capsys, Typed(""))
        assert ran.code == 0, ran.err
    finally:
        closed = app.close()
    assert closed == "closed None []\n"
    sessions, flares = rows(locations.history_file())
    assert sorted(sessions) == [("breathing-4-2-6", "finished"), ("quick-breath", "finished")]
    assert flares == [("hand", 2)]


OTHER_PROGRAM = textwrap.dedent(
    """
    import random
    import sys
    import time

    from calmcoach.data import locations
    from calmcoach.data.history import History
    from calmcoach.data.library import load_default_library
    from calmcoach.domain.planner import PlanOptions, plan
    from calmcoach.services.record import Recorder
    from calmcoach.domain.session import Session
    from tests.clocks import FakeClock

    name, rounds, start = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    timeline = plan(load_default_library().get("quick-breath"), PlanOptions())
    said = []
    while time.time() < start:  # every program starts writing at once
        time.sleep(0.005)
    for number in range(rounds):
        time.sleep(random.uniform(0, 0.1))  # commands come and go, not in step
        # A flare as `calmcoach log` writes it: open, write, close.
        opened = History.open(locations.history_file())
        said += [opened.notice] if opened.notice else []
        opened.history.log_flare("hand", 2, [], f"{name} {number}")
        opened.history.close()
        # A session as a plain run records it: a recorder of its own, closed at the end.
        recorder = Recorder(locations.history_file(), said.append)
        clock = FakeClock(0)
        session = Session(timeline, clock)
        recorder.begin(timeline)
        recorder.observe(session, session.start())
        while session.active:
            clock.advance(0.5)
            recorder.observe(session, session.poll())
        assert recorder.close() is None, said
    assert said == [], said
    """
)


def test_the_app_and_ten_other_programs_writing_at_once_lose_no_row(cli_env) -> None:
    quick_breath(cycles=2)  # the other programs' exercise, in the user's folder
    programs, rounds, app_rounds = 10, 3, 10
    app = AppStandIn(cli_env)
    # As in the two-program test, a flare logged from another terminal first; then all at once.
    logged = cc("log", "hand", "--intensity", "7", env=cli_env)
    assert logged.returncode == 0, logged.stderr
    start = time.time() + 1.0  # time for every program to start up
    others = [
        subprocess.Popen(
            [sys.executable, "-c", OTHER_PROGRAM, f"program-{number}", str(rounds), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**cli_env, "PYTHONPATH": str(REPO)},
            cwd=REPO,
        )
        for number in range(programs)
    ]
    try:
        while time.time() < start:
            time.sleep(0.005)
        app.ask(f"both {app_rounds}", "written")
        for other in others:
            output, _ = other.communicate(timeout=HANG_GUARD)
            assert other.returncode == 0, output
    finally:
        for other in others:
            if other.poll() is None:
                other.kill()
        closed = app.close()
    assert closed == "closed None []\n"
    sessions, flares = rows(locations.history_file())
    assert sessions.count(("breathing-4-2-6", "finished")) == app_rounds
    assert sessions.count(("quick-breath", "finished")) == programs * rounds
    assert flares.count(("eyelid", 4)) == app_rounds
    assert flares.count(("hand", 2)) == programs * rounds
    assert flares.count(("hand", 7)) == 1
    assert len(sessions) == app_rounds + programs * rounds
