"""Small user settings the app remembers between runs (a JSON file in the config dir)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from calmcoach import locations


@dataclass
class Settings:
    """What calmcoach remembers about a person's choices."""

    first_run_seen: bool = False
    """The one-time "not medical advice" note has been dismissed."""
    reduced_motion: bool = False
    theme: str = ""
    """A Textual theme name, or empty for the default."""


def load(path: Path | None = None) -> Settings:
    """Read settings; a missing or unreadable file gives the defaults."""
    path = path or locations.settings_file()
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return Settings()
    if not isinstance(data, dict):
        return Settings()
    settings = Settings()
    for spec in fields(Settings):
        value = data.get(spec.name)
        default = getattr(settings, spec.name)
        if isinstance(value, type(default)):
            setattr(settings, spec.name, value)
    return settings


def save(settings: Settings, path: Path | None = None) -> bool:
    """Write settings atomically. Returns False (and keeps going) if it cannot."""
    path = path or locations.settings_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(settings), indent=2), "utf-8")
        os.replace(tmp, path)
    except OSError:
        return False
    return True
