"""The app process behind one page of the desktop server: textual-serve's app service,
started from a fixed argument list (never a shell), or a spare process adopted at once."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any, Protocol

from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from calmcoach.desktop.spare import page_environment


class AppChild(Protocol):
    """What the server needs of an app process: asyncio's ``Process``, or an adopted spare."""

    @property
    def pid(self) -> int: ...

    @property
    def returncode(self) -> int | None: ...

    async def wait(self) -> int: ...


class AdoptedSpare:
    """A spare app process (a ``subprocess.Popen``, started before the server's event loop
    ran) with its pipes joined to the loop: what asyncio's ``Process`` offers the relay."""

    def __init__(
        self,
        popen: subprocess.Popen[bytes],
        stdin: asyncio.StreamWriter,
        stdout: asyncio.StreamReader,
        stderr: asyncio.StreamReader,
    ) -> None:
        self.popen = popen
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def returncode(self) -> int | None:
        return self.popen.poll()

    async def wait(self) -> int:
        code = await asyncio.to_thread(self.popen.wait)
        self.stdin.close()  # its pipe's transport; asyncio's Process closes its own
        return code

    @classmethod
    async def adopt(cls, popen: subprocess.Popen[bytes]) -> AdoptedSpare:
        assert popen.stdin is not None and popen.stdout is not None and popen.stderr is not None
        loop = asyncio.get_running_loop()
        readers: list[asyncio.StreamReader] = []
        for pipe in (popen.stdout, popen.stderr):
            reader = asyncio.StreamReader(loop=loop)
            await loop.connect_read_pipe(partial(asyncio.StreamReaderProtocol, reader), pipe)
            readers.append(reader)
        transport, protocol = await loop.connect_write_pipe(
            lambda: asyncio.StreamReaderProtocol(asyncio.StreamReader(loop=loop)), popen.stdin
        )
        stdin = asyncio.StreamWriter(transport, protocol, None, loop)
        return cls(popen, stdin, readers[0], readers[1])


class AppProcess(AppService):
    """textual-serve's app service, started from a fixed argument list (no shell).

    The process gets a session of its own, so that Ctrl+C in the launching terminal
    reaches only the server, which then ends each app the calm way (a quit message)."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        write_bytes: Callable[[bytes], Awaitable[None]],
        write_str: Callable[[str], Awaitable[None]],
        close: Callable[[], Awaitable[None]],
        download_manager: DownloadManager,
        spare: subprocess.Popen[bytes] | None = None,
    ) -> None:
        super().__init__(
            " ".join(argv),  # shown in textual-serve's log lines only; never run
            write_bytes=write_bytes,
            write_str=write_str,
            close=close,
            download_manager=download_manager,
        )
        self.argv = tuple(argv)
        self.spare = spare
        """A spare app process to take instead of starting one (it waits for the size)."""
        self.process: AppChild | None = None
        """The app process, once started."""

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        """textual-serve's environment for an app, plus the page's cell shape."""
        return {**super()._build_environment(width=width, height=height), **page_environment()}

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
        if self.spare is not None:
            adopted = await AdoptedSpare.adopt(self.spare)
            self.process = self._process = adopted  # type: ignore[assignment]
            self._stdin = adopted.stdin
            # The spare's first packet must be the size; it draws nothing before it.
            await self.set_terminal_size(width, height)
            return adopted
        environment = self._build_environment(width=width, height=height)
        process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
            start_new_session=True,
        )
        assert process.stdin is not None
        self.process = self._process = process
        self._stdin = process.stdin
        return process

    async def run(self) -> None:
        """Relay the app's output; when the app has gone (quit, or crashed), close the page's
        websocket too, so the page says so and the server can stop."""
        try:
            await super().run()
        finally:
            with contextlib.suppress(ConnectionError):
                await self.remote_close()
