"""The reminder never loads Textual (or Rich, or the app): checked on its real main path."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from calmcoach.data import locations
from tests.remind.desktop_session import everyday_settings

PROBE = textwrap.dedent(
    """
    import os, signal, sys, threading
    from calmcoach import cli
    # Stop the reminder once it has nudged twice (its output says so), as a logout would.
    real_print = print
    seen = []
    def watch(*args, **kwargs):
        real_print(*args, **kwargs)
        if "Time to move" in " ".join(map(str, args)):
            seen.append(1)
            if len(seen) == 2:
                os.kill(os.getpid(), signal.SIGTERM)
    import builtins
    builtins.print = watch
    threading.Timer(60, lambda: os.kill(os.getpid(), signal.SIGKILL)).start()  # a hang fails, never waits
    code = cli.main(sys.argv[1:])
    builtins.print = real_print
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich") or m.startswith("calmcoach.ui"))
    print("LOADED:" + ",".join(loaded))
    os._exit(code)
    """
)


def test_remind_runs_nudges_and_stops_without_loading_textual(tmp_path: Path) -> None:
    everyday_settings(locations.config_dir(), tmp_path / "started.txt")
    env = {k: v for k, v in os.environ.items() if k not in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY")}
    env["PATH"] = str(tmp_path)  # no notify-send: nudges are lines, so two come quickly
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "remind", "--every", "2s"],
        capture_output=True,
        text=True,
        env=env,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Time to move") == 2
    assert result.stdout.splitlines()[-1] == "LOADED:"


def test_control_options_load_no_textual_either() -> None:
    code = (
        "import sys; from calmcoach import cli; cli.main(['remind', '--status']) ; "
        "print([m for m in sys.modules if m.startswith(('textual', 'rich', 'calmcoach.ui'))])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.splitlines()[-1] == "[]"


def test_the_probe_can_fail() -> None:
    code = "import sys, calmcoach.ui.app; print([m for m in sys.modules if m.startswith('textual')][:1])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() != "[]"
