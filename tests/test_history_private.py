"""The history is health data: only its owner can read it (issue 24, point 3).

Real files under the umask most systems use (022), and a real other user (``nobody``,
through ``setpriv``) trying to read them."""

from __future__ import annotations

import logging
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from calmcoach.data.history import History
from tests.helpers import calmcoach_command

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin") or sys.executable
"""The system's Python, which every user may run (a test's venv may sit in a private folder)."""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def open_to_all() -> Iterator[Path]:
    """A folder every user may look into (pytest's own temp folders are private already)."""
    folder = Path(tempfile.mkdtemp(prefix="history-private-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


def test_a_new_history_and_its_side_files_are_private_whatever_the_umask(umask_022, open_to_all) -> None:
    path = open_to_all / "data" / "calmcoach" / "history.sqlite3"
    history = History.open(path).history
    try:
        history.log_flare("eyelid", 3, ["caffeine"], "a private note")
        wal, shm = (path.with_name(path.name + suffix) for suffix in ("-wal", "-shm"))
        assert wal.exists() and shm.exists()  # the connection is still open
        assert (mode(path), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
        assert mode(path.parent) == 0o700
    finally:
        history.close()


def test_wider_rights_are_tightened_on_first_open_once_and_logged(
    umask_022, open_to_all, caplog: pytest.LogCaptureFixture
) -> None:
    folder = open_to_all / "data"
    path = folder / "history.sqlite3"
    History.open(path).history.close()
    folder.chmod(0o755)
    path.chmod(0o644)
    caplog.set_level(logging.INFO)
    History.open(path).history.close()
    assert (mode(folder), mode(path)) == (0o700, 0o600)
    said = [record.getMessage() for record in caplog.records if "made private" in record.getMessage()]
    assert said == [
        f"{folder}: made private: only you can open it now",
        f"{path}: made private: only you can read it now",
    ]
    caplog.clear()
    History.open(path).history.close()
    assert not [record for record in caplog.records if "made private" in record.getMessage()]


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")
def test_another_user_cannot_read_the_history(umask_022, open_to_all, cli_env) -> None:
    data = open_to_all / "data"
    env = {**cli_env, "CALMCOACH_DATA_DIR": str(data)}
    logged = subprocess.run(
        [*calmcoach_command(), "log", "eyelid", "--intensity", "3", "--note", "a private note"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert logged.returncode == 0, logged.stderr
    path = data / "history.sqlite3"
    read = "import sys; print(open(sys.argv[1], 'rb').read().count(b'a private note'))"
    for target in (path, data):
        attempt = subprocess.run(
            [
                *NOBODY,
                SYSTEM_PYTHON,
                "-I",
                "-c",
                read if target == path else "import os, sys; os.listdir(sys.argv[1])",
                str(target),
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert attempt.returncode != 0 and "PermissionError" in attempt.stderr, attempt
    # The owner still reads it.
    shown = subprocess.run(
        [*calmcoach_command(), "history"], capture_output=True, text=True, env=env, timeout=30
    )
    assert "a private note" in shown.stdout


def test_calmcoach_history_tightening_wider_rights_says_so_in_the_log_once(
    umask_022, open_to_all, cli_env
) -> None:
    data = open_to_all / "data"
    env = {**cli_env, "CALMCOACH_DATA_DIR": str(data)}
    path = data / "history.sqlite3"
    History.open(path).history.close()
    data.chmod(0o755)
    path.chmod(0o644)
    for _ in range(2):
        shown = subprocess.run(
            [*calmcoach_command(), "history"], capture_output=True, text=True, env=env, timeout=30
        )
        assert shown.returncode == 0, shown.stderr
    assert (mode(data), mode(path)) == (0o700, 0o600)
    log = (Path(env["CALMCOACH_STATE_DIR"]) / "calmcoach.log").read_text()
    assert [line.split(": ", 1)[1] for line in log.splitlines() if "made private" in line] == [
        f"{data}: made private: only you can open it now",
        f"{path}: made private: only you can read it now",
    ]
