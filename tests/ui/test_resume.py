"""Ctrl+Z and ``fg`` with the real app in a real terminal (tmux), not Pilot.

Pilot has no terminal to clear, so only a real one shows whether every line comes
back after the process is stopped and continued.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from calmcoach.data import locations
from tests.helpers import calmcoach_command

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

WAIT = 20.0
"""Hang guard for each wait below: far above the second or so each step takes, so a
busy machine does not fail the test, while a hung app still ends it."""


class Tmux:
    """One tmux server on its own socket, with one window running a shell."""

    def __init__(self, socket: Path) -> None:
        self.socket = socket

    def run(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-S", str(self.socket), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return done.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "t")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "t", *keys)

    def wait_for(self, ready: Callable[[str], bool], what: str) -> str:
        """The screen once ``ready`` holds for it (polled; fails after WAIT seconds)."""
        deadline = time.monotonic() + WAIT
        screen = self.screen()
        while not ready(screen):
            if time.monotonic() > deadline:
                pytest.fail(f"waited {WAIT:g} s for {what}; the screen shows:\n{screen}")
            time.sleep(0.1)
            screen = self.screen()
        return screen


@pytest.fixture
def tmux(tmp_path: Path, cli_env: dict[str, str]) -> Iterator[Tmux]:
    """A shell in a detached 80x24 tmux window, with calmcoach's isolated dirs."""
    # The first-run note is seen already: home is the first screen.
    settings = locations.settings_file()
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"first_run_seen": True}), "utf-8")
    env = {key: value for key, value in cli_env.items() if not key.startswith("TMUX")}
    env["TERM"] = "xterm-256color"
    env["PS1"] = "shell$ "
    server = Tmux(tmp_path / "tmux.sock")
    window = ["-x", "80", "-y", "24", "env", *[f"{k}={v}" for k, v in env.items()]]
    shell = ["bash", "--norc", "--noprofile", "-i"]
    subprocess.run(
        [
            "tmux",
            "-S",
            str(server.socket),
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "t",
            *window,
            *shell,
        ],
        check=True,
        timeout=10,
    )
    try:
        server.wait_for(lambda screen: "shell$" in screen, "the shell prompt")
        yield server
    finally:
        subprocess.run(["tmux", "-S", str(server.socket), "kill-server"], capture_output=True, timeout=10)


def _home_is_whole(screen: str) -> bool:
    lines = screen.splitlines()
    return (
        bool(lines)
        and lines[0].lstrip().startswith("calmcoach")
        and any("Type to filter" in line for line in lines[:4])
        and any("Quit" in line and "palette" in line for line in lines[-3:])
    )


def test_ctrl_z_then_fg_redraws_every_line_of_home(tmux: Tmux) -> None:
    tmux.keys(shlex.join(calmcoach_command()), "Enter")
    before = tmux.wait_for(_home_is_whole, "home")
    tmux.keys("C-z")
    tmux.wait_for(lambda screen: "Stopped" in screen, "the shell to report the stopped job")
    tmux.keys("fg", "Enter")
    # Before the fix, nothing came back but the lines something later changed; the
    # title, the filter line and the key bar stayed blank until a resize.
    after = tmux.wait_for(_home_is_whole, "home to be drawn again after fg")
    assert after.splitlines()[0] == before.splitlines()[0]
    tmux.keys("C-q")
    tmux.wait_for(lambda screen: screen.rstrip().endswith("shell$"), "calmcoach to quit")
