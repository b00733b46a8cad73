"""calmcoach in the tray: a StatusNotifierItem with a com.canonical.dbusmenu menu.

The StatusNotifierItem protocol is the tray that KDE Plasma, GNOME (with the AppIndicator
extension), Xfce, LXQt, Cinnamon, waybar and others read over the session bus. The item
(``/StatusNotifierItem``) and its menu (``/MenuBar``) are answered here, message by message,
on the reminder's own dbus-fast connection: every call is checked for its exact signature
and its values before anything is done, since any client on the bus may send anything.

The item registers with ``org.kde.StatusNotifierWatcher``; where there is none (no tray on
this desktop), that is said once, and the item registers again whenever a watcher appears
(a panel restarted).
"""

from __future__ import annotations

import asyncio
import logging
import os
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from calmcoach.domain.visible import visible

log = logging.getLogger("calmcoach.remind")

ITEM_PATH = "/StatusNotifierItem"
MENU_PATH = "/MenuBar"
ITEM = "org.kde.StatusNotifierItem"
MENU = "com.canonical.dbusmenu"
WATCHER = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
PROPERTIES = "org.freedesktop.DBus.Properties"
INTROSPECTABLE = "org.freedesktop.DBus.Introspectable"
ICON_NAME = "calmcoach"
ICON_SIZES = (16, 22, 32, 48)
CALL_TIMEOUT = 2.0
SAME_CLICK = 2.0
"""Seconds in which a second click on the same entry is taken as the same click: a flood
of events from a client on the bus never opens a window each."""
MAX_IDS = 256
"""The most menu ids one call may name: there are a dozen."""

Action = Callable[[str], None]
"""Called with what the person chose: flare, breathing, open, pause-hour, pause-day,
resume or quit."""


@dataclass(frozen=True)
class Entry:
    id: int
    label: str = ""
    action: str | None = None
    separator: bool = False
    children: tuple[Entry, ...] = ()


def menu_entries(paused: bool) -> Entry:
    """The menu, as its root: what it offers depends on whether reminders are paused."""
    pause: tuple[Entry, ...] = (
        (Entry(8, "Resume reminders", "resume"),)
        if paused
        else (
            Entry(
                5,
                "Pause reminders",
                children=(Entry(6, "For 1 hour", "pause-hour"), Entry(7, "Until tomorrow", "pause-day")),
            ),
        )
    )
    return Entry(
        0,
        children=(
            Entry(1, "Flare routine", "flare"),
            Entry(2, "4-2-6 breathing", "breathing"),
            Entry(3, "Open calmcoach", "open"),
            Entry(4, separator=True),
            *pause,
            Entry(9, separator=True),
            Entry(10, "Quit reminders", "quit"),
        ),
    )


def _find(root: Entry, wanted: int) -> Entry | None:
    if root.id == wanted:
        return root
    for child in root.children:
        found = _find(child, wanted)
        if found is not None:
            return found
    return None


# --- the icon -------------------------------------------------------------------------


def _png_rgba(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, RGBA rows) of an 8-bit RGBA, non-interlaced PNG (calmcoach's own icons)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    at, header, idat = 8, b"", b""
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        body = data[at + 8 : at + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if (depth, colour, interlace) != (8, 6, 0):
        raise ValueError("only 8-bit RGBA PNGs without interlacing are read")
    raw, stride = zlib.decompress(idat), width * 4
    out = bytearray()
    previous = bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - 4] if i >= 4 else 0
            up = previous[i]
            corner = previous[i - 4] if i >= 4 else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                near = min(
                    (abs(guess - left), 0, left), (abs(guess - up), 1, up), (abs(guess - corner), 2, corner)
                )
                line[i] = (line[i] + near[2]) & 0xFF
        out += line
        previous = line
    return width, height, bytes(out)


def icon_pixmaps() -> list[list[Any]]:
    """The icon as the protocol's ``a(iiay)``: ARGB32 in network byte order, one per size."""
    pixmaps: list[list[Any]] = []
    for size in ICON_SIZES:
        data = resources.files("calmcoach.remind").joinpath("icons", f"calmcoach-{size}.png").read_bytes()
        width, height, rgba = _png_rgba(data)
        argb = bytearray(len(rgba))
        argb[0::4], argb[1::4], argb[2::4], argb[3::4] = rgba[3::4], rgba[0::4], rgba[1::4], rgba[2::4]
        pixmaps.append([width, height, bytes(argb)])
    return pixmaps


INTROSPECTION = {
    ITEM_PATH: f"""<interface name="{ITEM}">
<property name="Category" type="s" access="read"/><property name="Id" type="s" access="read"/>
<property name="Title" type="s" access="read"/><property name="Status" type="s" access="read"/>
<property name="WindowId" type="i" access="read"/><property name="IconName" type="s" access="read"/>
<property name="IconPixmap" type="a(iiay)" access="read"/>
<property name="OverlayIconName" type="s" access="read"/>
<property name="OverlayIconPixmap" type="a(iiay)" access="read"/>
<property name="AttentionIconName" type="s" access="read"/>
<property name="AttentionIconPixmap" type="a(iiay)" access="read"/>
<property name="AttentionMovieName" type="s" access="read"/>
<property name="ToolTip" type="(sa(iiay)ss)" access="read"/>
<property name="ItemIsMenu" type="b" access="read"/><property name="Menu" type="o" access="read"/>
<method name="ContextMenu"><arg type="i" direction="in"/><arg type="i" direction="in"/></method>
<method name="Activate"><arg type="i" direction="in"/><arg type="i" direction="in"/></method>
<method name="SecondaryActivate"><arg type="i" direction="in"/><arg type="i" direction="in"/></method>
<method name="Scroll"><arg type="i" direction="in"/><arg type="s" direction="in"/></method>
<signal name="NewTitle"/><signal name="NewIcon"/><signal name="NewAttentionIcon"/>
<signal name="NewOverlayIcon"/><signal name="NewToolTip"/>
<signal name="NewStatus"><arg type="s"/></signal>
</interface>""",
    MENU_PATH: f"""<interface name="{MENU}">
<property name="Version" type="u" access="read"/><property name="TextDirection" type="s" access="read"/>
<property name="Status" type="s" access="read"/><property name="IconThemePath" type="as" access="read"/>
<method name="GetLayout"><arg type="i" direction="in"/><arg type="i" direction="in"/>
<arg type="as" direction="in"/><arg type="u" direction="out"/>
<arg type="(ia{{sv}}av)" direction="out"/></method>
<method name="GetGroupProperties"><arg type="ai" direction="in"/><arg type="as" direction="in"/>
<arg type="a(ia{{sv}})" direction="out"/></method>
<method name="GetProperty"><arg type="i" direction="in"/><arg type="s" direction="in"/>
<arg type="v" direction="out"/></method>
<method name="Event"><arg type="i" direction="in"/><arg type="s" direction="in"/>
<arg type="v" direction="in"/><arg type="u" direction="in"/></method>
<method name="EventGroup"><arg type="a(isvu)" direction="in"/><arg type="ai" direction="out"/></method>
<method name="AboutToShow"><arg type="i" direction="in"/><arg type="b" direction="out"/></method>
<method name="AboutToShowGroup"><arg type="ai" direction="in"/><arg type="ai" direction="out"/>
<arg type="ai" direction="out"/></method>
<signal name="ItemsPropertiesUpdated"><arg type="a(ia{{sv}})"/><arg type="a(ias)"/></signal>
<signal name="LayoutUpdated"><arg type="u"/><arg type="i"/></signal>
<signal name="ItemActivationRequested"><arg type="i"/><arg type="u"/></signal>
</interface>""",
}


class _Refused(Exception):
    """A call with arguments that are not what the method takes: answered with an error."""


class Tray:
    """The tray item on ``bus``. ``action`` gets what the person chose; ``monotonic``
    times repeated clicks. What it has to say goes to the reminder's log."""

    def __init__(
        self,
        bus: Any,
        action: Action,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bus = bus
        self._action = action
        self._monotonic = monotonic
        self.name = f"org.kde.StatusNotifierItem-{os.getpid()}-1"
        self.registered = False
        self._paused = False
        self.tooltip = ""
        self.revision = 1
        self._root = menu_entries(False)
        self._pixmaps = icon_pixmaps()
        self._last_click: dict[int, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._said_no_host = False

    # --- starting -------------------------------------------------------------------------

    async def start(self) -> None:
        """Answer on the bus, watch for a tray host, and register with it if there is one."""
        from dbus_fast import Message

        self._bus.add_message_handler(self._on_message)
        await self._call(
            Message(
                destination="org.freedesktop.DBus",
                path="/org/freedesktop/DBus",
                interface="org.freedesktop.DBus",
                member="RequestName",
                signature="su",
                body=[self.name, 4],  # DO_NOT_QUEUE
            )
        )
        rule = (
            "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
            f"member='NameOwnerChanged',arg0='{WATCHER}'"
        )
        await self._call(
            Message(
                destination="org.freedesktop.DBus",
                path="/org/freedesktop/DBus",
                interface="org.freedesktop.DBus",
                member="AddMatch",
                signature="s",
                body=[rule],
            )
        )
        await self.register()

    async def _call(self, message: Any) -> Any:
        """The reply to ``message`` (a method return or an error); None when none came in time."""
        if not self._bus.connected:
            return None  # never written to a bus that has gone (at logout)
        try:
            return await asyncio.wait_for(self._bus.call(message), CALL_TIMEOUT)
        except (TimeoutError, OSError, EOFError) as error:
            log.info("tray: %s.%s: no answer (%r)", message.interface, message.member, error)
            return None

    async def register(self) -> None:
        """Register the item with the tray host's watcher; one line when there is none."""
        from dbus_fast import Message, MessageType

        reply = await self._call(
            Message(
                destination=WATCHER,
                path=WATCHER_PATH,
                interface=WATCHER,
                member="RegisterStatusNotifierItem",
                signature="s",
                body=[self.name],
            )
        )
        if reply is not None and reply.message_type == MessageType.METHOD_RETURN:
            self.registered = True
            self._said_no_host = False
            log.info("shown in the tray.")
            return
        self.registered = False
        if not self._said_no_host:
            self._said_no_host = True
            why = visible(str(getattr(reply, "error_name", None) or "no answer"))[:120]
            log.info(
                "no tray on this desktop (no StatusNotifierWatcher on the session bus: "
                f"{why}); nudges come as notifications only, and the icon appears if a tray starts."
            )

    def _later(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        self._bus.remove_message_handler(self._on_message)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- what it shows --------------------------------------------------------------------

    def show(self, *, paused: bool, tooltip: str) -> None:
        """Bring the menu (Pause or Resume) and the tooltip up to date; tell the host if they changed."""
        from dbus_fast import Message

        if paused != self._paused:
            self._paused = paused
            self._root = menu_entries(paused)
            self.revision += 1
            self._emit(Message.new_signal(MENU_PATH, MENU, "LayoutUpdated", "ui", [self.revision, 0]))
        if tooltip != self.tooltip:
            self.tooltip = tooltip
            self._emit(Message.new_signal(ITEM_PATH, ITEM, "NewToolTip", "", []))

    def _emit(self, message: Any) -> None:
        if self._bus.connected:
            self._bus.send(message)

    def _item_properties(self) -> dict[str, Any]:
        from dbus_fast import Variant

        return {
            "Category": Variant("s", "ApplicationStatus"),
            "Id": Variant("s", "calmcoach"),
            "Title": Variant("s", "calmcoach"),
            "Status": Variant("s", "Active"),
            "WindowId": Variant("i", 0),
            "IconName": Variant("s", ICON_NAME),
            "IconPixmap": Variant("a(iiay)", self._pixmaps),
            "OverlayIconName": Variant("s", ""),
            "OverlayIconPixmap": Variant("a(iiay)", []),
            "AttentionIconName": Variant("s", ""),
            "AttentionIconPixmap": Variant("a(iiay)", []),
            "AttentionMovieName": Variant("s", ""),
            "ToolTip": Variant("(sa(iiay)ss)", [ICON_NAME, self._pixmaps, "calmcoach", self.tooltip]),
            "ItemIsMenu": Variant("b", False),
            "Menu": Variant("o", MENU_PATH),
        }

    @staticmethod
    def _menu_properties() -> dict[str, Any]:
        from dbus_fast import Variant

        return {
            "Version": Variant("u", 3),
            "TextDirection": Variant("s", "ltr"),
            "Status": Variant("s", "normal"),
            "IconThemePath": Variant("as", []),
        }

    @staticmethod
    def _entry_properties(entry: Entry, names: list[str]) -> dict[str, Any]:
        from dbus_fast import Variant

        found: dict[str, Any] = {}
        if entry.separator:
            found["type"] = Variant("s", "separator")
        elif entry.id != 0:
            found["label"] = Variant("s", entry.label)
            found["enabled"] = Variant("b", True)
            found["visible"] = Variant("b", True)
        if entry.children:
            found["children-display"] = Variant("s", "submenu")
        return {key: value for key, value in found.items() if not names or key in names}

    def _layout(self, entry: Entry, depth: int, names: list[str]) -> list[Any]:
        from dbus_fast import Variant

        children = (
            [Variant("(ia{sv}av)", self._layout(child, depth - 1, names)) for child in entry.children]
            if depth != 0
            else []
        )
        return [entry.id, self._entry_properties(entry, names), children]

    # --- calls from the bus -------------------------------------------------------------------

    def _on_message(self, message: Any) -> Any:
        try:
            return self._handle(message)
        except Exception as error:  # a fault here must not end the reminder: one line, and on
            from dbus_fast import Message, MessageType

            log.warning("tray: %s.%s failed: %r", message.interface, message.member, error)
            if message.message_type == MessageType.METHOD_CALL:
                return Message.new_error(message, "org.freedesktop.DBus.Error.Failed", "the call failed")
            return None

    def _handle(self, message: Any) -> Any:
        from dbus_fast import Message, MessageType

        if message.message_type == MessageType.SIGNAL:
            self._on_signal(message)
            return None
        if message.message_type != MessageType.METHOD_CALL or message.path not in (ITEM_PATH, MENU_PATH):
            return None
        try:
            body = self._answer(message)
        except _Refused as refused:
            log.info(
                "tray: refused %s.%s from %s: %s",
                visible(str(message.interface)[:80]),
                visible(str(message.member)[:80]),
                visible(str(message.sender)[:80]),
                refused,
            )
            return Message.new_error(message, "org.freedesktop.DBus.Error.InvalidArgs", str(refused))
        if body is None:
            return None  # not ours: dbus-fast answers that the method is unknown
        signature, values = body
        return Message.new_method_return(message, signature, values)

    def _on_signal(self, message: Any) -> None:
        if (
            message.member == "NameOwnerChanged"
            and message.sender == "org.freedesktop.DBus"
            and message.signature == "sss"
            and message.body[0] == WATCHER
            and message.body[2]
        ):
            log.info("tray: a StatusNotifierWatcher appeared; registering with it")
            self._later(self.register())

    def _answer(self, message: Any) -> tuple[str, list[Any]] | None:
        """The reply's (signature, body) for a call to the item or the menu; None when not ours."""
        path, interface, member = message.path, message.interface, message.member
        signature = message.signature
        body = list(message.body)
        if interface == INTROSPECTABLE and member == "Introspect":
            xml = f"<node>{INTROSPECTION[path]}</node>"
            return "s", [xml]
        ours = ITEM if path == ITEM_PATH else MENU
        if interface == PROPERTIES:
            properties = self._item_properties() if path == ITEM_PATH else self._menu_properties()
            if member == "GetAll" and signature == "s":
                return "a{sv}", [properties if body[0] == ours else {}]
            if member == "Get" and signature == "ss":
                if body[0] != ours or body[1] not in properties:
                    raise _Refused("no such property")
                return "v", [properties[body[1]]]
            if member == "Set":
                raise _Refused("the properties are read-only")
            return None
        if interface not in (ours, None):
            return None
        if path == ITEM_PATH:
            return self._item_call(member, signature, body)
        return self._menu_call(member, signature, body)

    def _item_call(self, member: str, signature: str, body: list[Any]) -> tuple[str, list[Any]] | None:
        if member in ("Activate", "SecondaryActivate", "ContextMenu"):
            if signature != "ii":
                raise _Refused(f"{member} takes two numbers")
            if member == "Activate":
                self._choose("flare", -1)
            return "", []
        if member == "Scroll":
            if signature != "is":
                raise _Refused("Scroll takes a number and a word")
            return "", []
        return None

    def _menu_call(self, member: str, signature: str, body: list[Any]) -> tuple[str, list[Any]] | None:
        from dbus_fast import Variant

        if member == "GetLayout":
            if signature != "iias":
                raise _Refused("GetLayout takes a menu id, a depth and a list of names")
            parent, depth, names = body
            entry = _find(self._root, parent)
            if entry is None:
                raise _Refused("no such menu entry")
            return "u(ia{sv}av)", [self.revision, self._layout(entry, max(depth, -1), names[:MAX_IDS])]
        if member == "GetGroupProperties":
            if signature != "aias" or len(body[0]) > MAX_IDS:
                raise _Refused(f"GetGroupProperties takes up to {MAX_IDS} ids and a list of names")
            ids, names = body
            found = [(i, _find(self._root, i)) for i in dict.fromkeys(ids)]
            group = [
                [i, self._entry_properties(entry, names[:MAX_IDS])] for i, entry in found if entry is not None
            ]
            return "a(ia{sv})", [group]
        if member == "GetProperty":
            if signature != "is":
                raise _Refused("GetProperty takes an id and a name")
            entry = _find(self._root, body[0])
            properties = {} if entry is None else self._entry_properties(entry, [])
            if body[1] not in properties:
                raise _Refused("no such menu entry or property")
            value = properties[body[1]]
            return "v", [value if isinstance(value, Variant) else Variant("s", str(value))]
        if member == "Event":
            if signature != "isvu":
                raise _Refused("Event takes an id, an event name, a value and a time")
            if not self._event(body[0], body[1]):
                raise _Refused("no such menu entry")
            return "", []
        if member == "EventGroup":
            if signature != "a(isvu)" or len(body[0]) > MAX_IDS:
                raise _Refused(f"EventGroup takes up to {MAX_IDS} events")
            missing = [event[0] for event in body[0] if not self._event(event[0], event[1])]
            return "ai", [missing]
        if member == "AboutToShow":
            if signature != "i":
                raise _Refused("AboutToShow takes an id")
            return "b", [False]
        if member == "AboutToShowGroup":
            if signature != "ai" or len(body[0]) > MAX_IDS:
                raise _Refused(f"AboutToShowGroup takes up to {MAX_IDS} ids")
            missing = [i for i in body[0] if _find(self._root, i) is None]
            return "aiai", [[], missing]
        return None

    def _event(self, identifier: int, kind: str) -> bool:
        """An event on a menu entry; False when there is no such entry."""
        entry = _find(self._root, identifier)
        if entry is None:
            return False
        if kind == "clicked" and entry.action is not None:
            self._choose(entry.action, entry.id)
        return True

    def _choose(self, action: str, source: int) -> None:
        """``action`` chosen from the menu entry ``source`` (-1: the icon itself)."""
        now = self._monotonic()
        last = self._last_click.get(source)
        if last is not None and 0 <= now - last < SAME_CLICK:
            log.info("tray: %s chosen again within %g s: taken as the same click", action, SAME_CLICK)
            return
        self._last_click[source] = now
        log.info("tray: %s chosen", action)
        self._action(action)
