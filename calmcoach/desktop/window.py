"""Opening the served page: a native window through pywebview, else the default browser.

With pywebview (the ``desktop`` extra) the page gets a window of its own. Without it
the default browser opens the page; a Chromium-family browser opens it as an app
window (``--app=URL``: no tabs, no address bar), any other browser in a new window.
"""

from __future__ import annotations

import os
import select
import shlex
import shutil
import subprocess
import sys
import webbrowser
from pathlib import Path
from typing import Final

CHROMIUM_FAMILY: Final = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "brave-browser",
    "microsoft-edge",
    "vivaldi",
)
"""Browsers that open a page as an app window with ``--app=URL``."""


def _chromium_family(command: str) -> bool:
    name = Path(command).name.lower()
    return any(name == known or name.startswith(f"{known}-") for known in CHROMIUM_FAMILY)


def default_browser_command() -> list[str] | None:
    """The default browser's command when it is a Chromium-family browser, else None.

    ``$BROWSER`` (as Python's webbrowser module reads it) wins; else the desktop's
    default from ``xdg-settings``."""
    chosen = os.environ.get("BROWSER", "").split(os.pathsep)[0].strip()
    if chosen:
        words = [w for w in shlex.split(chosen) if w != "%s"]
        return words if words and _chromium_family(words[0]) else None
    xdg = shutil.which("xdg-settings")
    if xdg is None:
        return None
    try:
        found = subprocess.run(
            [xdg, "get", "default-web-browser"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    entry = found.stdout.strip().removesuffix(".desktop")
    for known in CHROMIUM_FAMILY:
        if entry.lower() == known or entry.lower().startswith(f"{known}-"):
            command = shutil.which(known) or shutil.which(entry)
            return [command] if command else None
    return None


def open_in_browser(url: str) -> tuple[str, subprocess.Popen[bytes] | None]:
    """Open ``url`` in the default browser; return how, in a few words for the terminal
    ("" if no browser opened), and the browser process when it was started here."""
    command = default_browser_command()
    if command is not None:
        browser = subprocess.Popen(
            [*command, f"--app={url}"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        return f"an app window of {Path(command[0]).name}", browser
    if webbrowser.open(url, new=1):
        return "your browser", None
    return "", None


def webview_available() -> bool:
    """Whether pywebview (the ``desktop`` extra) is installed (not whether it can show a window)."""
    from importlib.util import find_spec

    return find_spec("webview") is not None


NATIVE_WINDOW = (sys.executable, "-P", "-m", "calmcoach.desktop.native")
"""The command of the native window's process."""

WINDOW_SECONDS = 30.0
"""How long the native window may take to appear before the browser is used instead."""

OPENED = "window shown"
"""What the window process prints once its window is on the screen."""


def open_native_window(url: str) -> subprocess.Popen[str] | None:
    """Show ``url`` in pywebview's window, in a process of its own; None if it cannot.

    A process of its own, because a GUI toolkit that cannot start (no GTK bindings, a
    missing Qt library) may abort the whole process. The address goes through a pipe,
    not the command line, where other users could read the secret. The window process
    ends when its window is closed."""
    process = subprocess.Popen(
        [*NATIVE_WINDOW],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(url + "\n")
        process.stdin.close()
    except BrokenPipeError:
        pass
    ready, _, _ = select.select([process.stdout], [], [], WINDOW_SECONDS)
    if ready and process.stdout.readline().strip() == OPENED:
        return process
    process.kill()
    process.wait()
    return None
