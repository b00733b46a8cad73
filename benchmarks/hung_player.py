"""How fast a stopped audio player is noticed: ``python benchmarks/hung_player.py [--runs N]``.

Starts the real player process (simpleaudio playing into ALSA's file plugin, as the
audio tests do), stops it with SIGSTOP, and measures from the signal to the moment the
watchdog gives up on it, to the first ``take_notice`` that says "sound off" (polled
every 10 ms, as a session would at its next look), and how long ``close(drain=True)``
takes after that. Nothing here is a test: figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ASOUNDRC = HERE.parent / "tests" / "audio_fixtures" / "capture.asoundrc"


def one_run(env: dict[str, str], log: Path) -> tuple[float, float, float]:
    from calmcoach.audio.process import ProcessPlayer
    from calmcoach.data.library import sound_dirs

    player = ProcessPlayer(sound_dirs(), bell=lambda: None, log_file=log, env=env)
    player.prepare(["inhale"])
    player.wait_ready(10.0)
    time.sleep(0.3)
    assert player.pid is not None and player.take_notice() is None  # no "sound off"
    stopped = time.monotonic()
    os.kill(player.pid, signal.SIGSTOP)
    notice = None
    while notice is None and time.monotonic() - stopped < 10:
        time.sleep(0.01)
        notice = player.take_notice()
    said = time.monotonic() - stopped
    assert notice is not None and "sound off" in notice, notice
    assert player.hung_at is not None
    closing = time.monotonic()
    player.close(drain=True)
    return player.hung_at - stopped, said, time.monotonic() - closing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        shutil.copy(ASOUNDRC, home / ".asoundrc")
        env = {**os.environ, "HOME": str(home), "CALMCOACH_ALSA_CAPTURE": str(home / "capture.raw")}
        runs = [one_run(env, home / "player.log") for _ in range(args.runs)]
    print(f"{args.runs} runs, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    for index, label in enumerate(("watchdog gives up", "notice taken", "close(drain=True)")):
        values = [run[index] for run in runs]
        print(
            f"  {label:<18} min {min(values):.3f} s  median {statistics.median(values):.3f} s  "
            f"max {max(values):.3f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
