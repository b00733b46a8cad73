"""The spare app process: started with the server, ready before the page asks for it.

Starting Python, importing Textual and calmcoach and reading the library take most of
an app's start. The desktop server does that once, while the browser is still opening
and loading the page, in a process started with ``SPARE`` in its environment. That
process builds its app and then waits, drawing nothing, for the page's size: the first
packet the server writes to its standard input (textual-serve's framing: one type byte,
a 4-byte big-endian length, the payload) is a ``resize`` meta packet. With the size
known it runs the app as any served app runs. An end of input, or any other first
packet, means no page came: it exits at once, without drawing.

Only the Python standard library is used here, so the module costs little to import.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections.abc import Sequence
from typing import Final

SPARE: Final = "CALMCOACH_DESKTOP_SPARE"
"""Set to "1" in the spare process's environment."""

CELL_ASPECT: Final = "CALMCOACH_CELL_ASPECT"
"""The app's setting for a cell's height over its width (read in ``calmcoach.ui.factory``)."""
PAGE_CELL_ASPECT: Final = "2.333"
"""The page's cells: Roboto Mono at 16 px is drawn by xterm.js in cells 9 px wide and
21 px tall (measured in Chromium), not the usual 1 by 2; the pacer is round in them."""


def page_environment() -> dict[str, str]:
    """What every app process behind a page is told of the page: its cell shape."""
    return {CELL_ASPECT: PAGE_CELL_ASPECT}


def spare_environment() -> dict[str, str]:
    """The spare's environment: what textual-serve's ``AppService`` gives every app it
    runs (its web driver, 60 frames a second, true colour), the page's cell shape (as
    ``AppProcess`` gives every app), plus ``SPARE``.

    The same as ``AppService._build_environment`` (a test holds them together), built
    here because importing textual-serve would import aiohttp, the slow part of the
    server's start that the spare is meant to overlap."""
    from importlib.metadata import version

    environment = dict(os.environ)
    environment.update(
        TEXTUAL_DRIVER="textual.drivers.web_driver:WebDriver",
        TEXTUAL_FPS="60",
        TEXTUAL_COLOR_SYSTEM="truecolor",
        TERM_PROGRAM="textual",
        TERM_PROGRAM_VERSION=version("textual-serve"),
        COLUMNS="80",
        ROWS="24",
    )
    environment.update(page_environment())
    environment[SPARE] = "1"
    return environment


def start_spare(argv: Sequence[str]) -> subprocess.Popen[bytes]:
    """Start the spare app process from an argument list (never a shell line), in a
    session of its own, as the server starts each app."""
    return subprocess.Popen(
        list(argv),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=spare_environment(),
        start_new_session=True,
    )


def end_spare(process: subprocess.Popen[bytes], quit_seconds: float = 3.0) -> None:
    """End a spare no page took: close its input (it exits at once, drawing nothing);
    terminate its process group if it has not within ``quit_seconds``."""
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(quit_seconds)
    for sent in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sent)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(2.0)
    process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def is_spare() -> bool:
    """Whether this process was started as the desktop server's spare."""
    return os.environ.get(SPARE) == "1"


def _read_exactly(fd: int, size: int) -> bytes | None:
    """``size`` bytes from ``fd``; None when the input ends first."""
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def packet(kind: bytes, payload: bytes) -> bytes:
    """One packet in textual-serve's framing (as ``AppService.encode_packet`` writes it)."""
    return kind + len(payload).to_bytes(4, "big") + payload


def wait_for_size(fd: int = 0) -> tuple[int, int] | None:
    """Wait for the page's size on ``fd`` and return it (columns, rows); None if the
    server sent anything else first, or closed the input (no page came).

    Reads exactly one packet, byte by byte count, so that whatever the server sends next
    is left for the Textual driver, which reads the same input afterwards."""
    header = _read_exactly(fd, 5)
    if header is None:
        return None
    kind, size = header[:1], int.from_bytes(header[1:], "big")
    if kind != b"M" or size > 4096:
        return None
    payload = _read_exactly(fd, size)
    if payload is None:
        return None
    try:
        meta = json.loads(payload)
        if meta.get("type") != "resize":
            return None
        width, height = int(meta["width"]), int(meta["height"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return width, height


def await_page() -> bool:
    """In the spare: wait for the page's size and make it the size the app starts with
    (Textual's web driver reads ``COLUMNS`` and ``ROWS``); False when no page came.

    Textual's web driver is imported first, while there is nothing else to do."""
    import textual.drivers.web_driver  # noqa: F401 - imported now so it costs nothing later

    size = wait_for_size()
    if size is None:
        return False
    os.environ["COLUMNS"], os.environ["ROWS"] = str(size[0]), str(size[1])
    return True
