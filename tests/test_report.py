"""``calmcoach report``: the report for the doctor, from a real history file, in every format.

The history is made with calmcoach's own API (a real SQLite file); the command runs
in-process (``cli.main``) or in a subprocess; the PDF is read back with poppler's
``pdftotext`` and its first page rendered with ``pdftoppm``.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from calmcoach import cli
from calmcoach.data import locations
from calmcoach.data.history import History
from calmcoach.data.redflags import load_red_flags
from calmcoach.domain.describe import red_flag_lines
from calmcoach.services.report import make_report, write_to_documents
from calmcoach.services.report.document import OWN_RECORD

HOSTILE = "<b>bold</b> \x1b[31mred"
"""A trigger of the person's own, with markup and a terminal escape code in it."""
NOTE = "tired\x1b]0;pwned\x07 after work | *stars*"

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None, reason="poppler-utils missing"
)


def at(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def fill(path: Path) -> None:
    """Three areas, triggers (one hostile), notes, and sessions with ratings and a skip."""
    history = History.open(path).history
    try:
        start = date(2026, 10, 1)
        for n in range(23):  # the leg: 23 days in a row, past three weeks
            day = (start + timedelta(days=n)).isoformat()
            history.log_flare("leg", 3 + n % 5, ["caffeine"] if n % 2 == 0 else [], now=at(day))
        history.log_flare("eyelid", 2, ["poor sleep", HOSTILE], NOTE, now=at("2026-10-05", 20))
        history.log_flare("eyelid", 4, ["poor sleep"], now=at("2026-10-06", 21))
        history.log_flare("eyelid", 6, ["caffeine"], "after the third coffee", now=at("2026-10-20", 8))
        history.log_flare("hand", 9, [], now=at("2026-11-02", 15))
        sessions = [
            ("breathing-4-2-6", "4-2-6 breathing", "2026-10-02", 120.0, 120.0, 6, 3),
            ("breathing-4-2-6", "4-2-6 breathing", "2026-10-03", 180.0, 180.0, 5, 4),
            # Skipped ahead: 60 s spent, though it got 200 s through its timeline.
            ("breathing-4-2-6", "4-2-6 breathing", "2026-10-04", 60.0, 200.0, None, None),
            ("flare", "Flare routine", "2026-10-05", 300.0, 300.0, 7, 4),
            ("flare", "Flare routine", "2026-10-06", 90.0, 90.0, 8, None),
            ("box-breathing", "Box breathing", "2026-09-01", 240.0, 240.0, 5, 5),  # before --since
        ]
        for exercise, title, day, seconds, position, before, after in sessions:
            session = history.start_session(exercise, title, 300.0, rating_before=before, now=at(day))
            history.end_session(
                session, "finished", seconds=seconds, cycles=1, steps=1, position=position, now=at(day, 10)
            )
            if after is not None:
                history.rate_session(session, after=after)
    finally:
        history.close()


@pytest.fixture
def filled(isolated_dirs: Path) -> Path:
    path = locations.history_file()
    fill(path)
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def no_control(text: str) -> None:
    assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in text), repr(text)


def test_text_report_holds_the_numbers(filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["report", "--since", "2026-10-01"], capsys)
    assert code == 0, err
    no_control(out)
    flat = " ".join(out.split())
    # Box breathing's day has no flare, so the history's first flare is the period's too.
    assert "First flare in the whole history: 2026-10-01 09:00, Leg or foot, intensity 3 of 10." in flat
    assert "First flare in this period: 2026-10-01 09:00, Leg or foot, intensity 3 of 10." in flat
    assert "Flares in this period: 27." in flat
    assert "Leg or foot: first day 2026-10-01, last day 2026-10-23, flares 23" in flat
    assert "Eyelid or face: first day 2026-10-05, last day 2026-10-20, flares 3" in flat
    assert "Hand or forearm: first day 2026-11-02, last day 2026-11-02, flares 1" in flat
    # Weeks: 2026-W40 starts on Monday 2026-09-28 and holds the leg's 1 to 4 October.
    assert "2026-W40: starts 2026-09-28, leg or foot 4, eyelid or face 0, hand or forearm 0, all 4" in flat
    assert (
        "Leg or foot: 23 days at most, 2026-10-01 to 2026-10-23 (flares on 23 of them). "
        "That is more than three weeks without letting up: worth getting checked by a doctor." in flat
    )
    assert "Eyelid or face: 2 days at most, 2026-10-05 to 2026-10-06 (flares on 2 of them)." in flat
    # Medians: leg 3,4,5,6,7 repeated (23 values) -> 5; eyelid 2,4,6 -> 4; hand 9.
    assert "Leg or foot: flares 23, median intensity (0 to 10) 5" in flat
    assert "Eyelid or face: flares 3, median intensity (0 to 10) 4" in flat
    # Triggers, most frequent first: caffeine 12 (leg) + 1 (eyelid); poor sleep 2; own words kept.
    assert flat.index("caffeine: flares 13") < flat.index("poor sleep: flares 2")
    assert "<b>bold</b> \\x1b[31mred: flares 1" in flat
    # Exercises: 6 and 6.5 minutes really spent (the skipped span is not counted).
    assert (
        "4-2-6 breathing: times 3, minutes spent 6, rated before and after 2, median change in tension -2"
        in flat
    )
    assert (
        "Flare routine: times 2, minutes spent 6.5, rated before and after 1, median change in tension -3"
        in flat
    )
    assert "Box breathing" not in flat  # before --since
    assert "tired\\x1b]0;pwned\\x07 after work | *stars*" in flat


def test_before_the_appointment_has_the_red_flags_word_for_word_emergency_first(
    filled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["report"], capsys)
    assert code == 0
    flat = " ".join(out.split())
    section = flat[flat.index("Before the appointment") :]
    safety = load_red_flags()
    assert section.index(safety.fast_change) < section.index(safety.doctor_asks[0])
    for line in (
        *safety.doctor_asks,
        safety.doctor_checks,
        safety.signs_intro,
        safety.advice,
        *(line for f in safety.flags for line in red_flag_lines(f.sign, f.cause, f.label, f.action)),
        OWN_RECORD,
    ):
        assert line in section
    # The same words as the doctor page (calmcoach doctor) gives each sign.
    doctor = subprocess.run(
        [sys.executable, "-m", "calmcoach", "doctor"], capture_output=True, text=True, check=True
    ).stdout
    for flag in safety.flags:
        assert flag.sign in " ".join(doctor.split())
        assert f"{flag.label}: {flag.action}" in section


def test_markdown_escapes_markup_and_shows_escape_codes(
    filled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.md"
    code, said, err = run(["report", "--out", str(out)], capsys)
    assert code == 0, err
    assert str(out) in said
    text = out.read_text()
    no_control(text)
    assert "\\<b\\>bold\\</b\\> \\\\x1b\\[31mred | 1 |" in text
    assert "tired\\\\x1b\\]0;pwned\\\\x07 after work \\| \\*stars\\*" in text
    assert "| Leg or foot | 2026-10-01 | 2026-10-23 | 23 |" in text
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_html_is_one_self_contained_page_with_three_charts(
    filled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    code, _, err = run(["report", "--out", str(out)], capsys)
    assert code == 0, err
    page = out.read_text()
    no_control(page)
    assert page.count("<svg") == 3
    for outside in ("<script", "src=", "href=", "url(", "@import", "@font-face", "http://", "https://"):
        assert outside not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "&lt;b&gt;bold&lt;/b&gt; \\x1b[31mred" in page
    assert "<b>bold" not in page
    assert "Content-Security-Policy" in page
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


@needs_poppler
def test_pdf_reads_back_and_its_first_page_has_the_charts(
    filled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("fpdf")
    from PIL import Image

    out = tmp_path / "report.pdf"
    code, _, err = run(["report", "--since", "2026-10-01", "--out", str(out)], capsys)
    assert code == 0, err
    assert out.read_bytes().startswith(b"%PDF-")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    for words in (
        "Twitch report for the doctor",
        "First flare in this period: 2026-10-01 09:00, Leg or foot",
        "worth getting checked by a doctor",
        "<b>bold</b> \\x1b[31mred",
        "4-2-6 breathing 3 6 2 -2",
        "Flare routine 2 6.5 1 -3",
        load_red_flags().fast_change,
        OWN_RECORD,
    ):
        assert words in flat
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(out), str(tmp_path / "page")], check=True
    )
    (page,) = tmp_path.glob("page*.png")
    image = Image.open(page).convert("RGB")
    width, height = image.size
    colours = image.getcolors(width * height) or []  # (count, (r, g, b)) for each colour
    inked = sum(count for count, (r, g, b) in colours if min(r, g, b) < 200)
    assert inked > width * height * 0.02, "the first page is (nearly) blank"

    def near(colour: str) -> int:
        want = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
        return sum(
            count
            for count, pixel in colours
            if sum(abs(a - b) for a, b in zip(pixel, want, strict=True)) < 60
        )

    # The weekly chart draws each area's bars in its own colour: leg, eyelid and hand.
    for colour in ("#0072B2", "#E69F00", "#009E73"):
        assert near(colour) > 20, f"no bars in {colour} on page 1"


def test_a_bad_suffix_names_the_three_formats(filled: Path, tmp_path: Path, capsys) -> None:
    code, _, err = run(["report", "--out", str(tmp_path / "report.docx")], capsys)
    assert code == 2
    assert ".pdf" in err and ".md" in err and ".html" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "report.docx").exists()


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--since", "2026-13-01"], "--since wants a date like"),
        (["--until", "yesterday"], "--until wants a date like"),
        (["--since", "2026-11-01", "--until", "2026-10-01"], "is after --until"),
    ],
)
def test_bad_dates_are_one_line_and_exit_2(filled: Path, capsys, argv: list[str], words: str) -> None:
    code, out, err = run(["report", *argv], capsys)
    assert code == 2
    assert words in err
    assert len(err.strip().splitlines()) == 1
    assert out == ""


def test_until_leaves_out_what_came_after(filled: Path, capsys) -> None:
    code, out, _ = run(["report", "--since", "2026-10-01", "--until", "2026-10-05"], capsys)
    assert code == 0
    flat = " ".join(out.split())
    assert "Period: 2026-10-01 to 2026-10-05." in flat
    assert "Flares in this period: 6." in flat  # the leg's 5 days and the eyelid's first
    assert "Hand or forearm" not in flat.split("Before the appointment")[0]
    assert "4-2-6 breathing: times 3" in flat
    assert "Flare routine: times 1" in flat


def test_no_history_file_is_an_empty_report_and_makes_nothing(isolated_dirs: Path, capsys) -> None:
    code, out, _ = run(["report"], capsys)
    assert code == 0
    assert "No flares and no sessions were logged in this period." in out
    assert "Before the appointment" in out
    assert not locations.history_file().exists()


def test_sessions_but_no_flares(isolated_dirs: Path, capsys, tmp_path: Path) -> None:
    history = History.open(locations.history_file()).history
    session = history.start_session("breathing-4-2-6", "4-2-6 breathing", 180.0, now=at("2026-10-02"))
    history.end_session(session, "finished", seconds=180.0, cycles=1, steps=1, now=at("2026-10-02", 10))
    history.close()
    code, out, _ = run(["report"], capsys)
    assert code == 0
    assert "No flares were logged in this period." in out
    assert (
        "4-2-6 breathing: times 1, minutes spent 3, rated before and after none, median change in tension not rated"
        in " ".join(out.split())
    )
    for suffix in (".md", ".html"):
        assert run(["report", "--out", str(tmp_path / f"r{suffix}")], capsys)[0] == 0


def test_one_flare_gives_a_report_in_every_format(isolated_dirs: Path, capsys, tmp_path: Path) -> None:
    history = History.open(locations.history_file()).history
    history.log_flare("eyelid", 5, ["stress spike"], now=at("2026-10-02"))
    history.close()
    code, out, _ = run(["report"], capsys)
    assert code == 0
    flat = " ".join(out.split())
    assert "Eyelid or face: no stretch longer than a single day." in flat
    assert (
        "In what was logged in this period, no area had flares on most days for more than three weeks" in flat
    )
    suffixes = [".md", ".html"] + ([".pdf"] if shutil.which("pdftotext") else [])
    pytest.importorskip("fpdf")
    for suffix in suffixes:
        assert run(["report", "--out", str(tmp_path / f"r{suffix}")], capsys)[0] == 0
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "stress spike" in text


def test_a_fifo_in_the_historys_place_is_one_line(isolated_dirs: Path, capsys) -> None:
    path = locations.history_file()
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    code, out, err = run(["report"], capsys)
    assert code == 1
    assert out == ""
    assert "the history cannot be read" in err and "FIFO" in err
    assert len(err.strip().splitlines()) == 1


def test_a_newer_history_is_one_line_in_a_subprocess(isolated_dirs: Path, cli_env) -> None:
    import sqlite3

    path = locations.history_file()
    fill(path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 999")
    db.close()
    done = subprocess.run(
        [sys.executable, "-m", "calmcoach", "report"], capture_output=True, text=True, env=cli_env
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "newer calmcoach" in done.stderr


def test_out_replaces_the_file_the_person_named_and_makes_it_private(
    filled: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "report.md"
    out.write_text("old")
    out.chmod(0o644)
    assert run(["report", "--out", str(out)], capsys)[0] == 0
    assert out.read_text().startswith("# Twitch report for the doctor")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_without_fpdf2_a_pdf_says_how_to_install_it_and_the_others_work(
    filled: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "fpdf", None)  # import fpdf now fails, as when not installed
    code, _, err = run(["report", "--out", str(tmp_path / "r.pdf")], capsys)
    assert code == 1
    assert "pip install '.[report]'" in err
    assert not (tmp_path / "r.pdf").exists()
    assert run(["report", "--out", str(tmp_path / "r.html")], capsys)[0] == 0
    # The app's report falls back to HTML.
    written = write_to_documents(filled, tmp_path / "docs", today=date(2026, 12, 1))
    assert written.name == "calmcoach-report-2026-12-01.html"


def test_the_apps_report_gets_a_dated_name_and_never_overwrites(filled: Path, tmp_path: Path) -> None:
    pytest.importorskip("fpdf")
    documents = tmp_path / "Documents"
    documents.mkdir()
    kept = documents / "calmcoach-report-2026-12-01.pdf"
    kept.write_text("the person's own file")
    first = write_to_documents(filled, documents, today=date(2026, 12, 1))
    second = write_to_documents(filled, documents, today=date(2026, 12, 1))
    assert first.name == "calmcoach-report-2026-12-01-2.pdf"
    assert second.name == "calmcoach-report-2026-12-01-3.pdf"
    assert kept.read_text() == "the person's own file"
    for path in (first, second):
        assert path.read_bytes().startswith(b"%PDF-")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert {p.name for p in documents.iterdir()} == {kept.name, first.name, second.name}


def test_figures_leave_out_rows_whose_time_cannot_be_read(filled: Path) -> None:
    import sqlite3

    db = sqlite3.connect(filled)
    db.execute("INSERT INTO flares (logged_at, area, intensity) VALUES ('not a time', 'leg', 5)")
    # SQLite reads a year 0, which Python's dates do not have.
    db.execute("INSERT INTO flares (logged_at, area, intensity) VALUES ('0000-01-01T00:00:00', 'leg', 5)")
    db.commit()
    db.close()
    report = make_report(filled)
    assert report.figures.flares == 27
    assert report.figures.undated == 2
    assert "2 rows of the history had a time that could not be read" in report.render("text").decode()


@needs_poppler
def test_pdf_writes_what_its_font_cannot_draw_as_escapes(isolated_dirs: Path, tmp_path: Path, capsys) -> None:
    pytest.importorskip("fpdf")
    history = History.open(locations.history_file()).history
    history.log_flare("leg", 4, ["中文 кофе"], "note 中", now=at("2026-10-02"))
    history.close()
    out = tmp_path / "r.pdf"
    code, _, err = run(["report", "--out", str(out)], capsys)
    assert (code, err) == (0, "")
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    # The chart's labels (Helvetica) and the text (DejaVu Sans, no CJK) write what they lack as escapes.
    assert "\\u4e2d\\u6587 \\u043a\\u043e\\u0444\\u0435" in text
    assert "\\u4e2d\\u6587 кофе" in text
    assert "note \\u4e2d" in text


def test_out_naming_a_folder_is_one_line_naming_it(filled: Path, tmp_path: Path, capsys) -> None:
    folder = tmp_path / "report.pdf"
    folder.mkdir()
    code, _, err = run(["report", "--out", str(folder.with_suffix(".md"))], capsys)
    assert code == 0
    code, _, err = run(["report", "--out", str(folder)], capsys)
    assert code == 1
    assert err == f"calmcoach report: could not write the report to {folder}: Is a directory\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_empty_period_is_a_clear_report_in_every_format(filled: Path, tmp_path: Path, capsys) -> None:
    code, out, _ = run(["report", "--since", "2027-01-01"], capsys)
    assert code == 0
    assert "No flares and no sessions were logged in this period." in out
    assert "Before the appointment" in out
    suffixes = [".md", ".html"]
    if shutil.which("pdftotext"):
        pytest.importorskip("fpdf")
        suffixes.append(".pdf")
    for suffix in suffixes:
        path = tmp_path / f"empty{suffix}"
        assert run(["report", "--since", "2027-01-01", "--out", str(path)], capsys)[0] == 0
        text = (
            subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
            if suffix == ".pdf"
            else path.read_text()
        )
        assert "No flares and no sessions were logged in this period." in " ".join(text.split())


def test_text_is_wrapped_to_the_width_given(filled: Path) -> None:
    text = make_report(filled).render("text", 40).decode()
    for line in text.splitlines():
        assert len(line) <= 40 or " " not in line.strip(), line  # only a single long word may stick out
