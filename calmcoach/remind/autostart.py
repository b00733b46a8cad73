"""Starting the reminder at login: an XDG autostart entry.

XDG autostart rather than a systemd user unit: the reminder needs the graphical
session (its D-Bus session bus, its display and its notification server), and every
freedesktop desktop (GNOME, KDE Plasma, Xfce, Cinnamon, MATE, LXQt) starts autostart
entries inside that session, with or without systemd. A user unit starts at any login,
a text console or ssh included, where there is nothing to show a nudge on, and only
some desktops wire up ``graphical-session.target`` to hold it back. Desktops that run
on systemd turn autostart entries into units themselves (systemd-xdg-autostart-generator).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

from calmcoach.data.safefile import read_limited, write_atomic

MARK = "X-Calmcoach-Remind"
"""A key only this entry has: ``--uninstall`` removes a file only when it carries it."""
FILE_NAME = "calmcoach-remind.desktop"
_SAFE = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")


def autostart_dir() -> Path:
    """``$XDG_CONFIG_HOME/autostart`` (``~/.config/autostart`` when it is not set)."""
    base = os.environ.get("XDG_CONFIG_HOME", "").strip()
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "autostart"


def entry_path() -> Path:
    return autostart_dir() / FILE_NAME


def command() -> list[str]:
    """How to start the reminder: this Python running calmcoach, so the entry works
    whether or not a ``calmcoach`` script is on the login session's PATH."""
    script = Path(sys.executable).parent / "calmcoach"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script), "remind"]
    found = shutil.which("calmcoach")
    if found:
        return [str(Path(found).resolve()), "remind"]
    return [sys.executable, "-m", "calmcoach", "remind"]


def exec_quote(word: str) -> str:
    """One argument of an ``Exec`` key, quoted as the Desktop Entry spec asks."""
    if _SAFE.match(word):
        return word.replace("%", "%%")
    escaped = word.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    # The value is itself a string value: every backslash above is written twice.
    return '"' + escaped.replace("%", "%%").replace("\\", "\\\\") + '"'


def entry_text(words: list[str]) -> str:
    """The desktop entry that starts ``words`` at login."""
    exec_line = " ".join(exec_quote(w) for w in words)
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=calmcoach reminders\n"
        "Comment=Gentle nudges to stand up and move through the working day\n"
        f"Exec={exec_line}\n"
        "Terminal=false\n"
        "NoDisplay=true\n"
        "X-GNOME-Autostart-enabled=true\n"
        f"{MARK}=true\n"
    )


def install() -> Path:
    """Write the entry (replacing our own older one); the path written."""
    path = entry_path()
    if path.exists() and not is_ours(path):
        raise FileExistsError(f"{path} exists and was not written by calmcoach; it is left as it is")
    write_atomic(path, entry_text(command()).encode("utf-8"))  # never into a FIFO there
    return path


def is_ours(path: Path) -> bool:
    """Does this file carry calmcoach's mark?"""
    try:
        head = read_limited(path, 64 * 1024)  # a FIFO or a huge file is not ours, and never waited on
    except OSError:
        return False
    return f"\n{MARK}=true\n".encode() in head


def uninstall() -> Path | None:
    """Remove exactly the entry :func:`install` writes; the path removed, or None if
    there was none. A file of that name that is not ours is left and raises."""
    path = entry_path()
    if not path.exists():
        return None
    if not is_ours(path):
        raise FileExistsError(f"{path} was not written by calmcoach; it is left as it is")
    path.unlink()
    return path
