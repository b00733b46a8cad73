"""Read a small file without trusting what is at its path.

A path may name a FIFO (opening it waits for a writer forever), a device (/dev/zero
never ends), a directory, or a file far larger than any calmcoach writes. ``read_limited``
reads only regular files, never waits on a FIFO, and never reads more than its limit
plus one byte, whatever the file's size claims. ``write_atomic`` writes beside a file and
renames over it without ever opening whatever already sits at the path.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

_CHUNK = 64 * 1024


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


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file beside ``path``, then rename it over ``path``.

    The temporary file is created fresh (never an existing FIFO or link), so a special
    file at ``path`` or beside it is replaced, not written into. Raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
