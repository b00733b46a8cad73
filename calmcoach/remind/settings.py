"""The reminder's settings: a small TOML file in the config dir, checked like exercise files.

Every problem names the file, the line and the field, and a file with any problem
is not used at all (the defaults are, and the problems are said once): a reminder
that nags at the wrong hours because half a file was read would be worse.

```toml
every = "1h"             # how often, from 10m to 8h
from = "09:00"           # the hours nudges may come in
until = "18:00"          # (until may be "24:00")
days = ["mon", "tue", "wed", "thu", "fri"]
snooze = "15m"           # how long "Snooze" puts a nudge off, 1m to 2h
away_after = "5m"        # idle this long counts as away, 1m to 2h
start_command = ["calmcoach", "run", "desk-break"]   # what a nudge's "Start" runs (optional)
tray = true              # calmcoach in the tray while the reminder runs
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from typing import Any

from calmcoach.data.tomlfile import Problem, describe_value, line_of, read_data_file
from calmcoach.domain.visible import first_hidden, hidden_name

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Day names as the settings file spells them, Monday first (``date.weekday()``)."""

MAX_COMMAND_WORDS = 20
MAX_COMMAND_WORD = 300
# ASCII digits and spaces only, to the very end: ``\d`` would take Arabic or fullwidth
# digits, ``\s`` other spaces, and ``$`` a trailing line feed.
_DURATION_RE = re.compile(
    r"[ ]*(?:([0-9]{1,2})[ ]*d)?[ ]*(?:([0-9]{1,3})[ ]*h)?"
    r"[ ]*(?:([0-9]{1,4})[ ]*m(?:in)?)?[ ]*(?:([0-9]{1,5})[ ]*s)?[ ]*"
)
_TIME_RE = re.compile(r"([0-9]{2}):([0-9]{2})")
FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class RemindSettings:
    """When and how the reminder nudges."""

    every: timedelta = timedelta(hours=1)
    start: time = time(9, 0)
    """Nudges come from this time of day..."""
    end_minutes: int = 18 * 60
    """...until this many minutes after midnight (up to 24 * 60), not at it."""
    days: frozenset[int] = frozenset(range(5))
    """Weekdays nudges come on, Monday = 0."""
    snooze: timedelta = timedelta(minutes=15)
    away_after: timedelta = timedelta(minutes=5)
    start_command: tuple[str, ...] | None = None
    """What "Start" runs; None: the desk break in a terminal (see ``launch``)."""
    tray: bool = True
    """Show calmcoach in the tray (a StatusNotifierItem) while the reminder runs."""
    problems: tuple[Problem, ...] = field(default=(), compare=False)
    """What was wrong with the file, if the defaults are used because of it."""

    @property
    def start_minutes(self) -> int:
        """The start of the hours, in minutes after midnight."""
        return self.start.hour * 60 + self.start.minute

    def hours_text(self) -> str:
        """``09:00 to 18:00, Mon to Fri``: the hours in words."""
        end = f"{self.end_minutes // 60:02d}:{self.end_minutes % 60:02d}"
        return f"{self.start:%H:%M} to {end}, {days_text(self.days)}"


def days_text(days: frozenset[int]) -> str:
    """``Mon to Fri``, ``every day``, or ``Mon, Wed, Fri``."""
    ordered = sorted(days)
    if len(ordered) == 7:
        return "every day"
    names = [DAY_NAMES[d].title() for d in ordered]
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{names[0]} to {names[-1]}"
    return ", ".join(names)


def parse_duration(text: str) -> timedelta | None:
    """``2h``, ``90m``, ``1h30m``, ``45s``, ``15min``, ``2d``: a duration, or None if it is not one."""
    match = _DURATION_RE.fullmatch(text)
    if not match or not any(match.groups()):
        return None
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def duration_text(span: timedelta) -> str:
    """A duration the way the settings file writes it: ``1h``, ``1h30m``, ``15m``, ``5s``."""
    total = int(span.total_seconds())
    if total >= 2 * 86400 and total % 86400 == 0:
        return f"{total // 86400} days"
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    text = (
        (f"{hours}h" if hours else "")
        + (f"{minutes}m" if minutes else "")
        + (f"{seconds}s" if seconds else "")
    )
    return text or "0s"


class _Check:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.problems: list[Problem] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.path, message, field=where, line=line_of(self.text, where)))

    def duration(
        self, data: Mapping[str, Any], key: str, low: timedelta, high: timedelta
    ) -> timedelta | None:
        if key not in data:
            return None
        value = data[key]
        span = parse_duration(value) if isinstance(value, str) else None
        if span is None:
            self.problem(
                key, f'expected a duration in quotes such as "1h" or "45m", got {describe_value(value)}'
            )
            return None
        if not low <= span <= high:
            self.problem(
                key, f"expected from {duration_text(low)} to {duration_text(high)}, got {duration_text(span)}"
            )
            return None
        return span

    def clock(self, data: Mapping[str, Any], key: str, *, end: bool) -> int | None:
        if key not in data:
            return None
        value = data[key]
        match = _TIME_RE.fullmatch(value) if isinstance(value, str) else None
        top = 24 * 60 if end else 24 * 60 - 1
        minutes = int(match.group(1)) * 60 + int(match.group(2)) if match else -1
        if not match or int(match.group(2)) > 59 or not 0 <= minutes <= top:
            upper = "24:00" if end else "23:59"
            self.problem(
                key, f'expected a time of day from "00:00" to "{upper}", got {describe_value(value)}'
            )
            return None
        return minutes

    def days(self, data: Mapping[str, Any]) -> frozenset[int] | None:
        if "days" not in data:
            return None
        value = data["days"]
        if not isinstance(value, list) or not value:
            self.problem(
                "days", f'expected a list of days such as ["mon", "tue"], got {describe_value(value)}'
            )
            return None
        found: set[int] = set()
        for index, item in enumerate(value, start=1):
            # A whole name, short or long, in any case: never a prefix ("MONSTER").
            name = item.lower() if isinstance(item, str) and item.isascii() else None
            if name in FULL_DAY_NAMES:
                name = name[:3]
            if name not in DAY_NAMES:
                self.problem(
                    f"days[{index}]",
                    f"expected one of {', '.join(DAY_NAMES)} (or the whole name), got {describe_value(item)}",
                )
                return None
            found.add(DAY_NAMES.index(name))
        return frozenset(found)

    def command(self, data: Mapping[str, Any]) -> tuple[str, ...] | None:
        if "start_command" not in data:
            return None
        value = data["start_command"]
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_COMMAND_WORDS:
            self.problem(
                "start_command",
                f"expected a list of 1 to {MAX_COMMAND_WORDS} words in quotes, got {describe_value(value)}",
            )
            return None
        words = []
        for index, word in enumerate(value, start=1):
            at = f"start_command[{index}]"
            if not isinstance(word, str) or (index == 1 and not word.strip()):
                self.problem(at, f"expected text in quotes, got {describe_value(word)}")
                return None
            if len(word) > MAX_COMMAND_WORD:
                self.problem(at, f"too long ({len(word)} characters; at most {MAX_COMMAND_WORD})")
                return None
            hidden = first_hidden(word)
            if hidden is not None:
                # Bidirectional and other invisible controls too: they can make the
                # command shown in a log read differently from the one that runs.
                self.problem(at, f"contains a control character ({hidden_name(hidden)}); use plain text")
                return None
            words.append(word)
        return tuple(words)

    def flag(self, data: Mapping[str, Any], key: str) -> bool | None:
        if key not in data:
            return None
        value = data[key]
        if not isinstance(value, bool):
            self.problem(key, f"expected true or false (no quotes), got {describe_value(value)}")
            return None
        return value


KEYS = ("every", "from", "until", "days", "snooze", "away_after", "start_command", "tray")


def load_settings(path: Path) -> RemindSettings:
    """The settings in ``path``: the defaults when there is no file, or when anything in it
    is wrong (then ``problems`` says what, each with file, line and field)."""
    if not path.exists():
        return RemindSettings()
    read = read_data_file(path)
    if isinstance(read, Problem):
        return RemindSettings(problems=(read,))
    data, text = read
    check = _Check(path, text)
    for key in data:
        if key not in KEYS:
            check.problem(key, f"unknown key; expected one of: {', '.join(KEYS)}")
    every = check.duration(data, "every", timedelta(minutes=10), timedelta(hours=8))
    snooze = check.duration(data, "snooze", timedelta(minutes=1), timedelta(hours=2))
    away = check.duration(data, "away_after", timedelta(minutes=1), timedelta(hours=2))
    start = check.clock(data, "from", end=False)
    end = check.clock(data, "until", end=True)
    days = check.days(data)
    command = check.command(data)
    tray = check.flag(data, "tray")
    defaults = RemindSettings()
    first = defaults.start_minutes if start is None else start
    last = defaults.end_minutes if end is None else end
    if (start is not None or end is not None) and first >= last:
        check.problem(
            "until" if end is not None else "from",
            "the hours must end after they start on the same day (overnight hours are not supported)",
        )
    if check.problems:
        return RemindSettings(problems=tuple(check.problems))
    return RemindSettings(
        every=every or defaults.every,
        start=time(first // 60, first % 60),
        end_minutes=last,
        days=defaults.days if days is None else days,
        snooze=snooze or defaults.snooze,
        away_after=away or defaults.away_after,
        start_command=command,
        tray=defaults.tray if tray is None else tray,
    )
