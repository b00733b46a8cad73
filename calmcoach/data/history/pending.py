"""Sessions that could not be written before calmcoach exited, kept until the next start.

When another program holds the history locked for longer than calmcoach waits at exit,
the last state of each session not saved goes to a small file beside the history
(``history.sqlite3.pending-<pid>-<time>``: one per run, so two runs never write one
file), private to its owner and written atomically. The next time a history is opened
for writing, the store writes them and removes the files
(:meth:`calmcoach.data.history.store.History.open`).

A pending file is outside data like any other: it is read through
:func:`calmcoach.data.safefile.read_limited`, every field is checked, and one that cannot be
used is set aside (``.unreadable``) with one line that names the file, the entry and the
field. Pure standard library; this module opens no database.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from dataclasses import MISSING, asdict, dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from calmcoach.data.safefile import RefusedFile, read_limited, write_atomic
from calmcoach.domain.visible import visible

MAX_PENDING_BYTES = 256 * 1024
"""The most a pending file may hold (one session takes about 400 bytes)."""
MAX_PENDING_FILES = 50
"""Pending files looked at on one open, oldest first (the rest wait for the next)."""
MAX_TEXT = 400
FORMAT = "calmcoach-pending-1"
SET_ASIDE = ".unreadable"
STATUSES = ("running", "finished", "stopped")


class Unreadable(Exception):
    """A pending file that cannot be used; the message is one line naming file and field."""


@dataclass(frozen=True)
class SessionSnapshot:
    """The last known state of one session's row, as the recorder last asked to write it."""

    exercise_id: str
    title: str
    started_at: str
    """UTC, ISO 8601 to the second, as in the history."""
    updated_at: str
    status: str
    planned_seconds: float
    pid: int
    ended_at: str | None = None
    seconds_done: float = 0.0
    position_seconds: float = 0.0
    cycles_done: int = 0
    steps_done: int = 0
    area: str | None = None
    rating_before: int | None = None
    rating_after: int | None = None
    start_pace: float | None = None


def pending_prefix(history: Path) -> str:
    """The start of every pending file's name beside ``history``."""
    return f"{history.name}.pending-"


def keep(history: Path, snapshots: list[SessionSnapshot]) -> Path:
    """Write ``snapshots`` to a new pending file beside ``history``; returns its path.

    The file is made private (0600) and appears whole or not at all. Raises OSError."""
    target = history.with_name(f"{pending_prefix(history)}{os.getpid()}-{time.time_ns()}")
    data = {"format": FORMAT, "sessions": [asdict(snapshot) for snapshot in snapshots]}
    write_atomic(target, (json.dumps(data, ensure_ascii=True) + "\n").encode("ascii"))
    return target


def waiting(history: Path) -> list[Path]:
    """Pending files beside ``history``, oldest first (at most MAX_PENDING_FILES)."""
    prefix = pending_prefix(history)
    try:
        names = [
            entry.name
            for entry in os.scandir(history.parent)
            if entry.name.startswith(prefix) and not entry.name.endswith(SET_ASIDE)
        ]
    except OSError:
        return []  # the folder cannot be listed: then nothing is waiting that we could read

    def made(name: str) -> int:
        stamp = name.rsplit("-", 1)[-1]
        return int(stamp) if stamp.isdigit() else 0

    return [history.with_name(name) for name in sorted(names, key=made)[:MAX_PENDING_FILES]]


def read(path: Path) -> list[SessionSnapshot]:
    """The sessions in the pending file at ``path``.

    Raises FileNotFoundError when it is gone (another program wrote it first) and
    :class:`Unreadable` for anything else wrong with it."""
    where = visible(str(path))
    try:
        raw = read_limited(path, MAX_PENDING_BYTES)
    except FileNotFoundError:
        raise
    except RefusedFile as error:
        raise Unreadable(f"{where} {error}") from error
    except OSError as error:
        raise Unreadable(f"{where} cannot be read ({error.strerror})") from error
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise Unreadable(f"{where}: byte {error.start} is not UTF-8") from error
    except json.JSONDecodeError as error:
        raise Unreadable(f"{where}: line {error.lineno}: not JSON ({error.msg})") from error
    except RecursionError as error:
        raise Unreadable(f"{where}: nested too deeply") from error
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise Unreadable(f"{where}: not a calmcoach pending file")
    sessions = data.get("sessions")
    if not isinstance(sessions, list):
        raise Unreadable(f"{where}: field sessions: not a list")
    return [_snapshot(entry, f"{where}: session {number}") for number, entry in enumerate(sessions, 1)]


def set_aside(path: Path) -> None:
    """Rename an unusable pending file so it is not read again (kept, never deleted)."""
    with contextlib.suppress(FileNotFoundError):
        os.replace(path, path.with_name(path.name + SET_ASIDE))


def _snapshot(entry: object, where: str) -> SessionSnapshot:
    if not isinstance(entry, dict):
        raise Unreadable(f"{where}: not a table of fields")
    values: dict[str, Any] = {}
    for spec in fields(SessionSnapshot):
        name = spec.name
        value = entry.get(name, None if spec.default is MISSING else spec.default)
        problem = _problem(name, value)
        if problem:
            raise Unreadable(f"{where}, field {name}: {problem}")
        values[name] = value
    return SessionSnapshot(**values)


def _problem(name: str, value: object) -> str | None:
    """What is wrong with one field's value, or None."""
    optional = name in ("ended_at", "area", "rating_before", "rating_after", "start_pace")
    if value is None:
        return None if optional else "missing"
    if name in ("exercise_id", "title", "area", "status", "started_at", "updated_at", "ended_at"):
        if not isinstance(value, str):
            return "not text"
        if len(value) > MAX_TEXT:
            return f"longer than {MAX_TEXT} characters"
        if not value.isprintable():  # also false for a lone surrogate (bytes not UTF-8)
            return "holds a control character or a lone surrogate"
        if name == "status" and value not in STATUSES:
            return f"not one of {', '.join(STATUSES)}"
        if name.endswith("_at"):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                return "not a date and time"
            if moment.tzinfo is None:
                return "a date and time without a time zone"
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "not a number"
    if not math.isfinite(value) or not 0 <= value <= 10**9:
        return "out of range"
    if name in ("pid", "cycles_done", "steps_done", "rating_before", "rating_after"):
        if not isinstance(value, int):
            return "not a whole number"
        if name.startswith("rating") and value > 10:
            return "not a rating from 0 to 10"
    return None
