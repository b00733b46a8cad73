"""Helpers for the desktop tests: a served calmcoach in a real process, and Debian's
Chromium driven through chromedriver (selenium) with every host but 127.0.0.1 unreachable."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

OFFLINE_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--window-size=1000,640",
)
"""Every name but 127.0.0.1 fails to resolve, so a request elsewhere cannot succeed,
and Chromium's own background traffic is off so the log holds only the page's."""

# textual.js keeps its xterm.js Terminal in a closure. Before the page loads, this
# catches the bundle's export of the public Terminal class and records each instance,
# so the test can read the terminal's text from its buffer (the renderer draws on a
# canvas, so the DOM holds no text).
TERMINAL_HOOK = """
(() => {
  const wrap = (v) => (typeof v === "function" && v.prototype && "loadAddon" in v.prototype)
    ? class extends v { constructor(...a) { super(...a); (window.__terminals ||= []).push(this); } }
    : v;
  Object.defineProperty(Object.prototype, "Terminal", {
    configurable: true,
    get() { return undefined; },
    set(v) {
      let current = wrap(v);
      Object.defineProperty(this, "Terminal", {
        configurable: true, enumerable: true,
        get() { return current; }, set(x) { current = wrap(x); },
      });
    },
  });
})();
"""

READ_SCREEN = """
const t = (window.__terminals || [])[0];
if (!t) return null;
const buffer = t.buffer.active, lines = [];
for (let y = 0; y < t.rows; y++) {
  const line = buffer.getLine(buffer.viewportY + y);
  lines.push(line ? line.translateToString(true) : "");
}
return lines.join("\\n");
"""

NOT_NETWORK = ("data:", "file:", "about:", "blob:", "chrome:", "chrome-extension:", "devtools:")


def calmcoach_command() -> list[str]:
    """The ``calmcoach`` script beside this Python, else ``python -m calmcoach``."""
    script = Path(sys.executable).parent / "calmcoach"
    return [str(script)] if script.exists() else [sys.executable, "-m", "calmcoach"]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def need(condition: object, reason: str) -> None:
    """Skip with ``reason`` where a part is missing; in CI that is a failure."""
    if not condition:
        if in_ci():
            pytest.fail(f"{reason} (required in CI)")
        pytest.skip(reason)


def need_browser() -> None:
    need(CHROMIUM, "Debian's chromium is not installed (apt-get install chromium chromium-driver)")
    need(CHROMEDRIVER, "chromedriver is not installed (apt-get install chromium-driver)")


@contextmanager
def chromium(profile: Path) -> Iterator[Any]:
    """A headless Chromium with a fresh profile, its network log on, the terminal hook in."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    need_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*OFFLINE_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        driver.set_page_load_timeout(30)
        driver.set_script_timeout(10)
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": TERMINAL_HOOK})
        yield driver
    finally:
        driver.quit()


def screen_text(driver: Any) -> str:
    """The text the page's terminal shows now ("" before it exists)."""
    return driver.execute_script(READ_SCREEN) or ""


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``check`` until true; fail naming ``what`` after ``timeout`` (a hang guard)."""
    limit = time.monotonic() + timeout
    while time.monotonic() < limit:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def wait_for_screen(driver: Any, pattern: str, timeout: float = 30) -> str:
    """Wait until the page's terminal shows ``pattern`` (a regex); return the screen."""
    seen = [""]

    def shows() -> bool:
        seen[0] = screen_text(driver)
        return re.search(pattern, seen[0]) is not None

    try:
        wait_for(shows, timeout, f"{pattern!r} on the page")
    except AssertionError as error:
        raise AssertionError(f"{error}; the page shows:\n{seen[0]}") from error
    return seen[0]


def requested_urls(driver: Any) -> list[str]:
    """Every URL the browser asked for (requests and websockets) since the last call."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(params["request"]["url"])
        elif message.get("method") == "Network.webSocketCreated":
            urls.append(params["url"])
    return urls


def outside(urls: list[str], port: int) -> list[str]:
    """The URLs that would leave this server: anything but 127.0.0.1:PORT (and local schemes)."""
    ours = (f"http://127.0.0.1:{port}/", f"ws://127.0.0.1:{port}/")
    return [u for u in urls if not u.startswith(ours) and not u.startswith(NOT_NETWORK)]


def descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def launch_file_in(line: str) -> Path:
    """The launch page named on a line calmcoach printed (a ``file://`` address)."""
    match = re.search(r"file://(/\S+)", line)
    assert match, f"no launch page in {line!r}"
    return Path(unquote(match.group(1)))


def launch_url_in(page: Path) -> str:
    """The address a launch page leads to (read as its owner)."""
    match = re.search(r"http://127\.0\.0\.1:\d+/[A-Za-z0-9_-]+/", page.read_text())
    assert match, f"no address in {page}"
    return match.group(0)


class Served:
    """``calmcoach desktop --no-window ARGS`` running in its own process group."""

    def __init__(self, process: subprocess.Popen[str], launch_file: Path) -> None:
        self.process = process
        self.launch_file = launch_file
        self.url = launch_url_in(launch_file)
        """The launch page's address (it leads to the page until one has loaded)."""
        self.port = int(re.search(r":(\d+)/", self.url).group(1))  # type: ignore[union-attr]

    def app_pids(self) -> set[int]:
        return descendants(self.process.pid)


@contextmanager
def served(
    env: dict[str, str], *app_args: str, timeout: float = 30, wrapper: Sequence[str] = ()
) -> Iterator[Served]:
    """Start ``calmcoach desktop --no-window APP_ARGS`` (through ``wrapper``, a command that
    execs the rest, such as prlimit), yield it with its address; on the way out, end it and
    every process under it."""
    process = subprocess.Popen(
        [*wrapper, *calmcoach_command(), "desktop", "--no-window", *app_args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # the launch page, once the server listens
        yield Served(process, launch_file_in(first))
    finally:
        end_tree(process, timeout)


def end_tree(process: subprocess.Popen[str], timeout: float) -> None:
    """End ``process`` as Ctrl+C would (killed after ``timeout`` s), then every process that
    was under it and is still there."""
    left = descendants(process.pid)
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    for pid in left:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


async def read_output(websocket: Any, words: bytes, bound: float) -> bytes:
    """What the app sent over ``websocket`` until it holds ``words`` (at most ``bound`` s)."""
    import asyncio

    import aiohttp

    received = b""
    async with asyncio.timeout(bound):
        while words not in received:
            message = await websocket.receive()
            if message.type == aiohttp.WSMsgType.BINARY:
                received += message.data
            elif message.type != aiohttp.WSMsgType.TEXT:
                raise AssertionError(f"the websocket ended early: {message}; got {received[-300:]!r}")
    return received
