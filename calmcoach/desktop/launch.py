"""``calmcoach desktop``: serve the app on 127.0.0.1 and open it in a window.

The server runs on an event loop in a second thread; the main thread opens the window
and waits for it to close, or for Ctrl+C.

The first page's app process (the spare) is started before anything else, and before the
server's modules are imported: importing aiohttp takes about as long as the app's own
start, so the two overlap, and so does the browser's loading of the page.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Literal, TextIO

from calmcoach.desktop.spare import end_spare, start_spare
from calmcoach.desktop.window import (
    LaunchPage,
    end_browser,
    launch_folder,
    no_display,
    open_in_browser,
    open_native_window,
    remove_folder,
    webview_available,
)
from calmcoach.domain.visible import visible

if TYPE_CHECKING:
    from calmcoach.desktop.server import DesktopServer

EXIT_UNSUPPORTED = 2

FILE_LIMIT = 1 << 20
"""The soft limit of open files asked for when the hard limit is infinite."""

WindowKind = Literal["native", "own", "theirs"]
"""pywebview's window; a browser of calmcoach's own (a private profile); or the person's
own browser, asked through an opener (never ended by calmcoach)."""


def unsupported_platform(platform: str | None = None) -> str | None:
    """Why the desktop coach cannot run on ``platform`` (this one by default); None where it can."""
    platform = sys.platform if platform is None else platform
    if platform == "darwin":
        return "the desktop coach is not supported on macOS yet; run calmcoach in a terminal."
    if platform.startswith(("win", "cygwin", "msys")):
        return "the desktop coach is not supported on Windows yet; run calmcoach in a terminal."
    return None


def served_argv(app_args: Sequence[str]) -> list[str]:
    """The app command each page runs: this Python, calmcoach, then the given words as
    separate arguments (never a shell line, so no word is ever interpreted).

    ``-P`` keeps the current folder off the import path: started from a folder that holds
    a ``calmcoach`` folder (a clone of this project, say), the page still runs the
    installed calmcoach, not that one."""
    return [sys.executable, "-P", "-m", "calmcoach", *app_args]


class ServerThread:
    """A ``DesktopServer`` running on its own event loop in a daemon thread."""

    def __init__(self, server: DesktopServer) -> None:
        import asyncio

        self.server = server
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="calmcoach-desktop-server", daemon=True)
        self._started = threading.Event()
        self._stopped = threading.Event()
        self._error: BaseException | None = None
        self.reason = ""
        """Why the server stopped (see ``DesktopServer.reason``)."""

    def start(self) -> str:
        """Start serving; return the page's address."""
        self._thread.start()
        self._started.wait()
        if self._error is not None:
            raise RuntimeError(f"the desktop server did not start: {self._error}") from self._error
        return self.server.url

    def request_stop(self) -> None:
        """Stop serving (safe from any thread and from a signal handler)."""
        if not self._stopped.is_set():
            self._loop.call_soon_threadsafe(self.server.request_stop)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the server has stopped and every app process has ended."""
        return self._stopped.wait(timeout)

    def _run(self) -> None:
        import asyncio

        from calmcoach.desktop.server import OutOfDescriptors

        asyncio.set_event_loop(self._loop)
        self._loop.set_exception_handler(OutOfDescriptors())
        try:
            self._loop.run_until_complete(self._serve())
        finally:
            self._loop.close()
            self._started.set()
            self._stopped.set()

    async def _serve(self) -> None:
        try:
            await self.server.start()
        except (OSError, RuntimeError) as error:
            self._error = error
            return
        finally:
            self._started.set()
        try:
            self.reason = await self.server.wait()
        finally:
            await self.server.close()


def launch(
    app_args: Sequence[str],
    *,
    window: bool = True,
    out: TextIO | None = None,
    first_page_seconds: float = 120.0,
    open_seconds: float = 30.0,
) -> int:
    """Serve ``calmcoach APP_ARGS`` and open it; return when every window is closed.

    With ``window=False`` only the launch page's address is printed (open it yourself).
    A browser that has not shown the page within ``open_seconds`` is reported, and the
    address printed, while the server waits on for ``first_page_seconds`` in all."""
    out = out or sys.stdout
    problem = unsupported_platform()
    if problem is not None:
        print(f"calmcoach: {problem}", file=sys.stderr)
        return EXIT_UNSUPPORTED
    log_path = _start_log()
    _raise_file_limit()
    argv = served_argv(app_args)
    try:
        spare = start_spare(argv)
    except OSError as error:
        print(f"calmcoach: the app could not start: {error}", file=sys.stderr)
        return 1
    try:
        from calmcoach.desktop.server import DesktopServer

        server = DesktopServer(argv, first_page_seconds=first_page_seconds, spare=spare)
    except BaseException:
        end_spare(spare)
        raise
    loaded = threading.Event()
    running = ServerThread(server)
    folder: Path | None = None
    try:
        running.start()
        try:
            folder = launch_folder()
            page = LaunchPage(folder, server.launch_url)
        except OSError as error:
            where = visible(str(error.filename or "its folder"))
            raise RuntimeError(
                f"no private launch page could be made in {where}: {error.strerror}"
            ) from error
    except (OSError, RuntimeError) as error:
        running.request_stop()
        running.wait()
        if server.spare is not None:
            end_spare(server.spare)
        if folder is not None:
            remove_folder(folder)
        print(f"calmcoach: {error}", file=sys.stderr)
        return 1

    def page_loaded() -> None:
        page.remove()  # used: the page and its server know the way on from here
        loaded.set()

    server.on_page_loaded = page_loaded
    restore = _stop_on_signals(running.request_stop)
    opened: subprocess.Popen[Any] | None = None
    kind: WindowKind = "theirs"
    try:
        if not window:
            print(
                f"calmcoach is served. Open this page in a browser on this computer: {page.uri}",
                file=out,
                flush=True,
            )
            print("Only you can read that page.", file=out, flush=True)
            for line in by_address(server.launch_url):
                print(line, file=out, flush=True)
            print("Press Ctrl+C here to stop.", file=out, flush=True)
        else:
            opened, kind = _open_window(server, page, folder, running, loaded, out, log_path, open_seconds)
        while not running.wait(0.25):
            pass
    except KeyboardInterrupt:
        running.request_stop()
        running.wait()
    finally:
        restore()
        _close(opened, kind)
        page.remove()
        remove_folder(folder)
    if running.reason == "no page":
        print("No window connected, so calmcoach stopped.", file=sys.stderr)
        return 1
    return 0


def by_address(launch_url: str) -> list[str]:
    """The terminal's lines offering the launch address itself, for a browser that cannot
    read the launch page (snap browsers cannot read hidden or runtime folders).

    The terminal only: it is the user's own, while every user of the computer can read
    every command line. The address leads to the app only until a page has loaded."""
    return [
        "If the browser cannot open that file (a snap browser may not), open this address "
        f"instead: {launch_url}",
        "It leads to calmcoach only from this computer, and only until a page has loaded.",
    ]


def _start_log() -> Path | None:
    """Log to calmcoach's log file, this process's outside libraries (asyncio, aiohttp,
    textual-serve) included: nothing they report may reach the terminal."""
    import logging

    from calmcoach.data import logfile

    path = logfile.start()
    root = logging.getLogger()
    handlers: list[logging.Handler] = [h for h in logfile.log.handlers if isinstance(h, logging.FileHandler)]
    for handler in handlers or [logging.NullHandler()]:
        if handler not in root.handlers:
            root.addHandler(handler)
    return path


def _raise_file_limit() -> None:
    """Raise the soft limit of open files to the hard one: many connections at once (any
    local process can open them) must not leave the page without a descriptor."""
    import logging
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return
    # No hard limit (RLIM_INFINITY, which is -1 on Linux): a large finite one is enough,
    # and the kernel refuses an infinite soft limit of open files anyway.
    wanted = FILE_LIMIT if hard == resource.RLIM_INFINITY else hard
    if soft >= wanted:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (OSError, ValueError) as error:
        logging.getLogger("calmcoach.desktop").info("the open-file limit stays at %d: %s", soft, error)


def _open_window(
    server: DesktopServer,
    page: LaunchPage,
    folder: Path,
    running: ServerThread,
    loaded: threading.Event,
    out: TextIO,
    log_path: Path | None,
    open_seconds: float,
) -> tuple[subprocess.Popen[Any] | None, WindowKind]:
    """A native window when pywebview can show one, else a browser; say on ``out`` what
    really happened. Return the window's or the browser's process when it was started
    here, and what kind it is."""

    def say(line: str) -> None:
        print(line, file=out, flush=True)

    def stop_when_ended(process: subprocess.Popen[Any]) -> None:
        def watch() -> None:
            process.wait()
            running.request_stop()  # closed: stop at once, without the grace for a reload

        threading.Thread(target=watch, name="calmcoach-window", daemon=True).start()

    where_logged = f"; what it said is in {log_path}" if log_path is not None else ""
    by_hand = f"Open this page in a browser on this computer: {page.uri}"
    if webview_available() and not no_display():
        native = open_native_window(server.launch_url)
        if native is not None:
            say("calmcoach opened in its own window.")
            say("Close it (or press Ctrl+C here) to stop.")
            stop_when_ended(native)
            return native, "native"
        say("pywebview could not show a window here; trying a browser.")
    if no_display():
        say(
            "There is no graphical display here (DISPLAY and WAYLAND_DISPLAY are not set), "
            "so no window opened."
        )
        say(by_hand)
        for line in by_address(server.launch_url):
            say(line)
        say("Press Ctrl+C here to stop.")
        return None, "theirs"
    try:
        opened = open_in_browser(page, folder)
    except OSError as error:
        say(f"The browser could not be started: {visible(str(error))}.")
        opened = None
    if opened is None:
        say("No browser was found (no Chromium-family default browser, $BROWSER or xdg-open).")
        say(by_hand)
        for line in by_address(server.launch_url):
            say(line)
        say("Press Ctrl+C here to stop.")
        return None, "theirs"
    process = opened.process
    kind: WindowKind = "own" if opened.ours else "theirs"
    deadline = time.monotonic() + open_seconds
    while not loaded.wait(0.1):
        code = process.poll()
        failed = code is not None and (code != 0 or opened.ours)
        if failed or running.wait(0) or time.monotonic() > deadline:
            if running.wait(0):
                return process, kind
            if failed:
                say(f"{opened.name} did not show calmcoach (it ended with exit code {code}{where_logged}).")
            else:
                say(f"{opened.name} has not shown calmcoach after {open_seconds:.0f} s{where_logged}.")
            say(by_hand)
            for line in by_address(server.launch_url):
                say(line)
            say("Press Ctrl+C here to stop.")
            if opened.ours and code is None:
                stop_when_ended(process)  # slow to show, but it may yet: its closing still ends calmcoach
            return process, kind
    say(f"calmcoach opened in {opened.how}.")
    if opened.ours:
        say("Close that window (or press Ctrl+C here) to stop.")
        stop_when_ended(process)
    else:
        say("Close its tab or window (or press Ctrl+C here) to stop.")
    return process, kind


def _close(opened: subprocess.Popen[Any] | None, kind: WindowKind) -> None:
    """End calmcoach's own window or browser (the app has quit); a browser that is the
    person's own is left as it is (it may hold their other pages), only reaped."""
    if opened is None:
        return
    if kind == "native" and opened.poll() is None:
        opened.terminate()
        opened.wait()
    elif kind == "own":
        end_browser(opened)
    opened.poll()


def _stop_on_signals(stop: Callable[[], None]) -> Callable[[], None]:
    """Make SIGTERM and SIGHUP stop the server (Ctrl+C arrives as KeyboardInterrupt)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(_signum: int, _frame: FrameType | None) -> None:
        stop()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGHUP)}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore
