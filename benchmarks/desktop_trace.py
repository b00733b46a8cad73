"""Where the desktop's start-up goes, and the floor: ``python benchmarks/desktop_trace.py [--runs N]``.

Each round runs, back to back, with one headless Chromium already running:

- ``calmcoach``: ``calmcoach desktop --no-window`` to home drawn in the page, with a
  timestamp at each step on the way (all on the monotonic clock, which every process on
  the machine shares; the page's own times are converted from its epoch clock);
- ``bare``: the same server serving a bare Textual app (baselines/bare_home.py) instead
  of calmcoach, timed the same way: what our server, Textual's web driver and the
  browser cost with nothing of calmcoach's app in it;
- ``textual-serve``: textual-serve's own server (the installed package, unchanged)
  serving the same bare app, as a reference for the server's own share;
- ``terminal`` and ``bare terminal``: calmcoach and the bare app started in tmux, to the
  words read on the pane (as benchmarks/desktop.py does), and to the app's first frame.

Prints median, min and max of each step over the rounds; ``--json`` adds every raw run.
Needs chromium, chromium-driver, selenium and tmux. Asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from desktop import (  # noqa: E402 - a sibling script's helpers
    CALMCOACH,
    HOME_WORDS,
    PY,
    READ_SCREEN,
    browser,
    sandbox,
)

BARE = [PY, str(HERE / "baselines" / "bare_home.py")]
TMUX_SOCKET = f"cc-desktop-trace-{os.getpid()}"

# Added to the page before it loads (besides desktop.py's terminal hook): when the
# websocket opened and when its first message came, on the page's clock.
PAGE_HOOK = """
(() => {
  const Native = window.WebSocket;
  window.__marks = {};
  // In the page, every 2 ms: when xterm.js's Terminal exists, and when its buffer first
  // holds the words (without the driver's round trip of each poll from outside).
  const poll = setInterval(() => {
    const t = (window.__terminals || [])[0];
    if (!t) return;
    window.__marks.terminal_created ??= performance.now();
    const b = t.buffer.active;
    for (let y = 0; y < t.rows; y++) {
      const line = b.getLine(b.viewportY + y);
      if (line && line.translateToString(true).includes("flare routine")) {
        window.__marks.words_in_buffer = performance.now();
        clearInterval(poll);
        return;
      }
    }
  }, 2);
  window.WebSocket = class extends Native {
    constructor(...a) {
      super(...a);
      window.__marks.ws_created = performance.now();
      this.addEventListener("open", () => { window.__marks.ws_open = performance.now(); });
      this.addEventListener("message", () => {
        window.__marks.ws_first_message ??= performance.now();
      });
    }
  };
})();
"""
READ_MARKS = """
const nav = performance.getEntriesByType("navigation")[0] || {};
const out = {origin: performance.timeOrigin, ...window.__marks};
for (const k of ["responseEnd", "domContentLoadedEventEnd", "loadEventEnd"]) out[k] = nav[k];
for (const r of performance.getEntriesByType("resource")) {
  if (r.name.endsWith("textual.js")) out.js_end = r.responseEnd;
}
return out;
"""

# --- the hooked server (run as a child: ``desktop_trace.py --serve calmcoach|bare``) ---------


def serve(kind: str, trace_path: str) -> int:
    """Run ``calmcoach desktop --no-window`` (or our server with the bare app) with
    timestamps written at each step of the server's side."""
    out = open(trace_path, "a", buffering=1)  # noqa: SIM115 - open for the process's life

    def mark(name: str) -> None:
        out.write(json.dumps({"kind": name, "t": time.monotonic()}) + "\n")

    mark("python_up")
    from calmcoach.desktop import launch as launch_module  # before the spare: imports the server

    mark("launch_imported")
    if kind == "calmcoach" and hasattr(launch_module, "start_spare"):
        start_spare = launch_module.start_spare

        def hooked_start_spare(argv: Any) -> Any:
            mark("spare_spawn")
            process = start_spare(argv)
            hook_server()  # imports the server, as launch does right after this
            return process

        launch_module.start_spare = hooked_start_spare
    else:
        hook_server()
    if kind == "calmcoach":
        from calmcoach.cli import main

        return main(["desktop", "--no-window"])
    from calmcoach.desktop import server as server_module

    running = launch_module.ServerThread(server_module.DesktopServer(BARE))
    running.start()
    print(f"served at {running.server.url}", flush=True)
    running.wait()
    return 0


def hook_server() -> None:
    """Wrap the server's steps to write their times (imports the server)."""
    out = open(os.environ["DESKTOP_TRACE"], "a", buffering=1)  # noqa: SIM115 - for the process's life

    def mark(name: str) -> None:
        out.write(json.dumps({"kind": name, "t": time.monotonic()}) + "\n")

    from calmcoach.desktop import appprocess as appprocess_module
    from calmcoach.desktop import server as server_module

    mark("server_imported")
    cls = server_module.DesktopServer
    app_cls = appprocess_module.AppProcess

    def wrap(owner: Any, name: str, before: str, after: str | None = None) -> None:
        original = getattr(owner, name)

        async def hooked(self: Any, *args: Any, **kwargs: Any) -> Any:
            mark(before)
            result = await original(self, *args, **kwargs)
            if after:
                mark(after)
            return result

        setattr(owner, name, hooked)

    wrap(cls, "start", "server_start", "listening")
    wrap(cls, "_page", "page_requested")
    wrap(cls, "_websocket", "websocket_requested")
    wrap(app_cls, "_open_app_process", "app_spawn", "app_spawned")
    on_data = app_cls.on_data

    async def first_data(self: Any, payload: bytes) -> None:
        if not getattr(self, "_traced", False):
            self._traced = True
            mark("first_data")
        await on_data(self, payload)

    app_cls.on_data = first_data  # type: ignore[method-assign]


def serve_textual_serve(port: int) -> int:
    from textual_serve.server import Server

    Server(" ".join(BARE), host="127.0.0.1", port=port).serve()
    return 0


# --- the rounds ----------------------------------------------------------------------


def read_trace(path: Path) -> dict[str, float]:
    found: dict[str, float] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            record = json.loads(line)
            found.setdefault(record["kind"], record["t"])
    return found


def page_run(driver: Any, argv: list[str], env: dict[str, str], url_pattern: str) -> dict[str, float]:
    """Start a server, open its address, wait for the words; every step relative to the start."""
    with tempfile.TemporaryDirectory(prefix="calmcoach-desktop-trace-") as tmp:
        server_trace = Path(tmp) / "server.jsonl"
        app_trace = Path(tmp) / "app.jsonl"
        run_env = {**env, "DESKTOP_TRACE": str(server_trace), "CALMCOACH_TRACE": str(app_trace)}
        t0 = time.monotonic()
        server = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=run_env,
            start_new_session=True,
        )
        try:
            assert server.stdout is not None
            url = None
            limit = time.monotonic() + 60
            while url is None:
                line = server.stdout.readline()
                if not line or time.monotonic() > limit:
                    raise RuntimeError(f"no address from {argv}: {line!r}")
                match = re.search(url_pattern, line)
                url = match.group(0) if match else None
            address = time.monotonic()
            driver.get(url)
            loaded = time.monotonic()
            limit = time.monotonic() + 60
            while HOME_WORDS not in (driver.execute_script(READ_SCREEN) or ""):
                if time.monotonic() > limit:
                    raise RuntimeError("the words were not drawn in the page within 60 s")
                time.sleep(0.005)
            drawn = time.monotonic()
            marks = driver.execute_script(READ_MARKS)
            offset = time.time() - time.monotonic()
            driver.get("about:blank")
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(15)
        finally:
            if server.poll() is None:
                os.killpg(server.pid, 9)
                server.wait()
        result = {"address": address - t0, "get_returned": loaded - t0, "drawn": drawn - t0}
        for name, t in read_trace(server_trace).items():
            result[name] = t - t0
        app = read_trace(app_trace)
        if "first_frame" in app:
            result["app_first_frame"] = app["first_frame"] - t0
        origin = marks.pop("origin")
        for name, value in marks.items():
            if isinstance(value, (int, float)):
                result[f"page_{name}"] = (origin + value) / 1000 - offset - t0
        return result


def terminal_run(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    tmux = ["tmux", "-L", TMUX_SOCKET]
    with tempfile.TemporaryDirectory(prefix="calmcoach-desktop-trace-") as tmp:
        app_trace = Path(tmp) / "app.jsonl"
        t0 = time.monotonic()
        subprocess.run(
            [*tmux, "new-session", "-d", "-s", "bench", "-x", "100", "-y", "30", " ".join(argv)],
            env={**env, "CALMCOACH_TRACE": str(app_trace)},
            check=True,
        )
        try:
            limit = time.monotonic() + 60
            while True:
                screen = subprocess.run(
                    [*tmux, "capture-pane", "-p", "-t", "bench"], capture_output=True, text=True, check=False
                ).stdout
                if HOME_WORDS in screen:
                    drawn = time.monotonic() - t0
                    break
                if time.monotonic() > limit:
                    raise RuntimeError("the words were not drawn in tmux within 60 s")
                time.sleep(0.005)
        finally:
            subprocess.run([*tmux, "kill-server"], check=False, capture_output=True)
        result = {"drawn": drawn}
        app = read_trace(app_trace)
        if "first_frame" in app:
            result["app_first_frame"] = app["first_frame"] - t0
        return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


ORDER = (
    "python_up",
    "launch_imported",
    "spare_spawn",
    "server_imported",
    "server_start",
    "listening",
    "address",
    "page_requested",
    "page_responseEnd",
    "page_js_end",
    "page_domContentLoadedEventEnd",
    "page_ws_created",
    "websocket_requested",
    "app_spawn",
    "app_spawned",
    "page_ws_open",
    "app_first_frame",
    "first_data",
    "page_ws_first_message",
    "get_returned",
    "page_terminal_created",
    "page_words_in_buffer",
    "drawn",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--json-file", type=Path, help="write every raw run to this file")
    parser.add_argument(
        "--before",
        type=Path,
        help="a checkout of calmcoach before a change (git archive REV | tar -x -C DIR): run its "
        "desktop too, in the same rounds, through PYTHONPATH",
    )
    parser.add_argument("--no-floor", action="store_true", help="skip the bare app and textual-serve")
    parser.add_argument("--serve", choices=("calmcoach", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--serve-textual-serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve, os.environ["DESKTOP_TRACE"])
    if args.serve_textual_serve:
        return serve_textual_serve(args.serve_textual_serve)
    me = [PY, str(Path(__file__).resolve())]
    ours = r"http://127\.0\.0\.1:\d+/\S+/|file:///\S+\.html"  # the bare server's address, or the launch page
    keys = ("calmcoach", "before", "bare", "textual-serve", "terminal", "bare terminal")
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in keys}

    with sandbox() as env, tempfile.TemporaryDirectory() as profile, browser(Path(profile)) as driver:
        from selenium.webdriver.remote.webdriver import WebDriver

        assert isinstance(driver, WebDriver)
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PAGE_HOOK})
        for round_ in range(args.runs + 1):  # the first round warms the disk cache; not counted
            got = {}
            if args.before:
                got["before"] = page_run(
                    driver,
                    [*me, "--serve", "calmcoach"],
                    {**env, "PYTHONPATH": str(args.before.resolve())},
                    ours,
                )
            got["calmcoach"] = page_run(driver, [*me, "--serve", "calmcoach"], env, ours)
            got["terminal"] = terminal_run(CALMCOACH, env)
            if not args.no_floor:
                got["bare"] = page_run(driver, [*me, "--serve", "bare"], env, ours)
                got["bare terminal"] = terminal_run(BARE, env)
                port = free_port()
                try:
                    got["textual-serve"] = page_run(
                        driver,
                        [*me, "--serve-textual-serve", str(port)],
                        env,
                        rf"http://127\.0\.0\.1:{port}\S*",
                    )
                except RuntimeError as error:
                    print(f"textual-serve: {error}", file=sys.stderr)
            if round_:
                for key, value in got.items():
                    runs[key].append(value)
    for key, results in runs.items():
        if not results:
            continue
        print(f"\n{key} (n={len(results)}), seconds from the start, median [min, max]:")
        names = [n for n in ORDER if n in results[0]] + sorted(set(results[0]) - set(ORDER))
        for name in names:
            values = [r[name] for r in results if name in r]
            print(f"  {name:<32} {statistics.median(values):6.3f}  [{min(values):.3f}, {max(values):.3f}]")

    def med(key: str, name: str = "drawn") -> float:
        return statistics.median(r[name] for r in runs[key])

    ratios = [f"calmcoach desktop / terminal {med('calmcoach') / med('terminal'):.2f}x"]
    if runs["before"]:
        ratios.append(f"before / terminal {med('before') / med('terminal'):.2f}x")
    if runs["bare"]:
        ratios.append(f"bare served / bare terminal {med('bare') / med('bare terminal'):.2f}x")
    if runs["textual-serve"]:
        share = med("textual-serve") / med("bare terminal")
        ratios.append(f"textual-serve bare / bare terminal {share:.2f}x")
    print("\nratios of medians, drawn: " + "; ".join(ratios))
    if args.json:
        print(json.dumps(runs, indent=1))
    if args.json_file:
        args.json_file.write_text(json.dumps(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
