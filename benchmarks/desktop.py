"""The desktop coach's start-up and memory: ``python benchmarks/desktop.py [--runs N]``.

For each run, with a headless Chromium already running (as a person's browser would be):

- desktop: from starting ``calmcoach desktop --no-window`` to the library drawn in the
  page (its words in the page's terminal, seen by a check inside the page every 2 ms;
  the page's clock is converted to this one), plus the moment the server listened, and
  the moment this script's own poll through the driver saw the words (``drawn_polled``:
  each poll is a round trip through chromedriver, which on a busy machine lags the page
  by a few hundred milliseconds);
- terminal: in the same run, from starting ``calmcoach`` in tmux to the library drawn
  on the terminal's screen (read with capture-pane), for comparison;
- memory: resident set size (RSS) of the server process and of the one app process (and
  the app's sound player process, shown apart) once the library is drawn;
- CPU: each of those processes over a few seconds with the library shown in the page.

Needs Debian's chromium and chromium-driver, selenium, tmux, and calmcoach installed in
the Python running this script. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ptyrun import cpu_seconds  # a sibling script's helper

PY = sys.executable
CALMCOACH = (
    [str(Path(PY).parent / "calmcoach")]
    if (Path(PY).parent / "calmcoach").exists()
    else [PY, "-m", "calmcoach"]
)
HOME_WORDS = "flare routine"
"""Words of the home screen's title line (on screen however long the library is)."""
CPU_WINDOW = 5.0
"""Seconds of CPU measured with home shown in the page."""
TMUX_SOCKET = f"cc-desktop-bench-{os.getpid()}"
BROWSER_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--window-size=1000,640",
)
# The same hook as the tests use: record xterm.js Terminal instances so their text can be read.
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
WORDS_HOOK = """
(() => {
  const words = WORDS;
  const poll = setInterval(() => {
    const t = (window.__terminals || [])[0];
    if (!t) return;
    const b = t.buffer.active;
    for (let y = 0; y < t.rows; y++) {
      const line = b.getLine(b.viewportY + y);
      if (line && line.translateToString(true).includes(words)) {
        window.__words_at = performance.timeOrigin + performance.now();  // ms since the epoch
        clearInterval(poll);
        return;
      }
    }
  }, 2);
})();
""".replace("WORDS", json.dumps(HOME_WORDS))
"""When the home screen's words first stood in the page's terminal, on the page's clock."""
READ_SCREEN = """
const t = (window.__terminals || [])[0];
if (!t) return "";
const b = t.buffer.active, out = [];
for (let y = 0; y < t.rows; y++) {
  const l = b.getLine(b.viewportY + y);
  out.push(l ? l.translateToString(true) : "");
}
return out.join("\\n");
"""


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(p) for p in text]
    return found


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")


@contextmanager
def sandbox() -> Iterator[dict[str, str]]:
    """Fresh calmcoach dirs (first-run note already read) and ALSA sent to a file."""
    with tempfile.TemporaryDirectory(prefix="calmcoach-desktop-bench-") as tmp:
        base = Path(tmp)
        (base / "config").mkdir()
        (base / "config" / "settings.json").write_text('{"first_run_seen": true}')
        home = base / "home"
        home.mkdir()
        asoundrc = Path(__file__).resolve().parent.parent / "tests" / "audio_fixtures" / "capture.asoundrc"
        if asoundrc.exists():
            shutil.copy(asoundrc, home / ".asoundrc")
        env = dict(os.environ)
        env.update(
            CALMCOACH_CONFIG_DIR=str(base / "config"),
            CALMCOACH_DATA_DIR=str(base / "data"),
            CALMCOACH_STATE_DIR=str(base / "state"),
            CALMCOACH_CACHE_DIR=str(base / "cache"),
            CALMCOACH_ALSA_CAPTURE=str(base / "capture.raw"),
            HOME=str(home),
        )
        yield env


@contextmanager
def browser(profile: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in (*BROWSER_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(
        options=options, service=Service(shutil.which("chromedriver") or "chromedriver")
    )
    try:
        driver.set_page_load_timeout(30)
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": TERMINAL_HOOK})
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WORDS_HOOK})
        driver.get("about:blank")
        yield driver
    finally:
        driver.quit()


def desktop_run(driver: Any, env: dict[str, str]) -> dict[str, float]:
    t0 = time.perf_counter()
    server = subprocess.Popen(
        [*CALMCOACH, "desktop", "--no-window"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        listening = time.perf_counter() - t0
        match = re.search(r"http://127\.0\.0\.1:\d+/\S+/|file:///\S+\.html", line)  # the launch page
        if not match:
            raise RuntimeError(f"no address from calmcoach desktop: {line!r}")
        driver.get(match.group(0))
        limit = time.monotonic() + 60
        while HOME_WORDS not in (driver.execute_script(READ_SCREEN) or ""):
            if time.monotonic() > limit:
                raise RuntimeError("the library was not drawn in the page within 60 s")
            time.sleep(0.005)
        polled = time.perf_counter() - t0
        words_at = driver.execute_script("return window.__words_at || null")
        # perf_counter is CLOCK_MONOTONIC on Linux; the page's clock counts from the epoch.
        offset = time.time() - time.perf_counter()
        drawn = words_at / 1000 - offset - t0 if words_at else polled
        time.sleep(1.0)  # let the app finish starting its services before reading memory
        apps = children(server.pid)
        app = next(p for p in apps if " calmcoach" in command_line(p))
        players = children(app)
        memory = {
            "server": rss_mb(server.pid),
            "app": rss_mb(app),
            "player": sum(rss_mb(p) for p in players),
        }
        # CPU while home sits in the page: server, app and player, over a short window.
        pids = {"server": [server.pid], "app": [app], "player": players}
        before = {k: sum(cpu_seconds(p) for p in v) for k, v in pids.items()}
        window_start = time.monotonic()
        time.sleep(CPU_WINDOW)
        window = time.monotonic() - window_start
        cpu = {f"cpu_{k}": (sum(cpu_seconds(p) for p in v) - before[k]) / window for k, v in pids.items()}
        driver.get("about:blank")  # closing the page ends the app, then the server
        server.wait(30)
        return {"listening": listening, "drawn": drawn, "drawn_polled": polled, **memory, **cpu}
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def terminal_run(env: dict[str, str]) -> float:
    tmux = ["tmux", "-L", TMUX_SOCKET]
    t0 = time.perf_counter()
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", "bench", "-x", "100", "-y", "30", " ".join(CALMCOACH)],
        env=env,
        check=True,
    )
    try:
        limit = time.monotonic() + 60
        while True:
            screen = subprocess.run(
                [*tmux, "capture-pane", "-p", "-t", "bench"], capture_output=True, text=True, check=False
            ).stdout
            if HOME_WORDS in screen:
                return time.perf_counter() - t0
            if time.monotonic() > limit:
                raise RuntimeError("the library was not drawn in tmux within 60 s")
            time.sleep(0.005)
    finally:
        subprocess.run([*tmux, "kill-server"], check=False, capture_output=True)


def describe(values: list[float], unit: str) -> str:
    return (
        f"median {statistics.median(values):.0f} {unit}, min {min(values):.0f}, max {max(values):.0f} "
        f"(n={len(values)})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    args = parser.parse_args()
    desktop: list[dict[str, float]] = []
    terminal: list[float] = []
    with sandbox() as env, tempfile.TemporaryDirectory() as profile, browser(Path(profile)) as driver:
        desktop_run(driver, env)  # warm the disk cache once; not counted
        terminal_run(env)
        for _ in range(args.runs):
            desktop.append(desktop_run(driver, env))
            terminal.append(terminal_run(env))
    rows = [
        ("calmcoach desktop, library drawn in the page", [r["drawn"] * 1000 for r in desktop], "ms"),
        ("  of which: the server listening", [r["listening"] * 1000 for r in desktop], "ms"),
        ("  seen by this script's poll (driver lag)", [r["drawn_polled"] * 1000 for r in desktop], "ms"),
        ("calmcoach in a terminal (tmux), library drawn", [t * 1000 for t in terminal], "ms"),
        ("RSS, server", [r["server"] for r in desktop], "MB"),
        ("RSS, one app process", [r["app"] for r in desktop], "MB"),
        ("RSS, server + app", [r["server"] + r["app"] for r in desktop], "MB"),
        ("RSS, the app's sound player (apart)", [r["player"] for r in desktop], "MB"),
        (
            "CPU with home shown, server + app + player",
            [1000 * (r["cpu_server"] + r["cpu_app"] + r["cpu_player"]) for r in desktop],
            "mCPU-s/s",
        ),
    ]
    for label, values, unit in rows:
        print(f"{label:<46} {describe(values, unit)}")
    if args.json:
        print(json.dumps({"desktop": desktop, "terminal": terminal}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
