"""A stand-in tray host for the reminder's tray tests, in the test's own event loop.

It owns ``org.kde.StatusNotifierWatcher`` on a private session bus (as a panel does),
records each ``RegisterStatusNotifierItem``, and reads the item and its menu the way a
host does: the item's properties, the menu's layout, ``Event(id, "clicked", ...)``.
It also keeps the item's and menu's signals (``NewToolTip``, ``LayoutUpdated``).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from dbus_fast import Message, MessageType, Variant
from dbus_fast.aio import MessageBus

WATCHER = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
WAIT = 20.0
"""Seconds any wait allows: a hang guard."""


@dataclass
class Registered:
    sender: str
    """The unique bus name that registered."""
    service: str
    """What it registered: a bus name (or a path)."""


@dataclass
class MenuEntry:
    id: int
    properties: dict[str, Any]
    children: list[MenuEntry] = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.properties.get("type") == "separator":
            return "-"
        return str(self.properties.get("label", ""))

    def find(self, label: str) -> MenuEntry:
        for child in self.children:
            if child.label == label:
                return child
            try:
                return child.find(label)
            except LookupError:
                continue
        raise LookupError(label)

    def outline(self) -> list[Any]:
        """Labels, a submenu as (label, [its labels])."""
        return [(c.label, c.outline()) if c.children else c.label for c in self.children]


def entry_of(layout: Any) -> MenuEntry:
    identifier, properties, children = layout
    return MenuEntry(
        identifier,
        {key: value.value for key, value in properties.items()},
        [entry_of(child.value) for child in children],
    )


class TrayHost:
    """The watcher and host. Use ``await TrayHost.start(address)``; ``close()`` at the end."""

    def __init__(self, bus: MessageBus) -> None:
        self.bus = bus
        self.registered: list[Registered] = []
        self.signals: list[tuple[str, list[Any]]] = []
        self._changed = asyncio.Event()

    @classmethod
    async def start(cls, address: str, *, own: bool = True) -> TrayHost:
        bus = await MessageBus(bus_address=address).connect()
        host = cls(bus)
        bus.add_message_handler(host._on_message)
        await host.call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "AddMatch",
            "s",
            ["type='signal'"],
        )
        if own:
            await host.own()
        return host

    async def own(self) -> None:
        """Take the watcher's name, as a panel starting does."""
        reply = await self.call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "RequestName",
            "su",
            [WATCHER, 4],
        )
        assert reply.body == [1], reply.body  # the primary owner

    def close(self) -> None:
        self.bus.disconnect()

    def _on_message(self, message: Message) -> Any:
        if message.message_type == MessageType.SIGNAL and message.path in ("/StatusNotifierItem", "/MenuBar"):
            self.signals.append((str(message.member), list(message.body)))
            self._changed.set()
            return None
        if (
            message.message_type == MessageType.METHOD_CALL
            and message.path == WATCHER_PATH
            and message.member == "RegisterStatusNotifierItem"
        ):
            self.registered.append(Registered(str(message.sender), str(message.body[0])))
            self._changed.set()
            return Message.new_method_return(message)
        return None

    async def until(self, check: Any, what: str) -> None:
        """Wait (a hang guard) until ``check()`` is true, looking each time something comes in."""
        async with asyncio.timeout(WAIT):
            while not check():
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), 0.1)
        assert check(), what

    async def call(
        self,
        destination: str,
        path: str,
        interface: str,
        member: str,
        signature: str = "",
        body: list[Any] | None = None,
    ) -> Message:
        message = Message(
            destination=destination,
            path=path,
            interface=interface,
            member=member,
            signature=signature,
            body=body or [],
        )
        reply = await asyncio.wait_for(self.bus.call(message), WAIT)
        assert reply is not None
        return reply

    # --- reading the item, as a host does ----------------------------------------------------

    @property
    def item(self) -> Registered:
        return self.registered[-1]

    async def item_properties(self) -> dict[str, Any]:
        reply = await self.call(
            self.item.service,
            "/StatusNotifierItem",
            "org.freedesktop.DBus.Properties",
            "GetAll",
            "s",
            ["org.kde.StatusNotifierItem"],
        )
        assert reply.message_type == MessageType.METHOD_RETURN, reply.body
        return {key: value.value for key, value in reply.body[0].items()}

    async def menu(self) -> tuple[int, MenuEntry]:
        """The menu's revision and its root (the whole layout, every property)."""
        menu_path = (await self.item_properties())["Menu"]
        reply = await self.call(
            self.item.service, menu_path, "com.canonical.dbusmenu", "GetLayout", "iias", [0, -1, []]
        )
        assert reply.message_type == MessageType.METHOD_RETURN, reply.body
        revision, layout = reply.body
        return revision, entry_of(layout)

    async def click(self, label: str) -> Message:
        _, root = await self.menu()
        entry = root.find(label)
        return await self.call(
            self.item.service,
            "/MenuBar",
            "com.canonical.dbusmenu",
            "Event",
            "isvu",
            [entry.id, "clicked", Variant("s", ""), 0],
        )

    async def activate(self) -> Message:
        return await self.call(
            self.item.service, "/StatusNotifierItem", "org.kde.StatusNotifierItem", "Activate", "ii", [10, 10]
        )
