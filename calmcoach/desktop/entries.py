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

import contextlib
import errno
import json
import os
import re
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from calmcoach.data.safefile import RefusedFile, read_limited, write_atomic
from calmcoach.desktop.server import icon_svg
from calmcoach.domain.visible import visible

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


RECORD_LIMIT: Final = 64 * 1024
"""The install record is a few hundred bytes; anything larger is not one."""


def install_folders(home: Path) -> frozenset[Path]:
    """The folders ``install`` writes files to: the only places ``uninstall`` removes one."""
    return frozenset(path.parent for path in install_plan(home, ["calmcoach"]).files) | {
        (home / MANIFEST).parent
    }


def install_files(home: Path) -> frozenset[Path]:
    """The files ``install`` writes, and its record: the only files ``uninstall`` removes
    (never another file in those folders, such as another program's entry)."""
    return frozenset(install_plan(home, ["calmcoach"]).files) | {home / MANIFEST}


def made_folders(home: Path) -> frozenset[Path]:
    """The folders ``install`` may have made: the install folders and those above them, up
    to the data home's parent (the only folders ``uninstall`` removes, and only empty)."""
    top = home.parent
    found: set[Path] = set()
    for folder in install_folders(home):
        for path in (folder, *folder.parents):
            if not path.is_relative_to(top):
                break
            found.add(path)
    return frozenset(found)


def _plain_absolute(name: str) -> bool:
    """Whether ``name`` is an absolute path with no ``.`` or ``..`` part and nothing to
    normalise away (``a//b``, a trailing ``/``): the only form ``install`` records."""
    return os.path.isabs(name) and os.path.normpath(name) == name and ".." not in Path(name).parts


def _read_manifest(home: Path) -> dict[str, list[str]]:
    """The install record, checked: a regular file of at most ``RECORD_LIMIT`` bytes
    (never a FIFO or a device, which would hang or never end), holding JSON lists of
    files ``install`` writes and of folders it may have made. Anything
    else is one InstallError naming the file and the entry, and nothing is removed."""
    path = home / MANIFEST
    try:
        raw = read_limited(path, RECORD_LIMIT)
    except FileNotFoundError:
        return {"files": [], "dirs": []}
    except RefusedFile as error:
        raise InstallError(f"{path}: the install record {error}; nothing was changed") from error
    except OSError as error:
        raise InstallError(f"{path}: cannot read the install record: {error.strerror or error}") from error
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise InstallError(f"{path}: cannot read the install record: {error}") from error
    if not isinstance(data, dict):
        raise InstallError(f"{path}: the install record is not a JSON object")
    files = data.get("files", [])
    dirs = data.get("dirs", [])
    if not (isinstance(files, list) and isinstance(dirs, list)):
        raise InstallError(f"{path}: files and dirs must be lists")
    allowed = {"files": install_files(home), "dirs": made_folders(home)}
    for field, names in (("files", files), ("dirs", dirs)):
        for index, name in enumerate(names):
            where = f"{path}: {field}[{index}]"
            if not isinstance(name, str):
                raise InstallError(f"{where} is not a path; nothing was changed")
            inside = _plain_absolute(name) and Path(name) in allowed[field]
            if not inside:
                shown = visible(name[:200])
                raise InstallError(
                    f"{where} ({shown}) is not one of calmcoach's desktop files; nothing was changed"
                )
    return {"files": list(files), "dirs": list(dirs)}


def install(home: Path | None = None, command: Sequence[str] | None = None) -> list[Path]:
    """Write the entries and the icon; return the files written."""
    home = home or data_home()
    plan = install_plan(home, command or calmcoach_command())
    manifest_path = home / MANIFEST
    record = _read_manifest(home)
    made_dirs = set(record["dirs"])
    written = set(record["files"])
    ours = made_folders(home)  # folders above these are not recorded, so never removed
    try:
        for path in [*plan.files, manifest_path]:
            missing = [p for p in [path.parent, *path.parent.parents] if not p.exists()]
            path.parent.mkdir(parents=True, exist_ok=True)
            made_dirs.update(str(p) for p in missing if p in ours)
        for path, content in plan.files.items():
            write_atomic(path, content)  # never into a FIFO or through a link at the path
            written.add(str(path))
        record_text = json.dumps({"files": sorted(written), "dirs": sorted(made_dirs)}, indent=2) + "\n"
        write_atomic(manifest_path, record_text.encode("utf-8"))
    except OSError as error:
        raise InstallError(f"{error.filename or home}: cannot write: {error.strerror or error}") from error
    return list(plan.files)


def uninstall(home: Path | None = None) -> list[Path]:
    """Remove what ``install`` wrote (and the folders it made, when empty); return what was
    removed. Only regular files (never a link, whatever it points to) in the install
    folders, and only empty folders, as the checked record lists them."""
    home = home or data_home()
    manifest_path = home / MANIFEST
    record = _read_manifest(home)
    removed: list[Path] = []
    try:
        for name in record["files"]:
            path = Path(name)
            try:
                status = os.lstat(path)
            except FileNotFoundError:
                continue
            if stat.S_ISREG(status.st_mode):
                path.unlink()
                removed.append(path)
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISREG(os.lstat(manifest_path).st_mode):
                manifest_path.unlink()
        for name in sorted(record["dirs"], key=lambda d: len(Path(d).parts), reverse=True):
            path = Path(name)
            try:
                if stat.S_ISDIR(os.lstat(path).st_mode):
                    path.rmdir()  # only when empty: anything else stays with its contents
                    removed.append(path)
            except FileNotFoundError:
                continue
            except OSError as error:
                if error.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
    except OSError as error:
        raise InstallError(f"{error.filename or home}: cannot remove: {error.strerror or error}") from error
    return removed
