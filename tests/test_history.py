"""The history on real SQLite files: honest rows, migrations, and faults that never crash."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from calmcoach.data import locations
from calmcoach.data.history import (
    APPLICATION_ID,
    MIGRATIONS,
    SCHEMA_VERSION,
    History,
    HistoryUnavailable,
    schema,
)
from calmcoach.domain.planner import PlanOptions, plan
from calmcoach.domain.session import Session
from calmcoach.services.record import Recorder
from tests.clocks import FakeClock
from tests.helpers import calmcoach_command, month_of_data, quick_breath, settle

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def open_history(path: Path) -> History:
    return History.open(path).history


def file_user_version(path: Path) -> int:
    """The schema version the file says it is at, read by a connection of the test's own."""
    db = sqlite3.connect(path)
    try:
        return int(db.execute("PRAGMA user_version").fetchone()[0])
    finally:
        db.close()


def test_new_file_has_wal_app_id_and_version(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    history = open_history(path)
    history.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_nothing_is_created_at_import(tmp_path: Path, isolated_dirs: Path) -> None:
    code = "import calmcoach.data.history, calmcoach.services.record, calmcoach.cli, calmcoach.ui.app"
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ))
    assert not isolated_dirs.exists()


def _make_v1(path: Path) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    for statement in MIGRATIONS[0].split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO sessions (exercise_id, title, started_at, updated_at, ended_at, status, "
        "planned_seconds, seconds_done, cycles_done, steps_done, pid) VALUES "
        "('box-breathing', 'Box', '2026-10-01T08:00:00+00:00', '2026-10-01T08:04:00+00:00', "
        "'2026-10-01T08:04:00+00:00', 'finished', 240, 240, 15, 60, 1)"
    )
    db.close()


def _make_v2(path: Path) -> None:
    """A file as calmcoach wrote it at schema 2, written with that schema's own SQL."""
    _make_v1(path)
    db = sqlite3.connect(path, isolation_level=None)
    for statement in MIGRATIONS[1].split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("PRAGMA user_version = 2")
    db.execute("UPDATE sessions SET area = 'eyelid', rating_before = 6, rating_after = 2")
    db.execute(
        "INSERT INTO sessions (exercise_id, title, started_at, updated_at, status, planned_seconds, "
        "seconds_done, cycles_done, steps_done, pid) VALUES ('tension-release', 'Tension release', "
        "'2026-10-02T08:00:00+00:00', '2026-10-02T08:01:00+00:00', 'stopped', 360, 330, 0, 2, 1)"
    )
    db.execute(
        "INSERT INTO flares (logged_at, area, intensity, triggers, note) VALUES "
        "('2026-10-01T07:00:00+00:00', 'eyelid', 5, '[\"caffeine\"]', 'before')"
    )
    db.close()


def _make_v3(path: Path) -> None:
    """A file as calmcoach wrote it at schema 3 (position kept apart from time spent)."""
    _make_v2(path)
    db = sqlite3.connect(path, isolation_level=None)
    for statement in MIGRATIONS[2].split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("PRAGMA user_version = 3")
    db.close()


def _make_v4(path: Path) -> None:
    """A file as calmcoach wrote it at schema 4 (the reminder's nudges)."""
    _make_v3(path)
    db = sqlite3.connect(path, isolation_level=None)
    for statement in MIGRATIONS[3].split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("PRAGMA user_version = 4")
    db.close()


@pytest.mark.parametrize("version", range(0, SCHEMA_VERSION))
def test_migrates_from_every_earlier_version(tmp_path: Path, version: int) -> None:
    path = tmp_path / "h.sqlite3"
    if version == 4:
        _make_v4(path)
    elif version == 3:
        _make_v3(path)
    elif version == 2:
        _make_v2(path)
    elif version == 1:
        _make_v1(path)
    elif version == 0:
        sqlite3.connect(path).close()  # an empty file
    else:  # pragma: no cover - a new version adds its own maker here
        pytest.fail(f"no maker for schema version {version}")
    history = open_history(path)
    assert file_user_version(path) == SCHEMA_VERSION
    rows = history.sessions()
    if version >= 1:
        row = rows[-1]
        assert (row.exercise_id, row.status, row.seconds_done, row.cycles_done) == (
            "box-breathing",
            "finished",
            240,
            15,
        )
        # An old row only knew how far it got: that stands for the position too.
        assert row.position_seconds == 240
        assert (row.area, row.rating_after) == (("eyelid", 2) if version >= 2 else (None, None))
    if version >= 2:
        assert rows[0].position_seconds == 330 and rows[0].status == "stopped"
        (flare,) = history.flares()
        assert (flare.area, flare.triggers, flare.note) == ("eyelid", ("caffeine",), "before")
    history.log_flare("leg", 3)  # the v2 table works
    assert len(history.flares()) == (2 if version >= 2 else 1)
    sid = history.start_session("x", "X", 60)
    history.end_session(sid, "stopped", seconds=10, position=50, cycles=0, steps=3)  # the v3 column works
    (new,) = [row for row in history.sessions() if row.id == sid]
    assert (new.seconds_done, new.position_seconds) == (10, 50)
    history.add_nudge("desktop")  # the nudges table works
    assert len(history.nudges()) == 1
    assert all(row.start_pace is None for row in history.sessions() if row.id != sid)
    paced = history.start_session("slow-down-gently", "Slow down gently", 120, start_pace=2.5)
    (row,) = [row for row in history.sessions() if row.id == paced]  # the v5 column works
    assert row.start_pace == 2.5 and row.as_dict()["start_pace"] == 2.5


def test_a_v4_file_gains_the_start_pace_column_empty_for_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    _make_v4(path)
    history = open_history(path)
    assert file_user_version(path) == 5
    assert [row.start_pace for row in history.sessions()] == [None, None]
    assert all(row.unreadable == () for row in history.sessions())


def test_history_json_and_csv_show_the_start_pace(cli_env: dict[str, str]) -> None:
    history = open_history(locations.history_file())
    history.start_session("slow-down-gently", "Slow down gently", 120, start_pace=2.5)
    history.start_session("breathing-4-2-6", "4-2-6 breathing", 120)
    history.close()
    command = [*calmcoach_command(), "history"]
    shown = subprocess.run([*command, "--json"], capture_output=True, text=True, env=cli_env, timeout=60)
    paces = {row["exercise_id"]: row["start_pace"] for row in json.loads(shown.stdout)}
    assert paces == {"slow-down-gently": 2.5, "breathing-4-2-6": None}
    shown = subprocess.run([*command, "--csv"], capture_output=True, text=True, env=cli_env, timeout=60)
    rows = {row["exercise_id"]: row["start_pace"] for row in csv.DictReader(io.StringIO(shown.stdout))}
    assert rows == {"slow-down-gently": "2.5", "breathing-4-2-6": ""}


def test_session_row_written_at_start_updated_at_boundaries_and_completed(tmp_path: Path, library) -> None:
    path = tmp_path / "h.sqlite3"
    history = open_history(path)
    timeline = plan(library.get("breathing-4-2-6"), PlanOptions(minutes=2))
    clock = FakeClock(0)
    session = Session(timeline, clock)
    recorder = Recorder(path, lambda text: None)
    recorder.begin(timeline, rating_before=7)
    recorder.observe(session, session.start())
    settle(recorder)
    (row,) = history.sessions()
    assert row.status == "running" and row.seconds_done == 0 and row.rating_before == 7
    for _ in range(5 * 4):  # 5 s at 4 Hz
        clock.advance(0.25)
        recorder.observe(session, session.poll())
    settle(recorder)
    (row,) = history.sessions()
    assert row.seconds_done == 4.0 and row.steps_done == 1  # the boundary at 4 s, not per frame
    assert row.position_seconds == 4.0
    while session.active:
        clock.advance(0.5)
        recorder.observe(session, session.poll())
    recorder.rate(after=3)
    recorder.close()
    (row,) = history.sessions()
    assert (row.status, row.seconds_done, row.cycles_done, row.steps_done) == ("finished", 120, 10, 30)
    assert (row.rating_before, row.rating_after) == (7, 3)
    assert row.ended_at is not None


def _wait_for_row(path: Path, ready: str, timeout: float = 10.0) -> None:
    """Poll the file (from a connection of its own) until ``SELECT count(*) FROM sessions
    WHERE <ready>`` is not 0; the timeout only guards against a hang."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            db = sqlite3.connect(path)
            try:
                if db.execute(f"SELECT count(*) FROM sessions WHERE {ready}").fetchone()[0]:
                    return
            finally:
                db.close()
        except sqlite3.Error:
            pass  # not created yet
        time.sleep(0.02)
    pytest.fail(f"no session row with {ready} within {timeout} s")


def test_killed_session_reads_back_as_interrupted_with_honest_seconds(cli_env, tmp_path: Path) -> None:
    process = subprocess.Popen(quick_breath(cycles=5), stdout=subprocess.PIPE, text=True, env=cli_env)
    assert process.stdout is not None
    steps = 0
    while steps < 3:  # the steps at 0, 1 and 2 s have started (safety notes come first)
        steps += not process.stdout.readline().startswith("Note:")
    # Writes are made by a background writer: wait until it has written a boundary.
    _wait_for_row(locations.history_file(), "position_seconds >= 2")
    process.send_signal(signal.SIGKILL)
    process.wait()
    history = open_history(locations.history_file())
    (row,) = history.sessions()
    assert row.status == "interrupted"
    assert row.position_seconds is not None and 2 <= row.position_seconds < 10
    assert row.position_seconds in {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}  # a boundary it reached, nothing invented
    # Nothing skipped or paused: the time spent up to that boundary is its position.
    assert row.seconds_done == pytest.approx(row.position_seconds, abs=1e-6)
    assert row.ended_at is None


def test_corrupt_file_is_moved_aside_and_a_new_one_started(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is not a database at all" * 100)
    opened = History.open(path, now=NOW)
    assert opened.notice is not None and "kept it as h.sqlite3.corrupt-20261120T093000Z" in opened.notice
    kept = tmp_path / "h.sqlite3.corrupt-20261120T093000Z"
    assert kept.read_bytes() == b"this is not a database at all" * 100
    assert opened.history.sessions() == []


def test_damaged_sqlite_file_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    history = open_history(path)
    history.start_session("x", "X", 60)
    history.close()
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # wreck the schema page, keep the header
    path.write_bytes(bytes(data))
    for side in ("-wal", "-shm"):
        Path(str(path) + side).unlink(missing_ok=True)
    opened = History.open(path, now=NOW)
    assert opened.notice is not None and "damaged" in opened.notice
    assert list(tmp_path.glob("h.sqlite3.corrupt-*"))
    assert opened.history.sessions() == []


def test_a_second_corrupt_file_does_not_overwrite_the_first(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"junk one")
    History.open(path, now=NOW).history.close()
    path.unlink()
    for side in ("-wal", "-shm"):
        Path(str(path) + side).unlink(missing_ok=True)
    path.write_bytes(b"junk two")
    History.open(path, now=NOW).history.close()
    kept = sorted(
        p.read_bytes() for p in tmp_path.glob("h.sqlite3.corrupt-*") if not p.name.endswith(("-wal", "-shm"))
    )
    assert kept == [b"junk one", b"junk two"]


def test_newer_schema_turns_history_off_and_leaves_the_file(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    open_history(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(HistoryUnavailable, match="newer calmcoach"):
        History.open(path)
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.corrupt-*"))


def test_locked_database_is_reported_not_waited_on_forever(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    open_history(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode = DELETE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(HistoryUnavailable, match="locked"):
            History.open(path, busy_timeout=0.2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_read_only_file_turns_history_off(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    history = open_history(path)
    history.start_session("x", "X", 60)
    history.close()
    for side in ("-wal", "-shm"):
        Path(str(path) + side).unlink(missing_ok=True)
    before = path.read_bytes()
    if os.geteuid() == 0:
        # Root writes through permission bits; an immutable file is read-only even for root.
        made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
        assert made.returncode == 0, f"cannot make a read-only file here: {made.stderr}"
        undo = ["chattr", "-i", str(path)]
    else:
        path.chmod(0o444)
        undo = ["chmod", "644", str(path)]
    try:
        with pytest.raises(HistoryUnavailable) as caught:
            opened = History.open(path)
            opened.history.start_session("y", "Y", 60)
        assert "read-only" in str(caught.value) or "cannot be opened" in str(caught.value)
    finally:
        subprocess.run(undo, check=True)
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.corrupt-*"))


def test_a_new_file_created_by_another_instance_between_reads_is_not_called_damaged(
    tmp_path: Path,
) -> None:
    """Two instances starting on a new file: the second reads the file's identity while
    the first creates the tables. Those reads must see one state of the file, or the
    new file looks like another program's and is moved aside (a lost session row)."""
    path = tmp_path / "history.sqlite"
    wal = sqlite3.connect(path, isolation_level=None)
    wal.execute("PRAGMA journal_mode = WAL")  # the first instance's first step
    wal.close()
    reader = sqlite3.connect(path, isolation_level=None)
    done: list[str] = []

    notices: list[str | None] = []

    def the_first_instance_migrates(statement: str) -> None:
        # Runs as the reader starts its last read (the tables): the first two have returned.
        # (sqlite3 swallows what a trace callback raises: the outcome is checked below.)
        if "sqlite_schema" in statement and not done:
            done.append(statement)
            notices.append(History.open(path).notice)

    reader.set_trace_callback(the_first_instance_migrates)
    assert schema.file_version(reader) == 0  # the state before the tables, seen whole
    reader.set_trace_callback(None)
    assert done and notices == [None], "the other instance never ran between the reads"
    assert schema.file_version(reader) == SCHEMA_VERSION
    reader.close()
    assert [p.name for p in tmp_path.iterdir() if "corrupt" in p.name] == []


def test_two_instances_both_record(cli_env, tmp_path: Path) -> None:
    command = quick_breath(cycles=1)
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=cli_env)
    second = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=cli_env)
    assert first.wait(60) == 0 and second.wait(60) == 0
    rows = open_history(locations.history_file()).sessions()
    assert [r.status for r in rows] == ["finished", "finished"]
    # Real time, nothing skipped: the time spent is the 2 s run (counted to the final
    # boundary's deadline, however late it was read).
    assert all(r.position_seconds == 2 and r.seconds_done == pytest.approx(2.0, abs=1e-6) for r in rows)


def test_history_json_after_finished_killed_and_logged(cli_env) -> None:
    base = quick_breath(cycles=1)
    assert subprocess.run(base, capture_output=True, env=cli_env).returncode == 0
    killed = subprocess.Popen(base, stdout=subprocess.PIPE, text=True, env=cli_env)
    assert killed.stdout is not None
    killed.stdout.readline()
    _wait_for_row(locations.history_file(), "status = 'running'")
    killed.kill()
    killed.wait()
    logged = subprocess.run(
        [
            *calmcoach_command(),
            "log",
            "eyelid",
            "--intensity",
            "6",
            "--trigger",
            "caffeine",
            "--trigger",
            "Poor sleep",
            "--note",
            "after [b]coffee",
        ],
        capture_output=True,
        text=True,
        env=cli_env,
    )
    assert logged.returncode == 0 and "Logged" in logged.stdout
    result = subprocess.run(
        [*calmcoach_command(), "history", "--json"], capture_output=True, text=True, env=cli_env
    )
    rows = json.loads(result.stdout)
    sessions = [r for r in rows if r["type"] == "session"]
    flares = [r for r in rows if r["type"] == "flare"]
    assert sorted(s["status"] for s in sessions) == ["finished", "interrupted"]
    finished = next(s for s in sessions if s["status"] == "finished")
    interrupted = next(s for s in sessions if s["status"] == "interrupted")
    assert finished["position"] == 2 and finished["seconds"] == pytest.approx(2.0) and finished["cycles"] == 1
    assert 0 <= interrupted["seconds"] < 2 and interrupted["planned_seconds"] == 2
    (flare,) = flares
    assert (flare["area"], flare["intensity"], flare["triggers"], flare["note"]) == (
        "eyelid",
        6,
        ["caffeine", "poor sleep"],
        "after [b]coffee",
    )


def test_history_csv_parses(cli_env) -> None:
    subprocess.run(
        [*calmcoach_command(), "log", "hand", "--intensity", "4", "--note", 'said "ouch", twice'],
        check=True,
        capture_output=True,
        env=cli_env,
    )
    subprocess.run(quick_breath(cycles=1), check=True, capture_output=True, env=cli_env)
    result = subprocess.run(
        [*calmcoach_command(), "history", "--csv"], capture_output=True, text=True, env=cli_env
    )
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {r["type"] for r in rows} == {"session", "flare"}
    flare = next(r for r in rows if r["type"] == "flare")
    assert flare["note"] == 'said "ouch", twice' and flare["intensity"] == "4"
    session = next(r for r in rows if r["type"] == "session")
    assert float(session["position"]) == 2.0 and session["status"] == "finished"
    assert float(session["seconds"]) == pytest.approx(2.0)


def test_history_never_writes_a_control_character_from_the_database(cli_env) -> None:
    note = "\x1b[31mred\u202eflip\x07"
    logged = subprocess.run(
        [*calmcoach_command(), "log", "leg", "--intensity", "3", "--note", note, "--trigger", "cof\x1bfee"],
        capture_output=True,
        text=True,
        env=cli_env,
    )
    assert logged.returncode == 0, logged.stderr
    history = open_history(locations.history_file())
    history.start_session("odd", "Desk\x1b]0;evil\x07 break", 60, area="ca\x1blf")
    history.close()
    outputs = {}
    for form in ([], ["--csv"], ["--json"]):
        result = subprocess.run(
            [*calmcoach_command(), "history", *form], capture_output=True, text=True, env=cli_env
        )
        assert result.returncode == 0, result.stderr
        outputs[tuple(form)] = result.stdout
        hidden = [c for c in result.stdout if not c.isprintable() and c != "\n"]
        assert hidden == [], (form, hidden)
    text = outputs[()]
    assert "\\x1b[31mred\\u202eflip\\x07" in text and "Desk\\x1b]0;evil\\x07 break (ca\\x1blf)" in text
    assert "[cof\\x1bfee]" in text
    flare = next(r for r in csv.DictReader(io.StringIO(outputs[("--csv",)])) if r["type"] == "flare")
    assert flare["note"] == "\\x1b[31mred\\u202eflip\\x07"  # written visibly, not as it is
    rows = json.loads(outputs[("--json",)])  # JSON escapes them itself (\u001b) and keeps the data
    assert next(r for r in rows if r["type"] == "flare")["note"] == note
    assert next(r for r in rows if r["type"] == "session")["title"] == "Desk\x1b]0;evil\x07 break"


def test_history_since_filters(tmp_path: Path) -> None:
    history = open_history(tmp_path / "h.sqlite3")
    history.start_session("a", "A", 60, now=datetime(2026, 10, 1, 12, tzinfo=UTC))
    history.start_session("b", "B", 60, now=datetime(2026, 11, 1, 12, tzinfo=UTC))
    assert [s.exercise_id for s in history.sessions(since=date(2026, 10, 15))] == ["b"]


def test_bad_since_date_is_a_clear_error(cli_env) -> None:
    result = subprocess.run(
        [*calmcoach_command(), "history", "--since", "yesterday"], capture_output=True, text=True, env=cli_env
    )
    assert result.returncode != 0 and "--since wants a date" in result.stderr


def test_corrupt_database_does_not_stop_a_session(cli_env) -> None:
    path = locations.history_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"garbage" * 50)
    result = subprocess.run(quick_breath(cycles=1), capture_output=True, text=True, env=cli_env)
    assert result.returncode == 0
    assert result.stdout.count("history file") == 1 and "kept it as history.sqlite3.corrupt-" in result.stdout
    (kept,) = path.parent.glob("history.sqlite3.corrupt-*")
    assert kept.read_bytes() == b"garbage" * 50
    assert open_history(path).sessions()[0].status == "finished"


def test_recorder_turns_history_off_once_on_failure(tmp_path: Path, library) -> None:
    path = tmp_path / "h.sqlite3"
    said: list[str] = []
    recorder = Recorder(path, said.append)
    timeline = plan(library.get("breathing-4-2-6"), PlanOptions(minutes=2))
    clock = FakeClock()
    session = Session(timeline, clock)
    recorder.begin(timeline)
    recorder.observe(session, session.start())
    settle(recorder)
    other = sqlite3.connect(path)
    other.execute("DROP TABLE sessions")  # every later write now fails, and not for a lock
    other.commit()
    other.close()
    for _ in range(40):  # 20 s: several boundaries, each a write that fails
        clock.advance(0.5)
        recorder.observe(session, session.poll())
        settle(recorder)
    recorder.observe(session, [])
    assert recorder.history is None  # the stats screen sees history off too
    recorder.close()
    assert len(said) == 1 and "no such table" in said[0]
    assert recorder.writer is not None and recorder.writer.available is False


def test_stats_from_a_month_of_data(tmp_path: Path) -> None:
    history = open_history(tmp_path / "h.sqlite3")
    today = date(2026, 11, 20)
    month_of_data(history, today)
    stats = history.stats(today)
    assert len(stats.per_day) == 30 and stats.per_day[-1] == (today, 1.0)
    assert stats.per_day[-4] == (today - timedelta(days=3), 0.0)  # skipped days are zero
    assert stats.streak == 3
    assert stats.average_change == -3.0 and stats.rated_sessions == 23
    assert stats.flares_by_area["eyelid"] == 15
    assert stats.persistent_areas == ["eyelid"]
    ((title, count, minutes),) = stats.totals
    assert title == "4-2-6 breathing" and count == 23


def test_empty_stats(tmp_path: Path) -> None:
    stats = open_history(tmp_path / "h.sqlite3").stats(date(2026, 11, 20))
    assert stats.empty and stats.streak == 0 and stats.average_change is None


def test_open_waits_out_another_instance_creating_the_file(tmp_path: Path) -> None:
    """Switching a new file to WAL fails at once while another connection holds a write
    lock (SQLite's busy timeout does not cover it), as when two instances start together.
    Opening must wait that out instead of turning history off."""
    import threading

    path = tmp_path / "h.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        started = time.monotonic()
        history = History.open(path, busy_timeout=3.0).history
        waited = time.monotonic() - started
    finally:
        release.join()
        holder.close()
    assert waited >= 0.25  # it really had to wait for the other writer
    history.start_session("x", "X", 1)
    assert len(history.sessions()) == 1
