"""What another program may leave in the history's rows, and what a command line may hand
``calmcoach log``: CSV cells a spreadsheet would run (issue 24, point 8), rows that pass
SQLite's checks yet hold a bad date or triggers (point 11), and bytes that are not UTF-8
(point 14). Real SQLite files and the real command line."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
from datetime import date
from pathlib import Path

import pytest

from calmcoach.data import locations
from calmcoach.data.history import History
from tests.helpers import calmcoach_command

TODAY = date(2026, 11, 20)


def cc(*args: str | bytes, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*calmcoach_command(), *args], capture_output=True, text=True, env=env, timeout=30, errors="replace"
    )


def made() -> Path:
    path = locations.history_file()
    History.open(path).history.close()
    return path


def insert(path: Path, sql: str, *params: object) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute(sql, params)
        assert db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    finally:
        db.close()


# --- point 8: formulas in CSV ------------------------------------------------------------


def test_csv_cells_a_spreadsheet_would_run_are_neutralised_and_numbers_stay_data(cli_env) -> None:
    notes = ['=HYPERLINK("http://x","y")', "+1+2", "-2+3", "@SUM(A1)"]
    for note in notes:
        logged = cc(
            "log",
            "hand",
            "--intensity",
            "4",
            f"--note={note}",
            "--trigger",
            "=cmd|' /C calc'!A0",
            env=cli_env,
        )
        assert logged.returncode == 0, logged.stderr
    path = locations.history_file()
    insert(
        path,
        "INSERT INTO sessions (exercise_id, title, started_at, updated_at, status, planned_seconds, "
        "seconds_done, position_seconds, area) VALUES ('x', '=1+1', '2026-11-20T09:00:00+00:00', "
        "'2026-11-20T09:00:00+00:00', 'stopped', 60, -3, -3, '@area')",
    )
    result = cc("history", "--csv", env=cli_env)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    flares = [row for row in rows if row["type"] == "flare"]
    assert sorted(row["note"] for row in flares) == sorted("'" + note for note in notes)
    assert {row["triggers"] for row in flares} == {"'=cmd|' /c calc'!a0"}
    assert {row["intensity"] for row in flares} == {"4"}
    (session,) = [row for row in rows if row["type"] == "session"]
    assert (session["title"], session["area"]) == ("'=1+1", "'@area")
    assert (session["seconds"], session["position"]) == ("-3.0", "-3.0")  # a number is data
    # Nothing else starts a cell with a formula's first character.
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), (column, cell)
            assert not cell.startswith("-") or column in ("seconds", "position"), (column, cell)


# --- point 11: rows another program left ---------------------------------------------------

BAD_ROWS = [
    (
        "INSERT INTO sessions (exercise_id, title, started_at, updated_at, status, planned_seconds, "
        "seconds_done, cycles_done, pid) VALUES ('box', 'Box breathing', 'yesterday', '0000-01-01T00:00:00', "
        "'running', 'long', 'lots', 2.5, 'me')"
    ),
    (
        "INSERT INTO sessions (exercise_id, title, started_at, updated_at, status, planned_seconds, "
        "seconds_done, ended_at) VALUES ('blob', x'00ff', '2026-11-20T08:00:00+00:00', "
        "'2026-11-20T08:00:00+00:00', 'finished', 60, 1e999, '9999-12-31T23:59:59-14:00')"
    ),
    "INSERT INTO flares (logged_at, area, intensity, triggers, note) VALUES ('soon', 'eyelid', 3, '{\"a\": 1}', 'kept note')",
    "INSERT INTO flares (logged_at, area, intensity, triggers, note) VALUES ('2026-11-19T08:00:00+00:00', 'leg', 4.5, '[1, 2]', 'n2')",
    "INSERT INTO flares (logged_at, area, intensity, triggers, note) VALUES ('2026-11-19T09:00:00+00:00', x'ff', 2, 'not json', 'n3')",
    "INSERT INTO flares (logged_at, area, intensity, triggers, note) VALUES ('2026-11-19T10:00:00+00:00', 'hand', 2, '[[[[[[[[[[', 'n4')",
    "INSERT INTO nudges (shown_at, via, answered_at, answer) VALUES ('0000-01-01T00:00:00', 'app', 'never', 'started')",
]


@pytest.fixture
def bad_rows(cli_env) -> Path:
    path = made()
    for sql in BAD_ROWS:
        insert(path, sql)
    logged = cc("log", "hand", "--intensity", "5", "--note", "a good row", env=cli_env)
    assert logged.returncode == 0, logged.stderr
    return path


def test_history_shows_rows_it_cannot_fully_read_in_text_json_and_csv(bad_rows: Path, cli_env) -> None:
    text = cc("history", env=cli_env)
    assert text.returncode == 0 and "Traceback" not in text.stderr, text.stderr
    lines = text.stdout.splitlines()
    assert len(lines) == len(BAD_ROWS) + 1
    box = next(line for line in lines if "Box breathing" in line)
    assert box.startswith("unreadable") and "unreadable min" in box
    assert any(line.startswith("unreadable  flare") and "kept note" in line for line in lines)
    assert any("flare" in line and "unreadable/10" in line and "leg" in line for line in lines)
    assert any("a good row" in line and "5/10" in line for line in lines)

    exported = cc("history", "--json", env=cli_env)
    assert exported.returncode == 0, exported.stderr
    rows = json.loads(exported.stdout)
    by_note = {row.get("note"): row for row in rows if row["type"] == "flare"}
    assert (
        by_note["kept note"]["logged_at"] == "unreadable" and by_note["kept note"]["triggers"] == "unreadable"
    )
    assert by_note["kept note"]["intensity"] == 3 and by_note["kept note"]["area"] == "eyelid"
    assert by_note["n2"]["intensity"] == "unreadable" and by_note["n3"]["area"] == "unreadable"
    assert by_note["n4"]["triggers"] == "unreadable" and by_note["a good row"]["triggers"] == []
    box_row = next(row for row in rows if row.get("title") == "Box breathing")
    assert box_row["started_at"] == box_row["seconds"] == box_row["cycles"] == "unreadable"
    assert box_row["status"] == "interrupted"  # running, and no process of that id
    blob = next(row for row in rows if row.get("exercise_id") == "blob")
    assert blob["title"] == blob["seconds"] == blob["ended_at"] == "unreadable"
    assert blob["started_at"] == "2026-11-20T08:00:00+00:00"  # what could be read is shown

    table = cc("history", "--csv", env=cli_env)
    assert table.returncode == 0, table.stderr
    csv_rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert len(csv_rows) == len(BAD_ROWS) + 1
    assert next(r for r in csv_rows if r["note"] == "kept note")["triggers"] == "unreadable"


def test_stats_over_rows_it_cannot_fully_read_count_only_what_can_be(bad_rows: Path) -> None:
    history = History.open(bad_rows).history
    stats = history.stats(TODAY)
    history.close()
    assert stats.sessions == 2 and stats.total_minutes == 0  # "lots" and 1e999 seconds add nothing
    assert stats.flares_by_area["unreadable"] == 1 and stats.flares_by_area["eyelid"] == 1
    assert stats.flares_by_trigger == {}  # no trigger list could be read


async def test_the_stats_screen_opens_over_rows_it_cannot_fully_read(bad_rows: Path) -> None:
    from textual.widgets import Static

    from calmcoach.ui.screens.stats import StatsScreen
    from tests.ui.helpers import new_app

    app, _, _ = new_app()
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(StatsScreen(app.recorder.history, today=TODAY))
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, StatsScreen)
        body = str(app.screen.query_one("#stats-body", Static).render())
        assert "unreadable" in body


# --- point 14: bytes that are not UTF-8 -----------------------------------------------------


@pytest.mark.parametrize("option", ["--trigger", "--note"])
def test_bytes_that_are_not_utf8_are_refused_in_one_line(cli_env, option: str) -> None:
    result = subprocess.run(
        [*calmcoach_command(), "log", "hand", "--intensity", "2", option, b"caf\xffe"],
        capture_output=True,
        env=cli_env,
        timeout=30,
    )
    what = "a trigger" if option == "--trigger" else "the note"
    assert result.returncode == 2
    assert result.stderr.decode() == (
        f"calmcoach: {what} holds bytes that are not text (not UTF-8); nothing was logged. Type it again\n"
    )
    assert (
        not locations.history_file().exists() or History.open(locations.history_file()).history.flares() == []
    )


def test_the_store_refuses_lone_surrogates_too(tmp_path: Path) -> None:
    history = History.open(tmp_path / "h.sqlite3").history
    for call in (
        lambda: history.log_flare("hand", 2, ["caf\udcffe"]),
        lambda: history.log_flare("hand", 2, [], "caf\udcffe"),
    ):
        with pytest.raises(ValueError, match="holds bytes that are not text"):
            call()
    assert history.flares() == []


def test_the_stats_count_only_the_triggers_the_history_can_read(tmp_path: Path) -> None:
    # One reading of a row for both: a list with a number in it is unreadable in the
    # listing, so the summary counts none of its words either.
    path = tmp_path / "h.sqlite3"
    history = History.open(path).history
    try:
        history.log_flare("hand", 3, ["caffeine"])
        raw = sqlite3.connect(path, isolation_level=None)
        raw.execute(
            "INSERT INTO flares (logged_at, area, intensity, triggers, note) "
            "VALUES ('2026-12-01T10:00:00+00:00', 'hand', 2, '[\"poor sleep\", 1]', '')"
        )
        raw.close()
        listed = [flare.triggers for flare in history.flares()]
        assert sorted(listed) == [(), ("caffeine",)]
        assert dict(history.stats().flares_by_trigger) == {"caffeine": 1}
    finally:
        history.close()
