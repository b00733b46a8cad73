"""Idle time from the X server itself: its MIT-SCREEN-SAVER extension, through python-xlib.

For desktops with no D-Bus service that reports idle time (a bare window manager, Xvfb):
the X server counts the time since the last keyboard or pointer input, and other break
reminders read it too. Used only when ``DISPLAY`` is set (and not under Wayland);
python-xlib is in the ``remind`` extra.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from calmcoach.domain.visible import visible

log = logging.getLogger("calmcoach.remind")

TIMEOUT = 1.0
"""Seconds a reading may take: a stuck X server never holds up the reminder."""


class XIdle:
    """One connection to the X server, opened at the first reading and kept."""

    def __init__(self) -> None:
        self._display: Any = None
        self._usable = True
        self._busy = False

    @staticmethod
    def wanted() -> bool:
        """An X session. Not under Wayland: XWayland sees only the input of X windows, so its
        idle time would grow while the person works in Wayland ones."""
        return bool(os.environ.get("DISPLAY")) and not os.environ.get("WAYLAND_DISPLAY")

    async def idle(self) -> float | None:
        """Seconds since the last input the X server saw; None where it cannot be read."""
        if not self._usable or self._busy or not self.wanted():
            return None
        self._busy = True  # a reading still stuck in its thread is never joined by another
        reading = asyncio.ensure_future(asyncio.to_thread(self._read))
        reading.add_done_callback(self._done)
        try:
            return await asyncio.wait_for(asyncio.shield(reading), TIMEOUT)
        except TimeoutError:
            log.info("the X server did not give its idle time in %g s", TIMEOUT)
            return None

    def _done(self, reading: asyncio.Future[float | None]) -> None:
        self._busy = False
        if not reading.cancelled() and reading.exception() is not None:
            log.info("X idle time: %r", reading.exception())

    def _read(self) -> float | None:
        try:
            from Xlib import display as xdisplay  # type: ignore[import-untyped]
            from Xlib.error import ConnectionClosedError, DisplayError, XauthError, XError  # type: ignore[import-untyped]
        except ImportError:
            self._usable = False
            log.info("python-xlib is missing (calmcoach[remind]): X idle time is not read")
            return None
        try:
            if self._display is None:
                opened = xdisplay.Display()
                if not opened.has_extension("MIT-SCREEN-SAVER"):
                    opened.close()
                    self._usable = False
                    log.info("the X server has no MIT-SCREEN-SAVER extension: X idle time is not read")
                    return None
                self._display = opened
                log.info("idle time is read from the X server (MIT-SCREEN-SAVER)")
            info = self._display.screen().root.screensaver_query_info()
            idle = int(info.idle)
        except (
            DisplayError,
            XauthError,
            ConnectionClosedError,
            XError,
            OSError,
            EOFError,
            ValueError,
        ) as error:
            # A display that went away, or would not let us in: tried again at the next look.
            log.info("X idle time cannot be read: %s", visible(str(error))[:200])
            self.close()
            return None
        return idle / 1000.0 if 0 <= idle < 2**32 else None

    def close(self) -> None:
        display, self._display = self._display, None
        if display is not None:
            try:
                display.close()
            except Exception as error:  # python-xlib raises its own kinds on a broken connection
                log.debug("closing the X display: %r", error)
