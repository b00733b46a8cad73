"""Small user settings the app remembers between runs (a JSON file in the config dir)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from calmcoach.data import locations
from calmcoach.data.safefile import make_private, read_limited, write_atomic
from calmcoach.domain.visible import visible


@dataclass
class Settings:
    """What calmcoach remembers about a person's choices."""

    first_run_seen: bool = False
    """The one-time "not medical advice" note has been dismissed."""
    reduced_motion: bool = False
    theme: str = ""
    """A Textual theme name, or empty for the default."""
    voice: str = "auto"
    """Spoken guidance: "on", "off", or "auto" (on only where a step asks to close the
    eyes, or with eyes-closed tones). Set by the session screen's voice key."""


VOICE_CHOICES = ("auto", "on", "off")


MAX_SETTINGS_BYTES = 64 * 1024
"""Far more than the settings ever take; a larger file is not read."""


def load(path: Path | None = None) -> Settings:
    """Read settings; a missing, unreadable or odd file gives the defaults.

    A settings file (and the default one's folder) readable by others is made private.

    Only a regular file is read, and only up to MAX_SETTINGS_BYTES: a FIFO or a device
    in its place never makes the app wait or fill memory (``save`` replaces it)."""
    if path is None:
        path = locations.settings_file()
        make_private(path.parent)  # made before calmcoach kept its folders private
    make_private(path)
    try:
        data = json.loads(read_limited(path, MAX_SETTINGS_BYTES).decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return Settings()
    if not isinstance(data, dict):
        return Settings()
    settings = Settings()
    for spec in fields(Settings):
        value = data.get(spec.name)
        default = getattr(settings, spec.name)
        if isinstance(value, type(default)):
            setattr(settings, spec.name, value)
    if settings.voice not in VOICE_CHOICES:
        settings.voice = "auto"
    return settings


def save(settings: Settings, path: Path | None = None) -> str | None:
    """Write settings atomically, readable by their owner alone (0600 in a 0700 folder).
    Returns why it could not (one plain sentence), or None."""
    path = path or locations.settings_file()
    try:
        write_atomic(path, json.dumps(asdict(settings), indent=2).encode("utf-8"))
    except OSError as error:
        return f"settings could not be saved to {visible(str(path))}: {error.strerror or error}"
    return None
