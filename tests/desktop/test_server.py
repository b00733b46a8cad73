"""The desktop server's guard and life cycle, against a real server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from calmcoach.data import settings as user_settings
from calmcoach.desktop.launch import served_argv
from calmcoach.desktop.server import DesktopServer
from tests.desktop.helpers import read_output

# Every wait below is bounded so that a hang fails the test instead of stalling the
# suite; the bounds are generous because other tests may be using the CPU.
BOUND = 30.0

WRITE_ARGV = Path(__file__).with_name("write_argv.py")


@pytest.fixture
async def server() -> AsyncIterator[DesktopServer]:
    """A server whose app would be the real calmcoach (the refusals never start it)."""
    desktop = DesktopServer(served_argv([]), idle_seconds=0.5)
    await desktop.start()
    try:
        yield desktop
    finally:
        await asyncio.wait_for(desktop.close(), BOUND)


async def status(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as client, client.get(url, headers=headers or {}) as response:
        return response.status, await response.read()


async def test_the_page_and_its_files_load_with_the_secret(server: DesktopServer) -> None:
    code, body = await status(server.url)
    assert code == 200
    page = body.decode()
    assert server.websocket_url in page
    assert "googleapis" not in page and "https://" not in page
    for path in (
        "static/js/textual.js",
        "static/css/xterm.css",
        "static/fonts/RobotoMono-VariableFont_wght.ttf",
    ):
        assert path in page
        assert (await status(server.url + path))[0] == 200, path


async def test_the_launch_address_works_until_a_page_has_loaded(server: DesktopServer) -> None:
    """A launch that failed half-way (the page's files never came, say) can be tried again;
    once a page's websocket is open, the launch address is worth nothing."""
    loaded: list[str] = []
    server.on_page_loaded = lambda: loaded.append("loaded")
    async with aiohttp.ClientSession() as client:
        async with client.get(server.launch_url, headers={"Origin": "https://example.com"}) as foreign:
            assert (foreign.status, await foreign.read()) == (403, b"")
        launch = server.launch_url
        for _ in range(2):
            async with client.get(launch, allow_redirects=False) as first:
                assert first.status == 303
                assert first.headers["Location"] == f"/{server.secret}/"
        assert loaded == []
        websocket = await client.ws_connect(server.websocket_url, headers={"Origin": server.origin})
        await read_output(websocket, b"calmcoach", BOUND)
        assert loaded == ["loaded"]
        async with client.get(launch, allow_redirects=False) as again:
            assert (again.status, await again.read()) == (403, b"")
        await websocket.close()
    assert launch != server.url and server.secret not in launch


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/static/js/textual.js",
        "/ws",
        "/{wrong}/",
        "/{wrong}/static/js/textual.js",
        "/{short}/",
        "/{longer}/",
    ],
)
async def test_a_missing_or_wrong_secret_gets_403_and_nothing_else(server: DesktopServer, path: str) -> None:
    wrong = server.secret[:-1] + ("A" if server.secret[-1] != "A" else "B")
    url = server.origin + path.format(wrong=wrong, short=server.secret[:-1], longer=server.secret + "x")
    code, body = await status(url)
    assert (code, body) == (403, b"")
    assert server.apps_started == 0


async def test_a_foreign_origin_or_host_gets_403(server: DesktopServer) -> None:
    assert await status(server.url, {"Origin": "https://example.com"}) == (403, b"")
    assert await status(server.url, {"Origin": "null"}) == (403, b"")
    assert await status(server.url, {"Host": "calmcoach.example:80"}) == (403, b"")
    assert (await status(server.url, {"Origin": server.origin}))[0] == 200


@pytest.mark.parametrize(
    ("secret_ok", "origin"),
    [(False, "own"), (True, "https://example.com"), (True, "http://localhost:{port}"), (True, None)],
)
async def test_the_websocket_refuses_a_wrong_secret_and_other_origins(
    server: DesktopServer, secret_ok: bool, origin: str | None
) -> None:
    url = server.websocket_url if secret_ok else server.websocket_url.replace(server.secret, "nope")
    headers = {}
    if origin is not None:
        headers["Origin"] = server.origin if origin == "own" else origin.format(port=server.port)
    async with aiohttp.ClientSession() as client:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect(url, headers=headers, origin=None)
    assert refused.value.status == 403
    assert server.apps_started == 0


async def test_the_page_websocket_runs_the_app_and_closing_it_ends_the_app_then_the_server(
    server: DesktopServer,
) -> None:
    async with aiohttp.ClientSession() as client:
        websocket = await client.ws_connect(
            server.websocket_url + "?width=80&height=24", headers={"Origin": server.origin}
        )
        # Garbage from a page must be ignored, not crash the relay.
        for junk in ("not json", "[]", "{}", "[1, 2]", '["stdin", 5]', '["resize", "big"]'):
            await websocket.send_str(junk)
        await websocket.send_str(json.dumps(["ping", "x"]))
        received = b""
        async with asyncio.timeout(BOUND):
            while b"calmcoach" not in received:
                message = await websocket.receive()
                if message.type == aiohttp.WSMsgType.BINARY:
                    received += message.data
                elif message.type == aiohttp.WSMsgType.TEXT:
                    assert json.loads(message.data) == ["pong", "x"]
                else:
                    raise AssertionError(f"the websocket ended early: {message}")
        processes = server.app_processes()
        assert len(processes) == 1 and processes[0].returncode is None
        await websocket.close()
    reason = await asyncio.wait_for(server.wait(), BOUND)
    assert reason == "closed"
    assert processes[0].returncode is not None


async def read_until(websocket: aiohttp.ClientWebSocketResponse, words: bytes) -> bytes:
    """The app's output until it holds ``words`` (bounded by BOUND)."""
    return await read_output(websocket, words, BOUND)


async def test_a_calmcoach_folder_where_it_was_started_is_not_what_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    impostor = tmp_path / "calmcoach"
    impostor.mkdir()
    marker = tmp_path / "impostor-ran"
    (impostor / "__init__.py").write_text("")
    (impostor / "__main__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.chdir(tmp_path)
    user_settings.save(user_settings.Settings(first_run_seen=True))
    desktop = DesktopServer(served_argv([]), idle_seconds=0.2)
    await desktop.start()
    try:
        async with aiohttp.ClientSession() as client:
            websocket = await client.ws_connect(desktop.websocket_url, headers={"Origin": desktop.origin})
            await read_until(websocket, b"flare routine")
            await websocket.close()
    finally:
        await asyncio.wait_for(desktop.close(), BOUND)
    assert not marker.exists()


async def test_the_app_command_is_an_argument_list_never_a_shell_line(tmp_path: Path) -> None:
    record = tmp_path / "argv.json"
    hostile = ["run", "x; touch pwned", "$(touch pwned2)", "`touch pwned3`", "a b"]
    desktop = DesktopServer([sys.executable, str(WRITE_ARGV), str(record), *hostile], idle_seconds=0.2)
    await desktop.start()
    try:
        async with aiohttp.ClientSession() as client:
            websocket = await client.ws_connect(desktop.websocket_url, headers={"Origin": desktop.origin})
            async with asyncio.timeout(BOUND):
                while not record.exists():
                    await asyncio.sleep(0.05)
            await websocket.close()
    finally:
        await asyncio.wait_for(desktop.close(), BOUND)
    assert json.loads(record.read_text()) == hostile
    assert not list(Path.cwd().glob("pwned*")) and not list(tmp_path.glob("pwned*"))


async def test_with_no_page_the_server_gives_up_after_its_wait() -> None:
    desktop = DesktopServer(served_argv([]), first_page_seconds=0.3)
    await desktop.start()
    try:
        assert await asyncio.wait_for(desktop.wait(), BOUND) == "no page"
    finally:
        await desktop.close()


async def test_quitting_the_app_closes_the_page_and_then_the_server() -> None:
    user_settings.save(user_settings.Settings(first_run_seen=True))
    desktop = DesktopServer(served_argv([]), idle_seconds=0.2)
    await desktop.start()
    try:
        async with aiohttp.ClientSession() as client:
            websocket = await client.ws_connect(desktop.websocket_url, headers={"Origin": desktop.origin})
            await read_until(websocket, b"flare routine")
            await websocket.send_str(json.dumps(["stdin", "\x11"]))  # Ctrl+Q, as xterm.js sends it
            async with asyncio.timeout(BOUND):
                while (await websocket.receive()).type not in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSED,
                    aiohttp.WSMsgType.CLOSING,
                ):
                    pass
        assert await asyncio.wait_for(desktop.wait(), BOUND) == "closed"
    finally:
        await asyncio.wait_for(desktop.close(), BOUND)


async def test_a_stop_before_any_page_ends_the_wait_at_once() -> None:
    desktop = DesktopServer(served_argv([]), first_page_seconds=BOUND * 10)
    await desktop.start()
    try:
        asyncio.get_running_loop().call_later(0.1, desktop.request_stop)
        assert await asyncio.wait_for(desktop.wait(), BOUND) == "stopped"
    finally:
        await desktop.close()


IDLE_APP = [sys.executable, "-c", "import sys; sys.stdin.buffer.read()"]
"""A stand-in app that draws nothing and runs until its input closes (or it is ended)."""


async def test_one_secret_opens_one_app_and_a_reload_takes_over_after_the_first_closed() -> None:
    desktop = DesktopServer(IDLE_APP, idle_seconds=BOUND, quit_seconds=0.5)
    await desktop.start()
    try:
        async with aiohttp.ClientSession() as client:

            async def connect() -> aiohttp.ClientWebSocketResponse:
                return await client.ws_connect(desktop.websocket_url, headers={"Origin": desktop.origin})

            results = await asyncio.wait_for(
                asyncio.gather(*(connect() for _ in range(15)), return_exceptions=True), BOUND
            )
            pages = [r for r in results if isinstance(r, aiohttp.ClientWebSocketResponse)]
            refused = [r for r in results if isinstance(r, aiohttp.WSServerHandshakeError)]
            assert len(pages) == 1 and len(refused) == 14, results
            assert {r.status for r in refused} == {409}
            async with asyncio.timeout(BOUND):
                while desktop.apps_started < 1:
                    await asyncio.sleep(0.05)
            first = desktop.app_processes()
            assert len(first) == 1
            await pages[0].close()  # the page reloads
            again = await connect()
            async with asyncio.timeout(BOUND):
                while desktop.apps_started < 2:
                    await asyncio.sleep(0.05)
            assert first[0].returncode is not None  # the old app ended before the new one started
            assert len(desktop.app_processes()) == 1
            await again.close()
    finally:
        await asyncio.wait_for(desktop.close(), BOUND)
    assert desktop.apps_started == 2


async def test_a_connection_that_sends_no_whole_request_is_closed_after_its_time() -> None:
    desktop = DesktopServer(IDLE_APP, request_seconds=0.5)
    await desktop.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", desktop.port)
        writer.write(b"GET /" + desktop.secret.encode() + b"/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never ends
        await writer.drain()
        # Closed by the server: the read ends (bounded well above the half second).
        assert await asyncio.wait_for(reader.read(), BOUND / 3) == b""
        writer.close()
    finally:
        await asyncio.wait_for(desktop.close(), BOUND)


async def test_at_the_connection_limit_the_oldest_idle_connection_makes_room() -> None:
    desktop = DesktopServer(IDLE_APP, max_connections=4, request_seconds=BOUND * 10)
    await desktop.start()
    try:
        idle = [await asyncio.open_connection("127.0.0.1", desktop.port) for _ in range(4)]
        await asyncio.sleep(0.2)  # accepted
        code, _ = await asyncio.wait_for(status(desktop.url), BOUND)
        assert code == 200  # the page got in at once
        assert await asyncio.wait_for(idle[0][0].read(), BOUND) == b""  # the oldest idle one went
        for _, writer in idle:
            writer.close()
    finally:
        await asyncio.wait_for(desktop.close(), BOUND)


def test_running_out_of_descriptors_is_logged_once_and_nothing_reaches_the_terminal(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    import errno
    import logging

    from calmcoach.desktop.server import OutOfDescriptors

    handler = OutOfDescriptors()
    loop = asyncio.new_event_loop()
    try:
        with caplog.at_level(logging.INFO, logger="calmcoach.desktop"):
            for _ in range(50):
                handler(
                    loop,
                    {
                        "message": "socket.accept() out of system resource",
                        "exception": OSError(errno.EMFILE, "Too many open files"),
                    },
                )
            handler(loop, {"message": "something else went wrong", "exception": ValueError("odd")})
    finally:
        loop.close()
    descriptors = [r for r in caplog.records if "file descriptors" in r.getMessage()]
    assert len(descriptors) == 1
    assert any(r.getMessage() == "something else went wrong" for r in caplog.records)
    assert capsys.readouterr() == ("", "")


class Renamed:
    """A connection as a later aiohttp might show it: its private flags renamed."""

    def __init__(self, handler: object) -> None:
        self._handler = handler

    def force_close(self) -> None:
        self._handler.force_close()  # type: ignore[attr-defined]


async def test_at_the_limit_with_aiohttps_flags_renamed_the_newcomer_is_refused_cleanly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """calmcoach tells an idle connection by aiohttp's private flags. Without them no
    connection counts as idle: none is cut, the newcomer is closed at once, and nothing
    goes wrong on the server's loop (an error there once failed every connection at the limit)."""
    real = web.Server.connections
    monkeypatch.setattr(
        web.Server, "connections", property(lambda self: [Renamed(h) for h in real.fget(self)])
    )
    errors: list[dict[str, object]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    loop.set_debug(True)  # asyncio reports a failing connection factory only in debug mode
    desktop = DesktopServer(IDLE_APP, max_connections=4, request_seconds=BOUND * 10)
    await desktop.start()
    try:
        idle = [await asyncio.open_connection("127.0.0.1", desktop.port) for _ in range(4)]
        await asyncio.sleep(0.2)  # accepted
        reader, writer = await asyncio.open_connection("127.0.0.1", desktop.port)
        assert await asyncio.wait_for(reader.read(), BOUND) == b""  # closed at once
        writer.close()
        assert errors == []
        # None of the idle ones was cut: each still answers a request.
        for idle_reader, idle_writer in idle:
            idle_writer.write(
                f"GET /{desktop.secret}/icon.svg HTTP/1.1\r\nHost: 127.0.0.1:{desktop.port}\r\n\r\n".encode()
            )
            await idle_writer.drain()
            assert (await asyncio.wait_for(idle_reader.readline(), BOUND)).startswith(b"HTTP/1.1 200")
            idle_writer.close()
    finally:
        await asyncio.wait_for(desktop.close(), BOUND)
