"""The report for the doctor from the history screen (Ctrl+S, then d): written to the
documents folder from a real SQLite history, read back with poppler's ``pdftotext``, and
opened with a stand-in ``xdg-open`` (a script that records how it was run)."""

from __future__ import annotations

import logging
import os
import shutil
import stat
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot

from calmcoach.data import locations
from calmcoach.data.history import History
from calmcoach.ui.app import CalmApp
from calmcoach.ui.screens.choice import ChoiceScreen
from calmcoach.ui.screens.home import HomeScreen
from calmcoach.ui.screens.stats import StatsScreen
from tests.ui.helpers import new_app

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")

NOTE = "after the third coffee"
OWN_TRIGGER = "long drive"


@pytest.fixture(autouse=True)
def journal(monkeypatch: pytest.MonkeyPatch) -> Path:
    """A history with flares in two areas (a trigger of the person's own, a note) and a
    rated session; no display, unless a test sets one."""
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    path = locations.history_file()
    path.parent.mkdir(parents=True)
    history = History.open(path).history
    start = datetime.now(UTC) - timedelta(days=10)
    for n in range(4):
        history.log_flare("leg", 3 + n, ["caffeine"], now=start + timedelta(days=n))
    history.log_flare("eyelid", 6, ["poor sleep", OWN_TRIGGER], NOTE, now=start + timedelta(days=5))
    session = history.start_session("breathing-4-2-6", "4-2-6 breathing", 120.0, rating_before=7, now=start)
    history.end_session(session, "finished", seconds=120.0, cycles=1, steps=1, position=120.0, now=start)
    history.rate_session(session, after=3)
    history.close()
    return path


def reports() -> list[Path]:
    folder = locations.documents_dir()
    return sorted(folder.glob("calmcoach-report-*")) if folder.is_dir() else []


def stand_in_opener(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int = 0) -> Path:
    """An ``xdg-open`` first on the PATH that writes its arguments, its session id and
    whether its stdin is a terminal to a file; returns that file."""
    folder = tmp_path / "bin"
    folder.mkdir()
    record = tmp_path / "opened.txt"
    script = folder / "xdg-open"
    script.write_text(
        "#!/bin/sh\n"
        f'{{ printf "%s\\n" "$@"; ps -o sid= -p $$ | tr -d " "; [ -t 0 ] && echo tty || echo no-tty; }} > {record}.part\n'
        f"mv {record}.part {record}\n"
        f"exit {code}\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return record


async def make_report(pilot: Pilot[object]) -> None:
    """Ctrl+S, then d, and wait for the report's worker to finish."""
    await pilot.press("ctrl+s")
    await pilot.app.workers.wait_for_complete()  # the history screen opens in a worker
    await pilot.pause()
    assert isinstance(pilot.app.screen, StatsScreen)
    await pilot.press("d")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def wait_for(pilot: Pilot[object], done: Callable[[], bool], seconds: float = 10.0) -> None:
    """Let the app run until ``done`` (a real process is at work), at most ``seconds``."""
    give_up = time.monotonic() + seconds
    while not done() and time.monotonic() < give_up:
        await pilot.pause(0.05)


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def new() -> CalmApp:
    app, _, _ = new_app()
    return app


async def test_d_writes_the_pdf_to_the_documents_folder_and_says_where(told: Callable[[], list[str]]) -> None:
    app = new()
    async with app.run_test(size=(100, 30)) as pilot:
        await make_report(pilot)
        (written,) = reports()
        assert written.name == f"calmcoach-report-{date.today().isoformat()}.pdf"
        assert stat.S_IMODE(written.stat().st_mode) == 0o600
        text = pdf_text(written)
        assert NOTE in text and OWN_TRIGGER in text and "caffeine" in text and "poor sleep" in text
        assert "Leg" in text and "Eyelid" in text
        assert any(str(written) in notice for notice in told())
        assert isinstance(app.screen, StatsScreen)  # no offer to open: there is no display


async def test_without_a_display_there_is_no_offer_to_open_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = stand_in_opener(tmp_path, monkeypatch)
    app = new()
    async with app.run_test(size=(100, 30)) as pilot:
        await make_report(pilot)
        assert len(reports()) == 1
        assert isinstance(app.screen, StatsScreen)
        await pilot.press("o")
        assert not record.exists()


async def test_with_a_display_open_runs_xdg_open_on_the_file_detached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = stand_in_opener(tmp_path, monkeypatch)
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setenv("CALMCOACH_DOCUMENTS_DIR", str(tmp_path / "my\x1b[2Jdocuments"))
    app = new()
    async with app.run_test(size=(100, 30)) as pilot:
        await make_report(pilot)
        (written,) = reports()
        assert isinstance(app.screen, ChoiceScreen)  # it names the file, made visible
        assert str(written).replace("\x1b", "\\x1b") in app.screen.question
        assert "\x1b" not in app.screen.question
        await pilot.press("o")
        await wait_for(pilot, record.exists)
        assert isinstance(app.screen, StatsScreen)
    argument, session, terminal = record.read_text().splitlines()
    assert argument == str(written)
    assert int(session) != os.getsid(0) and terminal == "no-tty"


async def test_escape_closes_the_offer_and_runs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = stand_in_opener(tmp_path, monkeypatch)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    app = new()
    async with app.run_test(size=(100, 30)) as pilot:
        await make_report(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, StatsScreen)
    assert not record.exists()


async def test_an_opener_that_fails_is_one_notice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, told: Callable[[], list[str]]
) -> None:
    record = stand_in_opener(tmp_path, monkeypatch, code=3)
    monkeypatch.setenv("DISPLAY", ":99")
    app = new()
    async with app.run_test(size=(100, 30)) as pilot:
        await make_report(pilot)
        await pilot.press("o")
        await wait_for(pilot, lambda: any("could not be opened" in notice for notice in told()))
    assert record.exists()
    failures = [notice for notice in told() if "could not be opened" in notice]
    assert len(failures) == 1 and "ended with 3" in failures[0]


async def test_an_unreadable_history_is_one_notice_and_logged_with_its_cause(
    journal: Path, told: Callable[[], list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    app = new()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        # Another program puts a FIFO where the history was, while the app has it open.
        for path in journal.parent.glob(journal.name + "*"):
            path.unlink()
        os.mkfifo(journal)
        await pilot.press("d")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, StatsScreen)
    assert reports() == []
    (failure,) = [notice for notice in told() if "No report was made" in notice]
    assert "FIFO" in failure
    logged = [
        r for r in caplog.records if r.levelno == logging.WARNING and "history could not be read" in r.message
    ]
    assert logged and logged[0].exc_info is not None


async def test_a_documents_folder_that_cannot_be_made_is_one_notice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, told: Callable[[], list[str]]
) -> None:
    blocked = tmp_path / "a file\x1b[31m"
    blocked.write_text("not a folder")
    monkeypatch.setenv("CALMCOACH_DOCUMENTS_DIR", str(blocked / "Documents"))
    app = new()
    async with app.run_test(size=(100, 30)) as pilot:
        await make_report(pilot)
        assert isinstance(app.screen, StatsScreen)
    (failure,) = [notice for notice in told() if "No report was made" in notice]
    assert "a file\\x1b[31m" in failure and "\x1b" not in failure


async def test_a_second_report_the_same_day_gets_a_new_name() -> None:
    app = new()
    async with app.run_test(size=(100, 30)) as pilot:
        await make_report(pilot)
        await pilot.press("d")
        await app.workers.wait_for_complete()
        await pilot.pause()
    day = date.today().isoformat()
    assert [path.name for path in reports()] == [
        f"calmcoach-report-{day}-2.pdf",
        f"calmcoach-report-{day}.pdf",
    ]
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in reports())


async def test_with_history_off_d_says_so_and_writes_nothing() -> None:
    app, _, _ = new_app(history=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await make_report(pilot)
        assert isinstance(app.screen, StatsScreen)
        assert "nothing to report" in " ".join(str(n.message) for n in app._notifications)
    assert reports() == []


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The real report, held in its thread until the test sets the event it gives."""
    from calmcoach.services import report

    release = threading.Event()
    real = report.write_to_documents

    def after_release(history: Path, documents: Path, today: date | None = None) -> Path:
        release.wait(10)
        return real(history, documents, today)

    monkeypatch.setattr(report, "write_to_documents", after_release)
    yield release
    release.set()


async def test_keys_work_while_it_is_written_and_a_second_press_waits_for_the_first(
    held: threading.Event, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, told: Callable[[], list[str]]
) -> None:
    record = stand_in_opener(tmp_path, monkeypatch)
    monkeypatch.setenv("DISPLAY", ":99")
    app = new()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.press("d", "d")
        assert "Report for the doctor: The report is still being written." in told()
        await pilot.press("escape")  # the app answers keys while the report is written
        assert isinstance(app.screen, HomeScreen)
        held.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        (written,) = reports()
        assert any(str(written) in notice for notice in told())
        # Not over the library (or a session): the offer belongs to the history screen.
        assert isinstance(app.screen, HomeScreen)
    assert not record.exists()
