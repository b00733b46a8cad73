"""The spare app process: started with the server, it waits for the page's size, and the
first page takes it; one that no page took ends with the server and never draws."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys

import aiohttp
import pytest
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from calmcoach.data import settings as user_settings
from calmcoach.desktop.appprocess import AppProcess
from calmcoach.desktop.launch import served_argv
from calmcoach.desktop.server import DesktopServer
from calmcoach.desktop.spare import (
    CELL_ASPECT,
    PAGE_CELL_ASPECT,
    SPARE,
    packet,
    spare_environment,
    start_spare,
    wait_for_size,
)
from tests.desktop.helpers import read_output

# Every wait is bounded so that a hang fails the test instead of stalling the suite;
# generous, because other tests may be using the CPU.
BOUND = 30.0


def resize(width: int, height: int) -> bytes:
    return packet(b"M", json.dumps({"type": "resize", "width": width, "height": height}).encode())


def test_the_spare_gets_what_each_app_gets_plus_its_mark() -> None:
    async def noop(*_args: object) -> None:
        return None

    service = AppService(
        "x", write_bytes=noop, write_str=noop, close=noop, download_manager=DownloadManager()
    )
    app = AppProcess(["x"], write_bytes=noop, write_str=noop, close=noop, download_manager=DownloadManager())
    # Each app gets textual-serve's environment and the page's cell shape; the spare the same.
    expected = {**service._build_environment(80, 24), CELL_ASPECT: PAGE_CELL_ASPECT}
    assert app._build_environment(80, 24) == expected
    assert spare_environment() == {**expected, SPARE: "1"}


def test_the_size_is_read_from_exactly_one_packet_and_the_rest_is_left() -> None:
    read, write = os.pipe()
    try:
        after = packet(b"D", b"\x11")
        os.write(write, resize(123, 45) + after)
        assert wait_for_size(read) == (123, 45)
        assert os.read(read, 100) == after  # left whole for Textual's driver
    finally:
        os.close(read)
        os.close(write)


@pytest.mark.parametrize(
    "sent",
    [
        b"",  # the server closed the input: no page came
        b"M\x00",  # the input ends inside a header
        packet(b"M", json.dumps({"type": "quit"}).encode()),
        packet(b"D", b"x"),
        packet(b"M", b"not json"),
        packet(b"M", b'{"type": "resize", "width": "wide", "height": 3}'),
        packet(b"M", b'["resize"]'),
        b"M" + (1 << 30).to_bytes(4, "big"),  # never reads a gigabyte
        resize(80, 24)[:-2],  # the input ends inside the payload
    ],
)
def test_anything_but_a_size_first_means_no_page(sent: bytes) -> None:
    read, write = os.pipe()
    try:
        os.write(write, sent)
        os.close(write)
        write = -1
        assert wait_for_size(read) is None
    finally:
        os.close(read)
        if write >= 0:
            os.close(write)


def test_a_spare_told_no_page_came_exits_without_drawing(cli_env: dict[str, str]) -> None:
    spare = subprocess.Popen(
        served_argv([]),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**spare_environment(), **{k: v for k, v in cli_env.items() if k.startswith("CALMCOACH_")}},
    )
    out, err = spare.communicate(b"", timeout=BOUND)  # the input ends at once
    assert (spare.returncode, out, err) == (0, b"", b"")


async def read_until(websocket: aiohttp.ClientWebSocketResponse, words: bytes) -> bytes:
    """The app's output until it holds ``words`` (bounded by BOUND)."""
    return await read_output(websocket, words, BOUND)


def rows_addressed(output: bytes) -> set[int]:
    """The rows the app's output moves the cursor to (``ESC [ row ; col H``)."""
    return {int(row) for row in re.findall(rb"\x1b\[(\d+);\d+H", output)}


async def test_the_first_page_takes_the_spare_which_draws_at_the_pages_size() -> None:
    user_settings.save(user_settings.Settings(first_run_seen=True))
    argv = served_argv([])
    spare = start_spare(argv)
    desktop = DesktopServer(argv, idle_seconds=0.2, spare=spare)
    await desktop.start()
    try:
        async with aiohttp.ClientSession() as client:
            first = await client.ws_connect(
                desktop.websocket_url + "?width=90&height=37", headers={"Origin": desktop.origin}
            )
            drawn = await read_until(first, b"flare routine")
            assert [p.pid for p in desktop.app_processes()] == [spare.pid]
            assert max(rows_addressed(drawn)) == 37  # drawn for the page, not at 80x24 first
            assert desktop.spare is None and desktop.apps_started == 1
            await first.close()  # the page reloads (one page holds the app at a time)
            second = await client.ws_connect(
                desktop.websocket_url + "?width=80&height=24", headers={"Origin": desktop.origin}
            )
            await read_until(second, b"flare routine")  # from a new process: the spare is used once
            pids = {p.pid for p in desktop.app_processes()}
            assert len(pids) == 1 and spare.pid not in pids
            assert spare.poll() is not None
            await second.close()
        assert await asyncio.wait_for(desktop.wait(), BOUND) == "closed"
    finally:
        await asyncio.wait_for(desktop.close(), BOUND)
    assert spare.poll() is not None


async def test_a_spare_no_page_took_ends_with_the_server() -> None:
    argv = served_argv([])
    spare = start_spare(argv)
    # A spare still starting (a busy machine) gets BOUND to end on its own, not SIGTERM.
    desktop = DesktopServer(argv, first_page_seconds=0.3, spare=spare, quit_seconds=BOUND)
    await desktop.start()
    try:
        assert await asyncio.wait_for(desktop.wait(), BOUND) == "no page"
    finally:
        await asyncio.wait_for(desktop.close(), BOUND)
    assert spare.returncode == 0  # it ended on its own when its input closed
    assert desktop.apps_started == 0


async def test_a_spare_that_already_ended_gives_way_to_a_fresh_app() -> None:
    user_settings.save(user_settings.Settings(first_run_seen=True))
    dead = subprocess.Popen(
        [sys.executable, "-c", "pass"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    dead.wait(BOUND)
    desktop = DesktopServer(served_argv([]), idle_seconds=0.2, spare=dead)
    await desktop.start()
    try:
        async with aiohttp.ClientSession() as client:
            websocket = await client.ws_connect(desktop.websocket_url, headers={"Origin": desktop.origin})
            await read_until(websocket, b"flare routine")
            assert [p.pid for p in desktop.app_processes()] != [dead.pid]
            await websocket.close()
    finally:
        await asyncio.wait_for(desktop.close(), BOUND)
    assert dead.stdout is not None and dead.stdout.closed


async def test_refused_requests_never_hand_out_the_spare() -> None:
    argv = served_argv([])
    spare = start_spare(argv)
    desktop = DesktopServer(argv, spare=spare, quit_seconds=BOUND)
    await desktop.start()
    try:
        async with aiohttp.ClientSession() as client:
            for url, origin in (
                (desktop.websocket_url.replace(desktop.secret, "nope"), desktop.origin),
                (desktop.websocket_url, "https://example.com"),
            ):
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await client.ws_connect(url, headers={"Origin": origin}, origin=None)
                assert refused.value.status == 403
        assert desktop.spare is spare and spare.poll() is None
    finally:
        await asyncio.wait_for(desktop.close(), BOUND)
    assert spare.returncode == 0
