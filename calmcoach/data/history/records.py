"""The rows the history holds, as records: a session, a flare, a nudge.

A row is read field by field: SQLite keeps whatever a program put in a column, so a
field that cannot be read is named in the record's ``unreadable`` rather than stopping
a listing. Each record turns into a JSON-friendly dict for export.

Pure standard library; this module opens nothing.
"""

from __future__ import annotations

import math
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from calmcoach.data.history.reading import UNREADABLE, as_text, as_whole, as_words


def utcnow() -> datetime:
    """The current wall-clock time, in UTC."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """A moment as the file keeps it: ISO 8601 in UTC, to the second."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _pid_alive(pid: object) -> bool:
    """Is the process that wrote a running row still there (a zombie counts as gone)?"""
    if not isinstance(pid, int) or not 0 < pid < 2**31:
        return False  # no pid, or not one a process can have
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _shown(record: Any, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with each field of ``record`` that could not be read as UNREADABLE."""
    for name in record.unreadable:
        for key in _EXPORTED.get(name, (name,)):
            values[key] = UNREADABLE
    return values


_EXPORTED = {"seconds_done": ("seconds",), "position_seconds": ("position",), "cycles_done": ("cycles",)}
_EXPORTED |= {"steps_done": ("steps",)}


@dataclass(frozen=True)
class SessionRecord:
    """One session as kept in the history.

    A field the file holds but that cannot be read (a date that is not one, text where a
    number belongs) is named in ``unreadable`` and holds None, 0 or '' instead."""

    id: int
    exercise_id: str
    title: str
    started_at: datetime | None
    updated_at: datetime | None
    ended_at: datetime | None
    status: str
    """finished, stopped, interrupted (the process died), or running."""
    planned_seconds: float
    seconds_done: float
    """Time really spent running: pauses, suspends and skipped spans are not in it."""
    cycles_done: int
    steps_done: int
    area: str | None = None
    rating_before: int | None = None
    rating_after: int | None = None
    position_seconds: float | None = None
    """How far through the timeline it got (None in a file too old to say)."""
    start_pace: float | None = None
    """Seconds per breath measured from the taps before a tapped start (None: not measured)."""
    unreadable: tuple[str, ...] = ()
    """The fields the file holds but that could not be read."""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (UNREADABLE for each field that could not be read)."""
        return _shown(
            self,
            {
                "type": "session",
                "id": self.id,
                "exercise_id": self.exercise_id,
                "title": self.title,
                "started_at": iso(self.started_at) if self.started_at else None,
                "ended_at": iso(self.ended_at) if self.ended_at else None,
                "status": self.status,
                "planned_seconds": round(self.planned_seconds, 3),
                "seconds": round(self.seconds_done, 3),
                "position": None if self.position_seconds is None else round(self.position_seconds, 3),
                "cycles": self.cycles_done,
                "steps": self.steps_done,
                "area": self.area,
                "rating_before": self.rating_before,
                "rating_after": self.rating_after,
                "start_pace": None if self.start_pace is None else round(self.start_pace, 3),
            },
        )


@dataclass(frozen=True)
class FlareRecord:
    """One flare logged in the journal (``unreadable`` as for SessionRecord)."""

    id: int
    logged_at: datetime | None
    area: str
    intensity: int
    triggers: tuple[str, ...]
    note: str
    unreadable: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (UNREADABLE for each field that could not be read)."""
        return _shown(
            self,
            {
                "type": "flare",
                "id": self.id,
                "logged_at": iso(self.logged_at) if self.logged_at else None,
                "area": self.area,
                "intensity": self.intensity,
                "triggers": list(self.triggers),
                "note": self.note,
            },
        )


@dataclass(frozen=True)
class NudgeRecord:
    """One nudge to move, and how it was answered (None: not answered yet)."""

    id: int
    shown_at: datetime | None
    via: str
    """Where it was shown: desktop, notify-send, terminal, or app."""
    answer: str | None
    answered_at: datetime | None
    unreadable: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (UNREADABLE for each field that could not be read)."""
        return _shown(
            self,
            {
                "type": "nudge",
                "id": self.id,
                "shown_at": iso(self.shown_at) if self.shown_at else None,
                "via": self.via,
                "answer": self.answer,
                "answered_at": iso(self.answered_at) if self.answered_at else None,
            },
        )


class _Fields:
    """Reads one row's fields, each as its kind, noting those that cannot be read.

    SQLite keeps whatever a program put in a column (text in a number's place, a blob,
    a date that is not one), and its checks pass: no such row may stop a listing."""

    def __init__(self, row: sqlite3.Row) -> None:
        self._row = row
        self._keys = set(row.keys())
        self.unreadable: list[str] = []

    def _raw(self, name: str) -> Any:
        return self._row[name] if name in self._keys else None

    def _bad(self, name: str) -> None:
        self.unreadable.append(name)

    def text(self, name: str, *, optional: bool = False) -> str | None:
        value = self._raw(name)
        if value is None and optional:
            return None
        text = as_text(value)
        if text is None:
            self._bad(name)
            return None if optional else ""
        return text

    def number(self, name: str, *, optional: bool = False) -> float | None:
        value = self._raw(name)
        if value is None and optional:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        self._bad(name)
        return None if optional else 0.0

    def whole(self, name: str, *, optional: bool = False, top: int | None = None) -> int | None:
        value = self._raw(name)
        if value is None and optional:
            return None
        whole = as_whole(value, top)
        if whole is not None:
            return whole
        self._bad(name)
        return None if optional else 0

    def moment(self, name: str, *, optional: bool = False) -> datetime | None:
        value = self._raw(name)
        if value is None and optional:
            return None
        try:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            moment.astimezone(UTC).astimezone()  # out of range in some time zone: unreadable
        except (TypeError, ValueError, OverflowError):
            self._bad(name)
            return None
        return moment

    def words(self, name: str) -> tuple[str, ...]:
        words = as_words(self._raw(name))
        if words is None:
            self._bad(name)
            return ()
        return words


def session_from_row(row: sqlite3.Row) -> SessionRecord:
    read = _Fields(row)
    status = read.text("status") or ""
    if status == "running" and not _pid_alive(row["pid"]):
        status = "interrupted"
    return SessionRecord(
        id=row["id"],
        exercise_id=read.text("exercise_id") or "",
        title=read.text("title") or "",
        started_at=read.moment("started_at"),
        updated_at=read.moment("updated_at"),
        ended_at=read.moment("ended_at", optional=True),
        status=status,
        planned_seconds=read.number("planned_seconds") or 0.0,
        seconds_done=read.number("seconds_done") or 0.0,
        cycles_done=read.whole("cycles_done") or 0,
        steps_done=read.whole("steps_done") or 0,
        area=read.text("area", optional=True),
        rating_before=read.whole("rating_before", optional=True, top=10),
        rating_after=read.whole("rating_after", optional=True, top=10),
        position_seconds=read.number("position_seconds", optional=True),
        start_pace=read.number("start_pace", optional=True),
        unreadable=tuple(read.unreadable),
    )


def nudge_from_row(row: sqlite3.Row) -> NudgeRecord:
    read = _Fields(row)
    return NudgeRecord(
        id=row["id"],
        shown_at=read.moment("shown_at"),
        via=read.text("via") or "",
        answer=read.text("answer", optional=True),
        answered_at=read.moment("answered_at", optional=True),
        unreadable=tuple(read.unreadable),
    )


def flare_from_row(row: sqlite3.Row) -> FlareRecord:
    read = _Fields(row)
    return FlareRecord(
        id=row["id"],
        logged_at=read.moment("logged_at"),
        area=read.text("area") or "",
        intensity=read.whole("intensity", top=10) or 0,
        triggers=read.words("triggers"),
        note=read.text("note") or "",
        unreadable=tuple(read.unreadable),
    )
