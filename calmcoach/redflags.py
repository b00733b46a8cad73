"""The red flags: signs that a twitch should be checked by a doctor, from a data file.

Read only when a screen shows them (the first-run note, the doctor page), so the
library opens without parsing this file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

RED_FLAGS_FILE = Path(__file__).resolve().parent / "content" / "red_flags.toml"


@dataclass(frozen=True)
class RedFlag:
    """A sign that a twitch needs a doctor, and what to do about it."""

    sign: str
    action: str
    urgency: str
    """One of: emergency, urgent, soon, check."""


@dataclass(frozen=True)
class SafetyText:
    """The red flags plus the plain statement of what calmcoach is not."""

    intro: str
    disclaimer: str
    flags: tuple[RedFlag, ...]
    habits: tuple[str, ...]


def load_red_flags(path: Path = RED_FLAGS_FILE) -> SafetyText:
    """Read the red-flags data file that ships with calmcoach."""
    import tomllib

    data = tomllib.loads(path.read_text("utf-8"))
    flags = tuple(RedFlag(sign=f["sign"], action=f["action"], urgency=f["urgency"]) for f in data["flag"])
    return SafetyText(data["intro"], data["disclaimer"], flags, tuple(data.get("habits", ())))
