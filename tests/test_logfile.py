"""The log file a bug report can include: what the person was told, kept in the state dir."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from calmcoach.data import locations
from tests.helpers import calmcoach_command


def test_a_plain_run_logs_what_it_told_the_person(cli_env: dict[str, str], tmp_path: Path) -> None:
    cli_env["CALMCOACH_ALSA_CAPTURE"] = str(tmp_path / "nothing.raw")
    result = subprocess.run(
        [*calmcoach_command(), "run", "physiological-sigh", "--plain", "--no-sound", "--speed", "50"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    log = (locations.state_dir() / "calmcoach.log").read_text()
    assert "a plain run of physiological-sigh" in log


def test_a_fifo_in_place_of_the_log_is_left_alone_and_nothing_hangs(isolated_dirs: Path) -> None:
    from calmcoach.data import logfile

    path = locations.state_dir() / "calmcoach.log"
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    assert logfile.start(path) is None  # returns at once: a FIFO is never opened
