"""``calmcoach remind`` for real: dunst on a private session bus under Xvfb.

A few tests run the ``calmcoach remind`` process at an interval of a few seconds
(``--every``): its start, its control commands, its end with the bus. The others (what
a nudge does once shown, and what proves nothing comes for a while: a snooze, do not
disturb, away) run the reminder in this process against the same real dunst and bus, on
fake clocks the test moves, instead of waiting through the intervals. Waits are bounded
(see ``desktop_session.WAIT``).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from calmcoach.data import locations
from calmcoach.data.history import History
from calmcoach.remind import main as remind_main
from calmcoach.remind.desktop import Desktop
from calmcoach.remind.notify import choose
from calmcoach.remind.settings import RemindSettings
from calmcoach.services import presence
from tests.clocks import FakeClock
from tests.remind.desktop_session import (
    WAIT,
    Session,
    desktop_session,
    everyday_settings,
    remind_command,
    wait_for,
)

pytestmark = pytest.mark.slow


def nudges() -> list[tuple[str, str | None]]:
    path = locations.history_file()
    if not path.exists():
        return []
    history = History.open(path).history
    try:
        return [(n.via, n.answer) for n in reversed(history.nudges())]
    finally:
        history.close()


def output(process: subprocess.Popen[bytes]) -> str:
    assert process.stdout is not None
    return process.stdout.read().decode()


# --- the reminder in this process, on fake clocks, against the real desktop session -------

EVERY = timedelta(seconds=2)
ALL_DAY = RemindSettings(
    every=EVERY,
    start=datetime.min.time(),
    end_minutes=24 * 60,
    days=frozenset(range(7)),
    snooze=timedelta(minutes=1),
    away_after=timedelta(minutes=1),
)


class WallClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class Driven:
    """A reminder whose time passes only when the test says so; each look is the real one
    (the desktop asked over D-Bus, the nudge shown by dunst, answers read from the bus)."""

    def __init__(self, reminder: remind_main.Reminder, wall: WallClock, monotonic: FakeClock) -> None:
        self.reminder, self.wall, self.monotonic = reminder, wall, monotonic

    async def look(self) -> float:
        await asyncio.sleep(0)  # the bus's messages that have come in are read
        return await self.reminder.look()

    async def after(self, seconds: float) -> None:
        """Let ``seconds`` pass, looking whenever the reminder would wake."""
        end = self.monotonic() + seconds
        while (left := end - self.monotonic()) > 0:
            step = min(max(await self.look(), 0.05), left)
            self.wall.now += timedelta(seconds=step)
            self.monotonic.advance(step)
        await self.look()

    async def until(self, check: Callable[[], bool], what: str) -> None:
        """Look (with no time passing) until the answer from dunst is taken in."""
        deadline = time.monotonic() + WAIT
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.05)
            await self.look()


@contextlib.asynccontextmanager
async def reminder_here(
    session: Session, monkeypatch: pytest.MonkeyPatch, settings: RemindSettings = ALL_DAY
) -> AsyncIterator[tuple[Driven, str]]:
    """The reminder in this loop, on the session's bus, and the line saying where nudges go."""
    for name in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY"):
        monkeypatch.setenv(name, session.env[name])
    wall, monotonic = WallClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC)), FakeClock()
    reminder = remind_main.Reminder(settings, out=io.StringIO(), clock=wall, monotonic=monotonic)
    reminder.desktop = Desktop(call_timeout=2.0)
    reminder.ways, said = await choose(reminder.desktop, 1, reminder.out)
    try:
        yield Driven(reminder, wall, monotonic), said
    finally:
        for way in reminder.ways:
            await way.close()
        await reminder.desktop.close()


@contextlib.asynccontextmanager
async def in_process(
    session: Session, monkeypatch: pytest.MonkeyPatch, settings: RemindSettings = ALL_DAY
) -> AsyncIterator[Driven]:
    """The reminder in this loop, on the session's bus, its nudges going to dunst."""
    async with reminder_here(session, monkeypatch, settings) as (driven, said):
        assert said.startswith("nudges go to the desktop's notification service (dunst"), said
        yield driven


def printed(driven: Driven) -> str:
    """What the reminder in this process wrote on its output."""
    out = driven.reminder.out
    assert isinstance(out, io.StringIO)
    return out.getvalue()


def test_nudge_with_its_actions_and_start_opens_the_desk_break(tmp_path: Path) -> None:
    marker = tmp_path / "started.txt"
    everyday_settings(locations.config_dir(), marker)
    with desktop_session(tmp_path / "desk") as session:
        remind = session.start(
            remind_command("--every", "3s"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        wait_for(lambda: session.displayed() == 1, "the nudge on screen")
        session.press("Start")
        assert {"#Start", "#Snooze 15 min", "#Skip"} <= {
            line.split(" (")[0] for line in session.menu.read_text().splitlines()
        }
        wait_for(marker.exists, "the desk break to be started")
        assert marker.read_text() == "desk-break\n"
        wait_for(lambda: ("desktop", "started") in nudges(), "the answer in the history")
        wait_for(
            lambda: session.dunstctl("count", "history") != "0", "dunst to keep the nudge in its history"
        )
        received = json.loads(session.dunstctl("history"))["data"][0]
        assert {(n["appname"]["data"], n["summary"]["data"]) for n in received} == {
            ("calmcoach", "Time to move")
        }
        session.stop(remind)
    text = output(remind)
    first, way, *_ = text.splitlines()
    assert first.startswith("calmcoach remind: next nudge at ") and "(every 3s within your hours" in first
    assert way.startswith("calmcoach remind: nudges go to the desktop's notification service (dunst")
    assert text.count("\n") == 3 and text.endswith("calmcoach remind: stopped.\n")


async def test_snooze_delays_the_next_nudge_and_skip_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with desktop_session(tmp_path / "desk") as session:
        async with in_process(session, monkeypatch) as reminder:
            await reminder.after(EVERY.total_seconds())
            assert session.displayed() == 1
            session.press("Skip")
            await reminder.until(lambda: ("desktop", "skipped") in nudges(), "the skip in the history")
            await reminder.after(EVERY.total_seconds())  # a skip waits one interval, as usual
            assert nudges() == [("desktop", "skipped"), ("desktop", None)] and session.displayed() == 1
            session.press("Snooze 1 min")
            await reminder.until(lambda: ("desktop", "snoozed") in nudges(), "the snooze in the history")
            await reminder.after(50)  # 25 intervals: without the snooze, a nudge would be on screen
            assert session.displayed() == 0 and len(nudges()) == 2
            await reminder.after(10)  # the minute is over
            assert session.displayed() == 1
    assert nudges() == [("desktop", "skipped"), ("desktop", "snoozed"), ("desktop", None)]


def status(session: Session) -> str:
    """What ``calmcoach remind --status`` says in the desktop session."""
    return subprocess.run(
        remind_command("--status"), env=session.env, capture_output=True, text=True, timeout=WAIT
    ).stdout


@contextlib.contextmanager
def reminder_under_do_not_disturb(tmp_path: Path) -> Iterator[tuple[Session, subprocess.Popen[bytes]]]:
    """A desktop session with do not disturb on, and a reminder (every 2 s) that has seen it."""
    everyday_settings(locations.config_dir(), tmp_path / "started.txt")
    with desktop_session(tmp_path / "desk") as session:
        session.dunstctl("set-paused", "true")
        remind = session.start(
            remind_command("--every", "2s"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        wait_for(lambda: "do not disturb is on" in status(session), "the reminder to see do not disturb")
        yield session, remind


def test_do_not_disturb_holds_the_nudge_and_status_says_so(tmp_path: Path) -> None:
    with reminder_under_do_not_disturb(tmp_path) as (session, remind):
        assert session.dunstctl("count", "waiting") == "0" and nudges() == []
        session.dunstctl("set-paused", "false")
        wait_for(lambda: session.displayed() == 1, "the nudge once do not disturb is off")
        session.stop(remind)


async def test_do_not_disturb_holds_the_nudge_for_as_long_as_it_is_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with desktop_session(tmp_path / "desk") as session:
        session.dunstctl("set-paused", "true")
        async with in_process(session, monkeypatch) as reminder:
            await reminder.after(30)  # 15 intervals
            assert session.dunstctl("count", "waiting") == "0" and nudges() == []
            assert reminder.reminder.last_why.startswith("do not disturb is on")
            session.dunstctl("set-paused", "false")
            await reminder.look()  # due long ago: shown at the first look once it is off
            assert session.displayed() == 1 and nudges() == [("desktop", None)]


async def test_do_not_disturb_still_holds_when_the_server_stops_answering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Do not disturb read as on, then the notification server gone (as a busy or
    restarting server is, for a moment): the nudge still waits, on no other way either."""
    with desktop_session(tmp_path / "desk") as session:
        session.dunstctl("set-paused", "true")
        async with in_process(session, monkeypatch) as reminder:
            await reminder.after(EVERY.total_seconds())
            assert reminder.reminder.last_why.startswith("do not disturb is on")
            dunst = next(p for p in session.processes if p.args[0] == "dunst")  # type: ignore[index]
            session.stop(dunst)
            await reminder.after(30)  # 15 intervals
            assert nudges() == []
            assert reminder.reminder.last_why.startswith("do not disturb is on")


def test_pause_and_resume_reach_the_running_reminder(tmp_path: Path) -> None:
    everyday_settings(locations.config_dir(), tmp_path / "started.txt")
    with desktop_session(tmp_path / "desk") as session:
        session.dunstctl("set-paused", "false")
        remind = session.start(
            remind_command("--every", "3s"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )

        def control(*args: str) -> str:
            result = subprocess.run(
                remind_command(*args), env=session.env, capture_output=True, text=True, timeout=WAIT
            )
            assert result.returncode in (0, 3), result.stderr  # 3: --status with no reminder (yet)
            return result.stdout

        wait_for(lambda: "is running" in control("--status"), "the reminder to listen")
        assert "Done. Now: paused until" in control("--pause", "2h")
        # That the pause holds the nudges for its time is test_schedule's, on a fake clock.
        assert nudges() == [] and session.displayed() == 0
        assert "Now: paused; nudges start again" in control("--status")
        control("--resume")
        wait_for(lambda: session.displayed() == 1, "a nudge after resuming")
        session.stop(remind)


async def test_while_the_app_is_open_the_nudge_goes_to_it_not_the_desktop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = presence.AppPresence.hold()  # as the open app does
    try:
        with desktop_session(tmp_path / "desk") as session:
            async with in_process(session, monkeypatch) as reminder:
                await reminder.after(EVERY.total_seconds())
                assert presence.nudge_waiting()
                assert presence.take_nudge(reminder.wall.now)
                assert session.displayed() == 0
                # The window to answer passes with no desk break started: ignored.
                await reminder.after(EVERY.total_seconds())
                assert ("app", "ignored") in nudges()
                said = printed(reminder)
    finally:
        holder.release()
    assert "nudged in the open calmcoach app." in said


@pytest.mark.parametrize("with_notify_send", [True, False])
async def test_no_notification_service_falls_back_and_says_so_once(
    tmp_path: Path, with_notify_send: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if with_notify_send and shutil.which("notify-send") is None:
        message = "notify-send is missing: apt-get install libnotify-bin"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    with desktop_session(tmp_path / "desk", notifications=False) as session:
        if not with_notify_send:
            bare = tmp_path / "bin"
            bare.mkdir()
            monkeypatch.setenv("PATH", str(bare))
        async with reminder_here(session, monkeypatch) as (reminder, said):
            await reminder.after(2 * EVERY.total_seconds())
            text = printed(reminder)
    if with_notify_send:
        assert said == "no notification service answered on D-Bus; trying notify-send, then a line here."
        assert text.count("notify-send did not show the nudge; using terminal from now on.") == 1
        assert nudges()[0][0] == "terminal"
    else:
        assert said == "no notification service and no notify-send: nudges are printed here as a line."
    assert text.count("Time to move: two minutes of stretching? (calmcoach run desk-break)") >= 2
    assert len(nudges()) >= 2 and all(via == "terminal" for via, _ in nudges())


SCREENSAVER = '''
import asyncio, sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, method

FOLDER = Path(sys.argv[1])


class ScreenSaver(ServiceInterface):
    """What a desktop's screen saver answers: locked while a file says so, and idle seconds."""

    def __init__(self):
        super().__init__("org.freedesktop.ScreenSaver")

    @method()
    def GetActive(self) -> "b":
        return (FOLDER / "locked").exists()

    @method()
    def GetSessionIdleTime(self) -> "u":
        idle = FOLDER / "idle"
        return int(idle.read_text()) if idle.exists() else 0


async def main():
    bus = await MessageBus().connect()
    bus.export("/org/freedesktop/ScreenSaver", ScreenSaver())
    await bus.request_name("org.freedesktop.ScreenSaver")
    print("ready", flush=True)
    await asyncio.Future()


asyncio.run(main())
'''


@pytest.mark.parametrize("how", ["locked", "idle"])
async def test_locked_or_away_holds_nudges_until_the_person_is_back(
    tmp_path: Path, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The screen saver here is a small service on the bus (the desktop's own is not
    available under Xvfb); the reminder asks it over D-Bus as it would ask KDE's."""
    state = tmp_path / "screensaver"
    state.mkdir()
    if how == "locked":
        (state / "locked").touch()
    else:
        (state / "idle").write_text("600")  # seconds without input
    script = tmp_path / "screensaver.py"
    script.write_text(SCREENSAVER)
    with desktop_session(tmp_path / "desk") as session:
        saver = session.start([sys.executable, str(script), str(state)], stdout=subprocess.PIPE)
        assert saver.stdout is not None and saver.stdout.readline() == b"ready\n"
        async with in_process(session, monkeypatch) as reminder:
            await reminder.after(30)  # 15 intervals
            assert reminder.reminder.last_why.startswith("you seem to be away")
            assert nudges() == [] and session.displayed() == 0
            (state / how).unlink()  # back
            await reminder.after(2 * EVERY.total_seconds())  # the timer restarts on return
            assert session.displayed() == 1


async def test_a_nudge_left_alone_is_closed_as_ignored_and_never_two_are_on_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with desktop_session(tmp_path / "desk") as session:
        async with in_process(session, monkeypatch) as reminder:
            most = 0
            for _ in range(40):  # 8 s in fifths of a second: four intervals
                await reminder.after(0.2)
                most = max(most, session.displayed())
    answers = [answer for _, answer in nudges()]
    assert answers[:3] == ["ignored"] * 3  # each left alone until its window (1.6 s) passed
    assert most == 1


def remind_log() -> str:
    path = locations.state_dir() / "remind.log"
    return path.read_text() if path.exists() else ""


async def test_an_answered_nudge_is_taken_off_the_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dunst leaves a notification on screen after one of its actions is chosen from the
    context menu (until its own timeout, which waits while the person is idle)."""
    marker = tmp_path / "started.txt"
    everyday_settings(locations.config_dir(), marker)
    recorder = str(locations.config_dir() / "recorder.py")
    settings = replace(ALL_DAY, start_command=(sys.executable, recorder, str(marker), "desk-break"))
    with desktop_session(tmp_path / "desk") as session:
        async with in_process(session, monkeypatch, settings) as reminder:
            await reminder.after(EVERY.total_seconds())
            assert session.displayed() == 1
            session.press("Start")
            await reminder.until(lambda: ("desktop", "started") in nudges(), "the answer in the history")
            # Closed before the answer is kept: nothing left to choose Start from again.
            assert session.displayed() == 0
            await reminder.after(EVERY.total_seconds())
            assert session.displayed() == 1
            session.press("Snooze 1 min")
            await reminder.until(lambda: ("desktop", "snoozed") in nudges(), "the snooze in the history")
            assert session.displayed() == 0
    wait_for(marker.exists, "the desk break to be started")
    assert marker.read_text() == "desk-break\n"


async def test_a_start_that_cannot_open_is_not_counted_as_started_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = replace(ALL_DAY, start_command=("/nonexistent/prog", "x"))
    with desktop_session(tmp_path / "desk") as session:
        async with in_process(session, monkeypatch, settings) as reminder:
            await reminder.after(EVERY.total_seconds())
            assert session.displayed() == 1
            session.press("Start")
            await reminder.until(lambda: nudges() == [("desktop", "ignored")], "the nudge kept as ignored")
            await reminder.until(lambda: session.displayed() == 1, "the message saying why")
            session.dunstctl("close")
            wait_for(lambda: len(session.received()) == 2, "dunst to keep both in its history")
            nudge, told = session.received()
            said = printed(reminder)
    assert nudge == "Two minutes of stretching?"
    assert told.startswith("The desk break could not open (prog: No such file or directory).")
    assert "calmcoach remind: could not start /nonexistent/prog: No such file or directory" in said
    history = History.open(locations.history_file()).history
    try:
        assert history.stats().nudge_answers == {"ignored": 1}
    finally:
        history.close()


@pytest.mark.parametrize("signalled", [True, False], ids=["bus-then-signal", "bus-only"])
def test_the_session_bus_going_away_ends_the_reminder_quietly(tmp_path: Path, signalled: bool) -> None:
    """At logout the session bus ends, and the reminder is usually sent SIGTERM or SIGHUP
    too. With a nudge on screen, closing it then used to write a traceback."""
    everyday_settings(locations.config_dir(), tmp_path / "started.txt")
    with desktop_session(tmp_path / "desk") as session:
        remind = session.start(
            remind_command("--every", "2s"), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        wait_for(lambda: session.displayed() == 1, "the nudge on screen")
        session.end_bus()
        if signalled:
            remind.send_signal(signal.SIGTERM)
        assert remind.wait(WAIT) == 0
        assert remind.stderr is not None and remind.stderr.read() == b""
    assert output(remind).endswith("calmcoach remind: stopped.\n")
    after = [line.split(" ", 3)[3] for line in remind_log().split("nudged via desktop\n")[1].splitlines()]
    said = [line for line in after if line not in ("nudge ignored", "stopped.")]
    assert len(said) <= 1 and all(line.startswith("the session bus went away (") for line in said), after
    if not signalled:
        assert said
