"""Opening the served page: a native window through pywebview, else the default browser.

With pywebview (the ``desktop`` extra) the page gets a window of its own. Without it
the default browser opens the page; a Chromium-family browser opens it as an app
window (``--app=URL``: no tabs, no address bar), any other browser in a new window.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import webbrowser
from collections.abc import Callable
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


def open_in_browser(url: str) -> str:
    """Open ``url`` in the default browser; return how, in a few words for the terminal."""
    command = default_browser_command()
    if command is not None:
        subprocess.Popen(
            [*command, f"--app={url}"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        return f"an app window of {Path(command[0]).name}"
    if webbrowser.open(url, new=1):
        return "your browser"
    return ""


def webview_available() -> bool:
    """Whether pywebview (the ``desktop`` extra) can be imported."""
    try:
        import webview  # noqa: F401
    except ImportError:
        return False
    return True


def run_webview(url: str, title: str, on_ready: Callable[[Callable[[], None]], None]) -> None:
    """Show ``url`` in a native window and block until it is closed.

    ``on_ready`` receives a function that closes the window from another thread (for
    when the app quits on its own, or Ctrl+C). Raises if no GUI backend works."""
    import webview

    window = webview.create_window(title, url, width=960, height=640, min_size=(480, 320))
    if window is None:
        raise RuntimeError("pywebview made no window")

    def close() -> None:
        window.destroy()

    on_ready(close)
    webview.start()
