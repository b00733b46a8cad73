"""A stand-in notification server for the reminder's tests, run as its own process.

It owns ``org.freedesktop.Notifications`` on the session bus given in the environment
and answers ``GetServerInformation``, ``Properties.Get`` and ``Notify`` the way a busy
server does: each method's reply comes after the delay named in ``FOLDER/delays.json``
(``{"Notify": 2.5, "Get": null}``; null: never), read at each call, so a test can make
the server slow, silent, then quick again. Every call it receives is appended to
``FOLDER/calls.txt``; the server's name is ``FOLDER/name.txt`` when there is one.

Run: ``python -m tests.remind.standin_server FOLDER``; it prints ``ready`` once it owns
the name. ``FOLDER/invoke.txt`` written with ``ID KEY`` makes it send ``ActionInvoked``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from dbus_fast import Message, MessageType, Variant
from dbus_fast.aio import MessageBus

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"


class StandIn:
    def __init__(self, bus: MessageBus, folder: Path) -> None:
        self.bus = bus
        self.folder = folder
        self.next_id = 0
        self.pending: set[asyncio.Task[None]] = set()

    def delay(self, member: str) -> float | None:
        path = self.folder / "delays.json"
        delays: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        value = delays.get(member, 0.0)
        return None if value is None else float(value)

    def reply(self, message: Message) -> tuple[str, list[Any]] | None:
        member = message.member
        if member == "GetServerInformation":
            name_file = self.folder / "name.txt"
            name = name_file.read_text() if name_file.exists() else "standin"
            return "ssss", [name, "tests", "1.0", "1.2"]
        if member == "GetCapabilities":
            return "as", [["actions", "body"]]
        if member == "Get" and message.interface == "org.freedesktop.DBus.Properties":
            return "v", [Variant("b", False)]
        if member == "Notify":
            self.next_id += 1
            return "u", [self.next_id]
        if member == "CloseNotification":
            return "", []
        return None

    def handle(self, message: Message) -> bool:
        if message.message_type != MessageType.METHOD_CALL or message.path != PATH:
            return False
        with (self.folder / "calls.txt").open("a") as calls:
            calls.write(f"{message.member}\n")
        task = asyncio.ensure_future(self.answer(message))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)
        return True

    async def answer(self, message: Message) -> None:
        delay = self.delay(message.member)
        if delay is None:
            return  # never answers
        await asyncio.sleep(delay)
        answer = self.reply(message)
        if answer is None:
            self.bus.send(Message.new_error(message, "org.freedesktop.DBus.Error.UnknownMethod", "no"))
            return
        signature, body = answer
        self.bus.send(Message.new_method_return(message, signature, body))

    async def watch_invoke(self) -> None:
        path = self.folder / "invoke.txt"
        while True:
            await asyncio.sleep(0.05)
            if path.exists():
                identifier, key = path.read_text().split()
                path.unlink()
                self.bus.send(Message.new_signal(PATH, NAME, "ActionInvoked", "us", [int(identifier), key]))


async def main(folder: Path) -> None:
    bus = await MessageBus().connect()
    standin = StandIn(bus, folder)
    bus.add_message_handler(standin.handle)
    await bus.request_name(NAME)
    print("ready", bus.unique_name, flush=True)
    await standin.watch_invoke()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
