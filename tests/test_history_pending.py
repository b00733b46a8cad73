"""Rows a lock kept out of the history at exit: kept beside it, written at the next start.

Real SQLite files and a real lock held by another connection; the sessions run on a fake
clock, and closing waits a fraction of a second, so nothing here sleeps for long."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import time
from pathlib import Path

import pytest

from calmcoach.data.history import History
from calmcoach.data.history.pending import SessionSnapshot, keep
from calmcoach.domain.planner import Timeline
from calmcoach.domain.session import Session
from calmcoach.services.record import Recorder
from tests.clocks import FakeClock

HANG_GUARD = 20.0
KEPT = "kept it to write the next time calmcoach starts"


def run_whole_session(recorder: Recorder, timeline: Timeline) -> None:
    clock = FakeClock(0)
    session = Session(timeline, clock)
    recorder.begin(timeline, rating_before=6)
    recorder.observe(session, session.start())
    while session.active:
        clock.advance(0.5)
        recorder.observe(session, session.poll())
    recorder.rate(after=2)


def waiting_files(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.pending-*"))


def raw_sessions(path: Path) -> list[tuple[str, float, int | None]]:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT status, seconds_done, rating_after FROM sessions ORDER BY id").fetchall()
    finally:
        db.close()


def close_under_a_lock(path: Path, recorder: Recorder, before_close: object = None) -> list[str]:
    """Close ``recorder`` while another connection holds the history locked."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        if callable(before_close):
            before_close()
        recorder.close()
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert recorder.writer is not None
    recorder.writer._thread.join(HANG_GUARD)
    return []


def test_a_session_a_lock_kept_out_is_written_at_the_next_start(made: Path, two_minutes) -> None:
    said: list[str] = []
    recorder = Recorder(made, said.append, close_timeout=0.3)
    assert recorder.writer is not None and recorder.writer.wait_opened(HANG_GUARD)
    close_under_a_lock(made, recorder, lambda: run_whole_session(recorder, two_minutes))
    assert said == [
        "history: could not save the session 4-2-6 breathing: "
        f"the history file stayed locked by another program; {KEPT}"
    ]
    assert raw_sessions(made) == []  # not written behind the message
    (kept,) = waiting_files(made)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    opened = History.open(made)
    assert opened.notice == "1 row saved from an earlier run was written to the history"
    (row,) = opened.history.sessions()
    opened.history.close()
    assert (row.status, row.seconds_done, row.position_seconds) == ("finished", 120, 120)
    assert (row.cycles_done, row.steps_done, row.rating_before, row.rating_after) == (10, 30, 6, 2)
    assert waiting_files(made) == []
    again = History.open(made)  # said once: nothing is left to write
    assert again.notice is None and len(again.history.sessions()) == 1


def test_an_end_a_lock_kept_out_completes_the_row_already_there(made: Path, two_minutes) -> None:
    said: list[str] = []
    recorder = Recorder(made, said.append, close_timeout=0.3)
    clock = FakeClock(0)
    session = Session(two_minutes, clock)
    recorder.begin(two_minutes)
    recorder.observe(session, session.start())
    assert recorder.writer is not None and recorder.writer.flush(HANG_GUARD)  # the start is saved

    def stop_after_half_a_minute() -> None:
        for _ in range(60):
            clock.advance(0.5)
            recorder.observe(session, session.poll())
        session.stop()
        recorder.observe(session, [])
        recorder.rate(after=4)

    close_under_a_lock(made, recorder, stop_after_half_a_minute)
    assert said[0].endswith(KEPT)
    assert raw_sessions(made) == [("running", 0, None)]
    opened = History.open(made)
    assert opened.notice == "1 row saved from an earlier run was written to the history"
    (row,) = opened.history.sessions()  # brought up to date, not added twice
    assert (row.status, row.seconds_done, row.rating_after) == ("stopped", session.active_seconds(), 4)
    assert (row.steps_done, row.position_seconds) == (session.steps_done, session.position()) != (0, 0)
    assert row.ended_at is not None


def test_a_kept_row_the_history_already_holds_is_not_added_again(made: Path, two_minutes) -> None:
    # A write that went through just as closing gave up on it is in the file and kept.
    recorder = Recorder(made, lambda text: None)
    run_whole_session(recorder, two_minutes)
    assert recorder.close() is None
    (row,) = History.open(made).history.sessions()
    db = sqlite3.connect(made)
    (pid,) = db.execute("SELECT pid FROM sessions").fetchone()
    db.close()
    keep(
        made,
        [
            SessionSnapshot(
                exercise_id=row.exercise_id,
                title=row.title,
                started_at=row.started_at.isoformat(),
                updated_at=row.updated_at.isoformat(),
                ended_at=row.ended_at.isoformat() if row.ended_at else None,
                status=row.status,
                planned_seconds=row.planned_seconds,
                pid=pid,
                seconds_done=row.seconds_done,
                position_seconds=row.position_seconds or 0,
                cycles_done=row.cycles_done,
                steps_done=row.steps_done,
                rating_before=row.rating_before,
                rating_after=row.rating_after,
            )
        ],
    )
    opened = History.open(made)
    assert opened.notice is None  # nothing new was written: nothing to say
    assert len(opened.history.sessions()) == 1 and waiting_files(made) == []


GOOD = {
    "exercise_id": "breathing-4-2-6",
    "title": "4-2-6 breathing",
    "started_at": "2026-12-01T10:00:00+00:00",
    "updated_at": "2026-12-01T10:02:00+00:00",
    "status": "finished",
    "planned_seconds": 120,
    "pid": 4242,
}


def pending_json(**changes: object) -> bytes:
    return json.dumps({"format": "calmcoach-pending-1", "sessions": [{**GOOD, **changes}]}).encode()


HOSTILE = {
    "binary": (b"\x00\xff\xfe" * 100, "is not UTF-8"),
    "not json": (b"{sessions: [", "line 1: not JSON"),
    "huge": (b" " * (300 * 1024), "is too large"),
    "another format": (b'{"format": "x", "sessions": []}', "not a calmcoach pending file"),
    "deep": (b"[" * 100_000 + b"]" * 100_000, "not"),
    "bad date": (pending_json(started_at="yesterday"), "session 1, field started_at: not a date and time"),
    "lone surrogate": (pending_json(title="\udcff"), "field title: holds a control character or a lone"),
    "escape codes": (pending_json(title="\x1b[2J"), "field title: holds a control character"),
    "absurd number": (pending_json(planned_seconds=1e308), "field planned_seconds: out of range"),
    "bad status": (pending_json(status="DROP TABLE"), "field status: not one of"),
    "missing field": (pending_json(pid=None), "field pid: missing"),
    "rating": (pending_json(rating_after=11), "field rating_after: not a rating"),
    "start pace": (pending_json(start_pace="fast"), "field start_pace: not a number"),
}


@pytest.mark.parametrize("name", [*HOSTILE, "fifo"])
def test_a_hostile_pending_file_is_one_line_set_aside_and_never_a_traceback(made: Path, name: str) -> None:
    target = made.with_name(f"{made.name}.pending-1-1")
    if name == "fifo":
        os.mkfifo(target)
        expected = "is a FIFO (named pipe)"
    else:
        content, expected = HOSTILE[name]
        target.write_bytes(content)
    keep(made, [SessionSnapshot(**GOOD)])  # a good file beside it is still written
    started = time.monotonic()
    opened = History.open(made)
    assert time.monotonic() - started < 1.0
    notice = opened.notice or ""
    assert notice.startswith("1 row saved from an earlier run was written to the history; ")
    assert str(target) in notice and expected in notice and "set it aside" in notice
    assert "\n" not in notice and "\x1b" not in notice and "Traceback" not in notice
    assert [row.title for row in opened.history.sessions()] == ["4-2-6 breathing"]
    assert not target.exists() and target.with_name(target.name + ".unreadable").exists()
    opened.history.close()
    assert History.open(made).notice is None  # set aside once: not said again


def test_calmcoach_log_says_kept_rows_were_written_not_that_its_flare_was_not(made: Path, cli_env) -> None:
    import subprocess

    from tests.helpers import calmcoach_command

    keep(made, [SessionSnapshot(**GOOD)])
    env = {**cli_env, "CALMCOACH_DATA_DIR": str(made.parent)}
    made.rename(made.with_name("history.sqlite3"))
    for kept in waiting_files(made):
        kept.rename(made.with_name(kept.name.replace(made.name, "history.sqlite3")))
    result = subprocess.run(
        [*calmcoach_command(), "log", "hand", "--intensity", "2"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert result.returncode == 0
    assert result.stderr == "calmcoach: 1 row saved from an earlier run was written to the history\n"
    assert result.stdout.startswith("Logged a")


def test_a_kept_session_keeps_its_measured_start_pace(made: Path) -> None:
    keep(made, [SessionSnapshot(**{**GOOD, "exercise_id": "slow-down-gently", "start_pace": 2.5})])
    opened = History.open(made)
    (row,) = opened.history.sessions()
    opened.history.close()
    assert (row.exercise_id, row.start_pace) == ("slow-down-gently", 2.5)
