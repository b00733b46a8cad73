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
from collections.abc import Callable, Sequence
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from calmcoach.desktop.spare import end_spare, start_spare
from calmcoach.desktop.window import open_in_browser, open_native_window, webview_available

if TYPE_CHECKING:
    from calmcoach.desktop.server import DesktopServer

EXIT_UNSUPPORTED = 2


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

        asyncio.set_event_loop(self._loop)
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
) -> int:
    """Serve ``calmcoach APP_ARGS`` and open it; return when every window is closed.

    With ``window=False`` only the address is printed (open it yourself)."""
    out = out or sys.stdout
    problem = unsupported_platform()
    if problem is not None:
        print(f"calmcoach: {problem}", file=sys.stderr)
        return EXIT_UNSUPPORTED
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
    running = ServerThread(server)
    try:
        running.start()
        url = server.launch_url
    except (OSError, RuntimeError) as error:
        if server.spare is not None:
            end_spare(server.spare)
        print(f"calmcoach: {error}", file=sys.stderr)
        return 1
    restore = _stop_on_signals(running.request_stop)
    opened: subprocess.Popen[Any] | None = None
    native = False
    try:
        if not window:
            print(f"calmcoach is served at {url}", file=out, flush=True)
            print("Open it in a browser on this computer. Press Ctrl+C here to stop.", file=out, flush=True)
        else:
            opened, native = _open_window(url, running, out)
        while not running.wait(0.25):
            pass
    except KeyboardInterrupt:
        running.request_stop()
        running.wait()
    finally:
        restore()
        _close(opened, native)
    if running.reason == "no page":
        print("No window connected, so calmcoach stopped.", file=sys.stderr)
        return 1
    return 0


def _open_window(url: str, running: ServerThread, out: TextIO) -> tuple[subprocess.Popen[Any] | None, bool]:
    """A native window when pywebview can show one, else the default browser: the window's
    or the browser's process when it was started here, and whether it is the native window."""
    if webview_available():
        native = open_native_window(url)
        if native is not None:
            print("calmcoach opened in its own window.", file=out, flush=True)
            print("Close it (or press Ctrl+C here) to stop.", file=out, flush=True)

            def stop_when_closed() -> None:
                native.wait()
                running.request_stop()  # closed: stop at once, without the grace for a reload

            threading.Thread(target=stop_when_closed, name="calmcoach-window", daemon=True).start()
            return native, True
        print("pywebview could not show a window here; using the browser.", file=out, flush=True)
    how, browser = open_in_browser(url)
    if how:
        print(f"calmcoach opened in {how}.", file=out, flush=True)
        print("Close that window (or press Ctrl+C here) to stop.", file=out, flush=True)
    else:
        print(f"No browser could be opened. Open this address yourself: {url}", file=out, flush=True)
    return browser, False


def _close(opened: subprocess.Popen[Any] | None, native: bool) -> None:
    """Close calmcoach's own native window (the app has quit); a browser is left as it is
    (it may hold the person's other pages), only reaped if it has exited."""
    if opened is None:
        return
    if native and opened.poll() is None:
        opened.terminate()
        opened.wait()
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
