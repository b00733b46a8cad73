"""``calmcoach history`` and ``calmcoach log AREA``: the history on the command line.

Imported only when one of these commands runs, so that the other commands (and the
app's first frame) never load SQLite.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from calmcoach.cli.common import err
from calmcoach.data import locations, logfile
from calmcoach.data.history import History, HistoryUnavailable, iter_rows
from calmcoach.data.history.reading import UNREADABLE
from calmcoach.data.history.store import not_text
from calmcoach.domain.describe import flare_logged_text
from calmcoach.domain.visible import visible

if TYPE_CHECKING:
    import argparse


def _since(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise SystemExit(f"calmcoach: --since wants a date like 2026-11-01, not {value!r}") from error


def _local(stamp: object) -> str:
    """A stored moment as local time, or what stands in its place ("unreadable")."""
    if not stamp:
        return ""
    try:
        return datetime.fromisoformat(str(stamp)).astimezone().strftime("%Y-%m-%d %H:%M")
    except (ValueError, OverflowError):
        return UNREADABLE


def _number(value: object, spec: str, divide: float = 1.0) -> str:
    """A number formatted with ``spec``, or UNREADABLE when the field could not be read."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format(value / divide if divide != 1.0 else value, spec)
    return UNREADABLE


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may take as the start of a formula (OWASP's list for CSV injection)."""


def _cell(value: Any) -> Any:
    """A CSV cell: text that a spreadsheet would run as a formula gets a leading ' (so it
    stays text); numbers are data as they are, -3 included."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


CSV_COLUMNS = [
    "type",
    "when",
    "exercise_id",
    "title",
    "status",
    "seconds",
    "position",
    "planned_seconds",
    "cycles",
    "steps",
    "area",
    "rating_before",
    "rating_after",
    "start_pace",
    "intensity",
    "triggers",
    "note",
    "via",
    "answer",
]


def _open_to_read() -> History | int:
    """Open the history for reading: as usual (so damage is moved aside and an old file
    migrated), or, when nothing can be written (a read-only folder, a full disk), as it
    is, read-only. Gives the exit code instead when it cannot be read at all."""
    path = locations.history_file()
    try:
        opened = History.open(path)
    except HistoryUnavailable as error:
        if error.kind in ("busy", "newer", "not-a-file"):
            err(str(error))
            return 1
        if not os.path.lexists(path) and error.kind in ("read-only", "full"):
            return 0  # nothing recorded, and nowhere to start recording: an empty history
        try:
            history = History.open_read_only(path)
        except HistoryUnavailable as second:
            err(f"{error} ({second})" if str(second) != str(error) else str(error))
            return 1
        err(f"{str(error).removesuffix('; history is off')}; showing the history as it is")
        return history
    if opened.notice:
        err(opened.notice)
    return opened.history


def cmd_history(args: argparse.Namespace) -> int:
    """``calmcoach history``: sessions and flares, as text, JSON or CSV."""
    since = _since(args.since)
    logfile.start()  # opening may tighten the files' rights, which the log tells
    history = _open_to_read()
    if isinstance(history, int):
        if history:
            return history
        rows: list[dict[str, Any]] = []
    else:
        try:
            rows = list(iter_rows(history, since))
        except HistoryUnavailable as error:
            err(str(error))
            return 1
        finally:
            history.close()
    return _print_rows(rows, args)


def _shown(value: Any) -> Any:
    """A value from the database, with any control character in its text made visible."""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, list):
        return [_shown(item) for item in value]
    return value


def _print_rows(rows: list[dict[str, Any]], args: argparse.Namespace) -> int:
    """Print sessions and flares as JSON, CSV or lines of text.

    Text from the database never reaches the terminal as it is: JSON escapes every
    control character itself (``\u001b``; ``ensure_ascii`` stays on), and CSV and the
    text lines write each one visibly (``\x1b``), as every other shell does."""
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=True))
        return 0
    rows = [{key: _shown(value) for key, value in row.items()} for row in rows]
    if args.csv:
        import csv

        writer = csv.DictWriter(sys.stdout, CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            flat = dict(row)
            flat["when"] = _local(row.get("started_at") or row.get("logged_at") or row.get("shown_at"))
            if row["type"] == "flare" and isinstance(row["triggers"], list):
                flat["triggers"] = "; ".join(row["triggers"])
            writer.writerow({key: _cell(value) for key, value in flat.items()})
        return 0
    if not rows:
        print(
            "No sessions or flares yet. Run 'calmcoach' and press f, or try 'calmcoach run breathing-4-2-6'."
        )
        return 0
    for row in rows:
        print(_line(row))
    return 0


def _line(row: dict[str, Any]) -> str:
    """One history row as a line of text; a field that could not be read says so."""
    if row["type"] == "session":
        area = f" ({row['area']})" if row["area"] else ""
        rating = ""
        if row["rating_before"] is not None or row["rating_after"] is not None:
            rating = f"  tension {row['rating_before'] if row['rating_before'] is not None else '-'}"
            rating += f" -> {row['rating_after'] if row['rating_after'] is not None else '-'}"
        reached = ""
        position, seconds = row["position"], row["seconds"]
        numbers = all(isinstance(v, int | float) for v in (position, seconds, row["planned_seconds"]))
        if numbers and position - seconds >= 6:
            # Skipped ahead: the time counted is what was spent, not how far it got.
            planned = row["planned_seconds"] / 60
            reached = f"  (skipped ahead to {position / 60:.1f} of {planned:.1f} min)"
        minutes = _number(seconds, "5.1f", 60) + " min"
        when = _local(row["started_at"])
        return f"{when}  {row['status']:<11}  {minutes}  {row['title']}{area}{rating}{reached}"
    if row["type"] == "nudge":
        answer = row["answer"] or "no answer yet"
        return f"{_local(row['shown_at'])}  nudge        {answer:<11}  ({row['via']})"
    triggers = ", ".join(row["triggers"]) if isinstance(row["triggers"], list) else row["triggers"]
    extra = f"  [{triggers}]" if triggers else ""
    note = f"  {row['note']}" if row["note"] else ""
    when = _local(row["logged_at"])
    return f"{when}  flare        {_number(row['intensity'], '>2d')}/10     {row['area']}{extra}{note}"


def _cannot_log(text: str) -> str:
    """A history message as the reason a flare was not logged."""
    return f"the flare was not logged: {text.removesuffix('; history is off')}"


def cmd_log(args: argparse.Namespace) -> int:
    """``calmcoach log AREA --intensity N``: add a flare to the journal."""
    for what, words in (("a trigger", args.trigger or []), ("the note", [args.note or ""])):
        if any(not_text(word) for word in words):
            err(f"{what} holds bytes that are not text (not UTF-8); nothing was logged. Type it again")
            return 2
    logfile.start()  # opening may tighten the files' rights, which the log tells
    try:
        opened = History.open(locations.history_file())
    except HistoryUnavailable as error:
        err(_cannot_log(str(error)))
        return 1
    if opened.notice:  # a file moved aside, rows from an earlier run: said as they are
        err(opened.notice)
    history = opened.history
    try:
        history.log_flare(args.area, args.intensity, args.trigger, args.note)
    except ValueError as error:
        err(str(error))
        return 1
    except HistoryUnavailable as error:
        err(_cannot_log(str(error)))
        return 1
    finally:
        history.close()
    print(flare_logged_text(args.area, args.intensity))
    return 0
