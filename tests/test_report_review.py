"""``calmcoach report`` after review: the "lasts weeks" sign as the History screen sees it,
``--since`` and the first flare, a damaged history, reading beside the app, output that
fails, ``--out`` into a folder that is not there, the PDF's layout and the sessions that
count.

Histories are real SQLite files made with calmcoach's API; commands run in-process
(``cli.main``) or as real processes; PDFs are read back with poppler.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from calmcoach import cli
from calmcoach.data import locations, safefile
from calmcoach.data.history import History, HistoryUnavailable
from calmcoach.data.history import period as period_module
from calmcoach.services.report import charts, make_report
from calmcoach.services.report.document import Heading, Paragraph
from calmcoach.services.report.pdf import render_pdf
from tests.helpers import calmcoach_command

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None, reason="poppler-utils missing"
)
TODAY = date(2026, 11, 30)


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=hour)


def log_days(path: Path, area: str, days: list[date]) -> None:
    history = History.open(path).history
    try:
        for day in days:
            history.log_flare(area, 4, [], now=at(day))
    finally:
        history.close()


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def flat(text: str) -> str:
    return " ".join(text.split())


def screen_and_report(path: Path) -> tuple[list[str], str]:
    """What the History screen's stats and the report (as text) say of the history."""
    history = History.open(path).history
    try:
        persistent = history.stats(TODAY).persistent_areas
    finally:
        history.close()
    return persistent, flat(make_report(path, today=TODAY).render("text").decode())


# --- 1. One "lasts weeks" rule for the History screen and the report ---------------------


def test_flares_on_29_of_30_days_are_the_sign_on_the_screen_and_in_the_report(isolated_dirs: Path) -> None:
    path = locations.history_file()
    days = [TODAY - timedelta(days=back) for back in range(30) if back != 12]  # one day with none
    log_days(path, "eyelid", days)
    persistent, report = screen_and_report(path)
    assert persistent == ["eyelid"]
    assert (
        "Eyelid or face: 30 days at most, 2026-11-01 to 2026-11-30 (flares on 29 of them). "
        "That is more than three weeks without letting up: worth getting checked by a doctor." in report
    )
    assert "no area had flares on most days" not in report


def test_a_three_day_letup_ends_the_stretch_on_the_screen_and_in_the_report(isolated_dirs: Path) -> None:
    """12 days, three days with none, 12 days: flares on most of 27 days, but it let up."""
    path = locations.history_file()
    first = TODAY - timedelta(days=26)
    days = [first + timedelta(days=n) for n in range(27) if not 12 <= n <= 14]
    log_days(path, "leg", days)
    persistent, report = screen_and_report(path)
    assert persistent == []
    assert "worth getting checked by a doctor." not in report
    assert (
        "In what was logged in this period, no area had flares on most days for more than three weeks"
        in report
    )


@pytest.mark.parametrize(("length", "sign"), [(21, False), (22, True)])
def test_21_days_are_not_the_sign_and_22_are(isolated_dirs: Path, length: int, sign: bool) -> None:
    path = locations.history_file()
    log_days(path, "hand", [TODAY - timedelta(days=back) for back in range(length)])
    persistent, report = screen_and_report(path)
    assert persistent == (["hand"] if sign else [])
    assert ("worth getting checked by a doctor." in report) is sign
    assert f"Hand or forearm: {length} days at most" in report


# --- 2. --since and "When it started" -------------------------------------------------


def test_since_cutting_a_run_still_finds_it_and_says_both_first_flares(
    isolated_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = locations.history_file()
    start = date(2026, 10, 1)
    log_days(path, "leg", [start + timedelta(days=n) for n in range(23)])
    code, out, err = run(["report", "--since", "2026-10-15"], capsys)
    assert code == 0, err
    text = flat(out)
    assert "First flare in the whole history: 2026-10-01 09:00, Leg or foot, intensity 4 of 10." in text
    assert "First flare in this period: 2026-10-15 09:00, Leg or foot, intensity 4 of 10." in text
    assert "First flare logged" not in text
    assert "over the whole history, not only this period" in text
    assert "Leg or foot: 23 days at most, 2026-10-01 to 2026-10-23 (flares on 23 of them)." in text
    assert "worth getting checked by a doctor." in text


# --- 3. A damaged history says so in the report itself ---------------------------------


@pytest.mark.parametrize("suffix", [".md", ".html", ".pdf", ""])
def test_a_damaged_history_says_so_at_the_top_of_the_report(
    isolated_dirs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    path = locations.history_file()
    path.parent.mkdir(parents=True)
    path.write_bytes(os.urandom(8192))
    out = tmp_path / f"g{suffix}"
    if suffix == ".pdf":
        pytest.importorskip("fpdf")
        if shutil.which("pdftotext") is None:
            pytest.skip("poppler-utils missing")
    code, said, _ = run(["report", *(["--out", str(out)] if suffix else [])], capsys)
    assert code == 0
    if suffix == ".pdf":
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    else:
        text = out.read_text() if suffix else said
    kept = [p.name for p in path.parent.iterdir() if p.name != path.name and "sqlite3" in p.name]
    assert kept, "the damaged file was not kept aside"
    words = flat(text)
    assert "kept it as" in words and "started a new one" in words
    # Near the top: before the first section.
    assert words.index("started a new one") < words.index("When it started")


# --- 4. Reading beside the app never drops a WAL's rows --------------------------------


def test_a_busy_history_is_an_error_not_a_report_without_the_wal_rows(isolated_dirs: Path) -> None:
    """The app holds the file in WAL mode with rows not yet in the main file, and a lock
    that makes a second reader wait (``locking_mode = EXCLUSIVE``). Reading the file as
    immutable would give a report without those rows; it must say the file is busy."""
    path = locations.history_file()
    log_days(path, "leg", [date(2026, 10, 1)])
    app = sqlite3.connect(path, isolation_level=None)
    try:
        app.execute("PRAGMA wal_autocheckpoint = 0")
        app.execute("PRAGMA locking_mode = EXCLUSIVE")
        app.execute(
            "INSERT INTO flares (logged_at, area, intensity) VALUES ('2026-10-02T09:00:00+00:00', 'leg', 5)"
        )
        with pytest.raises(HistoryUnavailable) as caught:
            period_module._read_beside(path, None, None)
        assert "locked" in str(caught.value)
    finally:
        app.close()
    rows = period_module._read_beside(path, None, None)
    assert len(rows.flares) == 2


# --- 5. Output that cannot be written ---------------------------------------------------


@pytest.mark.parametrize(
    "command", [["report"], ["doctor"], ["history"], ["list"], ["show", "breathing-4-2-6"]]
)
@pytest.mark.parametrize("how", ["full", "closed"])
def test_output_that_fails_is_one_line_and_exit_1(cli_env, command: list[str], how: str) -> None:
    if how == "full" and not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    with open("/dev/full" if how == "full" else os.devnull, "w") as stdout:
        done = subprocess.run(
            [*calmcoach_command(), *command],
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env,
            timeout=60,
            # Closed: the process starts with no standard output at all (a shell's ">&-").
            preexec_fn=(lambda: os.close(1)) if how == "closed" else None,
        )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("calmcoach: could not write the output: ")


# --- 6. --out into a folder that is not there ------------------------------------------


@pytest.mark.parametrize(
    ("out", "words"),
    [
        ("nope/x.md", "there is no folder nope (it is not made for you)"),
        ("~/Documents/r.md", "a ~ in quotes is not your home folder"),
        ("n\x1bpe/x.md", "there is no folder n\\x1bpe"),
    ],
)
def test_out_into_a_missing_folder_is_one_line_and_makes_nothing(
    isolated_dirs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, out: str, words: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, said, err = run(["report", "--out", out], capsys)
    assert code == 1
    assert said == ""
    assert words in err
    assert len(err.strip().splitlines()) == 1 and "\x1b" not in err
    assert list(work.iterdir()) == []


# --- 7. The PDF's layout ----------------------------------------------------------------


def fill_areas(path: Path, areas: list[str], weeks: int = 6) -> None:
    history = History.open(path).history
    try:
        for number, area in enumerate(areas):
            for week in range(weeks):
                day = date(2026, 10, 1) + timedelta(days=week * 7 + number % 7)
                history.log_flare(area, (number + week) % 11, ["caffeine"], now=at(day))
    finally:
        history.close()


@needs_poppler
def test_a_heading_is_never_alone_at_the_foot_of_a_page(isolated_dirs: Path, tmp_path: Path) -> None:
    """Paragraphs fill page 1 to about 45 mm from its foot: room for a heading (and the
    old 40 mm check), not for the chart under it. The heading goes to page 2 with it."""
    pytest.importorskip("fpdf")
    path = locations.history_file()
    fill_areas(path, ["leg", "eyelid"])
    report = make_report(path, today=TODAY)
    filler = [Paragraph(f"Line {n} of the filler.") for n in range(30)]
    blocks = [Heading("Twitch report for the doctor"), *filler, Heading("How often")]
    blocks += [b for b in report.blocks if getattr(b, "chart", None) == "weekly"]
    out = tmp_path / "r.pdf"
    out.write_bytes(render_pdf(blocks, report.figures))
    pages = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    first, second = pages.split("\f")[:2]
    assert "Line 29 of the filler." in first  # the filler did fill page 1
    assert "How often" not in first
    assert "How often" in second


@needs_poppler
def test_every_pdf_page_says_its_number_of_all_and_the_period(
    isolated_dirs: Path, tmp_path: Path, capsys
) -> None:
    pytest.importorskip("fpdf")
    fill_areas(locations.history_file(), ["leg", "eyelid", "hand"], weeks=20)
    out = tmp_path / "r.pdf"
    assert run(["report", "--since", "2026-10-01", "--out", str(out)], capsys)[0] == 0
    pages = [
        flat(page)
        for page in subprocess.run(
            ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
        ).stdout.split("\f")
        if page.strip()
    ]
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"Period: from 2026-10-01 on. Page {number} of {len(pages)}." in page


def test_the_intensity_legend_draws_each_areas_own_mark(isolated_dirs: Path) -> None:
    path = locations.history_file()
    fill_areas(path, ["leg", "eyelid", "hand"])
    figures = make_report(path, today=TODAY).figures
    for label in (charts.same, str):
        svg = charts.intensity_chart(figures, label)
        key = re.search(r'<g id="key">(.*?)</g>', svg)
        assert key is not None, "no key"
        # Leg: a circle; eyelid: a square; hand: a triangle (as their points are drawn).
        assert key[1].count("<circle") == 1
        assert key[1].count("<rect") == 1
        assert key[1].count("<polygon") == 1
        for name in ("Leg or foot", "Eyelid or face", "Hand or forearm"):
            assert name in key[1]


def test_more_areas_than_colours_put_the_smallest_together_as_other(
    isolated_dirs: Path, tmp_path: Path, capsys
) -> None:
    path = locations.history_file()
    fill_areas(path, ["leg", "eyelid", "hand"])
    db = sqlite3.connect(path)  # another program wrote areas calmcoach does not know
    for number in range(8):
        for extra in range(number + 1):
            db.execute(
                "INSERT INTO flares (logged_at, area, intensity) VALUES (?, ?, 3)",
                (f"2026-10-{2 + extra:02d}T09:00:00+00:00", f"zone {number}"),
            )
    db.commit()
    db.close()
    figures = make_report(path, today=TODAY).figures
    names = [series.name for series in figures.series]
    assert len(names) == 8
    assert names[-1] == "Other areas (4)"
    assert sum(sum(series.per_week) for series in figures.series) == figures.flares
    svg = charts.weekly_chart(figures)
    assert "Other areas (4)" in svg
    colours = set(re.findall(r'fill="(#[0-9A-F]{6})"', svg))
    assert len(colours & set(charts.COLOURS)) == 8
    code, out, _ = run(["report"], capsys)
    assert code == 0
    assert "other areas (4) " in flat(out)


# --- 8. Sessions that count --------------------------------------------------------------


def test_a_session_stopped_at_0_s_is_not_a_time_and_is_said(isolated_dirs: Path, capsys) -> None:
    history = History.open(locations.history_file()).history
    for seconds, day in ((0.0, 2), (12.0, 3), (120.0, 4)):
        session = history.start_session(
            "breathing-4-2-6", "4-2-6 breathing", 180.0, now=at(date(2026, 10, day))
        )
        history.end_session(
            session, "stopped", seconds=seconds, cycles=0, steps=0, now=at(date(2026, 10, day), 10)
        )
    history.close()
    code, out, _ = run(["report"], capsys)
    assert code == 0
    text = flat(out)
    assert "4-2-6 breathing: times 1, minutes spent 2," in text
    assert "Only sessions of at least 30 seconds count here (as for the practice streak): " in text
    assert "2 sessions stopped before 30 seconds were left out." in text


# --- 10. Smaller things -------------------------------------------------------------------


def test_a_dangling_link_in_the_historys_place_is_one_clear_line(isolated_dirs: Path, capsys) -> None:
    path = locations.history_file()
    path.parent.mkdir(parents=True)
    path.symlink_to(path.parent / "gone" / "h.sqlite3")
    code, out, err = run(["report"], capsys)
    assert code == 1 and out == ""
    assert err == (
        f"calmcoach report: the history cannot be read: the history file {path} is a link to "
        f"{path.parent / 'gone' / 'h.sqlite3'}, which does not exist\n"
    )
    assert not (path.parent / "gone").exists()


def test_a_day_that_does_not_exist_is_named(isolated_dirs: Path, capsys) -> None:
    code, out, err = run(["report", "--since", "2026-02-30"], capsys)
    assert (code, out) == (2, "")
    assert (
        err == "calmcoach report: --since 2026-02-30: that day does not exist (February 2026 has 28 days)\n"
    )


def test_html_keeps_weeks_and_days_on_one_line(isolated_dirs: Path, tmp_path: Path, capsys) -> None:
    fill_areas(locations.history_file(), ["leg"])
    out = tmp_path / "r.html"
    assert run(["report", "--out", str(out)], capsys)[0] == 0
    page = out.read_text()
    assert "td.d { white-space: nowrap; }" in page
    assert '<td class="d">2026-W40</td><td class="d">2026-09-28</td>' in page


def test_write_atomic_puts_the_data_on_disk_before_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "r.md"
    order: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor: int) -> None:
        order.append(f"fsync {os.readlink(f'/proc/self/fd/{descriptor}')}")
        real_fsync(descriptor)

    def replace(source: str, destination: Path) -> None:
        order.append(f"replace {source}")
        real_replace(source, destination)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    safefile.write_atomic(target, b"report")
    assert target.read_bytes() == b"report"
    assert len(order) == 2
    assert order[0].startswith("fsync ") and order[1].startswith("replace ")
    assert order[0].removeprefix("fsync ") == order[1].removeprefix("replace ")
