"""The reminder under faults (issue 24): a slow or silent notification server, forged
answers, a clock set back, hostile state files; and ``--now`` and its first line (issue 23).

In-process reminders run on fake clocks and short D-Bus timeouts; the notification
server is a stand-in (tests/remind/standin_server.py) on a private session bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from calmcoach.data import locations
from calmcoach.data.history import History
from calmcoach.remind import main as remind_main
from calmcoach.remind.desktop import Desktop
from calmcoach.remind.notify import DesktopNudger, choose
from calmcoach.remind.settings import RemindSettings
from tests.clocks import FakeClock
from tests.remind.desktop_session import WAIT, Session, desktop_session, remind_command

SUNDAY_NIGHT = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
"""A Sunday, 03:00: outside the default hours (09:00 to 18:00, Mon to Fri)."""
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ALL_DAY = RemindSettings(
    every=timedelta(hours=1), start=datetime.min.time(), end_minutes=24 * 60, days=frozenset(range(7))
)
STANDIN = Path(__file__).with_name("standin_server.py")


def nudges() -> list[tuple[str, str | None]]:
    path = locations.history_file()
    if not path.exists():
        return []
    history = History.open(path).history
    try:
        return [(n.via, n.answer) for n in reversed(history.nudges())]
    finally:
        history.close()


@dataclass
class FakeNudger:
    """A way to nudge that records what it is asked and answers as the test says."""

    name: str = "fake"
    shown: int = 0
    closed: int = 0
    reply: str | None = None
    """Answered at once (on the next turn of the loop) with this, when set."""
    told: list[str] = field(default_factory=list)

    async def show(self, answer: Callable[[str], None], seconds: float) -> bool | None:
        self.shown += 1
        if self.reply is not None:
            asyncio.get_running_loop().call_soon(answer, self.reply)
        return True

    async def close(self) -> None:
        self.closed += 1

    async def tell(self, text: str) -> None:
        self.told.append(text)


@pytest.fixture
def no_bus(monkeypatch: pytest.MonkeyPatch) -> None:
    """No session bus: the in-process reminder reads no desktop."""
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)


class WallClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


# --- the clock set back (point 7) -------------------------------------------------------


async def test_a_clock_set_back_while_a_nudge_is_out_does_not_keep_it_out(no_bus: None) -> None:
    wall, monotonic = WallClock(MONDAY), FakeClock()
    reminder = remind_main.Reminder(ALL_DAY, out=io.StringIO(), clock=wall, monotonic=monotonic)
    way = FakeNudger()
    reminder.ways = [way]
    for _ in range(61):  # an hour, a look a minute (as it polls)
        await reminder.look()
        wall.now += timedelta(minutes=1)
        monotonic.advance(60)
    assert way.shown == 1 and reminder.current is not None
    wall.now -= timedelta(hours=2)  # the clock is set back while the nudge is on screen
    monotonic.advance(60)
    assert await reminder.look() <= 9 * 60  # waits for the nudge's time, not for the jump
    monotonic.advance(9 * 60 + 1)  # its ten minutes to answer have passed, by the monotonic clock
    await reminder.look()
    assert reminder.current is None and way.closed >= 1
    assert nudges() == [("fake", "ignored")]


# --- --now, and the first line ----------------------------------------------------------


async def test_now_shows_one_nudge_outside_the_hours_and_ends_with_its_answer(
    no_bus: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    way = FakeNudger(reply="skip")

    async def only_the_fake(*_args: object) -> tuple[list[FakeNudger], str]:
        return [way], "nudges go to a fake."

    monkeypatch.setattr(remind_main, "choose", only_the_fake)
    out = io.StringIO()
    reminder = remind_main.Reminder(RemindSettings(), out=out, clock=WallClock(SUNDAY_NIGHT))
    assert await asyncio.wait_for(reminder.run(once=True), WAIT) == 0
    assert way.shown == 1
    assert nudges() == [("fake", "skipped")]
    lines = out.getvalue().splitlines()
    assert lines[0] == "calmcoach remind: one nudge now, whatever the hours; nudges go to a fake."
    assert lines[-1].startswith("calmcoach remind: the nudge was skipped;")


def test_now_is_an_option_of_the_command() -> None:
    """``calmcoach remind --now`` with no desktop: the nudge is a line, and it ends."""
    env = {k: v for k, v in os.environ.items() if k not in ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR")}
    env["PATH"] = os.path.dirname(sys.executable)  # no notify-send
    result = subprocess.run(remind_command("--now"), env=env, capture_output=True, text=True, timeout=WAIT)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("calmcoach remind: one nudge now, whatever the hours;")
    assert "Time to move: two minutes of stretching? (calmcoach run desk-break)" in lines
    assert nudges() == [("terminal", "ignored")]


async def test_the_first_line_says_when_the_next_nudge_comes_and_why(
    no_bus: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def only_the_fake(*_args: object) -> tuple[list[FakeNudger], str]:
        return [FakeNudger()], "nudges go to a fake."

    monkeypatch.setattr(remind_main, "choose", only_the_fake)
    out = io.StringIO()
    reminder = remind_main.Reminder(RemindSettings(), out=out, clock=WallClock(SUNDAY_NIGHT))
    asyncio.get_running_loop().call_later(0.2, reminder.stop)
    assert await asyncio.wait_for(reminder.run(), WAIT) == 0
    first = out.getvalue().splitlines()[0]
    assert first == (
        "calmcoach remind: next nudge tomorrow at 10:00 (your hours are 09:00 to 18:00, Mon to Fri, "
        "and it is outside them now; one every 1h from their start). To see one now: calmcoach remind --now"
    )


# --- Start opens the routine, not the welcome ---------------------------------------------


def test_what_start_opens_is_marked_as_opened_by_a_nudge(tmp_path: Path) -> None:
    marker = tmp_path / "env.txt"
    code = (
        f"import os; open({str(marker)!r}, 'w').write(os.environ.get({remind_main.OPENED_BY_NUDGE!r}, '-'))"
    )
    settings = RemindSettings(start_command=(sys.executable, "-c", code))
    reminder = remind_main.Reminder(settings, out=io.StringIO())
    assert reminder.launch() is None
    reminder._children[0].wait(WAIT)
    assert marker.read_text() == "1"


# --- a stand-in notification server on a private bus ----------------------------------------


@dataclass
class StandIn:
    session: Session
    folder: Path
    unique_name: str

    def delays(self, **delays: float | None) -> None:
        (self.folder / "delays.json").write_text(json.dumps(delays))

    def calls(self, member: str) -> int:
        path = self.folder / "calls.txt"
        return path.read_text().splitlines().count(member) if path.exists() else 0

    def invoke(self, identifier: int, key: str) -> None:
        (self.folder / "invoke.txt").write_text(f"{identifier} {key}")


@pytest.fixture
def standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    """A private session bus (no display) with the stand-in server on it; this process
    is pointed at the bus."""
    with desktop_session(tmp_path / "bus", notifications=False, display=False) as session:
        folder = tmp_path / "standin"
        folder.mkdir()
        server = session.start([sys.executable, str(STANDIN), str(folder)], stdout=subprocess.PIPE)
        assert server.stdout is not None
        ready, unique_name = server.stdout.readline().decode().split()
        assert ready == "ready"
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session.env["DBUS_SESSION_BUS_ADDRESS"])
        monkeypatch.setenv("PATH", os.path.dirname(sys.executable))  # no notify-send: the bus only
        yield StandIn(session, folder, unique_name)


async def until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


SHORT = 0.3
"""The D-Bus call timeout in these tests: replies later than this count as late."""
QUICK = RemindSettings(
    every=timedelta(seconds=1),
    start=datetime.min.time(),
    end_minutes=24 * 60,
    days=frozenset(range(7)),
    away_after=timedelta(minutes=1),
)


@contextlib.asynccontextmanager
async def running(
    settings: RemindSettings = QUICK,
) -> AsyncIterator[tuple[remind_main.Reminder, io.StringIO]]:
    """A reminder running in this loop with short D-Bus timeouts; stopped afterwards."""
    out = io.StringIO()
    reminder = remind_main.Reminder(settings, out=out)
    reminder.desktop = Desktop(call_timeout=SHORT)
    task = asyncio.ensure_future(reminder.run())
    try:
        yield reminder, out
    finally:
        reminder.stop()
        await asyncio.wait_for(task, WAIT)


@pytest.mark.parametrize("late", [2 * SHORT, None], ids=["late", "never"])
async def test_a_slow_notification_server_is_asked_again_and_the_reminder_goes_on(
    standin: StandIn, late: float | None
) -> None:
    """Its name and every nudge late (or never answered): the reminder keeps running and keeps trying;
    once the server answers again, the nudge is shown by it."""
    standin.delays(GetServerInformation=late, Notify=late)
    async with running() as (reminder, out):
        await until(lambda: standin.calls("Notify") >= 2, "the nudge to be tried twice")
        assert not reminder._stop and nudges() == []
        standin.delays()  # quick again
        await until(lambda: ("desktop", None) in nudges(), "the nudge shown by the server")
        assert not reminder._stop
    text = out.getvalue()
    assert "nudges go to the desktop's notification service (it did not answer in time just now)." in text
    assert text.count("the notification service did not answer in time; it is tried again shortly.") == 1
    assert "the session bus went away" not in remind_log()


async def test_a_late_do_not_disturb_reading_holds_the_nudge_and_does_not_end_the_reminder(
    standin: StandIn,
) -> None:
    standin.delays(Get=2 * SHORT)
    async with running() as (reminder, _):
        await until(lambda: standin.calls("Get") >= 3, "do not disturb to be asked three times")
        assert not reminder._stop and standin.calls("Notify") == 0
        standin.delays()
        await until(lambda: standin.calls("Notify") >= 1, "the nudge once the server answers")


def remind_log() -> str:
    path = locations.state_dir() / "remind.log"
    return path.read_text() if path.exists() else ""


async def test_the_server_name_is_shown_with_its_control_characters_made_visible(standin: StandIn) -> None:
    (standin.folder / "name.txt").write_text("\x1b]0;owned\x07dunst\u202e")
    _, said = await choose(desktop := Desktop(call_timeout=SHORT), 15)
    await desktop.close()
    assert said == "nudges go to the desktop's notification service (\\x1b]0;owned\\x07dunst\\u202e 1.0)."


async def test_actions_count_only_from_the_server_that_shows_the_nudge(standin: StandIn) -> None:
    from dbus_fast import Message
    from dbus_fast.aio import MessageBus

    desktop = Desktop(call_timeout=5)
    way = DesktopNudger(desktop, 15)
    answers: list[str] = []
    forger = await MessageBus().connect()
    try:
        assert await way.show(answers.append, 60) is True
        identifier = standin.calls("Notify")  # the stand-in numbers nudges from 1

        def forge(key: str, number: int) -> None:
            forger.send(
                Message.new_signal(
                    "/org/freedesktop/Notifications",
                    "org.freedesktop.Notifications",
                    "ActionInvoked",
                    "us",
                    [number, key],
                )
            )

        forge("start", identifier)  # another client, the right id
        standin.invoke(identifier + 1, "snooze")  # the server, but not the nudge on screen
        # A round trip through the bus: the forged signal has been delivered before what follows.
        await forger.call(
            Message(
                destination="org.freedesktop.DBus",
                path="/org/freedesktop/DBus",
                interface="org.freedesktop.DBus",
                member="GetId",
            )
        )
        await until(lambda: (standin.folder / "invoke.txt").exists() is False, "the stand-in's signal")
        standin.invoke(identifier, "skip")  # the server, for the nudge on screen
        await until(lambda: bool(answers), "an answer")
        assert answers == ["skip"]
    finally:
        forger.disconnect()
        await desktop.close()


# --- hostile state files (points 5 and 10) -------------------------------------------------


def bare_env() -> dict[str, str]:
    """No session bus and no notify-send: the reminder starts at once, with lines here."""
    env = {k: v for k, v in os.environ.items() if k not in ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR")}
    env["PATH"] = os.path.dirname(sys.executable)
    return env


def read_lines(process: subprocess.Popen[str], count: int) -> list[str]:
    """The first ``count`` lines of its output; fails (rather than hangs) after WAIT seconds."""
    assert process.stdout is not None
    stdout = process.stdout
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(stdout.readline()) for _ in range(count)], daemon=True).start()
    try:
        return [lines.get(timeout=WAIT) for _ in range(count)]
    except queue.Empty:
        raise AssertionError(f"fewer than {count} lines in {WAIT} s") from None


def make(kind: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        path.write_text("not a folder")


@pytest.mark.parametrize(
    ("name", "kind", "said"),
    [
        ("remind.lock", "fifo", "remind.lock: it is not a regular file; remove it"),
        ("remind.lock", "folder", "remind.lock: it is a folder, not a file; remove it"),
        ("", "file", "cannot use the state folder "),
    ],
    ids=["lock-fifo", "lock-folder", "state-dir-a-file"],
)
def test_a_state_file_that_cannot_be_used_is_one_line_not_a_hang_or_a_traceback(
    name: str, kind: str, said: str
) -> None:
    path = locations.state_dir() / name if name else locations.state_dir()
    make(kind, path)
    started = time.monotonic()
    result = subprocess.run(remind_command(), env=bare_env(), capture_output=True, text=True, timeout=WAIT)
    assert time.monotonic() - started < 10  # generous for a busy machine: about a hang, not speed
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("calmcoach: ") and said in line, line


@pytest.mark.parametrize(
    ("name", "kind", "said"),
    [
        ("remind.log", "fifo", "remind.log: it is not a regular file; remove it; the reminder keeps no log"),
        ("remind.sock", "folder", "cannot reach this reminder: cannot listen on "),
    ],
    ids=["log-fifo", "socket-folder"],
)
def test_a_log_or_socket_that_cannot_be_used_is_one_line_and_the_reminder_still_stops_on_ctrl_c(
    name: str, kind: str, said: str
) -> None:
    make(kind, locations.state_dir() / name)
    remind = subprocess.Popen(
        remind_command(), env=bare_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert remind.stdout is not None
        lines = read_lines(remind, 3)
        remind.send_signal(signal.SIGINT)
        assert remind.wait(WAIT) == 0
    finally:
        if remind.poll() is None:
            remind.kill()
            remind.wait()
    text = "".join(lines) + remind.stdout.read()
    assert sum(said in line for line in text.splitlines()) == 1, text
    assert "Traceback" not in text and text.endswith("calmcoach remind: stopped.\n")


async def test_a_nudge_the_server_shows_after_its_time_is_taken_away(standin: StandIn) -> None:
    """Notify answered late: the reminder has moved on (it tries again later), so the
    notification that did appear is closed, and two are never on screen."""
    standin.delays(Notify=2 * SHORT)
    desktop = Desktop(call_timeout=SHORT)
    try:
        assert await desktop.notify("calmcoach", "Time to move", "body", [], 1000) is True  # try later
        await until(lambda: standin.calls("CloseNotification") == 1, "the late nudge to be closed")
    finally:
        await desktop.close()


async def test_now_with_a_silent_server_says_no_nudge_was_shown(standin: StandIn) -> None:
    standin.delays(Notify=None)
    out = io.StringIO()
    reminder = remind_main.Reminder(QUICK, out=out)
    reminder.desktop = Desktop(call_timeout=SHORT)
    assert await asyncio.wait_for(reminder.run(once=True), WAIT) == 1
    assert out.getvalue().splitlines()[-1] == (
        "calmcoach remind: the notification service did not answer in time; no nudge was shown; "
        "try again in a moment."
    )
    assert nudges() == []
