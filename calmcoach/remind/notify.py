"""Ways to show a nudge: the desktop's notification service, ``notify-send``, or a line.

Each way shows one nudge at a time (the last one is closed before the next is shown)
and reports the answer through the callback it is given: ``start``, ``snooze``,
``skip``, or ``dismissed`` (closed without choosing). :func:`choose` picks the first
way that works here and says which, and why the better ones do not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import sys
from collections.abc import Callable
from typing import Any, Protocol, TextIO

from calmcoach.presence import NUDGE_TEXT
from calmcoach.remind.desktop import Desktop

log = logging.getLogger("calmcoach.remind")

Answer = Callable[[str], None]
TITLE = "Time to move"
BODY = "Two minutes of stretching?"
ACTIONS = (("start", "Start"), ("snooze", "Snooze 15 min"), ("skip", "Skip"))


class Nudger(Protocol):
    """One way of showing nudges."""

    name: str
    """``desktop``, ``notify-send`` or ``terminal``: kept in the history with each nudge."""

    async def show(self, answer: Answer, seconds: float) -> bool:
        """Show a nudge for up to ``seconds``; False when it could not be shown."""
        ...

    async def close(self) -> None:
        """Take the nudge on screen away, if there is one."""
        ...


def actions(snooze_minutes: int) -> tuple[tuple[str, str], ...]:
    """The actions a nudge offers, with the snooze time the settings give."""
    return (("start", "Start"), ("snooze", f"Snooze {snooze_minutes} min"), ("skip", "Skip"))


class DesktopNudger:
    """Through desktop-notifier, to the freedesktop notification service over D-Bus."""

    name = "desktop"

    def __init__(self, snooze_minutes: int) -> None:
        from desktop_notifier import DesktopNotifier

        self._notifier = DesktopNotifier(app_name="calmcoach", app_icon=None)
        self._actions = actions(snooze_minutes)
        self._current: str | None = None

    async def show(self, answer: Answer, seconds: float) -> bool:
        from desktop_notifier import Button, Notification, Urgency

        await self.close()
        sent: list[bool] = []

        def once(what: str) -> Callable[[], None]:
            def handler() -> None:
                self._current = None
                answer(what)

            return handler

        notification = Notification(
            title=TITLE,
            message=BODY,
            urgency=Urgency.Normal,
            buttons=tuple(
                Button(title, on_pressed=once(key), identifier=key) for key, title in self._actions
            ),
            on_dispatched=lambda: sent.append(True),
            on_clicked=once("start"),  # clicking the nudge itself opens the desk break
            on_dismissed=once("dismissed"),
            timeout=max(1, int(seconds)),
        )
        await self._notifier.send_notification(notification)
        if not sent:  # desktop-notifier logs a failure instead of raising
            return False
        self._current = notification.identifier
        return True

    async def close(self) -> None:
        identifier, self._current = self._current, None
        if identifier is None:
            return
        try:
            await self._notifier.clear(identifier)
        except KeyError:
            # desktop-notifier forgets a notification the server closed (expired) and
            # then cannot look its id up: there is nothing left on screen to close.
            log.debug("nudge %s was already closed", identifier)


class NotifySendNudger:
    """Through libnotify's ``notify-send`` with ``--action`` (libnotify 0.7.10 or later)."""

    name = "notify-send"

    def __init__(self, snooze_minutes: int) -> None:
        self._actions = actions(snooze_minutes)
        self._process: asyncio.subprocess.Process | None = None
        self._waiter: asyncio.Task[None] | None = None

    @staticmethod
    def usable() -> bool:
        """Is there a notify-send that takes actions?"""
        return shutil.which("notify-send") is not None

    async def show(self, answer: Answer, seconds: float) -> bool:
        await self.close()
        command = ["notify-send", "--app-name=calmcoach", f"--expire-time={int(seconds * 1000)}"]
        command += [f"--action={key}={title}" for key, title in self._actions]
        command += [TITLE, BODY]
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        # notify-send waits for an answer; one that fails (no service) ends at once.
        try:
            out, err = await asyncio.wait_for(process.communicate(), 1.5)
        except TimeoutError:
            self._process = process
            self._waiter = asyncio.create_task(self._wait(process, answer))
            return True
        if process.returncode != 0:
            log.info("notify-send failed: %s", err.decode("utf-8", "replace").strip())
            return False
        self._answer(out, answer)
        return True

    async def _wait(self, process: asyncio.subprocess.Process, answer: Answer) -> None:
        assert process.stdout is not None
        out = await process.stdout.read()
        await process.wait()
        if self._process is process:
            self._process = None
            self._answer(out, answer)

    def _answer(self, out: bytes, answer: Answer) -> None:
        key = out.decode("utf-8", "replace").strip()
        answer(key if key in {k for k, _ in self._actions} else "dismissed")

    async def close(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):  # it ended on its own meanwhile
                process.terminate()
            await process.wait()
        if self._waiter is not None:
            await asyncio.gather(self._waiter, return_exceptions=True)
            self._waiter = None


class TerminalNudger:
    """A line on the reminder's own output: the last resort, with no way to answer."""

    name = "terminal"

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out

    async def show(self, answer: Answer, seconds: float) -> bool:
        out = self.out or sys.stdout
        print(f"{NUDGE_TEXT} (calmcoach run desk-break)", file=out, flush=True)
        return True

    async def close(self) -> None:
        return None


async def choose(desktop: Desktop, snooze_minutes: int, out: TextIO | None = None) -> tuple[list[Any], str]:
    """The ways to try, best first, and one line saying which is used and why."""
    server = await desktop.notification_server()
    ways: list[Any] = []
    if server is not None:
        # Without the remind extra, notify-send talks to the same service.
        with contextlib.suppress(ImportError):
            ways.append(DesktopNudger(snooze_minutes))
    if NotifySendNudger.usable() and (server is not None or not ways):
        ways.append(NotifySendNudger(snooze_minutes))
    ways.append(TerminalNudger(out))
    first = ways[0].name
    if first == "desktop":
        assert server is not None
        said = f"nudges go to the desktop's notification service ({server[0]} {server[1]})."
    elif first == "notify-send" and server is not None:
        said = f"nudges go through notify-send to {server[0]} (install calmcoach[remind] for the direct way)."
    elif first == "notify-send":
        said = "no notification service answered on D-Bus; trying notify-send, then a line here."
    else:
        said = "no notification service and no notify-send: nudges are printed here as a line."
    return ways, said
