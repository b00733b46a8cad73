"""Ctrl+C (and SIGTERM, SIGHUP) in the terminal that started ``calmcoach desktop``:
the app under an open page ends, then the server, with nothing left behind."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from pathlib import Path

import aiohttp
import pytest

from calmcoach.data import settings as user_settings
from tests.desktop.helpers import alive, served, wait_for

pytestmark = pytest.mark.slow

# Hang guards: generous, so that a busy machine does not fail them.
BOUND = 30.0


async def open_page(url: str, port: int) -> tuple[aiohttp.ClientSession, aiohttp.ClientWebSocketResponse]:
    """Do what the page does: load it (through the launch address), then open its websocket."""
    client = aiohttp.ClientSession()
    async with client.get(url) as page:
        assert page.status == 200
        secret = page.url.path.strip("/")
    websocket = await client.ws_connect(
        f"ws://127.0.0.1:{port}/{secret}/ws", headers={"Origin": f"http://127.0.0.1:{port}"}
    )
    received = b""
    async with asyncio.timeout(BOUND):
        while b"flare routine" not in received:
            message = await websocket.receive()
            if message.type == aiohttp.WSMsgType.BINARY:
                received += message.data
    return client, websocket


@pytest.mark.parametrize(
    ("how", "sent"),
    [("ctrl+c", signal.SIGINT), ("sigterm", signal.SIGTERM), ("sighup", signal.SIGHUP)],
)
async def test_a_signal_ends_the_app_then_the_server(cli_env, how: str, sent: signal.Signals) -> None:
    user_settings.save(user_settings.Settings(first_run_seen=True))
    with served(cli_env) as server:
        client, websocket = await open_page(server.url, server.port)
        try:
            apps = server.app_pids()
            assert apps
            if how == "ctrl+c":  # the terminal sends it to the whole foreground group
                os.killpg(server.process.pid, sent)
            else:
                server.process.send_signal(sent)
            started = time.monotonic()
            await asyncio.to_thread(server.process.wait, BOUND)
            assert server.process.returncode == 0
            wait_for(lambda: not any(alive(pid) for pid in apps), BOUND, "the app processes to end")
            closed = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
            async with asyncio.timeout(BOUND):  # the app's last frames may come before the close
                try:
                    while (await websocket.receive()).type not in closed:
                        pass
                except aiohttp.ClientConnectionResetError:
                    # A ping that came just before the close is answered on a connection the
                    # server has already shut (seen on a busy machine): closed all the same.
                    pass
            assert time.monotonic() - started < BOUND
        finally:
            await websocket.close()
            await client.close()


async def test_a_signal_before_any_page_stops_the_server(cli_env) -> None:
    with served(cli_env) as server:
        server.process.send_signal(signal.SIGTERM)
        await asyncio.to_thread(server.process.wait, BOUND)
        assert server.process.returncode == 0


async def test_a_signal_before_any_page_ends_the_spare_app_too(cli_env) -> None:
    """The app process started for the first page ends with the server, drawing nothing."""
    with served(cli_env) as server:
        wait_for(lambda: bool(server.app_pids()), BOUND, "the spare app process to start")
        spares = server.app_pids()
        server.process.send_signal(signal.SIGTERM)
        await asyncio.to_thread(server.process.wait, BOUND)
        assert server.process.returncode == 0
        wait_for(lambda: not any(alive(pid) for pid in spares), BOUND, "the spare to end")
        assert server.process.stdout is not None
        assert "Traceback" not in server.process.stdout.read()


def test_a_malformed_request_costs_no_traceback_and_the_server_goes_on(cli_env) -> None:
    """Any local process may send anything: a 20 000-byte address, a header line that never
    ends. aiohttp refuses it with 400; nothing of it may reach the launching terminal."""
    with served(cli_env) as server:
        for request in (
            b"GET /" + b"a" * 20_000 + b"/ HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"b" * 20_000 + b"\r\n\r\n",
        ):
            with socket.create_connection(("127.0.0.1", server.port), timeout=BOUND) as connection:
                connection.sendall(request)
                assert connection.recv(100).split(b"\r\n")[0].endswith(b" 400 Bad Request")

        async def page_status() -> int:
            async with aiohttp.ClientSession() as client, client.get(server.url) as page:
                return page.status

        assert asyncio.run(page_status()) == 200  # still serving
        process = server.process
    assert process.stdout is not None
    rest = process.stdout.read()
    assert "Traceback" not in rest and "Error handling request" not in rest and "aaaa" not in rest, rest


def test_a_thousand_idle_connections_do_not_keep_the_page_out(cli_env) -> None:
    """Any local process can open connections and send nothing. With an open-file limit of
    512, 1000 of them once cost the server every descriptor (the launch timed out, the
    terminal filled with tracebacks); now the page still loads and the terminal stays quiet."""
    user_settings.save(user_settings.Settings(first_run_seen=True))
    with served(cli_env, wrapper=("prlimit", "--nofile=512:512")) as server:
        sockets: list[socket.socket] = []
        try:
            for _ in range(1000):
                connection = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sockets.append(connection)
                connection.settimeout(BOUND)
                connection.connect(("127.0.0.1", server.port))

            async def launch() -> None:
                client, websocket = await open_page(server.url, server.port)
                await websocket.close()
                await client.close()

            asyncio.run(asyncio.wait_for(launch(), BOUND * 2))
        finally:
            for connection in sockets:
                connection.close()
        process = server.process
    assert process.stdout is not None
    rest = process.stdout.read()
    assert "Traceback" not in rest and "Too many open files" not in rest and "Error" not in rest, rest[:2000]


def test_the_soft_open_file_limit_is_raised_to_the_hard_one(cli_env) -> None:
    with served(cli_env, wrapper=("prlimit", "--nofile=256:4096")) as server:
        limits = Path(f"/proc/{server.process.pid}/limits").read_text()
    line = next(line for line in limits.splitlines() if line.startswith("Max open files"))
    assert line.split()[3:5] == ["4096", "4096"], line
