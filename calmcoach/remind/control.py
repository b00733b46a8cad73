"""Talking to the running reminder: a lock, a UNIX socket, and a small state file.

All three live in the state dir, which only the user can enter (it is made 0700):

- ``remind.lock``: the running reminder holds an exclusive lock on it, so a second
  one started (at login, and again by hand) sees it and leaves; the kernel drops it
  when the process ends, however it ends.
- ``remind.sock``: the running reminder answers one request a connection, one line of
  JSON each way: ``{"do": "status"}``, ``{"do": "pause", "seconds": 7200}``,
  ``{"do": "resume"}``. Requests are at most 1 KiB and must come within a second.
- ``remind-state.toml``: a pause, kept across restarts (and set by ``--pause`` when no
  reminder is running). Read strictly: a value that is not a time with its offset, or
  a pause of more than a week, is refused with one line naming the file, line and
  field, and ignored.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import json
import logging
import os
import socket
import stat
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from calmcoach.data import locations
from calmcoach.data.safefile import make_private, private_folder, write_atomic
from calmcoach.data.tomlfile import Problem, describe_value, line_of, read_data_file
from calmcoach.domain.visible import visible

log = logging.getLogger("calmcoach.remind")

MAX_REQUEST = 1024
REQUEST_TIMEOUT = 1.0
MAX_PAUSE = timedelta(days=7)


def lock_path() -> Path:
    return locations.state_dir() / "remind.lock"


def socket_path() -> Path:
    return locations.state_dir() / "remind.sock"


def state_path() -> Path:
    return locations.state_dir() / "remind-state.toml"


class StateUnusable(Exception):
    """The state dir, or a file of the reminder's in it, cannot be used: one line saying why."""


def private_state_dir() -> Path:
    """The state dir, made if missing, and readable by the user alone."""
    directory = locations.state_dir()
    try:
        return private_folder(directory)  # an older, wider one is tightened
    except OSError as error:  # a file where the folder (or one above it) belongs, for one
        why = (
            "it is a file, not a folder" if isinstance(error, NotADirectoryError) else error.strerror or error
        )
        raise StateUnusable(f"cannot use the state folder {visible(str(directory))}: {why}") from error


def open_state_file(path: Path, *, append: bool = False) -> int:
    """A file descriptor for the state file ``path``, opened for reading and writing and
    made if missing. Never blocks (a FIFO there would hang a plain open) and never
    follows a link; anything but a regular file is StateUnusable, in one line."""
    flags = os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC
    if append:
        flags |= os.O_APPEND
    try:
        descriptor = os.open(path, flags, 0o600)
    except OSError as error:
        raise StateUnusable(f"cannot open {visible(str(path))}: {_why(path, error)}") from error
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise StateUnusable(f"cannot open {visible(str(path))}: it is not a regular file; remove it")
    os.set_blocking(descriptor, True)
    return descriptor


def _why(path: Path, error: OSError) -> str:
    if isinstance(error, IsADirectoryError) or path.is_dir():
        return "it is a folder, not a file; remove it"
    if error.errno == errno.ELOOP:
        return "it is a symbolic link; remove it"
    return str(error.strerror or error)


class AlreadyRunning(Exception):
    """Another reminder holds the lock."""


def take_lock() -> IO[bytes]:
    """Hold the reminder's lock for this process's life; AlreadyRunning if another has it,
    StateUnusable when the lock file cannot be used."""
    private_state_dir()
    handle = os.fdopen(open_state_file(lock_path()), "r+b", buffering=0)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as error:
        handle.close()
        raise AlreadyRunning("a reminder is already running") from error
    return handle


# --- the state file -------------------------------------------------------------------


def read_pause(now: datetime, path: Path | None = None) -> tuple[datetime | None, Problem | None]:
    """The pause kept in the state file (None when there is none, or it is over), and
    what was wrong with the file, if anything (then no pause is used)."""
    path = path or state_path()
    if not path.exists():
        return None, None
    make_private(path)  # written before calmcoach made it 0600
    read = read_data_file(path)
    if isinstance(read, Problem):
        return None, read
    data, text = read

    def problem(where: str | None, message: str) -> tuple[None, Problem]:
        return None, Problem(path, message, field=where, line=line_of(text, where) if where else None)

    for key in data:
        if key != "paused_until":
            return problem(key, "unknown key; expected only paused_until")
    if "paused_until" not in data:
        return None, None
    value = data["paused_until"]
    if not isinstance(value, datetime) or value.tzinfo is None:
        shown = "a date without its offset" if isinstance(value, datetime) else describe_value(value)
        return problem("paused_until", f"expected a date and time with its offset, got {shown}")
    if value - now > MAX_PAUSE:
        return problem("paused_until", "a pause longer than a week is refused")
    return (value if value > now else None), None


def write_pause(until: datetime | None, path: Path | None = None) -> None:
    """Keep a pause (or none) in the state file, atomically."""
    path = path or state_path()
    private_state_dir()
    text = "# Written by calmcoach remind: a pause kept across restarts. Safe to delete.\n"
    if until is not None:
        text += f"paused_until = {until.isoformat(timespec='seconds')}\n"
    write_atomic(path, text.encode("utf-8"))  # 0600


# --- the socket -----------------------------------------------------------------------

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


async def serve(handler: Handler) -> asyncio.AbstractServer | str:
    """Answer requests on the socket; when it cannot be made, a line saying why (also logged)."""
    path = socket_path()
    private_state_dir()
    try:
        path.unlink()  # left by a reminder that died: we hold the lock, so it is not in use
    except FileNotFoundError:
        pass
    except OSError as error:  # a folder there, for one
        why = f"cannot listen on {visible(str(path))}: {_why(path, error)}"
        log.warning("%s", why)
        return why

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), REQUEST_TIMEOUT)
            reply = await _handle(line, handler)
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()
        except (TimeoutError, OSError, ValueError):
            pass  # a client that is slow, gone or sends too much gets nothing
        finally:
            writer.close()

    old = os.umask(0o077)
    try:
        return await asyncio.start_unix_server(client, path=str(path), limit=MAX_REQUEST)
    except OSError as error:  # a state dir path too long for a socket, for one
        why = f"cannot listen on {visible(str(path))}: {error.strerror or error}"
        log.warning("%s", why)
        return why
    finally:
        os.umask(old)


async def _handle(line: bytes, handler: Handler) -> dict[str, Any]:
    if len(line) > MAX_REQUEST or not line.endswith(b"\n"):
        return {"error": "request too long"}
    try:
        request = json.loads(line)
    except ValueError:
        return {"error": "not JSON"}
    if not isinstance(request, dict) or request.get("do") not in ("status", "pause", "resume"):
        return {"error": "unknown request"}
    if request["do"] == "pause":
        seconds = request.get("seconds")
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int)
            or not 0 < seconds <= MAX_PAUSE.total_seconds()
        ):
            return {"error": "a pause is from 1 second to a week"}
    return await handler(request)


def ask(request: dict[str, Any], timeout: float = 3.0) -> dict[str, Any] | None:
    """Send one request to the running reminder; None when none is listening."""
    path = socket_path()
    if not path.exists():
        return None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(timeout)
        try:
            connection.connect(str(path))
            connection.sendall(json.dumps(request).encode() + b"\n")
            data = b""
            while not data.endswith(b"\n") and len(data) < 64 * 1024:
                chunk = connection.recv(4096)
                if not chunk:
                    break
                data += chunk
        except (ConnectionRefusedError, FileNotFoundError):
            return None
    try:
        reply = json.loads(data)
    except ValueError as error:
        raise ValueError(f"the reminder gave an answer that is not JSON: {data[:80]!r}") from error
    if not isinstance(reply, dict):
        raise ValueError("the reminder gave an answer that is not a JSON object")
    return reply
