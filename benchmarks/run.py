"""calmcoach benchmarks: ``python benchmarks/run.py [--quick | --long]``.

Runs the real app in a real terminal (tmux), measures timing, CPU, start-up,
memory and scale, compares each figure with a baseline measured in the same
run, prints a table and writes ``benchmarks/results/latest.json``.

Needs tmux, and calmcoach installed in the Python running this script. Nothing
here is a test: goals are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PY = sys.executable
CALMCOACH = (
    [str(Path(PY).parent / "calmcoach")]
    if (Path(PY).parent / "calmcoach").exists()
    else [PY, "-m", "calmcoach"]
)
TICKS = os.sysconf("SC_CLK_TCK")
SIZE = ("100", "30")

GOALS = {
    "step event p99 (ms)": 2.5,
    "step event p99, busy (ms)": 5.0,
    "drift (ms)": 3.0,
    "cue play call p99 (ms)": 2.0,
    "CPU breathing (CPU-s/s)": 0.04,
    "CPU paused (CPU-s/s)": 0.002,
    "CPU holding (CPU-s/s)": 0.002,
    "first frame / import textual.app": 1.3,
    "peak RSS app (MB)": 40.0,
}
INTERACTIVE = 0.5
"""Every scale figure must stay interactive: under half a second."""


# --- helpers -----------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def peak_rss_mb(pid: int) -> float:
    """Peak resident set size in MiB (VmHWM, which /proc gives in KiB), as top and ps count."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Tmux:
    """One detached tmux session running one command."""

    def __init__(self, name: str, command: str, env: dict[str, str]) -> None:
        self.name = name
        exports = " ".join(f"{k}={v!s}" for k, v in env.items())
        command = command.removeprefix("exec ")
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
        subprocess.run(
            [
                "tmux",
                "new-session",
                "-d",
                "-s",
                name,
                "-x",
                SIZE[0],
                "-y",
                SIZE[1],
                f"exec env {exports} {command}",
            ],
            check=True,
        )
        self.pid = int(
            subprocess.run(
                ["tmux", "display", "-p", "-t", name, "#{pane_pid}"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def screen(self) -> str:
        return subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True
        ).stdout

    def wait_for(self, words: str, timeout: float = 15) -> None:
        limit = time.monotonic() + timeout
        while time.monotonic() < limit:
            if words in self.screen():
                return
            time.sleep(0.05)
        raise RuntimeError(f"{words!r} never showed in tmux:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


@contextmanager
def cpu_hog(enabled: bool) -> Iterator[None]:
    hog = subprocess.Popen([PY, "-c", "while True: pass"]) if enabled else None
    try:
        yield
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()


@contextmanager
def sandbox() -> Iterator[dict[str, str]]:
    with tempfile.TemporaryDirectory(prefix="calmcoach-bench-") as tmp:
        base = Path(tmp)
        (base / "config").mkdir()
        (base / "config" / "settings.json").write_text('{"first_run_seen": true}')
        yield {
            "CALMCOACH_CONFIG_DIR": str(base / "config"),
            "CALMCOACH_DATA_DIR": str(base / "data"),
            "CALMCOACH_STATE_DIR": str(base / "state"),
            "CALMCOACH_CACHE_DIR": str(base / "cache"),
            "TMPBASE": str(base),
        }


def app_env(box: dict[str, str], **extra: str) -> dict[str, str]:
    """The app's environment: its own dirs, and ALSA sending sound to a file (no sound card here)."""
    env = {k: v for k, v in box.items() if k != "TMPBASE"}
    home = Path(box["TMPBASE"]) / "home"
    home.mkdir(exist_ok=True)
    shutil.copy(REPO / "tests" / "audio_fixtures" / "capture.asoundrc", home / ".asoundrc")
    env["HOME"] = str(home)
    env["CALMCOACH_ALSA_CAPTURE"] = str(Path(box["TMPBASE"]) / "capture.raw")
    env.update(extra)
    return env


def read_trace(path: Path) -> list[dict[str, float]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# --- 1. boundary timing ----------------------------------------------------------------------


def boundary_run(seconds: float, busy: bool) -> dict[str, float]:
    with sandbox() as box, cpu_hog(busy):
        trace = Path(box["TMPBASE"]) / "trace.jsonl"
        env = app_env(box, CALMCOACH_TRACE=str(trace))
        minutes = max(2, int(seconds // 60) + 1)
        tmux = Tmux("cc-bench", f"exec {' '.join(CALMCOACH)} run breathing-4-2-6 --minutes {minutes}", env)
        try:
            tmux.wait_for("breath 1 of")
            time.sleep(seconds)
            tmux.keys("q")
            tmux.wait_for("Session ended")
            tmux.keys("q")
            time.sleep(1.0)
        finally:
            tmux.close()
        records = read_trace(trace)
    steps = [r for r in records if r["kind"] == "step" and not r.get("skipped")]
    painted = {int(r["index"]): r["t"] for r in records if r["kind"] == "painted"}
    played = [r["t"] for r in records if r["kind"] == "played"]
    event_late = [1000 * (r["t"] - r["deadline"]) for r in steps[1:]]
    paint_late = [
        1000 * (painted[int(r["index"])] - r["deadline"]) for r in steps[1:] if int(r["index"]) in painted
    ]
    play_late = [1000 * (p - r["deadline"]) for r, p in zip(steps[1:], played[1:], strict=False)]
    head, tail = event_late[:5], event_late[-5:]
    return {
        "boundaries": len(event_late),
        "event_mean": statistics.fmean(event_late),
        "event_p99": percentile(event_late, 0.99),
        "event_max": max(event_late),
        "paint_mean": statistics.fmean(paint_late) if paint_late else float("nan"),
        "paint_p99": percentile(paint_late, 0.99),
        "paint_max": max(paint_late) if paint_late else float("nan"),
        "play_mean": statistics.fmean(play_late) if play_late else float("nan"),
        "play_p99": percentile(play_late, 0.99),
        "play_max": max(play_late) if play_late else float("nan"),
        "drift": statistics.fmean(tail) - statistics.fmean(head),
        "event_late": event_late,
        "paint_late": paint_late,
        "play_late": play_late,
    }


def chain_run(kind: str, seconds: float, busy: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, cpu_hog(busy):
        out = Path(tmp) / "late.json"
        script = HERE / "baselines" / "timer_chains.py"
        if kind == "timer":
            tmux = Tmux("cc-chain", f"exec {PY} {script} timer {seconds} {out}", {})
            limit = time.monotonic() + seconds + 20
            while not out.exists() and time.monotonic() < limit:
                time.sleep(0.2)
            time.sleep(0.2)
            tmux.close()
        else:
            subprocess.run([PY, str(script), "sleep", str(seconds), str(out)], check=True)
        late = [1000 * x for x in json.loads(out.read_text())]
    return {"event_p99": percentile(late, 0.99), "event_max": max(late), "drift": late[-1] - late[0]}


# --- 2. CPU ------------------------------------------------------------------------------------


def cpu_window(pid: int, seconds: float) -> float:
    start_cpu, start = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - start_cpu) / (time.monotonic() - start)


HOLD_EXERCISE = """\
title = "Benchmark hold"
kind = "breathing"
cycles = 3
[[phase]]
pace = "inhale"
seconds = 1
say = "In"
[[phase]]
pace = "hold"
seconds = 60
say = "Hold"
"""


def cpu_runs(window: float) -> dict[str, float]:
    out: dict[str, float] = {}
    with sandbox() as box:
        env = app_env(box)
        tmux = Tmux("cc-cpu", f"exec {' '.join(CALMCOACH)} run breathing-4-2-6 --minutes 5", env)
        try:
            tmux.wait_for("breath 1 of")
            time.sleep(0.5)
            out["breathing"] = cpu_window(tmux.pid, window)
            tmux.keys("space")
            tmux.wait_for("Paused")
            time.sleep(0.3)
            out["paused"] = cpu_window(tmux.pid, window)
            out["rss_app_mb"] = peak_rss_mb(tmux.pid)
            kids = children(tmux.pid)
            out["rss_player_mb"] = peak_rss_mb(kids[0]) if kids else float("nan")
        finally:
            tmux.close()
        tmux = Tmux("cc-cpu", f"exec {' '.join(CALMCOACH)} run tension-release --area hand", env)
        try:
            tmux.wait_for("Open and close")
            time.sleep(0.5)
            out["routine_step"] = cpu_window(tmux.pid, min(window, 25))
        finally:
            tmux.close()
        exercises = Path(box["CALMCOACH_CONFIG_DIR"]) / "exercises"
        exercises.mkdir()
        (exercises / "bench-hold.toml").write_text(HOLD_EXERCISE)
        tmux = Tmux("cc-cpu", f"exec {' '.join(CALMCOACH)} run bench-hold", env)
        try:
            tmux.wait_for("HOLD")
            time.sleep(0.3)
            out["holding"] = cpu_window(tmux.pid, min(window, 50))
        finally:
            tmux.close()
    tmux = Tmux("cc-bare", f"exec {PY} {HERE / 'baselines' / 'bare_bar.py'}", {})
    try:
        time.sleep(1.5)
        out["bare_30hz"] = cpu_window(tmux.pid, window)
    finally:
        tmux.close()
    for kind in ("idle", "1hz"):
        tmux = Tmux("cc-quiet", f"exec {PY} {HERE / 'baselines' / 'idle_and_1hz.py'} {kind}", {})
        try:
            time.sleep(1.5)
            out[f"bare_{kind}"] = cpu_window(tmux.pid, window)
        finally:
            tmux.close()
    return out


# --- 3. start-up ----------------------------------------------------------------------------------


LAUNCH = (
    "import os, sys, time; open(sys.argv[1], 'w').write(repr(time.monotonic())); "
    "os.execv(sys.argv[2], sys.argv[2:])"
)


def first_frame(command: list[str], env: dict[str, str], frame_file: Path | None = None) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        t0_file = Path(tmp) / "t0"
        trace = Path(tmp) / "trace.jsonl"
        frame_file = frame_file or Path(tmp) / "frame"
        extra = {"CALMCOACH_TRACE": str(trace), "CALMCOACH_EXIT_AFTER_FIRST_FRAME": "1"}
        argv = [PY, "-c", f'"{LAUNCH}"', str(t0_file), *command]
        if command[-1] == "{frame}":
            argv[-1] = str(frame_file)
        tmux = Tmux("cc-start", " ".join(argv), {**env, **extra})
        limit = time.monotonic() + 30
        while time.monotonic() < limit:
            if trace.exists() and "first_frame" in trace.read_text():
                break
            if frame_file.exists() and frame_file.read_text():
                break
            time.sleep(0.01)
        time.sleep(0.2)
        tmux.close()
        t0 = float(t0_file.read_text())
        if trace.exists() and "first_frame" in trace.read_text():
            t1 = next(r["t"] for r in read_trace(trace) if r["kind"] == "first_frame")
        else:
            t1 = float(frame_file.read_text())
        return t1 - t0


def whole_process(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True, env=env)
    return time.perf_counter() - start


def startup_runs(repeats: int) -> dict[str, dict[str, float]]:
    results: dict[str, list[float]] = {"home": [], "bare_app": [], "import_textual": [], "version": []}
    with sandbox() as box:
        env = app_env(box)
        for _ in range(repeats):
            results["import_textual"].append(whole_process([PY, "-c", "import textual.app"]))
            results["home"].append(
                first_frame([CALMCOACH[0], *CALMCOACH[1:]] if CALMCOACH[0] != PY else CALMCOACH, env)
            )
            results["bare_app"].append(
                first_frame(
                    [PY, str(HERE / "baselines" / "bare_bar.py"), "--exit-after-first-frame", "{frame}"], {}
                )
            )
            results["version"].append(whole_process([*CALMCOACH, "--version"], {**os.environ, **env}))
    probe = subprocess.run(
        [
            PY,
            "-c",
            "import sys\nfrom calmcoach.cli import main\ntry:\n main(['--version'])\n"
            "except SystemExit:\n pass\nprint('textual' in sys.modules)",
        ],
        capture_output=True,
        text=True,
    )
    out = {k: summary(v) for k, v in results.items()}
    # Each first frame against the import measured just before it, on the same machine state.
    out["ratio"] = summary([h / i for h, i in zip(results["home"], results["import_textual"], strict=True)])
    out["version_imports_textual"] = {"median": float(probe.stdout.strip().splitlines()[-1] == "True")}
    return out


# --- 5. scale -----------------------------------------------------------------------------------------


def scale_runs(repeats: int, sizes: tuple[int, ...], rows: tuple[int, ...]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    source = (REPO / "exercises" / "box-breathing.toml").read_text()
    for count in sizes:
        with sandbox() as box:
            env = app_env(box)
            folder = Path(box["CALMCOACH_CONFIG_DIR"]) / "exercises"
            folder.mkdir()
            for i in range(count):
                (folder / f"user-{i:04d}.toml").write_text(source.replace("Box breathing", f"Box {i}"))
            # Cold: the first start after the files changed (no parse cache); then warm.
            cache = Path(box["CALMCOACH_CACHE_DIR"])
            cold_list, cold_home = [], []
            for _ in range(repeats):
                shutil.rmtree(cache, ignore_errors=True)
                cold_list.append(whole_process([*CALMCOACH, "list"], {**os.environ, **env}))
                shutil.rmtree(cache, ignore_errors=True)
                cold_home.append(first_frame(CALMCOACH, env))
            out[f"list, cold_{count}"] = summary(cold_list)
            out[f"list_{count}"] = summary(
                [whole_process([*CALMCOACH, "list"], {**os.environ, **env}) for _ in range(repeats)]
            )
            out[f"home, cold_{count}"] = summary(cold_home)
            out[f"home_{count}"] = summary([first_frame(CALMCOACH, env) for _ in range(repeats)])
    for count in rows:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "history.sqlite3"
            fill_history(path, count)
            out[f"stats_{count}"] = summary([time_stats(path) for _ in range(repeats)])
    return out


def fill_history(path: Path, count: int) -> None:
    from calmcoach.history import History

    History.open(path).history.close()
    db = sqlite3.connect(path)
    now = datetime.now(UTC)
    rows = []
    for i in range(count):
        moment = (now - timedelta(minutes=37 * i)).isoformat(timespec="seconds")
        rows.append(
            (
                "breathing-4-2-6" if i % 3 else "box-breathing",
                "Title",
                moment,
                moment,
                moment,
                "finished",
                180.0,
                120.0 + i % 60,
                10,
                30,
                5,
                3,
            )
        )
    db.executemany(
        "INSERT INTO sessions (exercise_id, title, started_at, updated_at, ended_at, status, "
        "planned_seconds, seconds_done, cycles_done, steps_done, rating_before, rating_after) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    db.commit()
    db.close()


def time_stats(path: Path) -> float:
    """Open the history and build the stats screen's whole page, as the app does."""
    code = (
        "import sys, time\n"
        "t = time.perf_counter()\n"
        "from pathlib import Path\n"
        "from calmcoach.history import History\n"
        "from calmcoach.ui.screens.stats import stats_text\n"
        "t = time.perf_counter()\n"
        "h = History.open(Path(sys.argv[1])).history\n"
        "stats_text(h.stats())\n"
        "print(time.perf_counter() - t)\n"
    )
    return float(
        subprocess.run([PY, "-c", code, str(path)], capture_output=True, text=True, check=True).stdout
    )


# --- main --------------------------------------------------------------------------------------------


def fmt(value: float) -> str:
    return f"{value:.4f}" if abs(value) < 0.1 else f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def compile_like_pip() -> str:
    """Byte-compile calmcoach's modules, as ``pip install`` does for every user.

    An editable checkout run with PYTHONDONTWRITEBYTECODE set (as on the CI machines)
    never gets ``.pyc`` files, and would compile every module at each start-up:
    about 15 ms that no installed copy pays."""
    import compileall

    import calmcoach

    package = Path(calmcoach.__file__).resolve().parent
    ok = compileall.compile_dir(str(package), quiet=1)
    return f"compiled in {package}" if ok else f"compiling {package} failed"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs (about 3 minutes)")
    parser.add_argument("--long", action="store_true", help="5-minute timing runs")
    parser.add_argument("--only", choices=["timing", "cpu", "startup", "scale"], action="append")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("benchmarks need tmux (Debian: apt-get install tmux)", file=sys.stderr)
        return 2
    seconds = 300.0 if args.long else 20.0 if args.quick else 60.0
    repeats = 1 if args.quick else 3
    timing_runs = 1 if args.quick else 2
    only = set(args.only or ["timing", "cpu", "startup", "scale"])
    results: dict[str, object] = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "textual": __import__("textual").__version__,
        },
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": seconds,
        "bytecode": compile_like_pip(),
    }
    rows: list[tuple[str, dict[str, float], str, float | None]] = []

    def add(
        name: str, values: list[float] | dict[str, float], baseline: str = "", ratio: float | None = None
    ) -> None:
        stats = values if isinstance(values, dict) else summary(values)
        rows.append((name, stats, baseline, ratio))

    if "timing" in only:
        for busy in (False, True):
            tag = ", busy" if busy else ""
            runs = [boundary_run(seconds, busy) for _ in range(timing_runs)]
            sleep = [chain_run("sleep", seconds, busy) for _ in range(timing_runs)]
            timer = [chain_run("timer", seconds, busy) for _ in range(timing_runs)]
            results[f"timing{'_busy' if busy else ''}"] = {
                "app": runs,
                "sleep_chain": sleep,
                "set_timer_chain": timer,
            }
            drift_sleep = statistics.median(r["drift"] for r in sleep)
            add(
                f"step event p99{tag} (ms)",
                [r["event_p99"] for r in runs],
                f"sleep chain {statistics.median(r['event_p99'] for r in sleep):.1f}, "
                f"set_timer chain {statistics.median(r['event_p99'] for r in timer):.1f}",
            )
            add(f"step event mean{tag} (ms)", [r["event_mean"] for r in runs])
            add(f"step event max{tag} (ms)", [r["event_max"] for r in runs])
            add(f"on-screen p99{tag} (ms)", [r["paint_p99"] for r in runs])
            add(f"cue play call p99{tag} (ms)", [r["play_p99"] for r in runs])
            app_drift = statistics.median(r["drift"] for r in runs)
            add(
                f"drift{tag} (ms)",
                [r["drift"] for r in runs],
                f"sleep chain {drift_sleep:.1f}, set_timer chain "
                f"{statistics.median(r['drift'] for r in timer):.1f}",
                abs(drift_sleep / app_drift) if app_drift else None,
            )
    if "cpu" in only:
        window = 10.0 if args.quick else 20.0
        cpu = [cpu_runs(window) for _ in range(1 if args.quick else 2)]
        results["cpu"] = cpu
        bare = statistics.median(c["bare_30hz"] for c in cpu)
        idle = statistics.median(c["bare_idle"] for c in cpu)
        one_hz = statistics.median(c["bare_1hz"] for c in cpu)
        for key, label, base_name, base in (
            ("breathing", "CPU breathing", "bare app redrawing a bar at 30 Hz", bare),
            ("paused", "CPU paused", "bare app idle", idle),
            ("holding", "CPU holding", "bare app changing one line at 1 Hz", one_hz),
            ("routine_step", "CPU routine step", "bare app changing one line at 1 Hz", one_hz),
        ):
            values = [c[key] for c in cpu]
            add(f"{label} (CPU-s/s)", values, f"{base_name} {base:.4f}", statistics.median(values) / base)
        add("peak RSS app (MB)", [c["rss_app_mb"] for c in cpu])
        add("peak RSS player process (MB)", [c["rss_player_mb"] for c in cpu])
    if "startup" in only:
        start = startup_runs(2 if args.quick else 7)  # start-up is noisy and cheap: more pairs
        results["startup"] = start
        imp = start["import_textual"]["median"]
        add("first frame of home (s)", start["home"], f"import textual.app {imp:.3f}")
        add("first frame / import textual.app", start["ratio"])
        add("bare app first frame (s)", start["bare_app"])
        add("calmcoach --version (s)", start["version"])
        add("--version imports textual (1 = yes)", start["version_imports_textual"] | {"min": 0, "max": 0})
    if "scale" in only:
        sizes = (10, 100) if args.quick else (10, 100, 1000)
        history_rows = (1000, 10000) if args.quick else (1000, 10000, 100000)
        scale = scale_runs(repeats, sizes, history_rows)
        results["scale"] = scale
        for key, value in scale.items():
            kind, count = key.rsplit("_", 1)
            add(f"{kind} with {count} {'rows' if kind == 'stats' else 'user files'} (s)", value)

    print(f"\ncalmcoach benchmarks: {results['machine']}  run of {seconds:g} s timing windows\n")
    print(f"{'figure':<42} {'median':>9} {'min':>9} {'max':>9}  {'goal':>6}  baseline (same run)")
    for name, stats, baseline, ratio in rows:
        goal = GOALS.get(name, INTERACTIVE if name.endswith(("user files (s)", "rows (s)")) else None)
        mark = "" if goal is None else ("ok" if stats["median"] <= goal else "MISS")
        goal_text = f"{goal:g}" if goal is not None else ""
        ratio_text = f"  ratio {ratio:.1f}x" if ratio is not None else ""
        print(
            f"{name:<42} {fmt(stats['median']):>9} {fmt(stats['min']):>9} {fmt(stats['max']):>9}  "
            f"{goal_text:>6} {mark:<4} {baseline}{ratio_text}"
        )
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2))
    print(f"\nwrote {out / 'latest.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
