"""``calmcoach remind``: the reminder process and its controls.

The process sleeps on an asyncio loop, wakes at most once a poll (a minute at the
usual hourly interval) to ask the desktop whether the person is there, and asks the
schedule what to do. A nudge goes to the open terminal app when there is one, else to
the desktop's notification service (or a fallback). Its answer goes into the history.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TextIO

from calmcoach.data import locations
from calmcoach.domain.visible import visible
from calmcoach.remind import control
from calmcoach.remind.desktop import Desktop, dbus_available
from calmcoach.remind.notify import Nudger, choose
from calmcoach.remind.schedule import Schedule
from calmcoach.remind.settings import RemindSettings, duration_text
from calmcoach.remind.tray import Tray
from calmcoach.services import presence

log = logging.getLogger("calmcoach.remind")

DESK_BREAK = "desk-break"
MIN_EVERY = timedelta(seconds=2)
ANSWER_WINDOW = timedelta(minutes=10)
"""The longest a nudge stays out; then it is closed and counts as ignored."""
ALREADY_RUNNING = 4
"""The exit code of a ``calmcoach remind`` that finds another one running."""
OPENED_BY_NUDGE = "CALMCOACH_OPENED_BY_NUDGE"
"""Set to "1" for what Start runs: the app it opens goes straight to the desk break
(calmcoach.ui.nudges reads it; the two never import each other)."""


def local_now() -> datetime:
    """The wall-clock time, aware, in the system's zone."""
    return datetime.now().astimezone()


def moment_text(moment: datetime, now: datetime) -> str:
    """``12:55`` today; with the day (``Tue 12:55``) on any other day."""
    local, today = moment.astimezone(), now.astimezone().date()
    return f"{local:%H:%M}" if local.date() == today else f"{local:%a %H:%M}"


def settings_path() -> Any:
    return locations.config_dir() / "remind.toml"


def poll_for(settings: RemindSettings) -> timedelta:
    """How often to look at the desktop when nothing is due."""
    every = settings.every / 4
    return max(timedelta(seconds=0.5), min(timedelta(seconds=60), every, settings.away_after / 2))


def answer_window(settings: RemindSettings) -> timedelta:
    return min(ANSWER_WINDOW, settings.every * 0.8)


NUDGE_OPENS = ("run", DESK_BREAK)
"""What a nudge's "Start" opens: the words after ``calmcoach``."""
TRAY_OPENS: dict[str, tuple[str, ...]] = {
    "flare": ("flare",),
    "breathing": ("run", "breathing-4-2-6"),
    "open": (),
}
"""What the tray menu's entries open: the words after ``calmcoach`` (none: the library)."""


def start_command(
    settings: RemindSettings,
    environ: Mapping[str, str] | None = None,
    opens: tuple[str, ...] = NUDGE_OPENS,
) -> list[str] | None:
    """What "Start" runs (and, with other ``opens``, a tray menu entry): for the desk break,
    the settings' command; else, on Linux with a display, calmcoach's desktop window
    (``calmcoach desktop run desk-break``); else a terminal (``$TERMINAL``, else Debian's
    ``x-terminal-emulator``, each given ``-e``). None when there is nowhere to open it."""
    if settings.start_command and opens == NUDGE_OPENS:
        return list(settings.start_command)
    env = os.environ if environ is None else environ
    calmcoach = [sys.executable, "-m", "calmcoach"]
    if sys.platform.startswith("linux") and (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return [*calmcoach, "desktop", *opens]
    terminal = shlex.split(env.get("TERMINAL", "")) or (
        [found] if (found := shutil.which("x-terminal-emulator")) else []
    )
    if not terminal:
        return None
    return [*terminal, "-e", *calmcoach, *opens]


@dataclass
class _Out:
    """The nudge that is out: its history row, when, and where it went."""

    row: int | None
    shown_at: datetime
    via: str
    closes_at: float
    """On the monotonic clock: a wall clock set back must not keep a nudge out for the jump."""


class Reminder:
    """The reminder process. ``clock`` gives aware wall-clock time, for the hours;
    ``monotonic`` gives seconds for every wait (tests give both fake clocks)."""

    def __init__(
        self,
        settings: RemindSettings,
        *,
        out: TextIO | None = None,
        clock: Callable[[], datetime] = local_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.out = out or sys.stdout
        self.clock = clock
        self.monotonic = monotonic
        self.schedule = Schedule(settings, clock())
        self.poll = poll_for(settings)
        self.desktop = Desktop()
        self.ways: list[Nudger] = []
        self.current: _Out | None = None
        self._answers: list[str] = []
        self._wake = asyncio.Event()
        self._stop = False
        self._said: set[str] = set()
        self._children: list[subprocess.Popen[bytes]] = []
        self.last_why = "starting"
        self.tray: Tray | None = None
        self.last_answer: str | None = None
        self.once = False
        """Running for ``--now``: one nudge, then the end."""
        """How the last nudge was settled (started, snoozed, skipped, ignored)."""

    # --- saying things ------------------------------------------------------------------

    def say(self, text: str, *, once: str | None = None) -> None:
        """A line on the reminder's output (and in its log); ``once`` keys lines said once."""
        if once is not None:
            if once in self._said:
                return
            self._said.add(once)
        print(f"calmcoach remind: {text}", file=self.out, flush=True)
        log.info("%s", text)

    # --- history ------------------------------------------------------------------------

    def _history(self, action: Callable[[Any], Any]) -> Any:
        from calmcoach.data.history import History, HistoryUnavailable

        try:
            opened = History.open(locations.history_file())
        except HistoryUnavailable as error:
            self.say(f"nudges are not kept in the history: {error}", once="history")
            return None
        try:
            return action(opened.history)
        except HistoryUnavailable as error:
            self.say(f"nudges are not kept in the history: {error}", once="history")
            return None
        finally:
            opened.history.close()

    def _add_nudge(self, via: str, now: datetime) -> int | None:
        row = self._history(lambda h: h.add_nudge(via, now=now))
        return row if isinstance(row, int) else None

    # --- the loop -----------------------------------------------------------------------

    async def run(self, *, once: bool = False) -> int:
        """Run until stopped; with ``once``, show one nudge now and end once it is answered
        (or its time to answer has passed). ``once`` takes no lock and serves no requests,
        so it can be tried beside a running reminder."""
        self.once = once
        lock = None
        if not once:
            try:
                lock = control.take_lock()
            except control.AlreadyRunning:
                self.say("a reminder is already running; see calmcoach remind --status.")
                return ALREADY_RUNNING
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.add_signal_handler(number, self.stop)
        loop.set_exception_handler(self._loop_error)
        self.desktop.on_gone = self.stop  # the session bus goes at logout: so does the reminder
        try:
            return await (self._once() if once else self._run())
        finally:
            for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(number)
            if lock is not None:
                lock.close()

    def stop(self) -> None:
        self._stop = True
        self._wake.set()

    def _loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """Errors no one waited for. Once the session bus has gone, dbus-fast leaves some
        behind (writes and reads on the closed connection): the log's one line about the
        bus says it all, so these go to the log's debug level only. Others as asyncio would."""
        error = context.get("exception")
        if self.desktop.gone and isinstance(error, (OSError, EOFError)):
            log.debug("after the session bus went: %s: %r", context.get("message"), error)
            return
        loop.default_exception_handler(context)

    async def _choose(self) -> str:
        """Pick the ways to nudge; the line saying which."""
        snooze_minutes = max(1, round(self.settings.snooze.total_seconds() / 60))
        self.ways, said = await choose(self.desktop, snooze_minutes, self.out)
        if not dbus_available():
            said += " Without calmcoach[remind], lock, idle and do not disturb cannot be read."
        return said

    async def _run(self) -> int:
        said = await self._choose()
        paused, problem = control.read_pause(self.clock())
        if paused is not None:
            self.schedule.pause(paused)
        # The first line says when the first nudge comes, and why then: a reminder started
        # in the evening or at the weekend otherwise looks like one that does nothing.
        self.say(f"{self.schedule.first_nudge_text(self.clock())}. To see one now: calmcoach remind --now")
        self.say(said)
        if problem is not None:
            self.say(f"{problem}; no pause is used")
        server = await control.serve(self._request)
        if isinstance(server, str):
            self.say(f"--pause, --resume and --status cannot reach this reminder: {server}")
        try:
            if self.settings.tray:
                await self._start_tray()
            while not self._stop:
                await self._step()
        finally:
            if not isinstance(server, str):
                server.close()
                await server.wait_closed()
            if self.tray is not None:
                await self.tray.close()
            await self._close()
        self.say("stopped.")
        return 0

    async def _start_tray(self) -> None:
        bus = self.desktop.session_bus() if await self.desktop.connect() else None
        if bus is None:
            log.info("no tray icon: there is no session bus (or no calmcoach[remind]).")
            return
        self.tray = Tray(bus, self._tray_chose, monotonic=self.monotonic)
        self._show_in_tray()
        await self.tray.start()

    def _show_in_tray(self) -> None:
        """The tray's tooltip and menu, as the schedule stands now."""
        if self.tray is None:
            return
        now = self.clock()
        paused = self.schedule.paused_until
        if paused is not None and now < paused:
            self.tray.show(paused=True, tooltip=f"Reminders are paused until {moment_text(paused, now)}.")
            return
        due = self.schedule.first_nudge(now)
        tooltip = "No nudge can come in your hours."
        if due is not None:
            tooltip = f"Next nudge at {moment_text(due, now)}."
        self.tray.show(paused=False, tooltip=tooltip)

    def _tray_chose(self, action: str) -> None:
        """An entry of the tray menu (or the icon itself) was chosen."""
        now = self.clock()
        if action in TRAY_OPENS:
            self.launch(TRAY_OPENS[action])
            return
        try:
            self._tray_control(action, now)
        except control.StateUnusable as error:
            self.say(f"the pause cannot be kept: {error}")
        self._show_in_tray()

    def _tray_control(self, action: str, now: datetime) -> None:
        if action == "pause-hour":
            self._pause(now, now + timedelta(hours=1))
        elif action == "pause-day":
            # Tomorrow when the hours start (naive, so astimezone places it in the system's zone).
            tomorrow = now.astimezone().date() + timedelta(days=1)
            self._pause(now, datetime.combine(tomorrow, self.settings.start).astimezone())
        elif action == "resume":
            self._resume(now)
        elif action == "quit":
            self.say("quit from the tray.")
            self.stop()

    def _pause(self, now: datetime, until: datetime) -> str:
        self.schedule.pause(until)
        control.write_pause(until)
        self._wake.set()
        self._show_in_tray()
        return f"paused until {moment_text(until, now)}"

    def _resume(self, now: datetime) -> str:
        self.schedule.resume(now)
        control.write_pause(None)
        self._wake.set()
        self._show_in_tray()
        every = duration_text(self.settings.every)
        return f"not paused; the next nudge comes {every} from now, in your hours"

    async def _close(self) -> None:
        if self.current is not None:
            await self._settle("ignored")
        for way in self.ways:
            await way.close()
        await self.desktop.close()
        self._reap()

    async def _once(self) -> int:
        said = await self._choose()
        self.say(f"one nudge now, whatever the hours; {said}")
        answer = "ignored"
        try:
            await self._nudge(self.clock())
            if self.current is None:  # the notification service did not answer in time (said)
                return 1
            if self.current.via == "terminal":
                await self._settle("ignored")  # a line here cannot be answered: nothing to wait for
            while self.current is not None and not self._stop:
                seconds = await self._look_at_out()
                if self.current is None:
                    break
                await self._wait(seconds)
            answer = self.last_answer or answer
        finally:
            await self._close()
        self.say(f"the nudge was {answer}; calmcoach remind sends them through the day.")
        return 0

    async def _look_at_out(self) -> float:
        """Take the answers in; close the nudge out once its time has passed. Seconds
        until that time (a day when no nudge is out)."""
        self._reap()
        for answer in self._take_answers():
            await self._answered(answer)
        if self.current is not None and self.monotonic() >= self.current.closes_at:
            await self._window_passed()
        return 86400.0 if self.current is None else self.current.closes_at - self.monotonic()

    async def look(self) -> float:
        """One look: answers, the desktop, the schedule, a nudge if one is due. Returns
        the seconds to wait before the next look."""
        until_closed = await self._look_at_out()
        now = self.clock()
        due = self.schedule.snoozed_until or self.schedule.anchor + self.settings.every
        seen = await self.desktop.seen(with_quiet=now >= due and self.current is None)
        now = self.clock()
        decision = self.schedule.tick(now, seen, self.poll)
        self.last_why = decision.why
        if decision.nudge:
            await self._nudge(now)
            if self.current is not None:
                until_closed = self.current.closes_at - self.monotonic()
        self._show_in_tray()
        # Never longer than a poll: a wall clock set back would otherwise stretch the wait.
        wake = min(decision.wake, now + self.poll)
        return min((wake - self.clock()).total_seconds(), until_closed, self.poll.total_seconds())

    async def _step(self) -> None:
        await self._wait(await self.look())

    async def _wait(self, seconds: float) -> None:
        self._wake.clear()
        if self._answers or self._stop:
            return
        with contextlib.suppress(TimeoutError):  # the usual way to wake: time to look again
            await asyncio.wait_for(self._wake.wait(), max(0.05, seconds))

    def _take_answers(self) -> list[str]:
        answers, self._answers = self._answers, []
        return answers

    def _answer(self, answer: str) -> None:
        self._answers.append(answer)
        self._wake.set()

    # --- a nudge --------------------------------------------------------------------------

    async def _nudge(self, now: datetime) -> None:
        window = answer_window(self.settings)
        closes_at = self.monotonic() + window.total_seconds()
        if presence.app_is_open():
            presence.post_nudge(now)
            self.current = _Out(self._history(lambda h: h.add_nudge("app", now=now)), now, "app", closes_at)
            self.say("nudged in the open calmcoach app.", once="app")
            return
        while self.ways:
            way = self.ways[0]
            shown = await way.show(self._answer, window.total_seconds())
            if shown is None:
                # No answer in time (a busy login, a server still starting): not a server
                # that is gone. Nothing is kept; the nudge is tried again shortly.
                later = (
                    "no nudge was shown; try again in a moment" if self.once else "it is tried again shortly"
                )
                self.say(f"the notification service did not answer in time; {later}.", once="busy")
                self.schedule.retry(now + self.poll)
                return
            if shown:
                row = self._add_nudge(way.name, now)
                self.current = _Out(row, now, way.name, closes_at)
                log.info("nudged via %s", way.name)
                return
            self.ways.pop(0)
            self.say(f"{way.name} did not show the nudge; using {self.ways[0].name} from now on.")
        self.schedule.answered("ignored", now)  # never reached: the terminal way always shows

    def _way(self, name: str) -> Nudger | None:
        return next((way for way in self.ways if way.name == name), None)

    async def _answered(self, answer: str) -> None:
        if self.current is None:
            return
        way = self._way(self.current.via)
        if way is not None:
            # Some servers leave an answered notification on screen: take it away.
            await way.close()
        if answer == "start":
            problem = self.launch()
            if problem is not None:
                # No move came of it: kept as ignored, so the stats count no desk break.
                await self._settle("ignored")
                if way is not None:
                    await way.tell(problem)
                return
        recorded = {"start": "started", "snooze": "snoozed", "skip": "skipped", "dismissed": "skipped"}
        await self._settle(recorded.get(answer, "ignored"))

    async def _window_passed(self) -> None:
        assert self.current is not None
        if self.current.via == "app":
            taken = not presence.nudge_waiting()
            shown_at = self.current.shown_at
            started = taken and self._history(lambda h: h.started_since(DESK_BREAK, shown_at))
            if not taken:
                presence.take_nudge(self.clock())  # the app never took it: withdraw it
            await self._settle("started" if started else "ignored")
            return
        way = self._way(self.current.via)
        if way is not None:
            await way.close()
        await self._settle("ignored")

    async def _settle(self, answer: str) -> None:
        out, self.current = self.current, None
        if out is None:
            return
        now = self.clock()
        if out.row is not None:
            row = out.row
            self._history(lambda h: h.answer_nudge(row, answer, now=now))
        self.schedule.answered(answer, now)
        self.last_answer = answer
        log.info("nudge %s", answer)

    def launch(self, opens: tuple[str, ...] = NUDGE_OPENS) -> str | None:
        """Start the desk break (the settings' command, or a terminal running it), or what
        a tray entry ``opens``.

        None when it started; else a sentence for the person saying why it could not."""
        command = start_command(self.settings, opens=opens)
        if command is None:
            self.say(
                "no display and no terminal to open the desk break in: set $TERMINAL, or "
                f"start_command in {settings_path()}. Meanwhile: calmcoach run {DESK_BREAK}",
                once="no-terminal",
            )
            return (
                f"The desk break could not open: no display and no terminal. Try: calmcoach run {DESK_BREAK}"
            )
        try:
            child = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                env={**os.environ, OPENED_BY_NUDGE: "1"} if opens == NUDGE_OPENS else None,
            )
        except OSError as error:
            why = f"{visible(os.path.basename(command[0]))}: {error.strerror or error}"
            self.say(f"could not start {visible(command[0])}: {error.strerror or error}")
            return (
                f"The desk break could not open ({why}). Check start_command in remind.toml, "
                f"or try: calmcoach run {DESK_BREAK}"
            )
        self._children.append(child)
        log.info("started %s", command)
        return None

    def _reap(self) -> None:
        self._children = [child for child in self._children if child.poll() is None]

    # --- control ------------------------------------------------------------------------

    async def _request(self, request: dict[str, Any]) -> dict[str, Any]:
        now = self.clock()
        why = self.last_why
        if request["do"] == "pause":
            why = self._pause(now, now + timedelta(seconds=request["seconds"]))
        elif request["do"] == "resume":
            why = self._resume(now)
        self._wake.set()
        return {
            "pid": os.getpid(),
            "settings": self.schedule.describe(),
            "via": self.ways[0].name if self.ways else "none",
            "now": why,
        }


# --- the command -------------------------------------------------------------------------
