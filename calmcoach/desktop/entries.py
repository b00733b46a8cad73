"""Desktop entries: ``calmcoach desktop --install`` and ``--uninstall``.

``--install`` writes two freedesktop entries and calmcoach's icon under
``$XDG_DATA_HOME`` (``~/.local/share`` when it is unset):

- ``applications/calmcoach.desktop``: the desktop coach in a window, with the actions
  "Flare routine", "4-2-6 breathing" and "Log a flare";
- ``applications/calmcoach-terminal.desktop``: the same app in a terminal;
- ``icons/hicolor/scalable/apps/calmcoach.svg``.

It keeps a manifest of every file and folder it made (``calmcoach/desktop-install.json``),
so that ``--uninstall`` removes exactly those: never a file it did not write, never a
folder that holds anything else.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from calmcoach.desktop.server import icon_svg

ICON_NAME: Final = "calmcoach"
WINDOW_ENTRY: Final = "calmcoach.desktop"
TERMINAL_ENTRY: Final = "calmcoach-terminal.desktop"
MANIFEST: Final = Path("calmcoach") / "desktop-install.json"

ACTIONS: Final = (
    ("flare", "Flare routine", ("flare",)),
    ("breathing", "4-2-6 breathing", ("run", "breathing-4-2-6")),
    ("log", "Log a flare", ("log",)),
)
"""The window entry's actions: id, name, and the words after ``calmcoach desktop``."""

_SAFE_ARG = re.compile(r"[A-Za-z0-9_./:=+,@-]+")


class InstallError(Exception):
    """A desktop entry could not be written or removed (the message says which file)."""


def data_home(environ: dict[str, str] | None = None) -> Path:
    """``$XDG_DATA_HOME`` when it is an absolute path (as the spec asks), else ``~/.local/share``."""
    env = os.environ if environ is None else environ
    value = env.get("XDG_DATA_HOME", "")
    if value and Path(value).is_absolute():
        return Path(value)
    return Path.home() / ".local" / "share"


def calmcoach_command() -> list[str]:
    """How a desktop entry starts calmcoach: the script beside this Python, else ``python -m``."""
    script = Path(sys.executable).parent / "calmcoach"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "calmcoach"]


def exec_quote(argument: str) -> str:
    """One argument of an ``Exec`` key, quoted as the Desktop Entry spec asks."""
    if "\n" in argument or "\r" in argument or "\t" in argument:
        raise InstallError(f"cannot put a path with a control character in a desktop entry: {argument!r}")
    if _SAFE_ARG.fullmatch(argument):
        return argument.replace("%", "%%")
    quoted = "".join("\\" + c if c in '"`$\\' else c for c in argument).replace("%", "%%")
    # The entry file's own escape rules then double every backslash.
    return '"' + quoted.replace("\\", "\\\\") + '"'


def exec_line(words: Sequence[str]) -> str:
    return " ".join(exec_quote(word) for word in words)


def window_entry(command: Sequence[str]) -> str:
    """The text of ``calmcoach.desktop``."""
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.4",
        "Name=calmcoach",
        "GenericName=Breathing coach",
        "Comment=Guided breathing, and a calm routine for muscle twitches, in a window",
        f"Exec={exec_line([*command, 'desktop'])}",
        f"Icon={ICON_NAME}",
        "Terminal=false",
        "Categories=Utility;",
        "Keywords=breathing;relax;anxiety;twitch;flare;calm;",
        "StartupNotify=false",
        "Actions=" + "".join(f"{key};" for key, _, _ in ACTIONS),
    ]
    for key, name, words in ACTIONS:
        lines += [
            "",
            f"[Desktop Action {key}]",
            f"Name={name}",
            f"Exec={exec_line([*command, 'desktop', *words])}",
        ]
    return "\n".join(lines) + "\n"


def terminal_entry(command: Sequence[str]) -> str:
    """The text of ``calmcoach-terminal.desktop``: the app in a terminal."""
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.4",
        "Name=calmcoach (terminal)",
        "GenericName=Breathing coach",
        "Comment=Guided breathing, and a calm routine for muscle twitches, in a terminal",
        f"Exec={exec_line(command)}",
        f"Icon={ICON_NAME}",
        "Terminal=true",
        "Categories=Utility;ConsoleOnly;",
        "Keywords=breathing;relax;anxiety;twitch;flare;calm;",
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Plan:
    """What ``--install`` writes: file -> content, under one data home."""

    home: Path
    files: dict[Path, bytes]


def install_plan(home: Path, command: Sequence[str]) -> Plan:
    applications = home / "applications"
    return Plan(
        home,
        {
            applications / WINDOW_ENTRY: window_entry(command).encode(),
            applications / TERMINAL_ENTRY: terminal_entry(command).encode(),
            home / "icons" / "hicolor" / "scalable" / "apps" / f"{ICON_NAME}.svg": icon_svg(),
        },
    )


def _read_manifest(path: Path) -> dict[str, list[str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"files": [], "dirs": []}
    except (OSError, ValueError) as error:
        raise InstallError(f"{path}: cannot read the install record: {error}") from error
    if not isinstance(data, dict):
        raise InstallError(f"{path}: the install record is not a JSON object")
    files = data.get("files", [])
    dirs = data.get("dirs", [])
    if not (isinstance(files, list) and isinstance(dirs, list)):
        raise InstallError(f"{path}: files and dirs must be lists")
    return {"files": [str(f) for f in files], "dirs": [str(d) for d in dirs]}


def install(home: Path | None = None, command: Sequence[str] | None = None) -> list[Path]:
    """Write the entries and the icon; return the files written."""
    home = home or data_home()
    plan = install_plan(home, command or calmcoach_command())
    manifest_path = home / MANIFEST
    record = _read_manifest(manifest_path)
    made_dirs = set(record["dirs"])
    written = set(record["files"])
    try:
        for path in [*plan.files, manifest_path]:
            missing = [p for p in [path.parent, *path.parent.parents] if not p.exists()]
            path.parent.mkdir(parents=True, exist_ok=True)
            made_dirs.update(str(p) for p in missing)
        for path, content in plan.files.items():
            temporary = path.with_name(f".{path.name}.tmp")
            temporary.write_bytes(content)
            temporary.replace(path)
            written.add(str(path))
        manifest_path.write_text(
            json.dumps({"files": sorted(written), "dirs": sorted(made_dirs)}, indent=2) + "\n",
            encoding="utf-8",
        )
    except OSError as error:
        raise InstallError(f"{error.filename or home}: cannot write: {error.strerror or error}") from error
    return list(plan.files)


def uninstall(home: Path | None = None) -> list[Path]:
    """Remove what ``install`` wrote (and the folders it made, when empty); return what was removed."""
    home = home or data_home()
    manifest_path = home / MANIFEST
    record = _read_manifest(manifest_path)
    removed: list[Path] = []
    try:
        for name in record["files"]:
            path = Path(name)
            if path.is_relative_to(home) and path.is_file():
                path.unlink()
                removed.append(path)
        manifest_path.unlink(missing_ok=True)
        for name in sorted(record["dirs"], key=lambda d: len(Path(d).parts), reverse=True):
            path = Path(name)
            if path.is_relative_to(home.parent) and path.is_dir() and not any(path.iterdir()):
                path.rmdir()
                removed.append(path)
    except OSError as error:
        raise InstallError(f"{error.filename or home}: cannot remove: {error.strerror or error}") from error
    return removed
