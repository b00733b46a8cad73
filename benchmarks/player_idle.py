"""CPU of a quiet player: ``python benchmarks/player_idle.py [--window S] [--state idle|holding]``.

Starts the real player process (simpleaudio into ALSA's file plugin, as the audio tests
do), loads the cues, and measures CPU over one window in which nothing plays:

- ``idle``: nothing is scheduled (the app between sessions);
- ``holding``: one cue handed over with ``schedule`` for ten minutes ahead (a long hold
  or a routine step, waiting for its boundary).

Prints one line: the player process's CPU-s/s (utime+stime from /proc/PID/stat) and the
CPU-s/s of this process, which does nothing but sleep in its main thread, so that figure
is the app side of the player (its reader and watchdog threads). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ASOUNDRC = HERE.parent / "tests" / "audio_fixtures" / "capture.asoundrc"


def process_cpu(pid: int) -> float:
    """utime + stime of ``pid`` in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--state", choices=("idle", "holding"), default="holding")
    args = parser.parse_args()
    from calmcoach.audio.process import ProcessPlayer
    from calmcoach.data.library import sound_dirs

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        shutil.copy(ASOUNDRC, home / ".asoundrc")
        env = {**os.environ, "HOME": str(home), "CALMCOACH_ALSA_CAPTURE": str(home / "capture.raw")}
        player = ProcessPlayer(sound_dirs(), bell=lambda: None, log_file=home / "player.log", env=env)
        try:
            player.prepare(["inhale", "hold", "exhale"])
            player.wait_ready(10.0)
            assert player.pid is not None and player.take_notice() is None  # no "sound off"
            if args.state == "holding":
                player.schedule("hold", time.monotonic() + 600)
            time.sleep(1.0)
            start, worker0, own0 = time.monotonic(), process_cpu(player.pid), process_cpu(os.getpid())
            time.sleep(args.window)
            elapsed = time.monotonic() - start
            worker = (process_cpu(player.pid) - worker0) / elapsed
            own = (process_cpu(os.getpid()) - own0) / elapsed
            notice = player.take_notice()
            assert notice is None, notice  # it did not fall back to the bell
        finally:
            player.close()
    print(f"{args.state} {elapsed:.1f} s: player {worker:.5f} CPU-s/s, app side {own:.5f} CPU-s/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
