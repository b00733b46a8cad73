"""Glue between sessions and the history: the recorder, and the history CLI commands.

The recorder never lets history trouble reach a session: any failure turns
history off for the rest of the run and is said once.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from calmcoach import locations
from calmcoach.history import (
    History,
    HistoryUnavailable,
    iter_rows,
)
from calmcoach.planner import Timeline
from calmcoach.session import Event, Session, State, StepStarted

if TYPE_CHECKING:
    import argparse

Notify = Callable[[str], None]


def open_history(notify: Notify) -> History | None:
    """Open the user's history, or say why not (once) and give None."""
    try:
        opened = History.open(locations.history_file())
    except HistoryUnavailable as error:
        notify(str(error))
        return None
    if opened.notice:
        notify(opened.notice)
    return opened.history


class Recorder:
    """Writes one session at a time to the history: start, each boundary, end."""

    def __init__(self, history: History | None, notify: Notify) -> None:
        self.history = history
        self.notify = notify
        self.session_id: int | None = None
        """The row of the session being recorded, if any."""
        self._said = False

    def _guard(self, action: Callable[[History], Any]) -> Any:
        if self.history is None:
            return None
        try:
            return action(self.history)
        except HistoryUnavailable as error:
            self.history = None
            if not self._said:
                self._said = True
                self.notify(str(error))
            return None

    def begin(self, timeline: Timeline, rating_before: int | None = None) -> None:
        """A session starts: write its row."""
        self.session_id = self._guard(
            lambda h: h.start_session(
                timeline.exercise_id,
                timeline.title,
                timeline.total,
                area=timeline.area,
                rating_before=rating_before,
            )
        )

    def observe(self, session: Session, events: list[Event]) -> None:
        """Observer for a running session: update at step boundaries, complete at the end."""
        if self.session_id is None:
            return
        if session.state in (State.FINISHED, State.STOPPED):
            self.end(session)
        else:
            starts = [e.segment.start for e in events if isinstance(e, StepStarted)]
            if not starts:
                return
            sid = self.session_id
            # The boundary just reached, exactly: what a killed process can honestly claim.
            self._guard(
                lambda h: h.update_session(
                    sid, seconds=starts[-1], cycles=session.cycles_done, steps=session.steps_done
                )
            )

    def end(self, session: Session) -> None:
        """Complete the row as finished or stopped."""
        sid = self.session_id
        if sid is None:
            return
        status = "finished" if session.state is State.FINISHED else "stopped"
        self._guard(
            lambda h: h.end_session(
                sid, status, seconds=session.position(), cycles=session.cycles_done, steps=session.steps_done
            )
        )
        self.last_session_id = sid
        self.session_id = None

    last_session_id: int | None = None
    """The most recently ended session's row (for the after rating)."""

    def rate(self, *, after: int | None = None, before: int | None = None) -> None:
        """Store a rating on the current (or just ended) session."""
        sid = self.session_id if self.session_id is not None else self.last_session_id
        if sid is not None:
            self._guard(lambda h: h.rate_session(sid, after=after, before=before))

    def close(self) -> None:
        """Close the history."""
        if self.history is not None:
            self.history.close()
            self.history = None


def _since(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SystemExit(f"calmcoach: --since wants a date like 2026-11-01, not {value!r}") from None


def _local(stamp: str | None) -> str:
    if not stamp:
        return ""
    return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")


CSV_COLUMNS = [
    "type",
    "when",
    "exercise_id",
    "title",
    "status",
    "seconds",
    "planned_seconds",
    "cycles",
    "steps",
    "area",
    "rating_before",
    "rating_after",
    "intensity",
    "triggers",
    "note",
]


def _open_for_command() -> History | None:
    """Open the history for a CLI command, saying on stderr why not (or what was moved aside)."""
    return open_history(lambda text: print(f"calmcoach: {text}", file=sys.stderr))


def cmd_history(args: argparse.Namespace) -> int:
    """``calmcoach history``: sessions and flares, as text, JSON or CSV."""
    since = _since(args.since)
    history = _open_for_command()
    if history is None:
        return 1
    try:
        rows = list(iter_rows(history, since))
    except HistoryUnavailable as error:
        print(f"calmcoach: {error}", file=sys.stderr)
        return 1
    finally:
        history.close()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if args.csv:
        import csv

        writer = csv.DictWriter(sys.stdout, CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            flat = dict(row)
            flat["when"] = _local(row.get("started_at") or row.get("logged_at"))
            if row["type"] == "flare":
                flat["triggers"] = "; ".join(row["triggers"])
            writer.writerow(flat)
        return 0
    if not rows:
        print(
            "No sessions or flares yet. Run 'calmcoach' and press f, or try 'calmcoach run breathing-4-2-6'."
        )
        return 0
    for row in rows:
        if row["type"] == "session":
            minutes = row["seconds"] / 60
            area = f" ({row['area']})" if row["area"] else ""
            rating = ""
            if row["rating_before"] is not None or row["rating_after"] is not None:
                rating = f"  tension {row['rating_before'] if row['rating_before'] is not None else '-'}"
                rating += f" -> {row['rating_after'] if row['rating_after'] is not None else '-'}"
            print(
                f"{_local(row['started_at'])}  {row['status']:<11}  {minutes:5.1f} min  "
                f"{row['title']}{area}{rating}"
            )
        else:
            triggers = ", ".join(row["triggers"])
            extra = f"  [{triggers}]" if triggers else ""
            note = f"  {row['note']}" if row["note"] else ""
            when = _local(row["logged_at"])
            print(f"{when}  flare        {row['intensity']:>2}/10     {row['area']}{extra}{note}")
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    """``calmcoach log AREA --intensity N``: add a flare to the journal."""
    history = _open_for_command()
    if history is None:
        return 1
    try:
        history.log_flare(args.area, args.intensity, args.trigger, args.note)
    except (ValueError, HistoryUnavailable) as error:
        print(f"calmcoach: {error}", file=sys.stderr)
        return 1
    finally:
        history.close()
    print(f"Logged a {args.area} flare, intensity {args.intensity} of 10.")
    return 0
