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

from calmcoach.domain.visible import visible
from calmcoach.remind.desktop import Desktop, dbus_available
from calmcoach.services.presence import NUDGE_TEXT

log = logging.getLogger("calmcoach.remind")

Answer = Callable[[str], None]
NOTIFICATION_DISMISSED = 2
"""``NotificationClosed``'s reason when the person closed the notification."""
TELL_SECONDS = 30
"""How long a message (not a nudge) stays on screen."""
TITLE = "Time to move"
BODY = "Two minutes of stretching?"
MAX_SERVER_TEXT = 60
"""The most of the notification server's name (and of its version) that is shown."""
ACTIONS = (("start", "Start"), ("snooze", "Snooze 15 min"), ("skip", "Skip"))


class Nudger(Protocol):
    """One way of showing nudges."""

    name: str
    """``desktop``, ``notify-send`` or ``terminal``: kept in the history with each nudge."""

    async def show(self, answer: Answer, seconds: float) -> bool | None:
        """Show a nudge for up to ``seconds``; False when this way cannot show it, None
        when it may, but got no answer in time (try again later)."""
        ...

    async def close(self) -> None:
        """Take the nudge on screen away, if there is one."""
        ...

    async def tell(self, text: str) -> None:
        """Say something to the person the same way (no actions): why Start did not work."""
        ...


def actions(snooze_minutes: int) -> tuple[tuple[str, str], ...]:
    """The actions a nudge offers, with the snooze time the settings give."""
    return (("start", "Start"), ("snooze", f"Snooze {snooze_minutes} min"), ("skip", "Skip"))


class DesktopNudger:
    """Straight to the freedesktop notification service, over the session bus (dbus-fast).

    The nudge's id is kept until the nudge is closed, answered or not: an answer
    (chosen from the notification's actions) leaves the nudge on screen with some
    servers (dunst's context menu, for one), so the reminder closes it itself."""

    name = "desktop"

    def __init__(self, desktop: Desktop, snooze_minutes: int) -> None:
        self._desktop = desktop
        self._actions = actions(snooze_minutes)
        self._current: int | None = None
        self._sender = ""
        """The unique bus name of the server that took the nudge on screen."""
        self._answer: Answer | None = None
        """Where the nudge on screen reports; None once it has answered."""
        desktop.on_notification_signal(self._signal)

    async def show(self, answer: Answer, seconds: float) -> bool | None:
        await self.close()
        if self._desktop.server is None:  # not known at start (it did not answer in time): ask again
            server = await self._desktop.notification_server()
            if server is not None:
                log.info("the notification service answered: %s", visible(" ".join(server)[:120]))
        keys = ["default", ""]  # clicking the nudge itself opens the desk break
        for key, title in self._actions:
            keys += [key, title]
        taken = await self._desktop.notify("calmcoach", TITLE, BODY, keys, max(1, int(seconds)) * 1000)
        if isinstance(taken, bool):
            return None if taken else False
        (self._current, self._sender), self._answer = taken, answer
        return True

    def _signal(self, member: str, sender: str, body: list[Any]) -> None:
        if self._current is None or len(body) < 2 or body[0] != self._current:
            return
        if sender != self._sender:
            # Any client on the session bus may send these: only the server shows the nudge.
            log.info(
                "%s for the nudge from %s, not the notification service: ignored",
                member,
                visible(sender[:80]),
            )
            return
        answer, self._answer = self._answer, None  # one answer a nudge
        if member == "NotificationClosed":
            self._current = None  # off screen already
            if answer is not None and body[1] == NOTIFICATION_DISMISSED:
                answer("dismissed")
        elif answer is not None:
            key = "start" if body[1] == "default" else str(body[1])
            answer(key if key in {k for k, _ in self._actions} else "dismissed")

    async def close(self) -> None:
        identifier, self._current = self._current, None
        self._answer = None
        if identifier is not None:
            await self._desktop.close_notification(identifier)

    async def tell(self, text: str) -> None:
        await self.close()
        # Servers may read the body as markup: no character of it may start a tag or an entity.
        body = "".join(c for c in text if c not in "<>&")
        taken = await self._desktop.notify("calmcoach", "calmcoach", body, [], TELL_SECONDS * 1000)
        if not isinstance(taken, bool):
            self._current, self._sender = taken


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

    async def show(self, answer: Answer, seconds: float) -> bool | None:
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

    async def tell(self, text: str) -> None:
        await self.close()
        process = await asyncio.create_subprocess_exec(
            "notify-send",
            "--app-name=calmcoach",
            f"--expire-time={TELL_SECONDS * 1000}",
            "calmcoach",
            text,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await process.communicate()  # without actions it ends as soon as it is shown
        if process.returncode != 0:
            log.info("notify-send failed: %s", err.decode("utf-8", "replace").strip())

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

    async def show(self, answer: Answer, seconds: float) -> bool | None:
        out = self.out or sys.stdout
        print(f"{NUDGE_TEXT} (calmcoach run desk-break)", file=out, flush=True)
        return True

    async def close(self) -> None:
        return None

    async def tell(self, text: str) -> None:
        print(text, file=self.out or sys.stdout, flush=True)


async def choose(desktop: Desktop, snooze_minutes: int, out: TextIO | None = None) -> tuple[list[Any], str]:
    """The ways to try, best first, and one line saying which is used and why."""
    server = await desktop.notification_server()
    ways: list[Any] = []
    there = server is not None or desktop.server_busy  # a server that did not answer in time is there
    if there and dbus_available():
        # Without the remind extra, notify-send talks to the same service.
        ways.append(DesktopNudger(desktop, snooze_minutes))
    if NotifySendNudger.usable() and (there or not ways):
        ways.append(NotifySendNudger(snooze_minutes))
    ways.append(TerminalNudger(out))
    first = ways[0].name
    # The server names itself: outside text, shown like any other (no escape codes), and short.
    name = " ".join(visible(part[:MAX_SERVER_TEXT]) for part in server) if server is not None else ""
    if first == "desktop" and server is None:
        said = "nudges go to the desktop's notification service (it did not answer in time just now)."
    elif first == "desktop":
        said = f"nudges go to the desktop's notification service ({name})."
    elif first == "notify-send" and server is not None:
        shown = visible(server[0][:MAX_SERVER_TEXT])
        said = f"nudges go through notify-send to {shown} (install calmcoach[remind] for the direct way)."
    elif first == "notify-send":
        said = "no notification service answered on D-Bus; trying notify-send, then a line here."
    else:
        said = "no notification service and no notify-send: nudges are printed here as a line."
    return ways, said
