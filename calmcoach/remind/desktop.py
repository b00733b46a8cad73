"""What the desktop says: locked or idle (away), do not disturb, and its notification server.

Read over D-Bus with dbus-fast (it comes with desktop-notifier in the ``remind`` extra),
asking each source that desktops offer and keeping the first answer:

- locked: ``org.freedesktop.ScreenSaver.GetActive`` (KDE, Xfce, LXQt, and others),
  ``org.gnome.ScreenSaver.GetActive`` (GNOME), logind's session ``LockedHint``;
- idle: ``org.gnome.Mutter.IdleMonitor.GetIdletime`` (GNOME),
  ``org.freedesktop.ScreenSaver.GetSessionIdleTime`` (KDE), logind's ``IdleHint`` and
  ``IdleSinceHint`` (where the desktop reports idleness to logind);
- do not disturb, from the notification server itself: dunst's ``paused`` property,
  the ``Inhibited`` property (KDE Plasma); for GNOME the ``show-banners`` setting (read
  with ``gsettings``), mako's mode (``makoctl mode``) and Xfce's ``do-not-disturb``
  (``xfconf-query``).

Where none answers, that part is unknown (None) and never counts as away or quiet.
Every call has a short timeout: a stuck service never holds up the reminder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import time
from typing import Any

from calmcoach.remind.schedule import Seen

log = logging.getLogger("calmcoach.remind")

CALL_TIMEOUT = 1.0
"""Seconds any one D-Bus call or helper command may take."""
NOTIFICATIONS = ("org.freedesktop.Notifications", "/org/freedesktop/Notifications")


def dbus_available() -> bool:
    """Is dbus-fast installed (the ``remind`` extra)?"""
    try:
        import dbus_fast  # noqa: F401
    except ImportError:
        return False
    return True


class Desktop:
    """A connection to the session bus (and the system bus, for logind), opened lazily."""

    def __init__(self) -> None:
        self._session: Any = None
        self._system: Any = None
        self._tried_system = False
        self.server: tuple[str, str] | None = None
        """The notification server's (name, version), once asked."""

    async def connect(self) -> bool:
        """Connect to the session bus; False when there is none (or no dbus-fast)."""
        if self._session is not None:
            return True
        if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") and not os.environ.get("XDG_RUNTIME_DIR"):
            return False
        try:
            from dbus_fast.aio import MessageBus
        except ImportError:
            return False
        try:
            self._session = await asyncio.wait_for(MessageBus().connect(), CALL_TIMEOUT * 3)
        except (OSError, TimeoutError, ValueError, Exception) as error:  # dbus-fast raises its own kinds
            log.info("no session bus: %s", error)
            self._session = None
            return False
        return True

    async def _call(
        self,
        bus: Any,
        destination: str,
        path: str,
        interface: str,
        member: str,
        signature: str = "",
        body: list[Any] | None = None,
    ) -> list[Any] | None:
        """A method call's reply body, or None for an error, no service or a timeout."""
        if bus is None:
            return None
        from dbus_fast import Message, MessageType

        message = Message(
            destination=destination,
            path=path,
            interface=interface,
            member=member,
            signature=signature,
            body=body or [],
        )
        try:
            reply = await asyncio.wait_for(bus.call(message), CALL_TIMEOUT)
        except (TimeoutError, OSError, EOFError) as error:
            log.info("%s.%s: %s", interface, member, error)
            return None
        if reply is None or reply.message_type != MessageType.METHOD_RETURN:
            return None
        return list(reply.body)

    async def _property(self, bus: Any, destination: str, path: str, interface: str, name: str) -> Any:
        body = await self._call(
            bus, destination, path, "org.freedesktop.DBus.Properties", "Get", "ss", [interface, name]
        )
        return None if not body else getattr(body[0], "value", None)

    # --- notifications --------------------------------------------------------------

    async def notification_server(self) -> tuple[str, str] | None:
        """(name, version) of the session's notification server, or None when there is none."""
        if not await self.connect():
            return None
        body = await self._call(self._session, *NOTIFICATIONS, NOTIFICATIONS[0], "GetServerInformation")
        self.server = (str(body[0]), str(body[2])) if body and len(body) >= 3 else None
        return self.server

    async def quiet(self) -> bool | None:
        """Is do not disturb on? None where it cannot be read."""
        if not await self.connect():
            return None
        name = (self.server or ("", ""))[0].lower()
        paused = await self._property(self._session, *NOTIFICATIONS, "org.dunstproject.cmd0", "paused")
        if isinstance(paused, bool):
            return paused
        inhibited = await self._property(self._session, *NOTIFICATIONS, NOTIFICATIONS[0], "Inhibited")
        if isinstance(inhibited, bool):
            return inhibited
        desktop = os.environ.get("XDG_CURRENT_DESKTOP", "").lower()
        if "gnome" in desktop or "gnome" in name:
            out = await _run("gsettings", "get", "org.gnome.desktop.notifications", "show-banners")
            if out in ("true", "false"):
                return out == "false"
        if "mako" in name:
            out = await _run("makoctl", "mode")
            if out is not None:
                return "do-not-disturb" in out.split()
        if "xfce" in name:
            out = await _run("xfconf-query", "-c", "xfce4-notifyd", "-p", "/do-not-disturb")
            if out in ("true", "false"):
                return out == "true"
        return None

    # --- away -------------------------------------------------------------------------

    async def seen(self, *, with_quiet: bool) -> Seen:
        """Locked and idle now (and do not disturb, when asked: only when a nudge is due)."""
        if not await self.connect():
            return Seen()
        locked = await self._locked()
        idle = await self._idle()
        login = await self._logind() if locked is None or idle is None else None
        if login is not None:
            locked = login[0] if locked is None else locked
            idle = login[1] if idle is None else idle
        quiet = await self.quiet() if with_quiet else None
        return Seen(idle=idle, locked=locked, quiet=quiet)

    async def _locked(self) -> bool | None:
        for destination, path in (
            ("org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver"),
            ("org.gnome.ScreenSaver", "/org/gnome/ScreenSaver"),
        ):
            body = await self._call(self._session, destination, path, destination, "GetActive")
            if body and isinstance(body[0], bool):
                return body[0]
        return None

    async def _idle(self) -> float | None:
        body = await self._call(
            self._session,
            "org.gnome.Mutter.IdleMonitor",
            "/org/gnome/Mutter/IdleMonitor/Core",
            "org.gnome.Mutter.IdleMonitor",
            "GetIdletime",
        )
        if body and isinstance(body[0], int):
            return body[0] / 1000.0
        body = await self._call(
            self._session,
            "org.freedesktop.ScreenSaver",
            "/org/freedesktop/ScreenSaver",
            "org.freedesktop.ScreenSaver",
            "GetSessionIdleTime",
        )
        if body and isinstance(body[0], int):
            return float(body[0])
        return None

    async def _logind(self) -> tuple[bool | None, float | None] | None:
        """(locked, idle seconds) from logind's view of this session."""
        if not self._tried_system:
            self._tried_system = True
            try:
                from dbus_fast import BusType
                from dbus_fast.aio import MessageBus

                self._system = await asyncio.wait_for(
                    MessageBus(bus_type=BusType.SYSTEM).connect(), CALL_TIMEOUT
                )
            except Exception as error:  # dbus-fast raises its own kinds; no system bus is fine
                log.info("no system bus: %s", error)
                self._system = None
        if self._system is None:
            return None
        where = (
            "org.freedesktop.login1",
            "/org/freedesktop/login1/session/auto",
            "org.freedesktop.login1.Session",
        )
        locked = await self._property(self._system, *where, "LockedHint")
        idle_hint = await self._property(self._system, *where, "IdleHint")
        idle: float | None = None
        if idle_hint is False:
            idle = 0.0
        elif idle_hint is True:
            since = await self._property(self._system, *where, "IdleSinceHint")
            if isinstance(since, int) and since > 0:
                idle = max(0.0, time.time() - since / 1_000_000)
        return (locked if isinstance(locked, bool) else None), idle

    async def close(self) -> None:
        """Disconnect from the buses."""
        for bus in (self._session, self._system):
            if bus is not None:
                bus.disconnect()
        self._session = self._system = None


async def _run(*command: str) -> str | None:
    """A helper command's output, stripped; None when it is missing, fails or hangs."""
    if shutil.which(command[0]) is None:
        return None
    process = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        stdin=asyncio.subprocess.DEVNULL,
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), CALL_TIMEOUT)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        return None
    if process.returncode != 0:
        return None
    return out.decode("utf-8", "replace").strip()
