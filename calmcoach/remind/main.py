"""``calmcoach remind``: the reminder process and its controls.

The process sleeps on an asyncio loop, wakes at most once a poll (a minute at the
usual hourly interval) to ask the desktop whether the person is there, and asks the
schedule what to do. A nudge goes to the open terminal app when there is one, else to
the desktop's notification service (or a fallback). Its answer goes into the history.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TextIO

from calmcoach.data import locations, logfile
from calmcoach.domain.visible import visible
from calmcoach.remind import autostart, control
from calmcoach.remind.desktop import Desktop, dbus_available
from calmcoach.remind.notify import Nudger, choose
from calmcoach.remind.schedule import Schedule
from calmcoach.remind.settings import RemindSettings, duration_text, load_settings, parse_duration
from calmcoach.services import presence

log = logging.getLogger("calmcoach.remind")

DESK_BREAK = "desk-break"
MIN_EVERY = timedelta(seconds=2)
ANSWER_WINDOW = timedelta(minutes=10)
"""The longest a nudge stays out; then it is closed and counts as ignored."""
ALREADY_RUNNING = 4
"""The exit code of a ``calmcoach remind`` that finds another one running."""


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


def start_command(settings: RemindSettings, environ: Mapping[str, str] | None = None) -> list[str] | None:
    """What "Start" runs: the settings' command; else, on Linux with a display, the desk
    break in calmcoach's desktop window (``calmcoach desktop run desk-break``); else in a
    terminal (``$TERMINAL``, else Debian's ``x-terminal-emulator``, each given ``-e``).
    None when there is nowhere to open it."""
    if settings.start_command:
        return list(settings.start_command)
    env = os.environ if environ is None else environ
    calmcoach = [sys.executable, "-m", "calmcoach"]
    if sys.platform.startswith("linux") and (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return [*calmcoach, "desktop", "run", DESK_BREAK]
    terminal = shlex.split(env.get("TERMINAL", "")) or (
        [found] if (found := shutil.which("x-terminal-emulator")) else []
    )
    if not terminal:
        return None
    return [*terminal, "-e", *calmcoach, "run", DESK_BREAK]


@dataclass
class _Out:
    """The nudge that is out: its history row, when, and where it went."""

    row: int | None
    shown_at: datetime
    via: str
    closes_at: datetime


class Reminder:
    """The reminder process. ``clock`` gives aware wall-clock time (tests may scale it)."""

    def __init__(
        self,
        settings: RemindSettings,
        *,
        out: TextIO | None = None,
        clock: Callable[[], datetime] = local_now,
    ) -> None:
        self.settings = settings
        self.out = out or sys.stdout
        self.clock = clock
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

    async def run(self) -> int:
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
            return await self._run()
        finally:
            for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(number)
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

    async def _run(self) -> int:
        snooze_minutes = max(1, round(self.settings.snooze.total_seconds() / 60))
        self.ways, said = await choose(self.desktop, snooze_minutes, self.out)
        if not dbus_available():
            said += " Without calmcoach[remind], lock, idle and do not disturb cannot be read."
        self.say(f"nudges {self.schedule.describe()}; {said}")
        paused, problem = control.read_pause(self.clock())
        if problem is not None:
            self.say(f"{problem}; no pause is used")
        if paused is not None:
            self.schedule.pause(paused)
        server = await control.serve(self._request)
        if server is None:
            self.say("--pause, --resume and --status cannot reach this reminder (see the log).")
        try:
            while not self._stop:
                await self._step()
        finally:
            if server is not None:
                server.close()
                await server.wait_closed()
            if self.current is not None:
                await self._settle("ignored")
            for way in self.ways:
                await way.close()
            await self.desktop.close()
            self._reap()
        self.say("stopped.")
        return 0

    async def _step(self) -> None:
        now = self.clock()
        self._reap()
        for answer in self._take_answers():
            await self._answered(answer)
        if self.current is not None and now >= self.current.closes_at:
            await self._window_passed()
        due = self.schedule.snoozed_until or self.schedule.anchor + self.settings.every
        seen = await self.desktop.seen(with_quiet=now >= due and self.current is None)
        now = self.clock()
        decision = self.schedule.tick(now, seen, self.poll)
        self.last_why = decision.why
        if decision.nudge:
            await self._nudge(now)
        wake = min(decision.wake, now + self.poll)
        if self.current is not None:
            wake = min(wake, self.current.closes_at)
        timeout = max(0.05, (wake - self.clock()).total_seconds())
        self._wake.clear()
        if self._answers or self._stop:
            return
        with contextlib.suppress(TimeoutError):  # the usual way to wake: time to look again
            await asyncio.wait_for(self._wake.wait(), timeout)

    def _take_answers(self) -> list[str]:
        answers, self._answers = self._answers, []
        return answers

    def _answer(self, answer: str) -> None:
        self._answers.append(answer)
        self._wake.set()

    # --- a nudge --------------------------------------------------------------------------

    async def _nudge(self, now: datetime) -> None:
        window = answer_window(self.settings)
        if presence.app_is_open():
            presence.post_nudge(now)
            self.current = _Out(
                self._history(lambda h: h.add_nudge("app", now=now)), now, "app", now + window
            )
            self.say("nudged in the open calmcoach app.", once="app")
            return
        while self.ways:
            way = self.ways[0]
            if await way.show(self._answer, window.total_seconds()):
                row = self._add_nudge(way.name, now)
                self.current = _Out(row, now, way.name, now + window)
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
        log.info("nudge %s", answer)

    def launch(self) -> str | None:
        """Start the desk break (the settings' command, or a terminal running it).

        None when it started; else a sentence for the person saying why it could not."""
        command = start_command(self.settings)
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
            until = now + timedelta(seconds=request["seconds"])
            self.schedule.pause(until)
            control.write_pause(until)
            why = f"paused until {moment_text(until, now)}"
        elif request["do"] == "resume":
            self.schedule.resume(now)
            control.write_pause(None)
            every = duration_text(self.settings.every)
            why = f"not paused; the next nudge comes {every} from now, in your hours"
        self._wake.set()
        return {
            "pid": os.getpid(),
            "settings": self.schedule.describe(),
            "via": self.ways[0].name if self.ways else "none",
            "now": why,
        }


# --- the command -------------------------------------------------------------------------


def _duration_arg(text: str, *, low: timedelta, high: timedelta, what: str) -> timedelta:
    span = parse_duration(text)
    if span is None:
        raise SystemExit(f"calmcoach: {what} wants a time such as 2h, 45m, 1h30m or 1d, not {text!r}")
    if not low <= span <= high:
        shown = f"{duration_text(low)} to {duration_text(high)}, not {duration_text(span)}"
        raise SystemExit(f"calmcoach: {what} is from {shown}")
    return span


def cmd_remind(args: argparse.Namespace) -> int:
    """``calmcoach remind`` and its options."""
    if args.install or args.uninstall:
        return _autostart(install=args.install)
    if args.status:
        return _status()
    if args.pause is not None or args.resume:
        return _pause_or_resume(args.pause)
    settings = load_settings(settings_path())
    for problem in settings.problems:
        print(f"calmcoach: {problem}", file=sys.stderr)
    if settings.problems:
        print("calmcoach: the reminder's settings have problems; using the defaults.", file=sys.stderr)
    if args.every is not None:
        every = _duration_arg(args.every, low=MIN_EVERY, high=timedelta(hours=8), what="--every")
        settings = RemindSettings(
            every=every,
            start=settings.start,
            end_minutes=settings.end_minutes,
            days=settings.days,
            snooze=settings.snooze,
            away_after=settings.away_after,
            start_command=settings.start_command,
        )
    _log_to_state_dir()
    return asyncio.run(Reminder(settings).run())


def _log_to_state_dir() -> None:
    try:
        # 0600 in a 0700 folder, a regular file only (never a FIFO to hang on)
        handler = logfile.private_handler(
            locations.state_dir() / "remind.log", "%(asctime)s %(levelname)s %(message)s"
        )
    except OSError:
        return
    log.addHandler(handler)
    log.setLevel(logging.INFO)


def _autostart(*, install: bool) -> int:
    try:
        if install:
            path = autostart.install()
            print(f"Installed {path}: calmcoach remind starts when you log in to your desktop.")
            print("To start it now as well: calmcoach remind &")
            return 0
        removed = autostart.uninstall()
    except (FileExistsError, OSError, ValueError) as error:
        print(f"calmcoach: {error}", file=sys.stderr)
        return 1
    print(f"Removed {removed}." if removed else f"Nothing to remove: there is no {autostart.entry_path()}.")
    return 0


def _ask(request: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return control.ask(request)
    except (OSError, ValueError) as error:
        print(f"calmcoach: the reminder did not answer: {error}", file=sys.stderr)
        return None


def _status() -> int:
    reply = _ask({"do": "status"})
    entry = autostart.entry_path()
    login = f"starts at login ({entry})" if autostart.is_ours(entry) else "not started at login"
    if reply is None:
        paused, problem = control.read_pause(local_now())
        if problem is not None:
            print(f"calmcoach: {problem}; ignored", file=sys.stderr)
        print(f"calmcoach remind is not running; {login}.")
        if paused is not None:
            print(f"Paused until {moment_text(paused, local_now())} (kept for when it starts).")
        return 3
    print(f"calmcoach remind is running (pid {_clean(reply.get('pid'))}); {login}.")
    print(f"Nudges {_clean(reply.get('settings'))}, via {_clean(reply.get('via'))}.")
    print(f"Now: {_clean(reply.get('now'))}.")
    return 0


def _pause_or_resume(pause: str | None) -> int:
    now = local_now()
    if pause is not None:
        span = _duration_arg(pause, low=timedelta(minutes=1), high=control.MAX_PAUSE, what="--pause")
        reply = _ask({"do": "pause", "seconds": int(span.total_seconds())})
        if reply is None:
            control.write_pause(now + span)
            until = moment_text(now + span, now)
            print(f"No reminder is running; the pause until {until} is kept for when it starts.")
            return 0
    else:
        reply = _ask({"do": "resume"})
        if reply is None:
            control.write_pause(None)
            print("No reminder is running; any pause kept for it is cleared.")
            return 0
    if "error" in reply:
        print(f"calmcoach: the reminder said: {_clean(reply['error'])}", file=sys.stderr)
        return 1
    print(f"Done. Now: {_clean(reply.get('now'))}.")
    return 0


def _clean(value: object) -> str:
    """A value from the socket, safe to print: no control characters, not too long."""
    return "".join(c for c in str(value) if c.isprintable())[:200]
