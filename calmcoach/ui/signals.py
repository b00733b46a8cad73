"""SIGTERM and SIGHUP end the app the way quitting does.

Without a handler either signal kills the process at once: the terminal stays in
the alternate screen with the mouse tracked, the cursor hidden and echo off, and a
running session reads back as interrupted at its last boundary. With these
handlers, the signal asks the app to exit: Textual unmounts the screens (the
session screen records its session as stopped, with the time really done), puts
the terminal back, and the process exits with 128 + the signal's number (143 for
SIGTERM, 129 for SIGHUP), as a shell reports a process ended by that signal.
"""

from __future__ import annotations

import asyncio
import errno
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO, cast

from textual.app import App

if TYPE_CHECKING:
    from textual.driver import Driver

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
"""The signals that end the app cleanly."""


def exit_code(signum: int) -> int:
    """The exit code after stopping for ``signum``: 128 plus its number."""
    return 128 + signum


def install(app: App[Any]) -> bool:
    """Have SIGTERM and SIGHUP exit ``app`` through its own shutdown; call from inside its
    event loop (``on_load``). False where signals cannot be handled (not the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return False
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, _stop, app, signum)
    return True


def _stop(app: App[Any], signum: int) -> None:
    if app.return_code is None:  # the first reason to exit is the one reported
        app.exit(return_code=exit_code(signum))


_GONE = {errno.EIO, errno.EPIPE, errno.ENXIO, errno.EBADF, errno.ENODEV}
"""What writing to a terminal that hung up raises."""


class HangupSafeStream:
    """The app's output: forwards to the terminal until it hangs up, then drops the rest.

    Textual writes from a thread of its own that ends at the first error; the writes
    after it queue up to a limit and then block the app for good, so the app could not
    even exit after a hangup. Dropping output to a terminal that is gone avoids that.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.gone = False
        """True once the terminal has hung up."""

    def _guard(self, action: Callable[[], Any], fallback: Any) -> Any:
        if self.gone:
            return fallback
        try:
            return action()
        except OSError as error:
            if error.errno not in _GONE:
                raise
            self.gone = True
            return fallback

    def write(self, text: str) -> int:
        return int(self._guard(lambda: self._stream.write(text), len(text)))

    def flush(self) -> None:
        self._guard(self._stream.flush, None)

    def fileno(self) -> int:
        return self._stream.fileno()

    def isatty(self) -> bool:
        return bool(self._guard(self._stream.isatty, False))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def hangup_safe(driver_class: type[Driver]) -> type[Driver]:
    """``driver_class``, or in place of Textual's Linux driver one that survives a hangup."""
    try:
        from textual.drivers.linux_driver import LinuxDriver
    except ImportError:  # no termios: not a Unix terminal
        return driver_class
    if driver_class is not LinuxDriver:
        return driver_class

    class HangupSafeDriver(LinuxDriver):
        def __init__(self, app: App[Any], **options: Any) -> None:
            super().__init__(app, **options)
            if self._file is not None:
                self._file = cast(Any, HangupSafeStream(self._file))

    return HangupSafeDriver
