"""Opening the served page: a native window through pywebview, else a browser.

With pywebview (the ``desktop`` extra) the page gets a window of its own. Without it
a browser opens the page. A Chromium-family browser is started as calmcoach's own: a
private profile in a folder only this user can enter, and an app window (``--app``: no
tabs, no address bar), so that its process is calmcoach's to end when calmcoach ends.
Any other browser is asked through ``$BROWSER`` or ``xdg-open``.

No browser is handed the server's address on its command line, which every user of the
computer can read in ``/proc``: it gets a launch page, a file only its owner can read
(see ``LaunchPage``), which sends the browser on to the server. What the helpers print
goes to calmcoach's log, never to the terminal.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import IO, Final

from calmcoach.data import locations, safefile
from calmcoach.domain.visible import visible

log = logging.getLogger("calmcoach.desktop")

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

OPENERS: Final = ("xdg-open", "x-www-browser")
"""Programs that open a page in the desktop's default browser, tried in this order."""

HELPER_LINES: Final = 200
"""At most this many lines of a helper's output are logged (the rest is read and dropped)."""

LAUNCH_PAGE: Final = "launch.html"


def _chromium_family(command: str) -> bool:
    name = Path(command).name.lower()
    return any(name == known or name.startswith(f"{known}-") for known in CHROMIUM_FAMILY)


def _browser_variable() -> list[str]:
    """The first of ``$BROWSER``'s choices as words (``%s`` dropped); [] when unset."""
    chosen = os.environ.get("BROWSER", "").split(os.pathsep)[0].strip()
    try:
        return [w for w in shlex.split(chosen) if w != "%s"]
    except ValueError:
        return []


def default_browser_command() -> list[str] | None:
    """The default browser's command when it is a Chromium-family browser, else None.

    ``$BROWSER`` (as Python's webbrowser module reads it) wins; else the desktop's
    default from ``xdg-settings``."""
    if os.environ.get("BROWSER", "").strip():
        words = _browser_variable()
        return words if words and _chromium_family(words[0]) else None
    xdg = shutil.which("xdg-settings")
    if xdg is None:
        return None
    try:
        found = subprocess.run(
            [xdg, "get", "default-web-browser"],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=5,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    entry = found.stdout.strip().removesuffix(".desktop")
    for known in CHROMIUM_FAMILY:
        if entry.lower() == known or entry.lower().startswith(f"{known}-"):
            command = shutil.which(known) or shutil.which(entry)
            return [command] if command else None
    return None


def opener_command() -> list[str] | None:
    """How to ask for the default browser when it is not a Chromium-family one:
    ``$BROWSER``'s first choice, else ``xdg-open``, else ``x-www-browser``."""
    words = _browser_variable()
    if words and shutil.which(words[0]):
        return words
    for name in OPENERS:
        found = shutil.which(name)
        if found:
            return [found]
    return None


def no_display() -> bool:
    """Whether there is no graphical display to open a window on (Linux and the BSDs)."""
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


# --- the launch page -----------------------------------------------------------------


def _usable_runtime_dir() -> Path | None:
    """``$XDG_RUNTIME_DIR`` when it is what the spec promises: an absolute path to a
    folder of this user's that no one else may enter."""
    value = os.environ.get("XDG_RUNTIME_DIR", "")
    if not value or not os.path.isabs(value):
        return None
    try:
        status = os.stat(value)
    except OSError:
        return None
    private = stat.S_ISDIR(status.st_mode) and status.st_uid == os.getuid()
    return Path(value) if private and status.st_mode & 0o077 == 0 else None


def launch_folder() -> Path:
    """A new folder for one launch that only this user can enter (0700, whatever the
    umask), in ``$XDG_RUNTIME_DIR`` when it is usable, else in calmcoach's state dir (made
    private as every folder of calmcoach's is). Raises OSError."""
    base = _usable_runtime_dir() or safefile.private_folder(locations.state_dir())
    return Path(tempfile.mkdtemp(prefix="calmcoach-desktop-", dir=base))  # always 0700


def launch_page_html(url: str) -> str:
    """A page that sends the browser on to ``url`` at once, keeping no history entry."""
    attribute = escape(f"0;url={url}", quote=True)
    script = json.dumps(url).replace("<", "\\u003c")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="referrer" content="no-referrer">'
        f'<meta http-equiv="refresh" content="{attribute}"><title>calmcoach</title>'
        f"<script>location.replace({script});</script></head>"
        '<body style="background:#0c181f"></body></html>\n'
    )


class LaunchPage:
    """The page a browser is given instead of the server's address: a file of mode 0600
    in a private folder, holding the one address that leads to the app.

    Only its owner can read it, so passing its name on a command line tells no one else
    anything. ``remove`` deletes it once a page has loaded (and at the end)."""

    def __init__(self, folder: Path, url: str) -> None:
        self.path = folder / LAUNCH_PAGE
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        descriptor = os.open(self.path, flags, 0o600)
        try:
            os.fchmod(descriptor, 0o600)
            os.write(descriptor, launch_page_html(url).encode("utf-8"))
        finally:
            os.close(descriptor)

    @property
    def uri(self) -> str:
        return self.path.as_uri()

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def remove_folder(folder: Path) -> None:
    """Remove a private folder and what the browser left in it (logged if it cannot be)."""

    def failed(_function: object, path: str, error: BaseException) -> None:
        log.warning("could not remove %s: %s", visible(path), visible(str(error)))

    if sys.version_info >= (3, 12):
        shutil.rmtree(folder, onexc=failed)
    else:  # 3.11 has only onerror (deprecated from 3.12 on)
        shutil.rmtree(folder, onerror=lambda f, p, info: failed(f, p, info[1]))


# --- browsers --------------------------------------------------------------------------


@dataclass
class Opened:
    """A browser (or an opener such as xdg-open) started for the launch page."""

    name: str
    """The program's name, for the terminal ("chromium", "xdg-open")."""
    process: subprocess.Popen[bytes]
    ours: bool
    """Whether it is a browser of calmcoach's own (a private profile): ended with calmcoach."""

    @property
    def how(self) -> str:
        """Where the page opened, in a few words."""
        return f"an app window of {self.name}" if self.ours else f"your browser (asked through {self.name})"


def _log_output(name: str, stream: IO[bytes]) -> None:
    """Log what a helper prints, a line at a time, as visible text; read it to the end
    (a helper must never block on a full pipe) but log only the first lines."""
    count = 0
    with stream:
        for raw in stream:
            count += 1
            if count <= HELPER_LINES:
                log.info("%s: %s", name, visible(raw.decode("utf-8", "replace").rstrip("\r\n")[:400]))
    if count > HELPER_LINES:
        log.info("%s: %d more lines not kept", name, count - HELPER_LINES)


def _start_helper(name: str, argv: list[str]) -> subprocess.Popen[bytes]:
    """Start a helper in a session of its own, its output (both streams) to the log."""
    log.info("starting %s", visible(shlex.join(argv)))
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert process.stdout is not None
    threading.Thread(target=_log_output, args=(name, process.stdout), name=f"log-{name}", daemon=True).start()
    return process


def open_in_browser(page: LaunchPage, folder: Path) -> Opened | None:
    """Open the launch page: in a Chromium-family browser of calmcoach's own when that is
    the default, else through ``$BROWSER`` or ``xdg-open``; None if there is none.
    Raises OSError when the program cannot be started."""
    command = default_browser_command()
    if command is not None:
        profile = folder / "profile"
        argv = [
            *command,
            f"--user-data-dir={profile}",
            "--no-first-run",
            "--no-default-browser-check",
            f"--app={page.uri}",
        ]
        return Opened(Path(command[0]).name, _start_helper(Path(command[0]).name, argv), ours=True)
    opener = opener_command()
    if opener is None:
        return None
    name = Path(opener[0]).name
    return Opened(name, _start_helper(name, [*opener, page.uri]), ours=False)


def end_browser(process: subprocess.Popen[bytes], seconds: float = 5.0) -> None:
    """End a browser of calmcoach's own and every process it started (its process group):
    asked first, then killed if it has not ended within ``seconds``."""
    for sent, wait in ((signal.SIGTERM, seconds), (signal.SIGKILL, seconds)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sent)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(wait)
            break
    # Its helpers (renderers, the zygote) go with it; any left over are ended too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.poll()


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
