"""A real process on a pseudo-terminal of its own, for signal and terminal tests.

The process is a session leader with the pty as its controlling terminal, as in a
terminal window: closing the master side is a real hangup (the kernel sends SIGHUP).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

# setsid, then take the pty on stdin as the controlling terminal, then become the command.
_LAUNCH = (
    "import fcntl, os, sys, termios; os.setsid(); fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.execvpe(sys.argv[1], sys.argv[1:], os.environ)"
)


class TerminalProcess:
    """``argv`` running on a pty of ``rows`` x ``columns``; its output collects in ``output``."""

    def __init__(
        self,
        argv: list[str],
        env: dict[str, str],
        *,
        rows: int = 30,
        columns: int = 100,
        stderr: Path | None = None,
    ) -> None:
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        err_file = stderr.open("wb") if stderr is not None else None
        self.process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCH, *argv],
            stdin=self.slave,
            stdout=self.slave,
            stderr=err_file or self.slave,
            env=env,
            close_fds=True,
        )
        if err_file is not None:
            err_file.close()
        self.output = b""
        self._master_open = True

    @property
    def pid(self) -> int:
        return self.process.pid

    def _pump(self, seconds: float) -> None:
        """Read what the process wrote for up to ``seconds`` (less if nothing can come)."""
        if not self._master_open:
            time.sleep(seconds)
            return
        ready, _, _ = select.select([self.master], [], [], seconds)
        if ready:
            try:
                self.output += os.read(self.master, 65536)
            except OSError:  # EIO: no process holds the terminal any more
                time.sleep(min(seconds, 0.05))

    def read_until(self, needle: bytes, timeout: float) -> bool:
        """Read until ``needle`` appears in the output (True) or ``timeout`` passes (False)."""
        limit = time.monotonic() + timeout
        while needle not in self.output and time.monotonic() < limit:
            if self.process.poll() is not None:
                self._pump(0.05)
                return needle in self.output
            self._pump(0.05)
        return needle in self.output

    def wait(self, timeout: float) -> int | None:
        """Read on until the process ends; its exit code (negative: killed by that signal),
        or None if it has not ended within ``timeout``."""
        limit = time.monotonic() + timeout
        while time.monotonic() < limit:
            code = self.process.poll()
            if code is not None:
                for _ in range(5):  # the last bytes it wrote
                    self._pump(0.02)
                return code
            self._pump(0.05)
        return None

    def hang_up(self) -> None:
        """Close the terminal's master side, as closing a terminal window does."""
        if self._master_open:
            os.close(self.master)
            self._master_open = False

    def local_modes(self) -> int:
        """The terminal's local mode flags now (ECHO, ICANON, ...), as ``stty -a`` shows them."""
        return int(termios.tcgetattr(self.slave)[3])

    def close(self) -> None:
        """Kill the process if it is still there and close the terminal."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)
        self.hang_up()
        with contextlib.suppress(OSError):
            os.close(self.slave)
