"""What the desktop says: locked or idle (away), do not disturb, and its notification server.

Read over D-Bus with dbus-fast (the ``remind`` extra),
asking each source that desktops offer and keeping the first answer:

- locked: ``org.freedesktop.ScreenSaver.GetActive`` (KDE, Xfce, LXQt, and others),
  ``org.gnome.ScreenSaver.GetActive`` (GNOME), logind's session ``LockedHint``;
- idle: ``org.gnome.Mutter.IdleMonitor.GetIdletime`` (GNOME),
  ``org.freedesktop.ScreenSaver.GetSessionIdleTime`` (KDE), then the X server's own count
  (MIT-SCREEN-SAVER, where ``DISPLAY`` is set: a bare window manager), then logind's
  ``IdleHint`` and ``IdleSinceHint`` (where the desktop reports idleness to logind);
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
from collections.abc import Callable
from typing import Any

from calmcoach.remind.schedule import Seen
from calmcoach.remind.xidle import XIdle

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

    def __init__(self, *, call_timeout: float = CALL_TIMEOUT) -> None:
        self.call_timeout = call_timeout
        """Seconds one D-Bus call may take before it counts as unanswered (for now)."""
        self._session: Any = None
        self._system: Any = None
        self._tried_system = False
        self.server: tuple[str, str] | None = None
        """The notification server's (name, version), once asked."""
        self.server_busy = False
        """The notification server was asked for its name and did not answer in time."""
        self.on_gone: Callable[[], None] | None = None
        """Called once if the session bus goes away (at logout) while connected."""
        self._watch: asyncio.Task[None] | None = None
        self._signal_handlers: list[Callable[[str, str, list[Any]], None]] = []
        self._watching = False
        self._lost = False
        self._closing: set[asyncio.Task[None]] = set()
        self.timeouts = 0
        """D-Bus calls that got no answer in CALL_TIMEOUT seconds, in all."""
        self.last_quiet: bool | None = None
        """Do not disturb at the last look that could read it."""
        self.xidle = XIdle()

    @property
    def gone(self) -> bool:
        """The session bus broke off (it went away, or a write to it failed); stays True."""
        return self._lost or (self._session is not None and not self._session.connected)

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
            self._session = await asyncio.wait_for(MessageBus().connect(), self.call_timeout * 3)
        except (OSError, TimeoutError, ValueError, Exception) as error:  # dbus-fast raises its own kinds
            log.info("no session bus: %s", error)
            self._session = None
            return False
        self._watch = asyncio.ensure_future(self._watch_bus(self._session))
        return True

    async def _watch_bus(self, bus: Any) -> None:
        """Wait for the session bus to go; say so in the log (one line) and call ``on_gone``."""
        try:
            await bus.wait_for_disconnect()
        except Exception as error:  # dbus-fast hands over what ended the connection
            self._broke_off(error)
            return
        if bus is self._session:  # not closed by us
            self._broke_off(None)

    def _broke_off(self, error: BaseException | None) -> None:
        """The session bus went away: one line in the log (the first time), and ``on_gone``."""
        if self._lost:
            log.debug("the session bus, again: %r", error)
            return
        self._lost = True
        reason = "closed" if error is None else f"{type(error).__name__}: {error}".rstrip(": ")
        log.info("the session bus went away (%s); stopping", reason)
        if self.on_gone is not None:
            self.on_gone()

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
        reply = await self._call_reply(bus, destination, path, interface, member, signature, body)
        return None if reply is None else list(reply.body)

    async def _call_reply(
        self,
        bus: Any,
        destination: str,
        path: str,
        interface: str,
        member: str,
        signature: str = "",
        body: list[Any] | None = None,
        late: Callable[[Any], None] | None = None,
    ) -> Any:
        """A method call's reply (a method return), or None for an error, no service or a
        timeout. With ``late``, a reply that comes after the timeout is handed to it."""
        if bus is None or not bus.connected:
            return None  # never written to a bus that has gone: the write would fail on a closed socket
        from dbus_fast import Message, MessageType

        message = Message(
            destination=destination,
            path=path,
            interface=interface,
            member=member,
            signature=signature,
            body=body or [],
        )
        call = asyncio.ensure_future(bus.call(message))
        timed_out = False

        def ended(done: asyncio.Future[Any]) -> None:
            if done.cancelled() or done.exception() is not None:  # retrieved, so never "not retrieved"
                return
            reply = done.result()
            if (
                timed_out
                and late is not None
                and getattr(reply, "message_type", None) == MessageType.METHOD_RETURN
            ):
                late(reply)

        call.add_done_callback(ended)
        try:
            # Shielded when a late reply matters: the call goes on after the timeout.
            reply = await asyncio.wait_for(asyncio.shield(call) if late else call, self.call_timeout)
        except TimeoutError as error:
            timed_out = True
            # Before OSError, which TimeoutError is a kind of: a slow reply is a busy
            # service, not a bus that has gone; the caller tries again later.
            self.timeouts += 1
            log.info("%s.%s: no answer in %g s (%s)", interface, member, self.call_timeout, error)
            return None
        except (OSError, EOFError) as error:  # the connection broke off (at logout)
            if bus is self._session:
                self._broke_off(error)
            else:
                log.info("%s.%s: %s", interface, member, error)
            return None
        if reply is None or reply.message_type != MessageType.METHOD_RETURN:
            return None
        return reply

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
        before = self.timeouts
        body = await self._call(self._session, *NOTIFICATIONS, NOTIFICATIONS[0], "GetServerInformation")
        self.server = (str(body[0]), str(body[2])) if body and len(body) >= 3 else None
        self.server_busy = self.server is None and self.timeouts > before
        return self.server

    async def quiet(self) -> bool | None:
        """Is do not disturb on? None where it cannot be read."""
        if not await self.connect():
            return None
        name = (self.server or ("", ""))[0].lower()
        before = self.timeouts
        paused = await self._property(self._session, *NOTIFICATIONS, "org.dunstproject.cmd0", "paused")
        if isinstance(paused, bool):
            return paused
        if self.timeouts > before:
            # The notification server did not answer in time (a busy machine, a server
            # still starting): it cannot be told apart from do not disturb, so the nudge
            # waits for the next look rather than risk interrupting.
            return True
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

    async def notify(
        self, app_name: str, title: str, body: str, actions: list[str], timeout_ms: int
    ) -> tuple[int, str] | bool:
        """Show a notification (``Notify``): its id and the unique bus name of the server
        that took it; False when there is no server to take it, True when one may be
        there but did not answer in time (try again later)."""
        from dbus_fast import Variant

        before = self.timeouts
        if not await self._watch_notifications():
            return self.timeouts > before
        reply = await self._call_reply(
            self._session,
            *NOTIFICATIONS,
            NOTIFICATIONS[0],
            "Notify",
            "susssasa{sv}i",
            [app_name, 0, "", title, body, actions, {"urgency": Variant("y", 1)}, timeout_ms],
            late=self._close_late,
        )
        if reply is None:
            return self.timeouts > before
        answer = list(reply.body)
        if not answer or not isinstance(answer[0], int) or not isinstance(reply.sender, str):
            return False
        return int(answer[0]), reply.sender

    def _close_late(self, reply: Any) -> None:
        """A notification shown after its Notify timed out is one the reminder no longer
        follows (it tries again later): take it away, so two are never on screen."""
        body = list(reply.body)
        if body and isinstance(body[0], int):
            log.info("a nudge was shown after its time to answer; closing it")
            task = asyncio.ensure_future(self.close_notification(body[0]))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def close_notification(self, identifier: int) -> None:
        """Take a notification away (``CloseNotification``); nothing when it is already gone."""
        await self._call(
            self._session, *NOTIFICATIONS, NOTIFICATIONS[0], "CloseNotification", "u", [identifier]
        )

    def on_notification_signal(self, handler: Callable[[str, str, list[Any]], None]) -> None:
        """Have ``handler(member, sender, body)`` called for ``ActionInvoked`` and
        ``NotificationClosed`` signals; ``sender`` is the unique bus name that sent it
        (any client on the bus can send these: the handler checks who)."""
        self._signal_handlers.append(handler)

    async def _watch_notifications(self) -> bool:
        """Ask the bus for the notification server's signals (once); False without a bus."""
        if not await self.connect():
            return False
        if self._watching:
            return True
        name, path = NOTIFICATIONS
        rule = f"type='signal',sender='{name}',interface='{name}',path='{path}'"
        added = await self._call(
            self._session,
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "AddMatch",
            "s",
            [rule],
        )
        if added is None:
            return False
        self._session.add_message_handler(self._on_message)
        self._watching = True
        return True

    def _on_message(self, message: Any) -> None:
        from dbus_fast import MessageType

        if (
            message.message_type == MessageType.SIGNAL
            and message.interface == NOTIFICATIONS[0]
            and message.member in ("ActionInvoked", "NotificationClosed")
        ):
            for handler in self._signal_handlers:
                handler(message.member, str(message.sender or ""), list(message.body))

    # --- away -------------------------------------------------------------------------

    async def seen(self, *, with_quiet: bool) -> Seen:
        """Locked and idle now (and do not disturb, when asked: only when a nudge is due)."""
        if not await self.connect():
            return Seen(
                idle=await self.xidle.idle(), quiet=self._quiet_as_last_seen(None) if with_quiet else None
            )
        locked = await self._locked()
        idle = await self._idle()
        if idle is None:
            # Before logind: where no desktop service counts idle time (a bare window
            # manager), logind's IdleHint is usually never set, and would say "here" forever.
            idle = await self.xidle.idle()
        login = await self._logind() if locked is None or idle is None else None
        if login is not None:
            locked = login[0] if locked is None else locked
            idle = login[1] if idle is None else idle
        quiet = self._quiet_as_last_seen(await self.quiet()) if with_quiet else None
        return Seen(idle=idle, locked=locked, quiet=quiet)

    def _quiet_as_last_seen(self, quiet: bool | None) -> bool | None:
        """Do not disturb that cannot be read now counts as it was at the last look that
        read it: a server that stops answering for a moment (a busy machine) must not let
        a nudge through a do not disturb the person turned on."""
        if quiet is None:
            if self.last_quiet:
                log.info("do not disturb cannot be read now; it was on at the last look, so it still counts")
            return self.last_quiet
        self.last_quiet = quiet
        return quiet

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
                    MessageBus(bus_type=BusType.SYSTEM).connect(), self.call_timeout
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

    def session_bus(self) -> Any:
        """The session bus connection once connected (for the tray item), else None."""
        return self._session if self._session is not None and self._session.connected else None

    async def close(self) -> None:
        """Disconnect from the buses (and the X server)."""
        self.xidle.close()
        buses = (self._session, self._system)
        self._session = self._system = None
        for bus in buses:
            if bus is not None and bus.connected:
                bus.disconnect()
        if self._watch is not None:
            await asyncio.gather(self._watch, return_exceptions=True)
            self._watch = None


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
