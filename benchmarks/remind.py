"""The reminder's cost while it waits: ``python benchmarks/remind.py [--seconds 180]``.

Runs the real ``calmcoach remind`` at its usual hourly interval, with hours that cover
the whole day, on a private desktop session (Xvfb, a private D-Bus session bus and
dunst, so the desktop is asked about idle, lock and do not disturb as it would be),
waits ``--warm-up`` seconds for start-up to pass, then measures for ``--seconds``:

- memory: resident set size (VmRSS) sampled every 5 s, the largest shown, and the
  unique memory (USS, from /proc/PID/smaps_rollup: what the process alone costs);
- CPU: user + system time over the window, from /proc/PID/stat, scaled to an hour
  (x 3600 / window). The schedule repeats every poll (a minute), so a few minutes
  hold every kind of idle wake-up an hour has; the hourly nudge itself is not in it.

Needs Xvfb, dbus-daemon and dunst, and calmcoach[remind] installed in this Python.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def uss_kib(pid: int) -> int:
    total = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(("Private_Clean:", "Private_Dirty:")):
            total += int(line.split()[1])
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="how long to measure (default 180)")
    parser.add_argument("--warm-up", type=float, default=10.0, help="seconds to let start-up pass")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="calmcoach-remind-bench-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY")}
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        env[f"CALMCOACH_{name}_DIR"] = str(folder / name.lower())
    (folder / "config").mkdir()
    (folder / "config" / "remind.toml").write_text(
        'every = "1h"\nfrom = "00:00"\nuntil = "24:00"\n'
        'days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\n'
    )
    processes: list[subprocess.Popen[bytes]] = []
    try:
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", "1", "-screen", "0", "640x480x24", "-nolisten", "tcp"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        processes.append(xvfb)
        assert xvfb.stdout is not None
        env["DISPLAY"] = ":" + xvfb.stdout.readline().decode().strip()
        bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        processes.append(bus)
        assert bus.stdout is not None
        env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().decode().strip()
        processes.append(subprocess.Popen(["dunst"], env=env, stderr=subprocess.DEVNULL))
        time.sleep(1.0)
        remind = subprocess.Popen(
            [sys.executable, "-m", "calmcoach", "remind"],
            env=env,
            stdout=(folder / "remind.out").open("wb"),
            stderr=subprocess.STDOUT,
        )
        processes.append(remind)
        time.sleep(args.warm_up)
        if remind.poll() is not None:
            print((folder / "remind.out").read_text(), file=sys.stderr)
            return 1
        cpu_start, started = cpu_seconds(remind.pid), time.monotonic()
        samples = [rss_kib(remind.pid)]
        while time.monotonic() - started < args.seconds:
            time.sleep(min(5.0, args.seconds - (time.monotonic() - started)))
            samples.append(rss_kib(remind.pid))
        window = time.monotonic() - started
        cpu = cpu_seconds(remind.pid) - cpu_start
        uss = uss_kib(remind.pid)
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
    said = (folder / "remind.out").read_text().splitlines()
    figures = {
        "window_s": round(window, 1),
        "rss_mib_max": round(max(samples) / 1024, 1),
        "rss_mib_last": round(samples[-1] / 1024, 1),
        "uss_mib": round(uss / 1024, 1),
        "cpu_s_in_window": round(cpu, 3),
        "cpu_s_per_hour": round(cpu * 3600 / window, 2),
        "cpu_percent": round(cpu / window * 100, 4),
    }
    print(said[0] if said else "(the reminder said nothing)")
    print(f"Measured {figures['window_s']} s of idle, after {args.warm_up:g} s of start-up:")
    print(f"  memory: RSS {figures['rss_mib_max']} MiB at most, USS {figures['uss_mib']} MiB")
    print(
        f"  CPU: {figures['cpu_s_in_window']} s in the window = {figures['cpu_s_per_hour']} s an hour "
        f"({figures['cpu_percent']} % of one core)"
    )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
