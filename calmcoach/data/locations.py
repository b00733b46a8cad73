"""Where calmcoach keeps and finds files.

Every path can be overridden from the environment, which is how the tests (and
people with unusual setups) keep calmcoach away from their real files. Nothing
here creates a directory: callers create what they write to, when they write.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from pathlib import Path

import platformdirs

APP_NAME = "calmcoach"

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # calmcoach/, above data/


def _from_env(variable: str) -> Path | None:
    value = os.environ.get(variable, "").strip()
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    """The user's config dir: their own exercises, sounds and settings."""
    return _from_env("CALMCOACH_CONFIG_DIR") or Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """The user's data dir, where the history database lives."""
    return _from_env("CALMCOACH_DATA_DIR") or Path(platformdirs.user_data_dir(APP_NAME))


def state_dir() -> Path:
    """The user's state dir: logs (such as the audio player's stderr)."""
    return _from_env("CALMCOACH_STATE_DIR") or Path(platformdirs.user_state_dir(APP_NAME))


def cache_dir() -> Path:
    """The user's cache dir: things calmcoach can always rebuild."""
    return _from_env("CALMCOACH_CACHE_DIR") or Path(platformdirs.user_cache_dir(APP_NAME))


def documents_dir() -> Path:
    """The user's documents folder, where the app writes the report for the doctor."""
    return _from_env("CALMCOACH_DOCUMENTS_DIR") or Path(platformdirs.user_documents_dir())


def parse_cache_file() -> Path:
    """Parsed exercise files from earlier runs (see ``parsecache.ParseCache``)."""
    return cache_dir() / "parsed-exercises.json"


def user_exercises_dir() -> Path:
    """Exercise files the user adds or overrides built-ins with."""
    return config_dir() / "exercises"


def user_sounds_dir() -> Path:
    """WAV files the user adds, usable as cues by name."""
    return config_dir() / "sounds"


def settings_file() -> Path:
    """Small TOML-free settings file (key=value) the app writes, e.g. first-run seen."""
    return config_dir() / "settings.json"


def history_file() -> Path:
    """The SQLite history database."""
    return data_dir() / "history.sqlite3"


def _builtin(name: str) -> Path:
    # In an installed wheel the data lives inside the package (see pyproject's
    # force-include); in a source checkout or editable install it sits beside it.
    installed = _PACKAGE_DIR / "_builtin" / name
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / name


def builtin_exercises_dir() -> Path:
    """The exercises that ship with calmcoach."""
    return _builtin("exercises")


def builtin_sounds_dir() -> Path:
    """The cue sounds that ship with calmcoach."""
    return _builtin("sounds")


_log = logging.getLogger(__name__)


def ensure_private_dir(path: Path) -> Path:
    """Make ``path`` (and any missing parents) a folder that only its owner can open.

    calmcoach keeps health data (the history, the log, the reminder's state), so its
    folders are 0700 whatever the umask. A folder of ours that already exists with wider
    rights is tightened, and the log says so (once: after that it is private). Raises
    NotADirectoryError where something else stands in the folder's place, and OSError
    when it cannot be made.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    status = path.stat()
    if not stat.S_ISDIR(status.st_mode):
        raise NotADirectoryError(errno.ENOTDIR, "is not a folder", str(path))
    if status.st_mode & 0o077 and status.st_uid == os.getuid():
        os.chmod(path, stat.S_IMODE(status.st_mode) & 0o700)
        _log.info("%s: made private: only you can open it now", path)
    return path
