"""A private, offline web server that shows calmcoach's Textual app in a window.

It reuses two parts of textual-serve: ``AppService`` (one app process per page, which
draws into the page through a websocket) and the terminal script and fonts it bundles.
It adds what textual-serve lacks for a desktop app:

- its own page, which loads every resource from this server (textual-serve's page links
  a font from the internet);
- a per-launch secret as the first part of every path: any request without it, or with
  a wrong one, gets 403 and an empty body;
- an Origin check: a page from anywhere else may not open the websocket (or make any
  request that carries an Origin), and the Host must be this server's own address;
- the app process is started from an argument list, never from a shell line;
- one page at a time: a second websocket is refused while a page holds the app (a page
  that reloads takes over once its old websocket has closed), so one secret opens one
  app session;
- at most ``MAX_CONNECTIONS`` connections at once, each given ``REQUEST_SECONDS`` to send
  its request: a flood of idle connections from any local process costs the oldest idle
  ones their place, never the page's;
- when the last page closes, its app process ends and, a moment later, the server;
- the first page can take a spare app process started with the server (see
  ``calmcoach.desktop.spare``), already past Python's, Textual's and calmcoach's start.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hmac
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
from collections.abc import Awaitable, Callable, Sequence
from html import escape
from importlib.resources import files
from pathlib import Path
from string import Template
from typing import Any, Final

import textual_serve
from aiohttp import WSMsgType, web
from aiohttp.http_exceptions import HttpProcessingError
from textual_serve.download_manager import DownloadManager

from calmcoach.desktop.appprocess import AppChild, AppProcess
from calmcoach.desktop.spare import end_spare

log = logging.getLogger("calmcoach.desktop")

HOST: Final = "127.0.0.1"
MAX_CONNECTIONS: Final = 64
"""Connections served at once; past it, the oldest one still waiting for its request is closed."""
REQUEST_SECONDS: Final = 10.0
"""How long a connection may take to send a request (and may stay idle between requests)."""
STATIC_DIR: Final = Path(textual_serve.__file__).resolve().parent / "static"
"""textual-serve's bundled terminal script, stylesheet and Roboto Mono fonts."""


def page_template() -> Template:
    """calmcoach's page, with ``$websocket_url`` and ``$font_size`` to fill in."""
    return Template(files("calmcoach.desktop").joinpath("page.html").read_text(encoding="utf-8"))


def icon_svg() -> bytes:
    """calmcoach's own icon (also used by the desktop entries)."""
    return files("calmcoach.desktop").joinpath("calmcoach.svg").read_bytes()


def _bounded_int(text: str | None, default: int, low: int, high: int) -> int:
    """An integer from a query value, kept within ``low..high``; ``default`` if it is not one."""
    try:
        value = int(text) if text is not None else default
    except ValueError:
        return default
    return max(low, min(high, value))


class RequestLog(logging.LoggerAdapter[logging.Logger]):
    """aiohttp's request logger, quiet about requests the other side got wrong.

    aiohttp logs a request it cannot parse (an address of 20 000 bytes, a header line
    that never ends) with its whole traceback, which lands on the launching terminal.
    Any local process can send one, and the 400 it gets says all there is to say: here
    it is one line at the info level, which no handler shows. Every other error is
    logged as aiohttp logs it."""

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        error = kwargs.get("exc_info")
        if isinstance(error, HttpProcessingError):
            self.logger.info("refused a malformed request: %d %s", error.code, str(error.message)[:80])
            return
        super().log(level, msg, *args, **kwargs)


class OutOfDescriptors:
    """The server loop's exception handler: running out of file descriptors is logged once
    (a line, no traceback; asyncio retries the accept by itself); anything else goes to
    calmcoach's log, as asyncio would report it, never to the terminal."""

    def __init__(self) -> None:
        self.told = False

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, OSError) and error.errno in (errno.EMFILE, errno.ENFILE):
            if not self.told:
                self.told = True
                log.warning(
                    "ran out of file descriptors (%s); new connections wait until some close", error.strerror
                )
            return
        message = str(context.get("message", "unexpected error"))
        log.error("%s", message, exc_info=error if isinstance(error, BaseException) else None)


class _Refused(asyncio.Protocol):
    """A connection the server has no room for: closed as soon as it is accepted."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.abort()


class DesktopServer:
    """Serves one app command to local pages that know this launch's secret.

    Use from a running event loop: ``url = await server.start()``, then
    ``reason = await server.wait()`` and finally ``await server.close()``.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        secret: str | None = None,
        idle_seconds: float = 2.0,
        first_page_seconds: float = 120.0,
        quit_seconds: float = 3.0,
        font_size: int = 16,
        spare: subprocess.Popen[bytes] | None = None,
        max_connections: int = MAX_CONNECTIONS,
        request_seconds: float = REQUEST_SECONDS,
    ) -> None:
        if not argv:
            raise ValueError("the app command is empty")
        self.argv = tuple(argv)
        self.secret = secret or secrets.token_urlsafe(32)
        self._launch_token: str | None = secrets.token_urlsafe(32)
        self.on_page_loaded: Callable[[], None] | None = None
        """Called (on the server's loop) once, when a page has really loaded: its websocket
        is open. The launch address stops working then, not before, so a launch that
        failed half-way can be tried again."""
        self.max_connections = max_connections
        """Connections served at once (see ``MAX_CONNECTIONS``)."""
        self.request_seconds = request_seconds
        """How long a connection may take to send its request (see ``REQUEST_SECONDS``)."""
        self.idle_seconds = idle_seconds
        """How long the server waits for another page once the last one closed."""
        self.first_page_seconds = first_page_seconds
        """How long the server waits for the first page before it gives up."""
        self.quit_seconds = quit_seconds
        """How long an app gets to quit when asked, before it is terminated."""
        self.font_size = font_size
        self.spare = spare
        """The spare app process (started from ``argv`` by ``spare.start_spare``) that the
        first page takes; None once taken or ended. The server ends it if no page does."""
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._downloads = DownloadManager()
        self._sessions: dict[AppProcess, web.WebSocketResponse] = {}
        self._holder: web.WebSocketResponse | None = None
        """The page's websocket that holds the app now (one at a time)."""
        self._app_ended = asyncio.Event()
        """Set while no app process runs (a page that reloads waits for the old one)."""
        self._app_ended.set()
        self._handlers: set[asyncio.Task[Any]] = set()
        self._page_seen = asyncio.Event()
        self._done = asyncio.Event()
        self._idle: asyncio.TimerHandle | None = None
        self.reason = ""
        """Why the server stopped: "closed", "no page" or "stopped"."""
        self.apps_started = 0
        """How many app processes were started (one per page)."""

    # --- addresses ---------------------------------------------------------------

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def url(self) -> str:
        """The page's address, secret included."""
        return f"{self.origin}/{self.secret}/"

    @property
    def launch_url(self) -> str:
        """The address the launch page leads to: it sends the browser on to ``url``, and
        works until a page has loaded (see ``on_page_loaded``). It must never be on a
        command line, which other users of the computer can read."""
        return f"{self.origin}/{self._launch_token}/"

    @property
    def websocket_url(self) -> str:
        return f"ws://{HOST}:{self.port}/{self.secret}/ws"

    def app_processes(self) -> list[AppChild]:
        """The app processes of the pages open now."""
        return [app.process for app in self._sessions if app.process is not None]

    # --- life cycle --------------------------------------------------------------

    async def start(self) -> str:
        """Listen on a free port of 127.0.0.1 and return the page's address."""
        app = web.Application(middlewares=[self._guard], client_max_size=64 * 1024)
        prefix = f"/{self.secret}"
        app.add_routes(
            [
                web.get(f"{prefix}/", self._page),
                web.get(f"{prefix}/icon.svg", self._icon),
                web.get(f"{prefix}/ws", self._websocket),
                web.static(f"{prefix}/static", STATIC_DIR, follow_symlinks=False),
            ]
        )
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind((HOST, 0))
        except OSError:
            listener.close()
            raise
        self.port = listener.getsockname()[1]
        self._runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            logger=RequestLog(log, {}),
            keepalive_timeout=self.request_seconds,  # also bounds the wait for a first request
        )
        await self._runner.setup()
        await GuardedSite(self._runner, listener, self._connection).start()
        return self.url

    def _connection(self) -> asyncio.BaseProtocol:
        """A new connection's handler; at the limit, the oldest connection still waiting for
        a request is closed to make room (no request in progress is ever cut)."""
        assert self._runner is not None and self._runner.server is not None
        server = self._runner.server
        open_now = server.connections
        if len(open_now) >= self.max_connections:
            idle = next((h for h in open_now if _waiting_for_request(h)), None)
            if idle is None:
                return _Refused()
            idle.force_close()
        return server()

    async def wait(self) -> str:
        """Wait until the server should stop; return why."""
        page = asyncio.ensure_future(self._page_seen.wait())
        done = asyncio.ensure_future(self._done.wait())
        finished, _ = await asyncio.wait(
            {page, done}, timeout=self.first_page_seconds, return_when=asyncio.FIRST_COMPLETED
        )
        page.cancel()
        if not finished:
            self._finish("no page")
        await done
        return self.reason

    def request_stop(self) -> None:
        """Stop now (Ctrl+C, the window was closed). Call on the server's loop."""
        self._finish("stopped")

    async def close(self) -> None:
        """Close every page, end every app process, and stop listening."""
        self._finish(self.reason or "stopped")
        await self._end_spare()
        for websocket in list(self._sessions.values()):
            with contextlib.suppress(ConnectionError):
                await websocket.close()
        if self._handlers:
            await asyncio.wait(self._handlers, timeout=self.quit_seconds + 5)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _end_spare(self) -> None:
        spare, self.spare = self.spare, None
        if spare is not None:
            await asyncio.to_thread(end_spare, spare, self.quit_seconds)

    def _take_spare(self) -> subprocess.Popen[bytes] | None:
        """The spare, if it is still waiting for a page (once only)."""
        spare, self.spare = self.spare, None
        if spare is not None and spare.poll() is not None:
            # It ended before a page came (it could not start): the page starts its own.
            end_spare(spare, 0)  # it has exited: this only closes its pipes
            return None
        return spare

    def _finish(self, reason: str) -> None:
        if not self._done.is_set():
            self.reason = reason
            self._done.set()

    # --- the guard ---------------------------------------------------------------

    def allows(self, request: web.BaseRequest) -> bool:
        """Whether a request carries this launch's secret, for this host, from this origin."""
        first = request.path.split("/")[1] if request.path.startswith("/") else ""
        if not hmac.compare_digest(first.encode(), self.secret.encode()):
            return False
        return self._local(request)

    def _local(self, request: web.BaseRequest) -> bool:
        """Whether a request names this server as its host and comes from no other origin."""
        if request.headers.get("Host") != f"{HOST}:{self.port}":
            return False
        origin = request.headers.get("Origin")
        if request.path == f"/{self.secret}/ws":
            return origin == self.origin
        return origin is None or origin == self.origin

    @web.middleware
    async def _guard(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        launch = self._launch_token
        if launch is not None and hmac.compare_digest(request.path.encode(), f"/{launch}/".encode()):
            if not self._local(request):
                return web.Response(status=403)
            raise web.HTTPSeeOther(f"/{self.secret}/")
        if not self.allows(request):
            return web.Response(status=403)
        return await handler(request)

    # --- handlers ----------------------------------------------------------------

    async def _page(self, request: web.Request) -> web.Response:
        font_size = _bounded_int(request.query.get("fontsize"), self.font_size, 6, 64)
        html = page_template().substitute(
            websocket_url=escape(self.websocket_url, quote=True), font_size=str(font_size)
        )
        response = web.Response(text=html, content_type="text/html")
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        # A second guarantee that nothing loads from elsewhere, enforced by the browser.
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"font-src 'self'; img-src 'self' data:; connect-src {self.websocket_url}; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        )
        return response

    async def _icon(self, request: web.Request) -> web.Response:
        return web.Response(body=icon_svg(), content_type="image/svg+xml")

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        if self._done.is_set() or self._holder is not None:
            # One secret, one app: a second page (or anyone replaying the page's address)
            # gets no app of its own while the first holds it.
            log.info("refused a second websocket: a page holds the app")
            return web.Response(status=409)
        websocket = web.WebSocketResponse(heartbeat=15, max_msg_size=1 << 20)
        self._holder = websocket
        width = _bounded_int(request.query.get("width"), 80, 10, 1000)
        height = _bounded_int(request.query.get("height"), 24, 5, 1000)
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        app: AppProcess | None = None
        try:
            await websocket.prepare(request)
            await self._app_ended.wait()  # a page that reloads: its old app ends first
            if self._done.is_set() or websocket.closed:
                return websocket
            self._app_ended.clear()

            async def close_page() -> None:
                await websocket.close()

            app = AppProcess(
                self.argv,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=close_page,
                download_manager=self._downloads,
                spare=self._take_spare(),
            )
            self._sessions[app] = websocket
            self._page_opened()
            await app.start(width, height)
            self.apps_started += 1
            await self._relay(websocket, app)
        finally:
            if self._holder is websocket:
                self._holder = None  # a reload may take over now, once this app has ended
            if app is not None:
                try:
                    await self._end(app)
                finally:
                    del self._sessions[app]
                    self._app_ended.set()
                self._page_closed()
            with contextlib.suppress(ConnectionError):
                await websocket.close()
            self._handlers.discard(task)
        return websocket

    async def _relay(self, websocket: web.WebSocketResponse, app: AppProcess) -> None:
        """Pass the page's keys and size to the app until the page goes away.

        Anything that is not one of the page's known messages is ignored."""
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = json.loads(message.data)
            except ValueError:
                continue
            if not isinstance(envelope, list) or not envelope or not isinstance(envelope[0], str):
                continue
            kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
            if kind == "stdin" and isinstance(data, str):
                await app.send_bytes(data.encode("utf-8"))
            elif kind == "resize" and isinstance(data, dict):
                await app.set_terminal_size(
                    _bounded_int(str(data.get("width")), 80, 10, 1000),
                    _bounded_int(str(data.get("height")), 24, 5, 1000),
                )
            elif kind == "ping" and isinstance(data, str):
                await websocket.send_json(["pong", data[:64]])
            elif kind == "blur":
                await app.blur()
            elif kind == "focus":
                await app.focus()

    async def _end(self, app: AppProcess) -> None:
        """Ask the app to quit; terminate its process group if it has not within ``quit_seconds``."""
        try:
            await asyncio.wait_for(app.stop(), self.quit_seconds)
        except TimeoutError:
            log.warning("the app did not quit when asked; ending it")
        process = app.process
        if process is None:
            return
        for sent in (signal.SIGTERM, signal.SIGKILL):
            if process.returncode is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sent)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 2.0)
        await process.wait()

    def _page_opened(self) -> None:
        self._page_seen.set()
        if self._launch_token is not None:
            self._launch_token = None  # the page loaded: the launch address has done its work
            if self.on_page_loaded is not None:
                self.on_page_loaded()
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    def _page_closed(self) -> None:
        if self._sessions or self._idle is not None:
            return

        def check() -> None:
            self._idle = None
            if not self._sessions:
                self._finish("closed")

        self._idle = asyncio.get_running_loop().call_later(self.idle_seconds, check)


def _waiting_for_request(handler: object) -> bool:
    """Whether a connection is idle: no request in progress, and not already closing.

    aiohttp keeps both in private attributes (its versions 3.9 to 3.x). Should a later one
    rename them, no connection counts as idle, so none is ever cut: a newcomer at the limit
    is refused instead, and every connection below the limit is served as before."""
    busy = getattr(handler, "_request_in_progress", True)
    closing = getattr(handler, "_force_close", True)
    return busy is False and closing is False


class GuardedSite(web.SockSite):
    """aiohttp's site on a given socket, with calmcoach's own connection factory (the
    limit on connections at once) in place of the bare request handler."""

    def __init__(
        self, runner: web.BaseRunner, sock: socket.socket, factory: Callable[[], asyncio.BaseProtocol]
    ) -> None:
        super().__init__(runner, sock)
        self._factory = factory

    async def start(self) -> None:
        await web.BaseSite.start(self)
        self._server = await asyncio.get_running_loop().create_server(
            self._factory, sock=self._sock, backlog=self._backlog
        )
