"""Find and load the exercise library and the red-flags list from their usual places."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from calmcoach import locations
from calmcoach.loader import Library, ParseCache, load_library, sound_names_in

RED_FLAGS_FILE = Path(__file__).resolve().parent / "content" / "red_flags.toml"


def sound_dirs() -> tuple[Path, ...]:
    """Where cue sounds are looked up, later dirs overriding earlier ones."""
    return (locations.builtin_sounds_dir(), locations.user_sounds_dir())


def sound_names() -> frozenset[str]:
    """Every cue name available."""
    return sound_names_in(*sound_dirs())


def load_default_library() -> Library:
    """The built-in exercises with the user's files over them (parsing sped up by a cache)."""
    cache = ParseCache(locations.parse_cache_file())
    library = load_library(
        locations.builtin_exercises_dir(), locations.user_exercises_dir(), sound_names(), cache
    )
    cache.save()
    return library


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
