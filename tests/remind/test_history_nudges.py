"""Nudges in the history: the migration, answers, stats' moves per day, and the history command."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from calmcoach.data import locations
from calmcoach.data.history import MIGRATIONS, NUDGES_MIGRATION, SCHEMA_VERSION, History

MORNING = datetime(2026, 11, 23, 10, tzinfo=UTC)


def test_nudges_migration_is_its_own_step_and_upgrades_an_older_file(tmp_path: Path) -> None:
    step = MIGRATIONS.index(NUDGES_MIGRATION)  # later steps come after it (start_pace)
    path = tmp_path / "h.sqlite3"
    db = sqlite3.connect(path)
    for number, script in enumerate(MIGRATIONS[:step], start=1):
        db.executescript(script)
        db.execute(f"PRAGMA user_version = {number}")
    db.execute(
        "INSERT INTO sessions (exercise_id, title, started_at, updated_at, status, planned_seconds) "
        "VALUES ('desk-break', 'Desk break', '2026-11-22T10:00:00+00:00', '2026-11-22T10:00:00+00:00', "
        "'finished', 117)"
    )
    db.commit()
    db.close()
    history = History.open(path).history
    try:
        db = sqlite3.connect(path)  # the version the file now says it is at, read on its own
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        db.close()
        assert len(history.sessions()) == 1  # kept
        assert history.nudges() == []
    finally:
        history.close()


def test_a_nudge_and_its_answer_are_kept_and_the_first_answer_stays(tmp_path: Path) -> None:
    history = History.open(tmp_path / "h.sqlite3").history
    try:
        first = history.add_nudge("desktop", now=MORNING)
        second = history.add_nudge("app", now=MORNING + timedelta(hours=1))
        history.answer_nudge(first, "snoozed", now=MORNING + timedelta(seconds=20))
        history.answer_nudge(first, "ignored", now=MORNING + timedelta(minutes=30))  # too late: kept as is
        newest, oldest = history.nudges()
        assert (oldest.id, oldest.via, oldest.answer) == (first, "desktop", "snoozed")
        assert oldest.answered_at == MORNING + timedelta(seconds=20)
        assert (newest.id, newest.answer, newest.answered_at) == (second, None, None)
        with pytest.raises(ValueError, match="answered with one of"):
            history.answer_nudge(second, "maybe")
    finally:
        history.close()


def test_started_since_finds_a_desk_break_started_after_a_moment(tmp_path: Path) -> None:
    history = History.open(tmp_path / "h.sqlite3").history
    try:
        history.start_session("desk-break", "Desk break", 117, now=MORNING + timedelta(minutes=2))
        assert history.started_since("desk-break", MORNING)
        assert not history.started_since("desk-break", MORNING + timedelta(minutes=3))
        assert not history.started_since("flare", MORNING)
    finally:
        history.close()


def test_stats_count_moves_per_day_from_nudges_taken_up(tmp_path: Path) -> None:
    history = History.open(tmp_path / "h.sqlite3").history
    today = date(2026, 11, 27)
    try:
        answers = {
            0: ["started", "started", "skipped"],
            2: ["started", "ignored", "snoozed"],
            40: ["started"],
        }
        for days_ago, day_answers in answers.items():
            for hour, answer in enumerate(day_answers, start=10):
                moment = datetime.combine(today - timedelta(days=days_ago), datetime.min.time(), UTC)
                row = history.add_nudge("desktop", now=moment + timedelta(hours=hour))
                history.answer_nudge(row, answer, now=moment + timedelta(hours=hour, seconds=5))
        history.add_nudge("desktop", now=datetime(2026, 11, 27, 16, tzinfo=UTC))  # not answered yet
        stats = history.stats(today)
    finally:
        history.close()
    moves = dict(stats.moves_per_day)
    assert moves[today] == 2 and moves[today - timedelta(days=2)] == 1
    assert sum(moves.values()) == 3  # 40 days ago is outside the 30 days
    assert stats.nudge_answers == {"started": 3, "skipped": 1, "ignored": 1, "snoozed": 1, "unanswered": 1}
    assert not stats.empty  # nudges alone are something to show


def test_history_command_lists_nudges_in_text_json_and_csv(isolated_dirs: Path) -> None:
    history = History.open(locations.history_file()).history
    try:
        row = history.add_nudge("desktop", now=MORNING)
        history.answer_nudge(row, "started", now=MORNING + timedelta(seconds=9))
        history.add_nudge("notify-send", now=MORNING + timedelta(hours=1))
    finally:
        history.close()
    env_run = [sys.executable, "-m", "calmcoach", "history"]
    text = subprocess.run(env_run, capture_output=True, text=True, timeout=60, check=True).stdout
    assert "2026-11-23 10:00  nudge        started      (desktop)" in text
    assert "2026-11-23 11:00  nudge        no answer yet  (notify-send)" in text
    rows = json.loads(subprocess.run([*env_run, "--json"], capture_output=True, text=True, timeout=60).stdout)
    assert [(r["type"], r["answer"], r["via"]) for r in rows] == [
        ("nudge", "started", "desktop"),
        ("nudge", None, "notify-send"),
    ]
    csv = subprocess.run([*env_run, "--csv"], capture_output=True, text=True, timeout=60).stdout.splitlines()
    assert csv[0].endswith(",via,answer")
    assert csv[1].startswith("nudge,2026-11-23 10:00,") and csv[1].endswith(",desktop,started")
