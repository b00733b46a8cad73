"""The reminder's settings file, checked as strictly as exercise files."""

from __future__ import annotations

import time
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path

import pytest

from calmcoach.remind.settings import RemindSettings, load_settings, parse_duration


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "remind.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, "utf-8")
    return path


def test_no_file_gives_hourly_nudges_nine_to_six_on_weekdays(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "missing.toml")
    assert settings == RemindSettings()
    assert settings.every == timedelta(hours=1) and settings.snooze == timedelta(minutes=15)
    assert settings.hours_text() == "09:00 to 18:00, Mon to Fri"
    assert settings.problems == ()


def test_a_full_file_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'every = "45m"\nfrom = "08:30"\nuntil = "24:00"\ndays = ["Mon", "wednesday", "fri"]\n'
        'snooze = "10m"\naway_after = "3m"\nstart_command = ["foot", "-e", "calmcoach", "run", "desk-break"]\n'
        "tray = false\n",
    )
    settings = load_settings(path)
    assert settings.problems == ()
    assert settings.every == timedelta(minutes=45) and settings.start == clock_time(8, 30)
    assert settings.end_minutes == 24 * 60 and settings.days == frozenset({0, 2, 4})
    assert settings.hours_text() == "08:30 to 24:00, Mon, Wed, Fri"
    assert settings.snooze == timedelta(minutes=10) and settings.away_after == timedelta(minutes=3)
    assert settings.start_command == ("foot", "-e", "calmcoach", "run", "desk-break")
    assert settings.tray is False
    assert RemindSettings().tray is True


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ('every = "5m"\n', ":1: every: ", "expected from 10m to 8h, got 5m"),
        ("\nevery = 60\n", ":2: every: ", 'expected a duration in quotes such as "1h" or "45m", got 60'),
        ('every = "soon"\n', ":1: every: ", "got 'soon'"),
        ('snooze = "3h"\n', ":1: snooze: ", "expected from 1m to 2h, got 3h"),
        ('from = "9:00"\n', ":1: from: ", 'expected a time of day from "00:00" to "23:59", got \'9:00\''),
        ('until = "24:30"\n', ":1: until: ", 'from "00:00" to "24:00"'),
        ('from = "18:00"\nuntil = "09:00"\n', ":2: until: ", "overnight hours are not supported"),
        ("days = []\n", ":1: days: ", "expected a list of days"),
        ('days = ["mon", "someday"]\n', ":1: days[2]: ", "expected one of mon, tue"),
        ('days = ["mon", 3]\n', ":1: days[2]: ", "got 3"),
        ('start_command = "calmcoach"\n', ":1: start_command: ", "expected a list of 1 to 20 words"),
        ('\ntray = "yes"\n', ":2: tray: ", "expected true or false (no quotes), got 'yes'"),
        ("tray = 1\n", ":1: tray: ", "expected true or false (no quotes), got 1"),
        ('start_command = ["x", "a\\u001b[2Jb"]\n', ":1: start_command[2]: ", "contains a control character"),
        ('start_command = [""]\n', ":1: start_command[1]: ", "expected text in quotes"),
        ('start_command = ["x", "' + "a" * 301 + '"]\n', ":1: start_command[2]: ", "too long (301"),
        ('from = "\u0660\u0669:00"\n', ":1: from: ", "expected a time of day"),  # Arabic-Indic digits
        ('until = "\uff11\uff18:00"\n', ":1: until: ", "expected a time of day"),  # fullwidth digits
        ('from = "09:00\\n"\n', ":1: from: ", "expected a time of day"),
        ('every = "\uff11h"\n', ":1: every: ", "expected a duration in quotes"),
        ('every = "1h\\n"\n', ":1: every: ", "expected a duration in quotes"),
        ('days = ["MONSTER"]\n', ":1: days[1]: ", "expected one of mon, tue"),
        ('days = ["tues"]\n', ":1: days[1]: ", "expected one of mon, tue"),
        ('days = [" mon"]\n', ":1: days[1]: ", "expected one of mon, tue"),
        ('start_command = ["x", "a\\u202eb"]\n', ":1: start_command[2]: ", "control character (\\u202e"),
        ('start_command = ["x\\u200b"]\n', ":1: start_command[1]: ", "control character"),
        ('evry = "1h"\n', ":1: evry: ", "unknown key; expected one of: every, from"),
        ("[every]\nx = 1\n", ":1: every: ", "got a table"),
        ('every = "1h\n', ":1: ", "TOML syntax error"),
    ],
)
def test_every_problem_names_file_line_and_field_and_the_defaults_are_used(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    path = write(tmp_path, text)
    settings = load_settings(path)
    assert settings.problems, "a problem was expected"
    line = str(settings.problems[0])
    assert line.startswith(f"{path}{where}") and message in line, line
    assert "\n" not in line and "\x1b" not in line
    assert settings == RemindSettings()  # nothing from a file with a problem is used


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, 'every = "1m"\nsnooze = "1d"\nnope = 1\n')
    fields = [p.field for p in load_settings(path).problems]
    assert fields == ["nope", "every", "snooze"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xef\xbb\xbfevery = '1h'\n", "byte-order mark"),
        (b"every = '1h'\x00\n", "binary file"),
        (b"every = '\xff'\n", "not UTF-8"),
        (b"# x\n" * 70_000, "too large"),
    ],
)
def test_hostile_files_give_one_clear_line_quickly(tmp_path: Path, raw: bytes, message: str) -> None:
    path = write(tmp_path, raw)
    started = time.monotonic()
    settings = load_settings(path)
    # Generous: the check is about a hang, not speed.
    assert time.monotonic() - started < 1.0
    (problem,) = settings.problems
    assert message in str(problem) and str(problem).startswith(str(path))


def test_a_control_character_in_a_value_is_not_echoed(tmp_path: Path) -> None:
    path = write(tmp_path, 'every = "\\u001b]0;owned\\u0007"\n')
    (problem,) = load_settings(path).problems
    assert "\x1b" not in str(problem) and "\x07" not in str(problem)


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("2h", timedelta(hours=2)),
        ("90m", timedelta(minutes=90)),
        ("1h30m", timedelta(minutes=90)),
        ("45s", timedelta(seconds=45)),
        ("15min", timedelta(minutes=15)),
        (" 1h 5m ", timedelta(minutes=65)),
        ("7d", timedelta(days=7)),
        ("1d12h", timedelta(hours=36)),
    ],
)
def test_durations(text: str, span: timedelta) -> None:
    assert parse_duration(text) == span


@pytest.mark.parametrize("text", ["", "h", "2", "-1h", "d", "1.5d", "1h1d", "1.5h", "2h2h", "1" * 20 + "h"])
def test_not_durations(text: str) -> None:
    assert parse_duration(text) is None
