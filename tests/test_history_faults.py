"""History under faults, on real SQLite files: a lock held by another program, damage
inside a table, a folder that cannot be written, a full disk, and a FIFO, a device or a
folder in the database's place. None of them may freeze a session, lose a finished
session, or hang a command."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from calmcoach.data import locations
from calmcoach.data.history import History, HistoryUnavailable
from calmcoach.domain.planner import Timeline
from calmcoach.domain.session import Session
from calmcoach.services.record import Recorder
from tests.clocks import FakeClock
from tests.helpers import QUICK_BREATH, calmcoach_command, quick_breath

HANG_GUARD = 20.0
"""Seconds after which a command or a wait counts as hung (generous: the machine is shared)."""


def cc(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*calmcoach_command(), *args], capture_output=True, text=True, env=env, timeout=HANG_GUARD
    )


def wait_until(condition: object, what: str) -> None:
    """Poll ``condition()`` until true; the bound only guards against a hang."""
    deadline = time.monotonic() + HANG_GUARD
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {HANG_GUARD} s")
        time.sleep(0.01)


LOCK_MET = "history: locked by another program; saving waits until it is free"
LOCK_GONE = "history: no longer locked; what waited is being saved"


def lock_lines(logged: pytest.LogCaptureFixture) -> list[str]:
    """What the log says of another program's lock on the history, in order."""
    return [r.getMessage() for r in logged.records if r.getMessage() in (LOCK_MET, LOCK_GONE)]


def run_whole_session(recorder: Recorder, timeline: Timeline) -> Session:
    """A real session on a fake clock, start to finish at 2 Hz, each event to the recorder."""
    clock = FakeClock(0)
    session = Session(timeline, clock)
    recorder.begin(timeline, rating_before=6)
    recorder.observe(session, session.start())
    while session.active:
        clock.advance(0.5)
        recorder.observe(session, session.poll())
    recorder.rate(after=2)
    return session


def count_sessions(path: Path) -> int:
    """Sessions in the file, read by a connection of the test's own (WAL lets it read under a lock)."""
    db = sqlite3.connect(path)
    try:
        return int(db.execute("SELECT count(*) FROM sessions").fetchone()[0])
    finally:
        db.close()


# --- a lock held by another program (issue 11, point 10) ---------------------------------


def test_a_lock_delays_writes_but_never_blocks_the_caller_and_loses_none(
    made: Path, two_minutes, logged: pytest.LogCaptureFixture
) -> None:
    said: list[str] = []
    recorder = Recorder(made, said.append)
    assert recorder.writer is not None and recorder.writer.wait_opened(HANG_GUARD)
    holder = sqlite3.connect(made, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    done = threading.Event()
    sessions: list[Session] = []

    def caller() -> None:
        sessions.append(run_whole_session(recorder, two_minutes))
        done.set()

    thread = threading.Thread(target=caller)
    thread.start()
    try:
        # Every call of a whole session returns while the lock is still held: had any
        # call waited on SQLite, it would wait for this thread, which releases only
        # after the calls are done (or it would fail, and the row would be lost below).
        assert done.wait(HANG_GUARD), "a recorder call waited on the other program's lock"
        wait_until(lambda: lock_lines(logged) == [LOCK_MET], "the log says the writer met the lock")
        assert count_sessions(made) == 0  # nothing could be written yet
    finally:
        holder.execute("COMMIT")
        holder.close()
        thread.join()
    recorder.close()
    assert said == []  # a lock only delays: nothing to tell
    assert lock_lines(logged) == [LOCK_MET, LOCK_GONE]  # the log says it was waited out, once
    (row,) = History.open(made).history.sessions()
    assert (row.status, row.seconds_done, row.position_seconds) == ("finished", 120, 120)
    assert (row.cycles_done, row.steps_done, row.rating_before, row.rating_after) == (10, 30, 6, 2)
    assert sessions[0].position() == 120  # the session's clock lost nothing to the lock


def test_a_lock_from_before_the_start_delays_opening_and_history_comes_back(
    made: Path, two_minutes, logged: pytest.LogCaptureFixture
) -> None:
    # In rollback-journal mode an exclusive lock keeps even readers out, so the writer
    # cannot open the file at all until it is released.
    holder = sqlite3.connect(made, isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA journal_mode = DELETE")
    holder.execute("BEGIN EXCLUSIVE")
    said: list[str] = []
    try:
        recorder = Recorder(made, said.append)
        run_whole_session(recorder, two_minutes)
        assert recorder.writer is not None
        wait_until(lambda: lock_lines(logged) == [LOCK_MET], "the log says opening met the lock")
        assert recorder.writer.available is None  # still waiting to open, not off
    finally:
        holder.execute("COMMIT")
        holder.close()
    recorder.close()
    assert said == []
    assert lock_lines(logged) == [LOCK_MET, LOCK_GONE]
    history = History.open(made).history
    (row,) = history.sessions()
    assert (row.status, row.seconds_done) == ("finished", 120)


def test_close_waits_a_bounded_time_then_says_once_what_was_not_saved(made: Path, two_minutes) -> None:
    said: list[str] = []
    recorder = Recorder(made, said.append, close_timeout=0.3)
    assert recorder.writer is not None and recorder.writer.wait_opened(HANG_GUARD)
    holder = sqlite3.connect(made, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        run_whole_session(recorder, two_minutes)
        recorder.close()  # returns while the lock is held: it does not wait for it
        recorder.close()  # a second close says nothing more
        assert said == [
            "history: could not save the session 4-2-6 breathing: "
            "the history file stayed locked by another program; "
            "kept it to write the next time calmcoach starts"
        ]
    finally:
        holder.execute("COMMIT")
        holder.close()
    recorder.writer._thread.join(HANG_GUARD)
    assert not recorder.writer._thread.is_alive()
    assert count_sessions(made) == 0  # given up means given up: nothing written behind the message


def test_an_end_that_could_not_be_saved_is_named_as_such(made: Path, two_minutes) -> None:
    said: list[str] = []
    recorder = Recorder(made, said.append, close_timeout=0.3)
    clock = FakeClock(0)
    session = Session(two_minutes, clock)
    recorder.begin(two_minutes)
    recorder.observe(session, session.start())
    assert recorder.writer is not None and recorder.writer.flush(HANG_GUARD)  # the start is saved
    holder = sqlite3.connect(made, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        clock.advance(30)
        recorder.observe(session, session.poll())
        session.stop()
        recorder.observe(session, [])
        recorder.close()
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert said == [
        "history: could not save the end of 4-2-6 breathing: "
        "the history file stayed locked by another program; "
        "kept it to write the next time calmcoach starts"
    ]
    (row,) = History.open_read_only(made).sessions()
    assert (row.seconds_done, row.ended_at) == (0, None)  # the row as it was before the lock


# --- damage inside a table (issue 11, point 11) ----------------------------------------------


def fill_sessions(path: Path, count: int) -> None:
    """``count`` finished sessions, one every 37 minutes back from now."""
    History.open(path).history.close()
    db = sqlite3.connect(path)
    now = datetime.now(UTC)
    rows = []
    for i in range(count):
        moment = (now - timedelta(minutes=37 * i)).isoformat(timespec="seconds")
        rows.append(("breathing-4-2-6", "4-2-6 breathing", moment, moment, moment, 180.0, 120.0 + i % 60))
    db.executemany(
        "INSERT INTO sessions (exercise_id, title, started_at, updated_at, ended_at, status, "
        "planned_seconds, seconds_done, position_seconds, cycles_done, steps_done) "
        "VALUES (?, ?, ?, ?, ?, 'finished', ?, ?, 0, 10, 30)",
        rows,
    )
    db.commit()
    db.close()


def damage_a_sessions_page(path: Path) -> int:
    """Overwrite the header and cell pointers of a leaf page in the middle of the sessions
    table (found with dbstat), leaving the file's header and schema intact. Returns the page."""
    db = sqlite3.connect(path)
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    leaves = [
        row[0]
        for row in db.execute("SELECT pageno FROM dbstat WHERE name = 'sessions' AND pagetype = 'leaf'")
    ]
    db.close()
    assert len(leaves) > 10, "not enough pages to damage one in the middle"
    page = leaves[len(leaves) // 2]
    data = bytearray(path.read_bytes())
    start = (page - 1) * page_size
    data[start : start + 64] = b"\xa5" * 64
    path.write_bytes(bytes(data))
    return page


@pytest.fixture
def damaged(isolated_dirs: Path) -> Iterator[Path]:
    """The user's history with 3000 sessions and one damaged page of the sessions table."""
    path = locations.history_file()
    path.parent.mkdir(parents=True)
    fill_sessions(path, 3000)
    for side in ("-wal", "-shm"):
        assert not Path(str(path) + side).exists()  # all in the main file
    damage_a_sessions_page(path)
    # The damage is real: reading the table fails, though the file opens.
    db = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match="malformed"):
        db.execute("SELECT sum(seconds_done) FROM sessions").fetchone()
    db.close()
    yield path


def test_damage_inside_the_sessions_table_is_found_on_open_and_kept_aside(damaged: Path) -> None:
    before = damaged.read_bytes()
    now = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    opened = History.open(damaged, now=now)
    assert opened.notice == (
        "the history file was damaged; kept it as history.sqlite3.corrupt-20261120T093000Z "
        "and started a new one"
    )
    assert (damaged.parent / "history.sqlite3.corrupt-20261120T093000Z").read_bytes() == before
    assert opened.history.sessions() == []
    opened.history.log_flare("leg", 4)
    opened.history.close()
    again = History.open(damaged)
    assert again.notice is None and len(again.history.flares()) == 1


def test_commands_after_damage_move_it_aside_once_and_write_the_new_file(damaged: Path, cli_env) -> None:
    first = cc("history", env=cli_env)
    assert first.returncode == 0, first.stderr
    assert first.stderr.count("\n") == 1 and "damaged; kept it as history.sqlite3.corrupt-" in first.stderr
    assert "No sessions or flares yet" in first.stdout
    (kept,) = damaged.parent.glob("history.sqlite3.corrupt-*")
    second = cc("history", env=cli_env)
    assert (second.returncode, second.stderr) == (0, "")  # said once: the new file is fine
    logged = cc("log", "hand", "--intensity", "5", env=cli_env)
    assert logged.returncode == 0, logged.stderr
    (flare,) = History.open(damaged).history.flares()
    assert (flare.area, flare.intensity) == ("hand", 5)
    assert list(damaged.parent.glob("history.sqlite3.corrupt-*")) == [kept]


def test_a_session_with_a_damaged_history_runs_and_records_in_a_new_file(damaged: Path, cli_env) -> None:
    result = subprocess.run(quick_breath(), capture_output=True, text=True, env=cli_env, timeout=HANG_GUARD)
    assert result.returncode == 0
    assert result.stdout.count("was damaged; kept it as") == 1
    (row,) = History.open(damaged).history.sessions()
    assert row.status == "finished" and row.exercise_id == "quick-breath"


# --- a folder that cannot be written, a full disk (issue 11, point 12) ----------------------


def history_with_sessions(count: int = 2) -> Path:
    path = locations.history_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    history = History.open(path).history
    for i in range(count):
        sid = history.start_session("breathing-4-2-6", f"Session {i}", 120)
        history.end_session(sid, "finished", seconds=120, cycles=10, steps=30)
    history.log_flare("eyelid", 5)
    history.close()
    return path


def test_history_reads_an_immutable_data_folder(cli_env) -> None:
    """Root writes through permission bits, so the folder is made immutable (chattr +i):
    nothing can be created in it, SQLite's -wal and -shm files included."""
    path = history_with_sessions()
    folder = path.parent
    made = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"chattr +i does not work here: {made.stderr.strip()}")
    try:
        assert not os.access(folder, os.W_OK)
        shown = cc("history", "--json", env=cli_env)
        logged = cc("log", "leg", "--intensity", "3", env=cli_env)
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    assert shown.returncode == 0, shown.stderr
    rows = json.loads(shown.stdout)
    assert sorted(r.get("title", r["type"]) for r in rows) == ["Session 0", "Session 1", "flare"]
    assert shown.stderr == f"calmcoach: the folder {folder} is read-only; showing the history as it is\n"
    assert logged.returncode == 1
    assert logged.stderr == f"calmcoach: the flare was not logged: the folder {folder} is read-only\n"
    assert sorted(p.name for p in folder.iterdir()) == ["history.sqlite3"]


def namespace_works() -> str | None:
    """Why a user and mount namespace (unshare -rm) cannot be made here, or None."""
    if shutil.which("unshare") is None:
        return "unshare is not installed"
    tried = subprocess.run(["unshare", "-rm", "true"], capture_output=True, text=True)
    return None if tried.returncode == 0 else f"unshare -rm fails: {tried.stderr.strip()}"


def in_namespace(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a shell script in a new user and mount namespace (where it may mount), as root there."""
    problem = namespace_works()
    if problem:
        pytest.skip(problem)
    return subprocess.run(
        ["unshare", "-rm", "sh", "-euc", script, "sh", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=HANG_GUARD * 2,
    )


def test_history_reads_a_read_only_mount(cli_env) -> None:
    """The data folder bind-mounted read-only: a read-only file system, as root sees it too."""
    path = history_with_sessions()
    result = in_namespace(
        'mount --bind "$1" "$1"; mount -o remount,ro,bind "$1" "$1"; shift; '
        'touch "$1/x" 2>/dev/null && echo "WRITABLE"; '
        '"$@" history --json; echo "history=$?"; "$@" log leg --intensity 3 || echo "log=$?"',
        str(path.parent),
        *calmcoach_command(),
        env=cli_env,
    )
    assert result.returncode == 0, result.stderr
    assert "WRITABLE" not in result.stdout
    out, history_code, log_code = result.stdout.rsplit("\n", 3)[:3]
    assert (history_code, log_code) == ("history=0", "log=1")
    assert sorted(r.get("title", r["type"]) for r in json.loads(out)) == ["Session 0", "Session 1", "flare"]
    folder = path.parent
    assert result.stderr.splitlines() == [
        f"calmcoach: the folder {folder} is read-only; showing the history as it is",
        f"calmcoach: the flare was not logged: the folder {folder} is read-only",
    ]


def test_a_full_database_says_the_disk_is_full(made: Path) -> None:
    history = History.open(made).history
    pages = history._db.execute("PRAGMA page_count").fetchone()[0]
    history._db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite answers SQLITE_FULL past it
    with pytest.raises(HistoryUnavailable) as caught:
        for _ in range(1000):
            history.log_flare("leg", 3, note="x" * 1000)
    assert str(caught.value) == "the disk is full; history is off"
    assert caught.value.kind == "full"
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)  # the cause is kept


FULL_DISK = """
mount -t tmpfs -o size=256k tmpfs "$1"
folder=$1; shift
"$@" log eyelid --intensity 4 >/dev/null
python=$(command -v "$PYTHON")
"$python" -c 'import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT)
try:
    while True:
        os.write(fd, bytes(4096))
except OSError as error:
    print("filled:", error.strerror, file=sys.stderr)' "$folder/filler"
"$@" log leg --intensity 3 || echo "log=$?"
"$@" history; echo "history=$?"
"""


def test_a_full_disk_is_named_and_history_still_reads(cli_env, tmp_path: Path) -> None:
    """A real full file system: a small tmpfs, filled up after one flare was logged."""
    folder = tmp_path / "small"
    folder.mkdir()
    env = dict(cli_env, CALMCOACH_DATA_DIR=str(folder), PYTHON=sys.executable)
    result = in_namespace(FULL_DISK, str(folder), *calmcoach_command(), env=env)
    assert result.returncode == 0, result.stderr
    assert "filled: No space left on device" in result.stderr
    assert "disk I/O error" not in result.stderr
    assert "calmcoach: the flare was not logged: the disk is full\n" in result.stderr
    assert "calmcoach: the disk is full; showing the history as it is\n" in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "log=1" and lines[-1] == "history=0"
    (shown,) = lines[1:-1]
    assert shown.endswith("flare         4/10     eyelid")


# --- a FIFO, a device or a folder in the database's place (issue 11, point 3) -------------


def fifo(path: Path) -> str:
    os.mkfifo(path)
    return "a FIFO (named pipe)"


def zero(path: Path) -> str:
    path.symlink_to("/dev/zero")
    return "a character device"


def folder(path: Path) -> str:
    path.mkdir()
    return "a folder"


@pytest.mark.parametrize("make", [fifo, zero, folder])
def test_not_a_file_in_place_of_the_history_is_named_and_never_hangs(cli_env, make) -> None:
    path = locations.history_file()
    path.parent.mkdir(parents=True)
    what = make(path)
    for command in (["history"], ["log", "leg", "--intensity", "2"]):
        result = cc(*command, env=cli_env)  # a hang is a timeout here
        assert result.returncode == 1
        (line,) = result.stderr.splitlines()
        assert f"{path} is {what}, not a history file" in line
        assert "Move it away to start a new history" in line
    assert sorted(p.name for p in path.parent.iterdir()) == ["history.sqlite3"]  # left where it was
    assert path.is_symlink() if make is zero else not path.is_symlink()


def test_a_fifo_beside_the_history_is_named_too(cli_env) -> None:
    path = history_with_sessions()
    os.mkfifo(Path(str(path) + "-wal"))
    result = cc("history", env=cli_env)
    assert result.returncode == 1
    assert f"{path}-wal is a FIFO (named pipe), not a history file" in result.stderr


def test_a_session_runs_with_a_fifo_in_place_of_the_history(cli_env) -> None:
    path = locations.history_file()
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    result = subprocess.run(quick_breath(), capture_output=True, text=True, env=cli_env, timeout=HANG_GUARD)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("is a FIFO (named pipe)") == 1
    assert "Quick breath finished: 0:02" in result.stdout


def test_the_recorder_with_a_fifo_in_place_says_so_once(tmp_path: Path, two_minutes) -> None:
    path = tmp_path / "h.sqlite3"
    os.mkfifo(path)
    said: list[str] = []
    recorder = Recorder(path, said.append)
    run_whole_session(recorder, two_minutes)
    assert recorder.history is None
    recorder.close()
    assert len(said) == 1 and "is a FIFO (named pipe), not a history file" in said[0]


def test_quick_breath_is_a_valid_exercise(cli_env) -> None:
    """The short real-time exercise these tests run is valid as written."""
    folder = locations.user_exercises_dir()
    folder.mkdir(parents=True)
    (folder / "quick-breath.toml").write_text(QUICK_BREATH.format(cycles=1))
    result = cc("validate", str(folder / "quick-breath.toml"), env=cli_env)
    assert result.returncode == 0, result.stdout
