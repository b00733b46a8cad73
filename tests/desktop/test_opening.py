"""``calmcoach desktop`` opening its window: what the terminal says, where the helpers'
output goes, what other users can see, and the browser ending with calmcoach.

The browsers and openers here are stand-ins on PATH (small programs that record their
arguments), except in the last test, where Debian's Chromium runs headless."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from calmcoach.data import settings as user_settings
from tests.desktop.helpers import (
    CHROMIUM,
    OFFLINE_FLAGS,
    alive,
    calmcoach_command,
    descendants,
    end_tree,
    launch_file_in,
    launch_url_in,
    need,
    need_browser,
    wait_for,
)

pytestmark = pytest.mark.slow

BOUND = 30.0
XDG_OPEN_NOISE = [f"xdg-open: noise line {n} (no method available for opening it)" for n in range(16)]


def fake_program(folder: Path, name: str, body: str) -> Path:
    """A Python program called ``name`` in ``folder``; ``body`` runs after it has written
    its arguments to ``NAME.argv.json`` beside itself."""
    path = folder / name
    path.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys, time\n"
        "from pathlib import Path\n"
        # Written beside, then renamed: the test never reads a half-written record.
        "record = Path(__file__).with_name(Path(__file__).name + '.argv.json')\n"
        "record.with_suffix('.tmp').write_text(json.dumps(sys.argv))\n"
        "os.replace(record.with_suffix('.tmp'), record)\n"
        f"{body}\n"
    )
    path.chmod(0o755)
    return path


def recorded_argv(program: Path) -> list[str] | None:
    record = program.with_name(program.name + ".argv.json")
    return json.loads(record.read_text()) if record.exists() else None


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    """A folder for stand-ins, first on PATH, with an ``xdg-settings`` that knows no
    default browser (the desktop's real one, if any, must not choose for the test)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    fake_program(folder, "xdg-settings", "sys.exit(1)")
    return folder


def desktop_env(cli_env: dict[str, str], fake_bin: Path, **changes: str | None) -> dict[str, str]:
    env = {k: v for k, v in cli_env.items() if k not in ("BROWSER", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR")}
    env["PATH"] = f"{fake_bin}{os.pathsep}/usr/bin{os.pathsep}/bin"
    env["DISPLAY"] = ":93"  # a display is named; the stand-ins never use it
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


@contextmanager
def desktop(env: dict[str, str], *args: str) -> Iterator[subprocess.Popen[str]]:
    """``calmcoach desktop ARGS`` with its terminal output on pipes; ended (with every
    process under it) on the way out."""
    process = subprocess.Popen(
        [*calmcoach_command(), "desktop", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        end_tree(process, BOUND)


def lines_until(process: subprocess.Popen[str], pattern: str) -> list[str]:
    """Standard output's lines up to one matching ``pattern`` (bounded by the process
    printing it or ending)."""
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + BOUND * 2
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if re.search(pattern, line):
            return lines
    raise AssertionError(f"no line matching {pattern!r}; got {lines}")


def stop_and_collect(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=BOUND)
    return out, err


def log_text() -> str:
    from calmcoach.data import locations

    path = locations.state_dir() / "calmcoach.log"
    return path.read_text(errors="replace") if path.exists() else ""


def test_a_failing_xdg_open_is_reported_its_noise_logged_and_the_page_offered(
    cli_env, fake_bin: Path
) -> None:
    noise = "\n".join(XDG_OPEN_NOISE)
    fake_program(fake_bin, "xdg-open", f"sys.stderr.write({noise!r} + '\\n'); sys.exit(3)")
    with desktop(desktop_env(cli_env, fake_bin)) as process:
        said = lines_until(process, r"open this address instead: http://")
        page = launch_file_in(said[-2])
        leads_to = launch_url_in(page)
        out, err = stop_and_collect(process)
    terminal = "\n".join(said) + out + err
    assert "opened in" not in terminal, terminal
    assert "xdg-open did not show calmcoach (it ended with exit code 3" in terminal
    assert "noise line" not in terminal
    # For a browser that cannot read the page (snap browsers): the launch address, on the
    # terminal only (the user's own), never on a command line.
    assert said[-1].endswith(f"open this address instead: {leads_to}"), said
    assert terminal.count("http://") == 1, terminal
    assert recorded_argv(fake_bin / "xdg-open") == [str(fake_bin / "xdg-open"), page.as_uri()]
    logged = log_text()
    for line in XDG_OPEN_NOISE:
        assert line in logged
    assert not page.parent.exists()  # the private folder went with calmcoach


def test_with_no_display_no_browser_starts_and_the_terminal_says_so(cli_env, fake_bin: Path) -> None:
    chromium = fake_program(fake_bin, "chromium", "sys.exit(1)")
    env = desktop_env(cli_env, fake_bin, DISPLAY=None, BROWSER=str(chromium))
    with desktop(env) as process:
        said = lines_until(process, r"Open this page in a browser on this computer: file://")
        out, err = stop_and_collect(process)
    terminal = "\n".join(said) + out + err
    assert "no graphical display" in terminal and "opened in" not in terminal, terminal
    assert recorded_argv(chromium) is None


def test_a_browser_that_fails_is_reported_with_the_page_to_open(cli_env, fake_bin: Path) -> None:
    chromium = fake_program(
        fake_bin, "chromium", "sys.stderr.write('Missing X server or $DISPLAY\\n'); sys.exit(1)"
    )
    with desktop(desktop_env(cli_env, fake_bin, BROWSER=str(chromium))) as process:
        said = lines_until(process, r"Open this page in a browser on this computer: file://")
        out, err = stop_and_collect(process)
    terminal = "\n".join(said) + out + err
    assert "chromium did not show calmcoach (it ended with exit code 1" in terminal, terminal
    assert "Missing X server" not in terminal and "Missing X server" in log_text()


def test_the_browser_learns_no_secret_from_its_command_line_and_the_launch_page_is_private(
    cli_env, fake_bin: Path
) -> None:
    """Another user (nobody) can read every process's command line: the browser's holds no
    address that leads to the app, and the launch page it names cannot be read by them."""
    need(shutil.which("setpriv"), "setpriv is not installed (util-linux)")
    need(os.geteuid() == 0, "run as root to act as another user")
    chromium = fake_program(fake_bin, "chromium", "time.sleep(120)")
    # A state dir others may enter (as under umask 022): only the launch page's own
    # folder and mode keep it private.
    shared = Path(tempfile.mkdtemp(prefix="calmcoach-desktop-test-"))
    try:
        for folder in (shared, shared / "state"):
            folder.mkdir(exist_ok=True)
            folder.chmod(0o755)
        env = desktop_env(cli_env, fake_bin, BROWSER=str(chromium), CALMCOACH_STATE_DIR=str(shared / "state"))
        with desktop(env) as process:
            wait_for(lambda: recorded_argv(chromium) is not None, BOUND, "the browser to start")
            argv = recorded_argv(chromium)
            assert argv is not None
            assert not [a for a in argv if "http://" in a], argv  # no address that leads to the app
            browser = next(
                pid
                for pid in descendants(process.pid)
                if str(chromium) in Path(f"/proc/{pid}/cmdline").read_text()
            )
            app_page = next(
                Path(a.removeprefix("--app=")[len("file://") :]) for a in argv if a.startswith("--app=")
            )
            url = launch_url_in(app_page)  # its owner can read it
            token = url.rstrip("/").rsplit("/", 1)[1]
            profile = next(a.split("=", 1)[1] for a in argv if a.startswith("--user-data-dir="))
            assert Path(profile).parent == app_page.parent
            assert stat.S_IMODE(app_page.stat().st_mode) == 0o600
            assert stat.S_IMODE(app_page.parent.stat().st_mode) == 0o700
            snoop = (
                "import sys\n"
                f"cmdline = open('/proc/{browser}/cmdline', 'rb').read().decode()\n"
                "print('CMDLINE', cmdline.replace(chr(0), ' '))\n"
                "for path in sys.argv[1:]:\n"
                "    try:\n"
                "        print('READ', open(path).read())\n"
                "    except OSError as error:\n"
                "        print('REFUSED', type(error).__name__)\n"
            )
            other = subprocess.run(
                [
                    "setpriv",
                    "--reuid=65534",
                    "--regid=65534",
                    "--clear-groups",
                    # The system's Python, which every user may run: a test's own Python
                    # may sit in a folder only root can enter (pyenv under /root).
                    shutil.which("python3", path="/usr/bin:/bin") or sys.executable,
                    "-I",
                    "-c",
                    snoop,
                    str(app_page),
                ],
                capture_output=True,
                text=True,
                timeout=BOUND,
                env={"PATH": "/usr/bin:/bin"},
            )
            assert other.returncode == 0, other.stderr
            seen = other.stdout
            assert "CMDLINE" in seen and str(chromium) in seen  # nobody does read the command line
            assert token not in seen and "http://" not in seen
            assert "READ" not in seen and "REFUSED PermissionError" in seen
    finally:
        shutil.rmtree(shared, ignore_errors=True)


CHROMIUM_STAND_IN = """
args = [a[len("--app="):] if a.startswith("--app=") else a for a in sys.argv[1:]]
os.execv({chromium!r}, [{chromium!r}, *{flags!r}, "--remote-debugging-port=0", *args])
"""
"""Debian's Chromium, headless (its --app window becomes the page it opens), with a
DevTools port for the test to press keys through."""


async def press_ctrl_q_until(devtools_port: int, done: Callable[[], bool]) -> None:
    """Press Ctrl+Q in calmcoach's page (through the DevTools protocol) until ``done()``:
    the first presses may come before the app reads its keys."""
    import asyncio

    import aiohttp

    async with aiohttp.ClientSession() as client:
        page = None
        async with asyncio.timeout(BOUND):
            while page is None:
                async with client.get(f"http://127.0.0.1:{devtools_port}/json/list") as listing:
                    targets = await listing.json()
                page = next(
                    (
                        t
                        for t in targets
                        if t.get("type") == "page" and t["url"].startswith("http://127.0.0.1:")
                    ),
                    None,
                )
                await asyncio.sleep(0.2)
        async with client.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as devtools:
            ids = iter(range(1, 10_000))

            async def call(method: str, **params: object) -> None:
                await devtools.send_json({"id": next(ids), "method": method, "params": params})

            async with asyncio.timeout(BOUND * 2):
                while not done():
                    try:
                        await call(
                            "Runtime.evaluate",
                            expression="document.querySelector('.xterm-helper-textarea')?.focus()",
                        )
                        for kind in ("rawKeyDown", "keyUp"):
                            await call(
                                "Input.dispatchKeyEvent",
                                type=kind,
                                modifiers=2,
                                key="q",
                                code="KeyQ",
                                windowsVirtualKeyCode=81,
                                nativeVirtualKeyCode=81,
                            )
                    except (aiohttp.ClientConnectionError, ConnectionResetError):
                        break  # the browser is going: calmcoach closed it; wait for calmcoach below
                    await asyncio.sleep(1.0)
                while not done():
                    await asyncio.sleep(0.1)


@pytest.mark.browser
async def test_ctrl_q_in_the_window_ends_calmcoach_and_closes_its_browser(cli_env, fake_bin: Path) -> None:
    import asyncio

    need_browser()
    user_settings.save(user_settings.Settings(first_run_seen=True))
    chromium = fake_program(
        fake_bin, "chromium", CHROMIUM_STAND_IN.format(chromium=str(CHROMIUM), flags=list(OFFLINE_FLAGS))
    )
    with desktop(desktop_env(cli_env, fake_bin, BROWSER=str(chromium))) as process:
        said = await asyncio.to_thread(lines_until, process, r"calmcoach opened in an app window of chromium")
        argv = recorded_argv(chromium)
        assert argv is not None
        profiles = [a.split("=", 1)[1] for a in argv if a.startswith("--user-data-dir=")]
        assert profiles, f"the browser got no profile of its own: {argv}"
        profile = Path(profiles[0])
        browsers = descendants(process.pid)
        assert browsers
        port_file = profile / "DevToolsActivePort"
        wait_for(port_file.exists, BOUND, "Chromium's DevTools port")
        devtools_port = int(port_file.read_text().split()[0])
        await press_ctrl_q_until(devtools_port, lambda: process.poll() is not None)
        await asyncio.to_thread(process.wait, BOUND)
        assert process.returncode == 0, said
        wait_for(lambda: not any(alive(pid) for pid in browsers), BOUND, "every browser process to end")
        assert not profile.parent.exists()


def test_no_place_for_the_launch_page_is_one_line(cli_env, fake_bin: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = desktop_env(cli_env, fake_bin, CALMCOACH_STATE_DIR=str(blocker / "state"))
    result = subprocess.run(
        [*calmcoach_command(), "desktop", "--no-window"],
        env=env,
        capture_output=True,
        text=True,
        timeout=BOUND * 2,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1
    assert (
        result.stderr
        == f"calmcoach: no private launch page could be made in {blocker}/state: Not a directory\n"
    )
    assert result.stdout == ""
