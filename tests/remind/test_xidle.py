"""Idle time from the X server (issue 27, part 3): under Xvfb, with no D-Bus service that
reports idle time, the reminder reads MIT-SCREEN-SAVER through python-xlib.

The idle time is the X server's own, real one: the waits below are for it to grow (a
second or two, bounded by hang guards); ``xdotool`` moves the pointer to end it. The
schedule's time is the reminder's injected fake clocks.
"""

from __future__ import annotations

import asyncio
import io
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from calmcoach.remind import main as remind_main
from calmcoach.remind.desktop import Desktop
from calmcoach.remind.settings import RemindSettings
from calmcoach.remind.xidle import XIdle
from tests.clocks import FakeClock
from tests.remind.desktop_session import WAIT, Session, desktop_session

pytestmark = pytest.mark.slow

AWAY = timedelta(seconds=2)
"""Idle this long counts as away (the file allows 1m and more; the X server's idle time is
real, so the test keeps it short)."""
SETTINGS = RemindSettings(
    every=timedelta(seconds=4),
    start=datetime.min.time(),
    end_minutes=24 * 60,
    days=frozenset(range(7)),
    away_after=AWAY,
)


@pytest.fixture
def session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """Xvfb and a private session bus with no idle service on it (a bare window manager)."""
    with desktop_session(tmp_path / "desk", notifications=False) as session:
        for name in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS"):
            monkeypatch.setenv(name, session.env[name])
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        yield session


def move_pointer(session: Session, x: int) -> None:
    subprocess.run(["xdotool", "mousemove", str(x), "20"], env=session.env, check=True, timeout=WAIT)


async def wait_until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def reading(xidle: XIdle) -> float:
    """A reading; one that ran out of time on a loaded machine (None) is asked again."""
    deadline = time.monotonic() + WAIT
    while (idle := await xidle.idle()) is None:
        assert time.monotonic() < deadline, "the X server gave no idle time"
        await asyncio.sleep(0.05)
    return idle


async def test_the_x_idle_time_grows_without_input_and_drops_when_the_pointer_moves(session: Session) -> None:
    xidle = XIdle()
    try:
        await reading(xidle)  # the first opens the connection to the X server
        move_pointer(session, 10)
        first = await reading(xidle)
        grown = first

        async def has_grown() -> bool:
            nonlocal grown
            grown = await reading(xidle)
            return grown >= first + 0.5

        await wait_until(has_grown, "the idle time to grow")
        move_pointer(session, 200)
        assert await reading(xidle) < grown, "moving the pointer starts the idle time again"
    finally:
        xidle.close()


async def test_with_no_idle_service_on_the_bus_the_desktop_reads_the_x_server(session: Session) -> None:
    desktop = Desktop()
    try:
        move_pointer(session, 10)

        async def idle_for_a_second() -> bool:
            seen = await desktop.seen(with_quiet=False)
            return seen.idle is not None and seen.idle >= 1.0

        await wait_until(idle_for_a_second, "the desktop to see a second without input")
        move_pointer(session, 300)
        seen = await desktop.seen(with_quiet=False)
        assert seen.idle is not None and seen.idle < 1.0
    finally:
        await desktop.close()


class Recorder:
    """A way to nudge that counts the nudges shown."""

    name = "recorder"

    def __init__(self) -> None:
        self.shown = 0

    async def show(self, answer: Callable[[str], None], seconds: float) -> bool | None:
        self.shown += 1
        return True

    async def close(self) -> None:
        return None

    async def tell(self, text: str) -> None:
        return None


async def test_a_due_nudge_waits_while_x_says_idle_and_comes_once_the_pointer_moves(session: Session) -> None:
    wall = [datetime(2026, 11, 23, 10, 0, tzinfo=UTC)]
    monotonic = FakeClock()
    reminder = remind_main.Reminder(SETTINGS, out=io.StringIO(), clock=lambda: wall[0], monotonic=monotonic)
    recorder = Recorder()
    reminder.ways = [recorder]

    async def after(seconds: float) -> None:
        """``seconds`` of the reminder's (fake) time, in half-second looks."""
        for _ in range(int(seconds / 0.5)):
            await reminder.look()
            wall[0] += timedelta(seconds=0.5)
            monotonic.advance(0.5)
        await reminder.look()

    xidle = XIdle()
    try:
        move_pointer(session, 10)

        async def away() -> bool:
            reading = await xidle.idle()
            return reading is not None and reading >= AWAY.total_seconds() + 0.2

        await wait_until(away, "the X server to count the person away")
        await after(3 * SETTINGS.every.total_seconds())  # three nudges' time
        assert recorder.shown == 0
        assert reminder.last_why.startswith("you seem to be away")

        move_pointer(session, 300)  # back
        await after(SETTINGS.every.total_seconds() + 0.5)  # the timer restarts on return
        assert recorder.shown == 1
    finally:
        xidle.close()
        await reminder.desktop.close()


async def test_under_wayland_the_x_server_is_not_asked(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """XWayland counts only the input of X windows: its idle time would grow while the person
    works in Wayland ones, and hold every nudge."""
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    xidle = XIdle()
    try:
        move_pointer(session, 10)
        await asyncio.sleep(0)
        assert await xidle.idle() is None
    finally:
        xidle.close()
