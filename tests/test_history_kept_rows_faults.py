"""Kept sessions (written at the next start) when writing them fails, and who writes them.

Real SQLite files and real processes: a file size limit (RLIMIT_FSIZE, what a full disk
does to a write) makes the COMMIT of the kept rows fail for real, and real locks are held
by other connections. Nothing here sleeps on the wall clock."""

from __future__ import annotations

import json
import resource
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from calmcoach.data.history import History, HistoryUnavailable, opening
from calmcoach.data.history.pending import SessionSnapshot, keep
from calmcoach.services.record import Recorder
from tests.helpers import calmcoach_command

HANG_GUARD = 20.0
LIMIT = 64 * 1024
"""Bytes a limited process may write to one file: the history and SQLite's 32 KiB -shm
fit, but not the -wal the kept rows below need, so their COMMIT fails."""
KEPT_ROWS = 300
NOT_WRITTEN = "calmcoach: sessions saved from an earlier run could not be written yet"


def limited() -> None:
    """In the child, before exec: no file may grow past LIMIT (Python ignores SIGXFSZ, so
    a write past it fails with EFBIG, as on a full disk)."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, resource.RLIM_INFINITY))


@pytest.fixture
def history_with_kept_rows(isolated_dirs: Path) -> Path:
    folder = isolated_dirs / "data"
    path = folder / "history.sqlite3"
    History.open(path).history.close()
    assert path.stat().st_size < LIMIT
    keep(
        path,
        [
            SessionSnapshot(
                exercise_id=f"ex-{number}",
                title="A long title " * 20,
                started_at="2026-12-01T10:00:00+00:00",
                updated_at="2026-12-01T10:02:00+00:00",
                status="finished",
                planned_seconds=120,
                seconds_done=120,
                pid=10_000 + number,
            )
            for number in range(KEPT_ROWS)
        ],
    )
    return path


def kept_files(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.pending-*"))


OPEN_IN_CHILD = """
import json, sys
from pathlib import Path
from calmcoach.data.history import History
opened = History.open(Path(sys.argv[1]))
sessions = len(opened.history.sessions())
opened.history.close()
print(json.dumps({"notice": opened.notice, "sessions": sessions}))
"""


def test_a_failed_commit_of_kept_rows_keeps_history_on_and_the_rows_for_next_time(
    history_with_kept_rows: Path,
) -> None:
    path = history_with_kept_rows
    (kept,) = kept_files(path)
    result = subprocess.run(
        [sys.executable, "-c", OPEN_IN_CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        preexec_fn=limited,
    )
    assert "Traceback" not in result.stderr
    assert result.returncode == 0, result.stderr
    said = json.loads(result.stdout)
    assert said == {
        "notice": "sessions saved from an earlier run could not be written yet "
        "(SQLite said: disk I/O error); they are kept for the next start",
        "sessions": 0,  # the history opened, and nothing half-written is in it
    }
    assert kept_files(path) == [kept]
    # With room again, the next start writes them all, once.
    opened = History.open(path)
    try:
        assert opened.notice == f"{KEPT_ROWS} rows saved from an earlier run were written to the history"
        assert len(opened.history.sessions()) == KEPT_ROWS
    finally:
        opened.history.close()
    assert kept_files(path) == []


@pytest.mark.parametrize(
    ("arguments", "out"),
    [(["history"], "No sessions or flares yet"), (["log", "hand", "--intensity", "2"], "Logged a")],
)
def test_calmcoach_says_kept_rows_were_not_written_once_without_a_traceback(
    history_with_kept_rows: Path, cli_env: dict[str, str], arguments: list[str], out: str
) -> None:
    path = history_with_kept_rows
    (kept,) = kept_files(path)
    env = {**cli_env, "CALMCOACH_DATA_DIR": str(path.parent)}
    result = subprocess.run(
        [*calmcoach_command(), *arguments],
        capture_output=True,
        text=True,
        env=env,
        timeout=HANG_GUARD,
        preexec_fn=limited,
    )
    assert "Traceback" not in result.stderr
    assert result.stderr.count(NOT_WRITTEN) == 1, result.stderr
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(out)
    assert kept_files(path) == [kept]


def test_the_reader_leaves_kept_rows_to_the_writer_and_never_waits_for_a_lock(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    said: list[str] = []
    recorder = Recorder(path, said.append, close_timeout=0.3)
    assert recorder.writer is not None and recorder.writer.wait_opened(HANG_GUARD)
    # Kept by a run that ended after this one's writer had opened the file.
    snapshot = SessionSnapshot(
        exercise_id="breathing-4-2-6",
        title="4-2-6 breathing",
        started_at="2026-12-01T10:00:00+00:00",
        updated_at="2026-12-01T10:02:00+00:00",
        status="finished",
        planned_seconds=120,
        pid=4242,
    )
    kept = keep(path, [snapshot])
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program is writing
    try:
        began = time.monotonic()
        reader = recorder.history  # what the stats screen opens, on the UI thread
        took = time.monotonic() - began
    finally:
        holder.execute("COMMIT")
        holder.close()
    try:
        assert reader is not None
        # The reader's busy timeout is 3 s: it never waited for the lock.
        assert took < 0.5 < opening.BUSY_TIMEOUT_MS / 1000
        assert reader.sessions() == [] and kept.exists()
        assert said == []
    finally:
        recorder.close()


HOLD_EXCLUSIVE = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("CREATE TABLE IF NOT EXISTS t (x)")
db.execute("BEGIN EXCLUSIVE")
print("held", flush=True)
sys.stdin.read()
"""


def test_a_close_never_waits_for_an_open_waiting_on_a_lock(tmp_path: Path) -> None:
    # Another program holds a lock on a second file; opening it waits about twice the
    # busy timeout. Closing a history on another thread meanwhile is at once.
    locked = tmp_path / "locked.sqlite3"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_EXCLUSIVE, str(locked)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        mine = History.open(tmp_path / "mine.sqlite3").history
        failed: list[BaseException] = []

        def open_locked() -> None:
            try:
                History.open(locked, busy_timeout=1.0).history.close()
            except HistoryUnavailable as error:
                failed.append(error)

        opener = threading.Thread(target=open_locked)
        opener.start()
        deadline = time.monotonic() + HANG_GUARD
        while not opening._OPENING.locked() and opener.is_alive():  # the open has begun
            assert time.monotonic() < deadline
            time.sleep(0.001)
        assert opener.is_alive()
        began = time.monotonic()
        mine.close()
        took = time.monotonic() - began
        opener.join(HANG_GUARD)
        assert took < 0.3
        assert [getattr(error, "kind", None) for error in failed] == ["busy"]
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(HANG_GUARD)
