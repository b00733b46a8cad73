"""Read a small file without trusting what is at its path.

A path may name a FIFO (opening it waits for a writer forever), a device (/dev/zero
never ends), a directory, or a file far larger than any calmcoach writes. ``read_limited``
reads only regular files, never waits on a FIFO, and never reads more than its limit
plus one byte, whatever the file's size claims. ``write_atomic`` writes beside a file and
renames over it without ever opening whatever already sits at the path.
``open_for_append`` (logs) and ``open_lock_file`` (lock files) open only regular files,
never wait on a FIFO, and keep what they create private.

calmcoach keeps health data, so what it writes is its owner's alone whatever the umask:
files 0600, folders 0700 (``private_folder``). A file or folder of ours found with wider
rights is tightened once, with a line in the log.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO

from calmcoach.data import locations
from calmcoach.domain.visible import visible

_CHUNK = 64 * 1024
_log = logging.getLogger(__name__)


class RefusedFile(OSError):
    """A file that calmcoach does not read: not a regular file, or too large.

    Its text is one plain sentence about the file (without the path), such as
    "is a FIFO (named pipe), not a regular file"."""


def kind_of(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words (for files that are not regular)."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISREG(mode):
        return "a file"
    return "a special file"


def _check(mode: int, size: int, limit: int) -> None:
    if not stat.S_ISREG(mode):
        raise RefusedFile(f"is {kind_of(mode)}, not a regular file")
    if size > limit:
        raise RefusedFile(f"is too large ({size // 1024} KiB; at most {limit // 1024} KiB)")


def read_limited(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    Raises RefusedFile for anything that is not a regular file or holds more than
    ``limit`` bytes (checked before opening, again on the open descriptor, and by
    reading at most one byte past the limit), and OSError when it cannot be read.
    Symbolic links are followed: a link to a regular file is read like the file.
    """
    _check(*_mode_and_size(os.stat(path)), limit)  # most refusals need no open at all
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    descriptor = os.open(path, flags)  # O_NONBLOCK: a FIFO swapped in since the stat opens at once
    try:
        _check(*_mode_and_size(os.fstat(descriptor)), limit)
        chunks: list[bytes] = []
        left = limit + 1
        while left > 0:
            chunk = os.read(descriptor, min(_CHUNK, left))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(descriptor)
    data = b"".join(chunks)
    if len(data) > limit:  # it grew while being read
        raise RefusedFile(f"is too large (more than {limit // 1024} KiB)")
    return data


def _mode_and_size(status: os.stat_result) -> tuple[int, int]:
    return status.st_mode, status.st_size


def write_atomic(path: Path, data: bytes, *, make_folders: bool = True) -> None:
    """Write ``data`` to a new file beside ``path``, then rename it over ``path``.

    The temporary file is created fresh (never an existing FIFO or link) and private
    (0600), so a special file at ``path`` or beside it is replaced, not written into, and
    the folders made on the way are private too (see ``private_folder``); with
    ``make_folders=False`` (a file the person named) a missing folder is an error
    instead. The data reaches the disk before the rename, so a crash leaves the old file
    or the new one, never an empty one. Raises OSError (NotADirectoryError when a file
    stands where a folder belongs, FileNotFoundError for a missing folder)."""
    if make_folders:
        private_folder(path.parent)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def private_folder(folder: Path) -> Path:
    """Make ``folder`` (and the folders missing above it) 0700, whatever the umask.

    Inside one of calmcoach's own folders (config, data, state, cache), every folder from
    that one down to ``folder`` is made private, those that already exist included: the
    voice clips' folder tightens the cache folder around it. Other folders are only made
    private when this makes them (as the XDG base directory spec asks). Raises
    NotADirectoryError when a file stands where a folder belongs, OSError otherwise."""
    roots = (locations.config_dir(), locations.data_dir(), locations.state_dir(), locations.cache_dir())
    chain: list[Path] = []
    for each in (folder, *folder.parents):
        if each in roots:
            chain.append(each)
            break
        if not any(root in each.parents for root in roots) and os.path.lexists(each):
            break  # not calmcoach's (a folder given by hand, the home folder): left as it is
        chain.append(each)
    for each in reversed(chain):
        try:
            locations.ensure_private_dir(each)
        except FileExistsError as error:  # something that is not a folder is there
            what = kind_of(os.stat(each).st_mode)
            raise NotADirectoryError(errno.ENOTDIR, f"is {what}, not a folder", str(each)) from error
    return folder


def make_private(path: Path) -> None:
    """Take group and other rights off the file or folder of ours at ``path``, saying so
    in the log (those made before calmcoach made them 0600 and 0700). A link, a special
    file, a missing path or someone else's is left as it is; a change refused is a
    warning in the log. Never raises."""
    try:
        status = os.lstat(path)
        if stat.S_ISDIR(status.st_mode):
            locations.ensure_private_dir(path)
            return
        if not stat.S_ISREG(status.st_mode) or not status.st_mode & 0o077 or status.st_uid != os.getuid():
            return
        os.chmod(path, stat.S_IMODE(status.st_mode) & 0o600)
    except FileNotFoundError:
        return
    except OSError as error:
        _log.warning("%s; it stays readable by others", why_not(path, error))
        return
    _log.info("%s: made private: only you can read it now", path)


def why_not(path: Path, error: OSError) -> str:
    """What stopped calmcoach using ``path``, for one line (control characters shown)."""
    if isinstance(error, RefusedFile):
        return f"{visible(str(path))} {error}"
    where = error.filename if isinstance(error.filename, str) else str(path)
    return f"{visible(where)}: {visible(error.strerror or str(error))}"


def _regular_or_missing(path: Path) -> bool:
    """Is there a regular file at ``path`` (True) or nothing (False)? RefusedFile for the rest."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return False
    _check(mode, 0, 0)
    return True


def _open_regular(path: Path, flags: int) -> int:
    """A descriptor on the regular file at ``path``, never waiting on a FIFO.

    With O_CREAT the file is made 0600; a file of ours that is wider is tightened (and
    the log says so). Raises RefusedFile for what is not a regular file, OSError."""
    _regular_or_missing(path)  # most refusals need no open at all
    flags |= os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        descriptor = os.open(path, flags, 0o600)
    except OSError as error:
        if error.errno == errno.ENXIO:  # a FIFO swapped in since the stat, with no reader
            raise RefusedFile("is a FIFO (named pipe), not a regular file") from error
        raise
    try:
        status = os.fstat(descriptor)
        _check(status.st_mode, 0, 0)
        if status.st_mode & 0o077 and status.st_uid == os.getuid():
            os.fchmod(descriptor, stat.S_IMODE(status.st_mode) & 0o600)
            _log.info("%s: made private: only you can read it now", path)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def open_for_append(path: Path) -> BinaryIO:
    """``path`` opened to add to its end (a log), made 0600 if new.

    Only a regular file is opened, and opening never waits (a FIFO in its place is
    refused, not waited on). Raises RefusedFile or OSError; the folder must exist."""
    descriptor = _open_regular(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    return os.fdopen(descriptor, "ab")


def open_lock_file(path: Path, *, create: bool = True) -> BinaryIO:
    """``path`` opened for ``fcntl.flock`` (made 0600 when ``create``; read-only otherwise).

    Only a regular file is opened, never waiting on a FIFO. Raises RefusedFile, or
    OSError (FileNotFoundError when it is missing and not ``create``)."""
    if create:
        return os.fdopen(_open_regular(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT), "ab")
    return os.fdopen(_open_regular(path, os.O_RDONLY), "rb")
