"""calmcoach in the tray (issue 27): ``calmcoach remind`` for real on a private session bus,
read by a stand-in tray host (tests/remind/tray_host.py) the way a panel reads it.

What the menu opens goes through the reminder's own start command; with no display that
is ``$TERMINAL -e calmcoach ...``, and ``$TERMINAL`` here is a recorder of its arguments.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from dbus_fast import Message, MessageType, Variant

from calmcoach.data import locations
from calmcoach.remind.tray import _png_rgba
from tests.remind import tray_icon
from tests.remind.desktop_session import WAIT, Session, desktop_session, everyday_settings, remind_command
from tests.remind.tray_host import TrayHost

pytestmark = pytest.mark.slow

CALMCOACH = f"-e {sys.executable} -m calmcoach"
"""How the recorder standing in for the terminal sees calmcoach started."""


def started(marker: Path) -> list[str]:
    return marker.read_text().splitlines() if marker.exists() else []


def status(session: Session) -> str:
    result = subprocess.run(
        remind_command("--status"), env=session.env, capture_output=True, text=True, timeout=WAIT
    )
    return result.stdout


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    """A private session bus (no display, no notification server); nudges hourly, all day."""
    everyday_settings(locations.config_dir(), tmp_path / "desk-break.txt")
    with desktop_session(tmp_path / "desk", notifications=False, display=False) as session:
        recorder = locations.config_dir() / "recorder.py"
        session.env["TERMINAL"] = f"{sys.executable} {recorder} {tmp_path / 'opened.txt'}"
        yield session


def start_reminder(session: Session, tmp_path: Path) -> subprocess.Popen[bytes]:
    out = (tmp_path / "remind.out").open("wb")
    return session.start(remind_command("--every", "1h"), stdout=out, stderr=subprocess.STDOUT)


def said(tmp_path: Path) -> str:
    return (tmp_path / "remind.out").read_text()


def logged() -> str:
    path = locations.state_dir() / "remind.log"
    return path.read_text() if path.exists() else ""


async def test_the_tray_shows_calmcoach_and_its_menu_starts_what_each_entry_says(
    session: Session, tmp_path: Path
) -> None:
    host = await TrayHost.start(session.env["DBUS_SESSION_BUS_ADDRESS"])
    try:
        remind = start_reminder(session, tmp_path)
        await host.until(lambda: host.registered, "the item's registration")
        assert host.item.service.startswith("org.kde.StatusNotifierItem-")

        item = await host.item_properties()
        assert (item["Id"], item["Title"], item["Category"], item["Status"]) == (
            "calmcoach",
            "calmcoach",
            "ApplicationStatus",
            "Active",
        )
        assert item["IconName"] == "calmcoach" and item["Menu"] == "/MenuBar" and item["ItemIsMenu"] is False
        sizes = sorted((width, height) for width, height, _ in item["IconPixmap"])
        assert sizes == [(16, 16), (22, 22), (32, 32), (48, 48)]
        for width, height, argb in item["IconPixmap"]:
            assert len(argb) == width * height * 4
        # ARGB in network byte order: the centre of the icon is its opaque pale disc (#a8efe2).
        width, _, argb = next(p for p in item["IconPixmap"] if p[0] == 32)
        centre = (16 * width + 16) * 4
        assert tuple(argb[centre : centre + 4]) == (255, 0xA8, 0xEF, 0xE2)
        _, title, tip = item["ToolTip"][0], item["ToolTip"][2], item["ToolTip"][3]
        assert title == "calmcoach" and tip.startswith("Next nudge at "), tip

        revision, root = await host.menu()
        assert root.outline() == [
            "Flare routine",
            "4-2-6 breathing",
            "Open calmcoach",
            "-",
            ("Pause reminders", ["For 1 hour", "Until tomorrow"]),
            "-",
            "Quit reminders",
        ]
        menu = await host.call(
            host.item.service,
            "/MenuBar",
            "org.freedesktop.DBus.Properties",
            "GetAll",
            "s",
            ["com.canonical.dbusmenu"],
        )
        assert {k: v.value for k, v in menu.body[0].items()}["Version"] == 3
        ids = [root.find("Flare routine").id, root.find("Quit reminders").id]
        group = await host.call(
            host.item.service,
            "/MenuBar",
            "com.canonical.dbusmenu",
            "GetGroupProperties",
            "aias",
            [ids, ["label"]],
        )
        assert group.message_type == MessageType.METHOD_RETURN, group.body
        assert [(i, p["label"].value) for i, p in group.body[0]] == [
            (ids[0], "Flare routine"),
            (ids[1], "Quit reminders"),
        ]
        shown = await host.call(
            host.item.service, "/MenuBar", "com.canonical.dbusmenu", "AboutToShow", "i", [0]
        )
        assert shown.body == [False]

        opened = tmp_path / "opened.txt"
        await host.activate()  # the icon itself: the flare routine
        await host.until(lambda: started(opened) == [f"{CALMCOACH} flare"], "the flare routine from the icon")
        for count, (label, words) in enumerate(
            (("Flare routine", "flare"), ("4-2-6 breathing", "run breathing-4-2-6"), ("Open calmcoach", "")),
            start=2,
        ):
            reply = await host.click(label)
            assert reply.message_type == MessageType.METHOD_RETURN
            await host.until(lambda count=count: len(started(opened)) == count, label)
            assert started(opened)[-1] == f"{CALMCOACH} {words}".rstrip()
        assert not (
            tmp_path / "desk-break.txt"
        ).exists()  # the nudge's own start command is for the desk break

        assert "Now: paused" not in status(session)
        await host.click("For 1 hour")
        assert "Now: paused; nudges start again at" in status(session)
        new_revision, root = await host.menu()
        assert new_revision > revision and ("LayoutUpdated", [new_revision, 0]) in host.signals
        assert "Resume reminders" in root.outline() and "Pause reminders" not in str(root.outline())
        tip = (await host.item_properties())["ToolTip"][3]
        assert tip.startswith("Reminders are paused until "), tip
        assert ("NewToolTip", []) in host.signals

        await host.click("Resume reminders")
        await host.until(lambda: "Now: paused" not in status(session), "the reminder to resume")
        assert (await host.item_properties())["ToolTip"][3].startswith("Next nudge at ")
        await host.click("Until tomorrow")
        assert "Now: paused; nudges start again tomorrow at 00:00" in status(session)
        await host.click("Resume reminders")

        await host.click("Quit reminders")
        assert remind.wait(WAIT) == 0
        assert "quit from the tray." in said(tmp_path)
    finally:
        host.close()


async def test_absurd_messages_to_the_tray_are_refused_and_the_reminder_goes_on(
    session: Session, tmp_path: Path
) -> None:
    host = await TrayHost.start(session.env["DBUS_SESSION_BUS_ADDRESS"])
    try:
        remind = start_reminder(session, tmp_path)
        await host.until(lambda: host.registered, "the item's registration")
        name = host.item.service

        async def send(path: str, member: str, signature: str, body: list[object]) -> Message:
            interface = "com.canonical.dbusmenu" if path == "/MenuBar" else "org.kde.StatusNotifierItem"
            return await host.call(name, path, interface, member, signature, body)

        refused = [
            await send("/MenuBar", "Event", "isvu", [2**31 - 1, "clicked", Variant("s", "x"), 2**32 - 1]),
            await send("/MenuBar", "Event", "s", ["\x1b[2J" * 1000]),
            await send("/MenuBar", "GetLayout", "iias", [-(2**31), 2**31 - 1, ["\x1b" * 10_000]]),
            await send("/MenuBar", "GetGroupProperties", "aias", [list(range(100_000)), []]),
            await send(
                "/MenuBar",
                "EventGroup",
                "a(isvu)",
                [[[i, "clicked", Variant("s", ""), 0] for i in range(1000)]],
            ),
            await send("/StatusNotifierItem", "Activate", "s", ["now"]),
            await host.call(
                name,
                "/StatusNotifierItem",
                "org.freedesktop.DBus.Properties",
                "Get",
                "ss",
                ["org.kde.StatusNotifierItem", "Nope"],
            ),
            await host.call(
                name,
                "/StatusNotifierItem",
                "org.freedesktop.DBus.Properties",
                "Set",
                "ssv",
                ["org.kde.StatusNotifierItem", "Title", Variant("s", "x")],
            ),
        ]
        assert [reply.message_type for reply in refused] == [MessageType.ERROR] * len(refused), [
            r.body for r in refused
        ]
        # An event that is not a click, and one for the root, open nothing.
        for entry, kind in ((1, "hovered"), (0, "clicked")):
            reply = await send("/MenuBar", "Event", "isvu", [entry, kind, Variant("i", 7), 0])
            assert reply.message_type == MessageType.METHOD_RETURN
        # A flood of clicks on one entry opens it once.
        _, root = await host.menu()
        breathing = root.find("4-2-6 breathing").id
        clicks = [
            send("/MenuBar", "Event", "isvu", [breathing, "clicked", Variant("s", ""), 0]) for _ in range(20)
        ]
        await asyncio.gather(*clicks)
        await host.until(lambda: started(tmp_path / "opened.txt"), "the breathing to open")
        assert remind.poll() is None and "is running" in status(session)
        assert started(tmp_path / "opened.txt") == [f"{CALMCOACH} run breathing-4-2-6"]
        assert "Traceback" not in said(tmp_path)
        session.stop(remind)
    finally:
        host.close()


async def test_with_no_tray_it_says_so_once_and_registers_when_a_tray_appears(
    session: Session, tmp_path: Path
) -> None:
    host = await TrayHost.start(session.env["DBUS_SESSION_BUS_ADDRESS"], own=False)
    try:
        remind = start_reminder(session, tmp_path)
        await host.until(lambda: "no tray on this desktop" in logged(), "the line saying there is no tray")
        assert host.registered == [] and logged().count("no tray on this desktop") == 1
        assert "tray" not in said(tmp_path)  # a line in the log: the output stays as it was
        await host.own()  # a panel starts
        await host.until(lambda: host.registered, "the item's registration with the new tray")
        assert (await host.item_properties())["Title"] == "calmcoach"
        await host.until(lambda: "shown in the tray." in logged(), "the line saying it is in the tray")
        host.close()  # the panel restarts: its watcher goes, and a new one comes
        host = await TrayHost.start(session.env["DBUS_SESSION_BUS_ADDRESS"])
        await host.until(lambda: host.registered, "the item's registration with the restarted tray")
        assert (await host.item_properties())["Title"] == "calmcoach"
        assert remind.poll() is None and logged().count("no tray on this desktop") == 1
        session.stop(remind)
    finally:
        host.close()


async def test_tray_false_in_the_settings_shows_no_tray_item(session: Session, tmp_path: Path) -> None:
    settings = locations.config_dir() / "remind.toml"
    settings.write_text(settings.read_text() + "tray = false\n")
    host = await TrayHost.start(session.env["DBUS_SESSION_BUS_ADDRESS"])
    try:
        remind = start_reminder(session, tmp_path)
        await host.until(lambda: "To see one now" in said(tmp_path), "the reminder to start")
        await host.until(lambda: "is running" in status(session), "the reminder to listen")
        assert host.registered == [] and "tray" not in logged()
        session.stop(remind)
    finally:
        host.close()


def test_the_shipped_icon_pixmaps_are_the_svg_as_drawn_now() -> None:
    for size in tray_icon.SIZES:
        shipped = (tray_icon.ICONS / f"calmcoach-{size}.png").read_bytes()
        assert _png_rgba(shipped) == (size, size, tray_icon.render(size))


def test_the_tray_entries_open_in_the_desktop_window_and_start_command_stays_the_nudges(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from calmcoach.remind.main import TRAY_OPENS, start_command
    from calmcoach.remind.settings import RemindSettings

    monkeypatch.setattr(sys, "platform", "linux")
    calmcoach = [sys.executable, "-m", "calmcoach"]
    own = RemindSettings(start_command=("my-break",))  # what a nudge's Start runs, only that
    for settings in (RemindSettings(), own):
        opened = {
            name: start_command(settings, {"DISPLAY": ":0"}, words) for name, words in TRAY_OPENS.items()
        }
        assert opened == {
            "flare": [*calmcoach, "desktop", "flare"],
            "breathing": [*calmcoach, "desktop", "run", "breathing-4-2-6"],
            "open": [*calmcoach, "desktop"],
        }
