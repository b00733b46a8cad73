"""Run a program in a pseudo-terminal and keep every write it makes, with its time.

The reader thread blocks on the pty's master side and stamps each chunk it reads
with ``time.monotonic()`` (the clock the apps' deadlines and the audio player use,
shared by every process on the machine). A chunk is what the program wrote since the
last read: one ``write`` of a frame, or several small ones that arrived together.

The parsing half (``strip``, ``phase_changes``, ``save``/``load``) is pure and is
unit-tested on recorded data in ``tests/test_benchmarks.py``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import select
import signal
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

Chunk = tuple[float, bytes]
"""(monotonic time the bytes were read, the bytes)."""

TICKS = os.sysconf("SC_CLK_TCK")

_ESCAPE = re.compile(
    rb"\x1b\[[0-9;?<>=$ ]*[@-~]"  # CSI: cursor moves, colours, modes
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: titles, clipboard
    rb"|\x1b[()][0-9A-Za-z]|\x1b[=>78cDEHM]"  # character sets, keypad, save/restore
)


def strip(data: bytes) -> str:
    """The text of some terminal output: escape sequences removed, cursor moves as spaces."""
    return _ESCAPE.sub(b" ", data).decode("utf-8", "replace")


def phase_changes(chunks: Sequence[Chunk], pattern: re.Pattern[str]) -> list[tuple[float, str]]:
    """The moments the phase shown changes: (time of the chunk, phase label).

    ``pattern`` finds a phase label in a chunk's text (its first group is the label).
    The last label a chunk shows counts; a chunk that shows the label already on
    screen (a redrawn frame) is no change. The first label shown is the first entry."""
    changes: list[tuple[float, str]] = []
    current: str | None = None
    for moment, data in chunks:
        found = pattern.findall(strip(data))
        if not found:
            continue
        label = found[-1] if isinstance(found[-1], str) else found[-1][0]
        if label != current:
            changes.append((moment, label))
            current = label
    return changes


def save(chunks: Iterable[Chunk], path: Path) -> None:
    """Keep a recording: one JSON line a chunk, ``[time, hex bytes]``."""
    with path.open("w") as out:
        for moment, data in chunks:
            out.write(json.dumps([moment, data.hex()]) + "\n")


def load(path: Path) -> list[Chunk]:
    """Read a recording kept by ``save``."""
    chunks: list[Chunk] = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            moment, data = json.loads(line)
            chunks.append((float(moment), bytes.fromhex(data)))
        except (ValueError, TypeError) as error:
            raise ValueError(f"{path}:{number}: not a recorded chunk ({error})") from error
    return chunks


# --- processes ---------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def descendants(pid: int) -> list[int]:
    """Every living process below ``pid`` (children, their children, ...)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                kids = Path(f"/proc/{current}/task/{task}/children").read_text().split()
            except OSError:
                continue
            for kid in kids:
                found.append(int(kid))
                todo.append(int(kid))
    return found


def rss_mib(pid: int, field: str = "VmHWM") -> float:
    """Peak (VmHWM) or current (VmRSS) resident memory of one process in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def process_name(pid: int) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [a.decode(errors="replace") for a in argv if a]
    for word in words[1:]:
        if word.startswith("-m"):
            continue
        return Path(word).name if "/" in word else word
    return Path(words[0]).name if words else "?"


class PtyProcess:
    """One program in a pseudo-terminal of ``cols`` x ``rows``, recorded from its start."""

    def __init__(
        self,
        argv: Sequence[str],
        env: dict[str, str] | None = None,
        cols: int = 100,
        rows: int = 30,
        cwd: str | None = None,
    ) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full_env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows)}
        full_env.update(env or {})
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=full_env,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
            close_fds=True,
        )
        os.close(slave)
        self.pid = self.process.pid
        self._master = master
        self.chunks: list[Chunk] = []
        self.keys_sent: list[tuple[float, bytes]] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, name="pty-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self._master], [], [], 0.5)
            except (OSError, ValueError):
                return
            if not ready:
                if self.process.poll() is not None:
                    return
                continue
            try:
                data = os.read(self._master, 65536)
            except OSError:
                return
            moment = time.monotonic()
            if not data:
                return
            with self._lock:
                self.chunks.append((moment, data))

    def text(self, since: int = 0) -> str:
        """Everything written since chunk number ``since``, as text."""
        with self._lock:
            data = b"".join(d for _, d in self.chunks[since:])
        return strip(data)

    def wait_for(self, words: str, timeout: float = 20, since: int = 0) -> float:
        """Wait until ``words`` were written (after chunk ``since``); return that chunk's time."""
        limit = time.monotonic() + timeout
        while time.monotonic() < limit:
            with self._lock:
                chunks = list(self.chunks[since:])
            seen = ""
            for moment, data in chunks:
                seen = (seen + strip(data))[-4000:]
                if words in seen:
                    return moment
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError(f"{words!r} never showed; last output:\n{self.text()[-1500:]}")

    def send(self, data: bytes) -> float:
        """Type ``data``; return the monotonic time it was written."""
        os.write(self._master, data)
        moment = time.monotonic()
        self.keys_sent.append((moment, data))
        return moment

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.chunks)

    def tree(self) -> list[int]:
        """This process and every process below it."""
        return [self.pid, *descendants(self.pid)]

    def cpu(self) -> dict[int, float]:
        """CPU seconds so far of each process in the tree."""
        return {pid: cpu_seconds(pid) for pid in self.tree()}

    def close(self, timeout: float = 5) -> None:
        """End the program (SIGHUP, then SIGKILL to its group) and stop reading."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGHUP)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.process.wait(timeout)
        self._reader.join(2)
        with contextlib.suppress(OSError):
            os.close(self._master)


def cpu_per_second(before: dict[int, float], after: dict[int, float], seconds: float) -> dict[int, float]:
    """CPU-s/s of each process between two ``PtyProcess.cpu`` readings (new processes from 0)."""
    return {pid: (after[pid] - before.get(pid, 0.0)) / seconds for pid in after}


def merge(chunks: Sequence[Chunk], within: float = 0.003) -> list[Chunk]:
    """Join pieces of one write: a frame longer than the pty's buffer is read in
    several chunks microseconds apart. Chunks closer than ``within`` seconds to the one
    before are one write, stamped with its last piece (when all of it had arrived)."""
    out: list[Chunk] = []
    for moment, data in chunks:
        if out and moment - out[-1][0] < within:
            out[-1] = (moment, out[-1][1] + data)
        else:
            out.append((moment, data))
    return out
