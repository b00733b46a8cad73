"""A real, private desktop session for the reminder's end-to-end tests.

Xvfb (a display), a private D-Bus session bus (``dbus-daemon --session``, what
``dbus-run-session`` runs), and dunst as the notification server on it. dunst's
context menu runs a "dmenu" we provide: it keeps the menu dunst offers (the
nudge's actions) and picks the action named in a file, so a test can press
"Start" or "Snooze" through dunst itself, which then emits ActionInvoked on the bus.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={folder}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""
NEEDED = ("Xvfb", "dbus-daemon", "dunst", "dunstctl")
WAIT = 20.0
"""Seconds any wait allows: generous, to catch a hang, not to measure speed."""

DMENU = """#!/bin/sh
cat > "{menu}.part"
choice=$(cat "{choice}" 2>/dev/null)
grep -m1 "^#$choice " "{menu}.part"
mv "{menu}.part" "{menu}"
"""


def need_tools() -> None:
    """Skip (FAIL in CI) when the desktop tools are missing."""
    missing = [tool for tool in NEEDED if shutil.which(tool) is None]
    if missing:
        message = f"missing {', '.join(missing)}: apt-get install dunst dbus dbus-x11 xvfb libnotify-bin desktop-file-utils"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


def wait_for(check: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@dataclass
class Session:
    env: dict[str, str]
    folder: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    bus: subprocess.Popen[bytes] | None = None
    """The session bus's daemon."""

    @property
    def menu(self) -> Path:
        return self.folder / "menu.txt"

    def choose(self, action_title: str) -> None:
        """Pick the action with this title the next time dunst's context menu opens."""
        (self.folder / "choice.txt").write_text(action_title)

    def dunstctl(self, *args: str) -> str:
        return subprocess.run(
            ["dunstctl", *args], env=self.env, capture_output=True, text=True, timeout=WAIT, check=True
        ).stdout.strip()

    def displayed(self) -> int:
        return int(self.dunstctl("count", "displayed"))

    def press(self, action_title: str) -> None:
        """Invoke an action of the nudge on screen through dunst's context menu."""
        self.choose(action_title)
        self.menu.unlink(missing_ok=True)
        self.dunstctl("context")
        wait_for(self.menu.exists, "dunst's context menu")

    def end_bus(self) -> None:
        """End the session bus, as logging out does."""
        assert self.bus is not None
        self.stop(self.bus)

    def received(self) -> list[str]:
        """The bodies of the notifications dunst has shown and closed, oldest first."""
        data = json.loads(self.dunstctl("history"))["data"]
        return [n["body"]["data"] for n in reversed(data[0])] if data else []

    def start(self, command: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(command, env=self.env, **kwargs)  # type: ignore[call-overload]
        self.processes.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(WAIT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(WAIT)


def start_display(session: Session) -> None:
    """Xvfb on a free display, named in the session's environment."""
    xvfb = session.start(
        ["Xvfb", "-displayfd", "1", "-screen", "0", "640x480x24", "-nolisten", "tcp"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert xvfb.stdout is not None
    display = xvfb.stdout.readline().decode().strip()
    assert display.isdigit(), "Xvfb did not say its display"
    session.env["DISPLAY"] = f":{display}"


@contextlib.contextmanager
def desktop_session(folder: Path, *, notifications: bool = True, display: bool = True) -> Iterator[Session]:
    """Xvfb (when ``display``) + a private session bus (+ dunst when ``notifications``,
    which needs the display); all ended afterwards."""
    need_tools()
    folder.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    for key in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY", "XDG_CURRENT_DESKTOP"):
        env.pop(key, None)
    session = Session(env, folder)
    try:
        if display:
            start_display(session)
        # A bus that starts no service by itself (dunst's D-Bus activation file would
        # otherwise bring it up on the first nudge): the test says what runs.
        config = folder / "bus.conf"
        config.write_text(BUS_CONFIG.format(folder=folder))
        bus = session.start(
            ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert bus.stdout is not None
        session.bus = bus
        env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().decode().strip()
        if notifications:
            dmenu = folder / "dmenu.sh"
            dmenu.write_text(DMENU.format(menu=folder / "menu.txt", choice=folder / "choice.txt"))
            dmenu.chmod(0o755)
            config = folder / "dunstrc"
            config.write_text(f"[global]\n    dmenu = {dmenu}\n")
            session.start(
                ["dunst", "-config", str(config)],
                stdout=subprocess.DEVNULL,
                stderr=(folder / "dunst.log").open("wb"),
            )

            def dunst_up() -> bool:
                result = subprocess.run(
                    ["dunstctl", "is-paused"], env=env, capture_output=True, text=True, timeout=WAIT
                )
                return result.stdout.strip() in ("true", "false")

            wait_for(dunst_up, "dunst on the session bus")
        yield session
    finally:
        for process in reversed(session.processes):
            session.stop(process)


def remind_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "calmcoach", "remind", *args]


RECORDER = """import sys, os
with open(sys.argv[1], "a") as out:
    out.write(" ".join(sys.argv[2:]) + "\\n")
"""


def everyday_settings(config_dir: Path, marker: Path, extra: str = "") -> None:
    """A settings file for tests: every day, all day; "Start" runs a recorder writing ``marker``."""
    recorder = config_dir / "recorder.py"
    config_dir.mkdir(parents=True, exist_ok=True)
    recorder.write_text(RECORDER)
    (config_dir / "remind.toml").write_text(
        'from = "00:00"\nuntil = "24:00"\n'
        'days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\n'
        f'start_command = ["{sys.executable}", "{recorder}", "{marker}", "desk-break"]\n' + extra
    )
