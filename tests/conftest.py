"""Shared fixtures: every test runs with its own config, data and state dirs.

Helpers that tests import live in tests/helpers.py, not here.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from calmcoach.data import locations, logfile
from calmcoach.data.history import History
from calmcoach.data.library import load_default_library, sound_names
from calmcoach.data.loader import Library
from calmcoach.domain.planner import PlanOptions, Timeline, plan

REPO = Path(__file__).resolve().parent.parent

# In CI every run tries the same examples (no seed drawn, no database of past failures
# carried between runs), so a red run means the code changed, not the dice.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
IN_CI = os.environ.get("CI", "").lower() == "true"
if IN_CI:
    settings.load_profile("ci")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """In CI every test runs: a skip (a missing system package, say) is named here."""
    if IN_CI:
        for report in terminalreporter.stats.get("skipped", []):
            terminalreporter.write_line(f"CI: {report.nodeid} was skipped, and in CI every test must run")


REAL_TIME = frozenset(
    {
        "tests/test_audio.py",
        "tests/test_cue_faults.py",
        "tests/test_voice.py",
        "tests/test_voice_engines.py",
        "tests/remind/test_end_to_end.py",
        "tests/remind/test_faults.py",
        "tests/remind/test_xidle.py",  # the X server's idle time is real time
    }
)
"""Files whose tests time real things (a sound's start, a player's or a D-Bus server's
reply within its limit): on one xdist worker, one after another (pyproject's addopts has
``--dist loadgroup``), so under ``-n auto`` they never run beside each other."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.relative_to(REPO).as_posix() in REAL_TIME or item.get_closest_marker("audio"):
            item.add_marker(pytest.mark.xdist_group("real-time"))
        if "snap_compare" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.snapshot)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a run that skipped a test fails (.ci/run installs what every test needs)."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if IN_CI and skipped and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point calmcoach's config, data, state and cache dirs at a fresh temp dir."""
    home = tmp_path / "calmcoach-home"
    monkeypatch.setenv("CALMCOACH_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("CALMCOACH_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("CALMCOACH_STATE_DIR", str(home / "state"))
    monkeypatch.setenv("CALMCOACH_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("CALMCOACH_DOCUMENTS_DIR", str(home / "documents"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TEXTUAL_ANIMATIONS", raising=False)
    monkeypatch.setenv("TZ", "UTC")  # history groups by local day: keep it fixed
    time.tzset()
    return home


@pytest.fixture
def user_exercises(isolated_dirs: Path) -> Path:
    """The (created) user exercises dir."""
    path = locations.user_exercises_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def library() -> Library:
    """The built-in library (plus nothing from the user)."""
    return load_default_library()


@pytest.fixture
def sounds() -> frozenset[str]:
    return sound_names()


@pytest.fixture
def cli_env(isolated_dirs: Path) -> Iterator[dict[str, str]]:
    """Environment for running the CLI in a subprocess, isolated like the tests."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    yield env


@pytest.fixture(autouse=True)
def no_log_left_behind() -> Iterator[None]:
    """A test that runs a command in-process (``cli.main``) starts calmcoach's log file;
    the handler it adds would outlive the test and its temp dir, and make a later test's
    ``logfile.start`` a no-op. Put the logger back as it was."""
    import logging

    logger = logging.getLogger("calmcoach")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    yield
    for handler in logger.handlers[:]:
        if handler not in handlers:
            logger.removeHandler(handler)
            handler.close()
    logger.setLevel(level)
    logger.propagate = propagate


@pytest.fixture
def two_minutes(library: Library) -> Timeline:
    """The 4-2-6 drill planned for two minutes."""
    return plan(library.exercises["breathing-4-2-6"], PlanOptions(minutes=2))


@pytest.fixture
def made(tmp_path: Path) -> Path:
    """A history file with calmcoach's schema and nothing in it."""
    path = tmp_path / "h.sqlite3"
    History.open(path).history.close()
    return path


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """What calmcoach logs (on its own logger: the log file's start stops propagation)."""
    caplog.set_level(logging.INFO, logger="calmcoach")
    propagate = logfile.log.propagate
    logfile.log.propagate = False  # each record once, whether a log file was started or not
    logfile.log.addHandler(caplog.handler)
    yield caplog
    logfile.log.removeHandler(caplog.handler)
    logfile.log.propagate = propagate
