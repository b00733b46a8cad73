"""calmcoach's files tell of a person's health: only their owner can read them.

Folders 0700 and files 0600 whatever the umask (these tests run under umask 022, the
usual one), checked by mode and by reading them as another user (uid 65534, nobody,
through ``setpriv``) from a home that everyone may enter, as a real home is. Files and
folders made before this, with wider rights, are tightened when calmcoach first opens
them, and the log says so once.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from calmcoach.data import locations, logfile, safefile, settings
from calmcoach.data.library import load_default_library
from calmcoach.remind import control
from calmcoach.services import presence
from tests.helpers import calmcoach_command

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def another_user_reads(path: Path) -> bool:
    """Can uid 65534 read ``path``? (``cat`` as that user, in a real process.)"""
    done = subprocess.run([*NOBODY, "cat", str(path)], capture_output=True, timeout=20, check=False)
    return done.returncode == 0


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def open_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """calmcoach's four folders inside a folder every user may enter (as a home is; the
    test's own temp dir is 0700, which would hide everything whatever calmcoach did)."""
    if os.getuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("reading as another user needs root and setpriv")
    home = Path(tempfile.mkdtemp(prefix="calmcoach-open-home-", dir="/tmp"))
    home.chmod(0o755)
    for name in ("config", "data", "state", "cache"):
        monkeypatch.setenv(f"CALMCOACH_{name.upper()}_DIR", str(home / name))
    yield home
    shutil.rmtree(home)


def test_the_home_is_open_to_others_so_the_checks_below_mean_something(open_home: Path) -> None:
    (open_home / "open.txt").write_text("anyone")
    assert another_user_reads(open_home / "open.txt")


def test_a_plain_run_keeps_its_log_private(open_home: Path) -> None:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["CALMCOACH_ALSA_CAPTURE"] = str(open_home / "nothing.raw")
    result = subprocess.run(
        [*calmcoach_command(), "run", "physiological-sigh", "--plain", "--no-sound", "--speed", "50"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    log = open_home / "state" / "calmcoach.log"
    assert "a plain run of physiological-sigh" in log.read_text()
    assert mode(log) == 0o600 and mode(log.parent) == 0o700
    assert not another_user_reads(log)


def test_settings_are_private(open_home: Path) -> None:
    assert settings.save(settings.Settings(first_run_seen=True, theme="nord")) is None
    path = locations.settings_file()
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert not another_user_reads(path)


def test_the_reminders_state_and_log_are_private(open_home: Path) -> None:
    from calmcoach.remind import command, main

    control.write_pause(datetime.now(UTC) + timedelta(hours=1))
    command._log_to_state_dir()
    handlers = [h for h in main.log.handlers if isinstance(h, logfile.PrivateLogHandler)]
    try:
        main.log.info("paused for an hour")
        state, log = control.state_path(), locations.state_dir() / "remind.log"
        assert mode(state) == 0o600 and mode(log) == 0o600 and mode(state.parent) == 0o700
        assert not another_user_reads(state) and not another_user_reads(log)
    finally:
        for handler in handlers:
            main.log.removeHandler(handler)
            handler.close()


def test_the_presence_lock_the_nudge_and_the_player_log_are_private(open_home: Path) -> None:
    held = presence.AppPresence.hold()
    try:
        assert held.held
        presence.post_nudge(datetime.now(UTC))
        for path in (presence.lock_file(), presence.nudge_file()):
            assert mode(path) == 0o600, path
        assert mode(locations.state_dir()) == 0o700
    finally:
        held.release()
    with safefile.open_for_append(locations.state_dir() / "audio-player.log") as out:
        out.write(b"a line\n")
    assert mode(locations.state_dir() / "audio-player.log") == 0o600


def test_the_caches_folders_are_private(open_home: Path) -> None:
    load_default_library()  # saves the parse cache
    parsed = locations.parse_cache_file()
    assert mode(parsed) == 0o600 and mode(parsed.parent) == 0o700
    clip = locations.cache_dir() / "voice" / "0123.wav"
    safefile.write_atomic(clip, b"RIFF")  # as the voice keeps a rendered line
    assert mode(clip.parent) == 0o700
    assert not another_user_reads(parsed) and not another_user_reads(clip)


def test_folders_missing_above_ours_are_made_private_but_others_are_left(open_home: Path) -> None:
    (open_home / "shared").mkdir(mode=0o755)
    safefile.write_atomic(open_home / "shared" / "new" / "deeper" / "file", b"x")
    assert mode(open_home / "shared") == 0o755  # not calmcoach's: left as it was
    assert mode(open_home / "shared" / "new") == 0o700 == mode(open_home / "shared" / "new" / "deeper")


def wide(path: Path, text: str = "old\n") -> Path:
    """A file as calmcoach made them before (0644, in a 0755 folder)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    path.parent.chmod(0o755)
    path.write_text(text)
    path.chmod(0o644)
    return path


def test_an_older_wider_log_and_state_dir_are_tightened_once_and_the_log_says_so(open_home: Path) -> None:
    log = wide(locations.state_dir() / "calmcoach.log")
    old = wide(locations.state_dir() / "calmcoach.log.1")
    assert another_user_reads(log)  # as it was before
    try:
        assert logfile.start() == log
        logfile.log.info("the app starts")
    finally:
        for handler in [h for h in logfile.log.handlers if isinstance(h, logfile.PrivateLogHandler)]:
            logfile.log.removeHandler(handler)
            handler.close()
    assert mode(log) == 0o600 and mode(old) == 0o600 and mode(log.parent) == 0o700
    assert not another_user_reads(log)
    text = log.read_text()
    assert text.startswith("old\n")  # nothing lost
    made_private = [line for line in text.splitlines() if "made private" in line]
    assert len(made_private) == 3, text  # the folder, the log, the one before
    assert f"{log.parent}: made private" in made_private[0]
    try:
        logfile.start()
        logfile.log.info("the app starts again")
    finally:
        for handler in [h for h in logfile.log.handlers if isinstance(h, logfile.PrivateLogHandler)]:
            logfile.log.removeHandler(handler)
            handler.close()
    assert log.read_text().count("made private") == 3  # once: it is private now


def test_older_wider_settings_and_config_dir_are_tightened_on_load(
    open_home: Path, logged: pytest.LogCaptureFixture
) -> None:
    path = wide(locations.settings_file(), '{"first_run_seen": true}')
    assert settings.load().first_run_seen
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert not another_user_reads(path)
    assert [r.getMessage() for r in logged.records] == [
        f"{path.parent}: made private: only you can open it now",
        f"{path}: made private: only you can read it now",
    ]


def test_older_wider_reminder_state_is_tightened_when_read(
    open_home: Path, logged: pytest.LogCaptureFixture
) -> None:
    until = datetime.now(UTC) + timedelta(hours=1)
    path = wide(control.state_path(), f"paused_until = {until.isoformat(timespec='seconds')}\n")
    paused, problem = control.read_pause(datetime.now(UTC))
    assert paused is not None and problem is None
    assert mode(path) == 0o600 and not another_user_reads(path)
    assert any("made private" in r.getMessage() for r in logged.records)


def test_an_older_wider_cache_folder_is_tightened(open_home: Path) -> None:
    wide(locations.parse_cache_file(), "{}")
    load_default_library()
    assert mode(locations.cache_dir()) == 0o700
    assert not another_user_reads(locations.parse_cache_file())


def test_someone_elses_folder_is_not_changed(open_home: Path) -> None:
    theirs = open_home / "theirs"
    theirs.mkdir(mode=0o755)
    os.chown(theirs, 65534, 65534)
    safefile.make_private(theirs)
    assert mode(theirs) == 0o755


def test_a_log_started_again_after_it_grew_too_large_is_private_too(open_home: Path) -> None:
    path = locations.state_dir() / "remind.log"
    handler = logfile.private_handler(path, max_bytes=200)
    try:
        for number in range(10):  # about 60 bytes a line: rotated several times
            handler.handle(logging.makeLogRecord({"msg": f"line {number}", "levelno": logging.INFO}))
    finally:
        handler.close()
    kept = path.with_name("remind.log.1")
    assert "line 9" in path.read_text() and kept.exists()
    assert mode(path) == 0o600 == mode(kept)
    assert not another_user_reads(path) and not another_user_reads(kept)
