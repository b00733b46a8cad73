"""calmcoach benchmarks: ``python benchmarks/run.py [--quick] [--only SECTION ...]``.

Runs the real app, its peers and naive baselines in real pseudo-terminals, times
what reaches the terminal (every write the pty gets, with its time), and prints one
table: each figure next to its goal and its baseline or peer from the same run. Every
run's raw results are kept in ``benchmarks/results/RUN.json`` (and ``latest.json``);
``--history`` prints each figure's median, min and max over the kept runs.

The peers (breathe-cli, nafas) are installed from PyPI at pinned versions into a
virtual environment of their own, made on first use under ``benchmarks/.peers``.
Nothing here is a test: goals are reported, never asserted. Needs calmcoach installed
in the Python running this script; the desktop figure needs chromium, chromium-driver
and selenium, the reminder's Xvfb, dbus-daemon and dunst (missing ones are reported).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import ptyrun  # noqa: E402
from stats import (  # noqa: E402
    Lateness,
    anchored_lateness,
    drift,
    fmt,
    over_runs,
    pair_cues,
    pooled,
    ratio,
)

REPO = HERE.parent
PY = sys.executable
CALMCOACH = (
    [str(Path(PY).parent / "calmcoach")]
    if (Path(PY).parent / "calmcoach").exists()
    else [PY, "-m", "calmcoach"]
)
RESULTS = HERE / "results"
PEERS_VENV = HERE / ".peers"
PEERS = {"breathe-cli": "1.14.0", "nafas": "1.5"}
"""The peers measured, pinned."""
RUN_ID = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}"
"""This run's name: results file, temp dirs and any tmux server use it, so runs can share a machine."""
VOICE_PREFIX = "voice:"
FRAME = 1 / 30
"""One frame at 30 frames a second, the goal's unit."""

LAUNCH = (
    "import os, sys, time; open(sys.argv[1], 'w').write(repr(time.monotonic())); "
    "os.execv(sys.argv[2], sys.argv[2:])"
)
"""Writes the launcher's timestamp, then becomes the program: start-up is from here."""


# --- the subjects of the timing runs ---------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """A program that shows breathing phases on a terminal, and its own intended pattern."""

    name: str
    argv: Callable[[float, Path], list[str]]
    """The command for a window of SECONDS, given a scratch folder."""
    pattern: re.Pattern[str]
    labels: tuple[str, ...]
    durations: tuple[float, ...]
    note: str = ""
    env: dict[str, str] = field(default_factory=dict)
    calmcoach: bool = False
    exercises: dict[str, str] = field(default_factory=dict)
    """Exercise files (id: text) put in its config dir before it starts."""


def _nafas_config(seconds: float, folder: Path) -> Path:
    # nafas's pattern: 4-2-6 exactly (its "retain" is the hold), 1 s units, 3 s of
    # "Preparing" first; cycles enough to fill the window.
    config = folder / "nafas.json"
    cycles = int(seconds // 14) + 2
    config.write_text(
        json.dumps(
            {
                "name": "4-2-6",
                "unit": 1,
                "pre": 3,
                "cycle": cycles,
                "ratio": {"inhale": 4, "retain": 2, "exhale": 6, "sustain": 0},
            }
        )
    )
    return config


MAX_WINDOW = 285.0
"""The longest timing window: the built-in 4-2-6 lasts 5 minutes at most (its file's
range), and the session must outlast the window and the start-up before it."""


def session_minutes(seconds: float) -> str:
    """Minutes of 4-2-6 that outlast a window of ``seconds`` (the file allows 2 to 5)."""
    return str(max(2, min(5, math.ceil((seconds + 15) / 60))))


RAMPING = "calmcoach, ramping 2-1-3 to 4-2-6"
"""The subject whose session changes its phase lengths over its first cycles."""
RAMP_CYCLES = 6
RAMP_EXERCISE = f"""\
title = "Benchmark ramp"
kind = "breathing"
minutes = {{ default = 3, min = 2, max = 5 }}
ramp_cycles = {RAMP_CYCLES}
[[phase]]
pace = "inhale"
seconds = {{ from = 2, to = 4 }}
say = "Breathe in"
cue = "inhale"
[[phase]]
pace = "hold"
seconds = {{ from = 1, to = 2 }}
say = "Hold"
cue = "hold"
[[phase]]
pace = "exhale"
seconds = {{ from = 3, to = 6 }}
say = "Breathe out"
cue = "exhale"
"""


def ramp_schedule(cycles: int) -> tuple[float, ...]:
    """The ramp's phase lengths, cycle after cycle, for ``cycles`` cycles: 2-1-3 evenly to
    4-2-6 over RAMP_CYCLES, then 4-2-6 (the schedule of the whole session, not one cycle)."""
    out: list[float] = []
    for cycle in range(1, cycles + 1):
        step = min(cycle - 1, RAMP_CYCLES - 1) / (RAMP_CYCLES - 1)
        out += [start + (end - start) * step for start, end in ((2, 4), (1, 2), (3, 6))]
    return tuple(out)


def subjects() -> list[Subject]:
    peer_bin = PEERS_VENV / "bin"
    chains = HERE / "baselines" / "timer_chains.py"
    phase_words = re.compile(r"(?<![A-Z])(INHALE|HOLD|EXHALE)(?![A-Z])")
    return [
        Subject(
            "calmcoach",
            lambda s, _f: [*CALMCOACH, "run", "breathing-4-2-6", "--minutes", session_minutes(s)],
            phase_words,
            ("INHALE", "HOLD", "EXHALE"),
            (4, 2, 6),
            calmcoach=True,
        ),
        Subject(
            "calmcoach --plain",
            lambda s, _f: [
                *CALMCOACH,
                "run",
                "breathing-4-2-6",
                "--plain",
                "--no-sound",
                "--minutes",
                session_minutes(s),
            ],
            re.compile(r"\d:\d\d +(inhale|hold|exhale) "),
            ("inhale", "hold", "exhale"),
            (4, 2, 6),
        ),
        Subject(
            RAMPING,
            lambda s, _f: [*CALMCOACH, "run", "bench-ramp", "--minutes", session_minutes(s)],
            phase_words,
            ("INHALE", "HOLD", "EXHALE") * 40,
            ramp_schedule(40),
            note="the whole session's schedule: each cycle of the ramp at its own length",
            calmcoach=True,
            exercises={"bench-ramp": RAMP_EXERCISE},
        ),
        Subject(
            f"breathe-cli {PEERS['breathe-cli']}",
            lambda s, _f: [
                str(peer_bin / "breathe"),
                "--ratio",
                "4-6",
                "--duration",
                str(int(s // 60) + 2),
                "--no-sound",
                "--no-log",
                "--quiet",
            ],
            re.compile(r"(?<![A-Za-z])(IN|OUT)(?![A-Za-z])"),
            ("IN", "OUT"),
            (4, 6),
            note="4-6: it takes no hold (a three-number ratio is refused)",
        ),
        Subject(
            f"nafas {PEERS['nafas']}",
            lambda s, f: [
                str(peer_bin / "nafas"),
                "--silent",
                "--skip-intro",
                "--config",
                str(_nafas_config(s, f)),
            ],
            re.compile(r"- (Inhale|Retain|Exhale) for"),
            ("Inhale", "Retain", "Exhale"),
            (4, 2, 8),
            note="4-2-6 plus the 2 s its code sleeps between cycles, counted as its own schedule",
        ),
        Subject(
            "asyncio.sleep chain (relative)",
            lambda s, _f: [PY, str(chains), "sleep", str(s + 30)],
            phase_words,
            ("INHALE", "HOLD", "EXHALE"),
            (4, 2, 6),
        ),
        Subject(
            "Textual set_timer chain (relative)",
            lambda s, _f: [PY, str(chains), "timer", str(s + 30)],
            phase_words,
            ("INHALE", "HOLD", "EXHALE"),
            (4, 2, 6),
        ),
        Subject(
            "Textual set_timer on absolute deadlines",
            lambda s, _f: [PY, str(chains), "absolute", str(s + 30)],
            phase_words,
            ("INHALE", "HOLD", "EXHALE"),
            (4, 2, 6),
        ),
    ]


# --- sandboxes ---------------------------------------------------------------------------------


@contextmanager
def sandbox() -> Iterator[dict[str, str]]:
    """The app's own dirs in a fresh temp folder, and ALSA sending sound to a file there."""
    with tempfile.TemporaryDirectory(prefix=f"calmcoach-bench-{RUN_ID}-") as tmp:
        base = Path(tmp)
        (base / "config").mkdir()
        (base / "config" / "settings.json").write_text('{"first_run_seen": true}')
        home = base / "home"
        home.mkdir()
        shutil.copy(REPO / "tests" / "audio_fixtures" / "capture.asoundrc", home / ".asoundrc")
        yield {
            "CALMCOACH_CONFIG_DIR": str(base / "config"),
            "CALMCOACH_DATA_DIR": str(base / "data"),
            "CALMCOACH_STATE_DIR": str(base / "state"),
            "CALMCOACH_CACHE_DIR": str(base / "cache"),
            "CALMCOACH_ALSA_CAPTURE": str(base / "capture.raw"),
            "HOME": str(home),
            "BENCH_BASE": str(base),
        }


def base_of(env: dict[str, str]) -> Path:
    return Path(env["BENCH_BASE"])


def read_trace(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# --- 1. boundaries at the terminal -------------------------------------------------------------


def boundary_round(seconds: float, quick: bool) -> dict[str, dict[str, Any]]:
    """Every subject side by side in the same window: each in its own pty, recorded."""
    out: dict[str, dict[str, Any]] = {}
    with ExitStack() as stack:
        running: list[tuple[Subject, ptyrun.PtyProcess, Path, dict[str, str]]] = []
        for subject in subjects():
            if quick and "(relative)" in subject.name:
                continue  # --quick keeps the fair baseline only
            env = stack.enter_context(sandbox())
            folder = base_of(env)
            if subject.exercises:
                (folder / "config" / "exercises").mkdir()
                for name, text in subject.exercises.items():
                    (folder / "config" / "exercises" / f"{name}.toml").write_text(text)
            if subject.calmcoach:
                env["CALMCOACH_TRACE"] = str(folder / "trace.jsonl")
            process = ptyrun.PtyProcess(subject.argv(seconds, folder), {**env, **subject.env})
            running.append((subject, process, folder, env))
        started = time.monotonic()
        cpu_before = {s.name: (p.cpu(), time.monotonic()) for s, p, _, _ in running}
        time.sleep(seconds)
        # CPU first, while every process is still there.
        cpu = {}
        for subject, process, _, _ in running:
            before, since = cpu_before[subject.name]
            cpu[subject.name] = ptyrun.cpu_per_second(before, process.cpu(), time.monotonic() - since)
        stopped = time.monotonic()
        for subject, process, _, _ in running:
            if subject.calmcoach:
                process.send(b"q")
        time.sleep(1.5)
        for subject, process, _, _ in running:
            if subject.calmcoach:
                process.send(b"q")
        time.sleep(1.0)
        for _, process, _, _ in running:
            process.close()
        for subject, process, folder, _ in running:
            chunks = ptyrun.merge(process.chunks)
            ptyrun.save(process.chunks, folder / "pty.jsonl")
            changes = [c for c in ptyrun.phase_changes(chunks, subject.pattern) if c[0] <= stopped]
            try:
                times, late = anchored_lateness(changes, subject.labels, subject.durations)
                problem = ""
            except ValueError as error:
                times, late, problem = [], [], str(error)
            if len(changes) < 3 and not problem:
                tail = " ".join(process.text()[-300:].split())
                problem = f"only {len(changes)} phase changes written (it ended early?): {tail}"
            record: dict[str, Any] = {
                "window_s": stopped - started,
                "times": times,
                "lateness_ms": late,
                "drift_ms": drift(times, late),
                "cpu": {f"{ptyrun.process_name(pid)}[{pid}]": v for pid, v in cpu[subject.name].items()},
                "cpu_total": sum(cpu[subject.name].values()),
                "problem": problem,
            }
            if subject.calmcoach:
                record.update(calmcoach_trace(read_trace(folder / "trace.jsonl"), chunks, subject, stopped))
            out[subject.name] = record
    return out


def calmcoach_trace(
    records: list[dict[str, Any]], chunks: list[ptyrun.Chunk], subject: Subject, stopped: float
) -> dict[str, Any]:
    """What the app's trace adds: lateness against its true deadlines, in the app, on
    screen (painted), at the terminal; which boundaries reached the terminal a frame
    late and why; cue and voice start lateness."""
    steps = [r for r in records if r["kind"] == "step" and not r.get("skipped") and r["t"] <= stopped]
    painted = {int(r["index"]): r["t"] for r in records if r["kind"] == "painted"}
    scheduled = [(r["key"], r["t"]) for r in records if r["kind"] == "scheduled"]
    played = [(r["key"], r["t"]) for r in records if r["kind"] == "played"]
    event = [1000 * (r["t"] - r["deadline"]) for r in steps[1:]]
    paint = [
        1000 * (painted[int(r["index"])] - r["deadline"]) for r in steps[1:] if int(r["index"]) in painted
    ]
    # Each boundary at the terminal: the write that carried its phase word, and any
    # frame the app wrote after it noticed the step but before that word (a frame that
    # went out without it: the word then comes a whole frame late).
    terminal: list[float] = []
    word_frames_late: list[dict[str, float]] = []
    for step in steps[1:]:
        deadline, noticed = step["deadline"], step["t"]
        # This boundary's own word (a redrawn frame may show the old one again first).
        word = re.compile(rf"(?<![A-Z]){subject.labels[int(step['index']) % len(subject.labels)]}(?![A-Z])")
        after = [(t, d) for t, d in chunks if t >= deadline]
        word_at = next((t for t, d in after if word.search(ptyrun.strip(d))), math.nan)
        if math.isnan(word_at):
            continue
        terminal.append(1000 * (word_at - deadline))
        before_word = [t for t, _ in after if noticed < t < word_at - 0.001]
        if before_word:
            word_frames_late.append(
                {
                    "deadline": deadline,
                    "noticed_ms": 1000 * (noticed - deadline),
                    "first_frame_ms": 1000 * (before_word[0] - deadline),
                    "word_ms": 1000 * (word_at - deadline),
                    "frames_without_word": len(before_word),
                }
            )
    cues_scheduled = [(k, t) for k, t in scheduled if not k.startswith(VOICE_PREFIX)]
    cues_played = [(k, t) for k, t in played if not k.startswith(VOICE_PREFIX)]
    deadlines = [r["deadline"] for r in steps]
    cue_pairs = pair_cues(cues_scheduled, cues_played, until=stopped, due=deadlines)
    voice_pairs = pair_cues(scheduled, played, until=stopped, prefix=VOICE_PREFIX, due=deadlines)
    return {
        "event_ms": event,
        "painted_ms": paint,
        "terminal_vs_deadline_ms": terminal,
        "word_a_frame_late": word_frames_late,
        "cue_ms": [1000 * (p - at) for _, at, p in cue_pairs],
        "voice_ms": [1000 * (p - at) for _, at, p in voice_pairs],
        "step_times": [r["deadline"] for r in steps[1:]],
    }


def voice_flags() -> list[str]:
    """``--eyes-closed`` (voice clips come with it), and ``--voice`` if this calmcoach has it."""
    usage = subprocess.run([*CALMCOACH, "run", "--help"], capture_output=True, text=True).stdout
    return ["--eyes-closed", *(["--voice"] if "--voice" in usage else [])]


def voice_run(seconds: float) -> dict[str, list[float]]:
    """An eyes-closed 4-2-6 session for ``seconds``: each voice clip's start (reported by
    the player) after the deadline it was handed over with, and the cues' too."""
    with sandbox() as env:
        trace = base_of(env) / "trace.jsonl"
        app = ptyrun.PtyProcess(
            [*CALMCOACH, "run", "breathing-4-2-6", "--minutes", "2", *voice_flags()],
            {**env, "CALMCOACH_TRACE": str(trace)},
        )
        try:
            app.wait_for("INHALE", timeout=60)
            time.sleep(seconds)
            stopped = time.monotonic()
            app.send(b"q")
            time.sleep(1.5)
            app.send(b"q")
            time.sleep(1.0)
        finally:
            app.close()
        records = read_trace(trace)
    scheduled = [(r["key"], r["t"]) for r in records if r["kind"] == "scheduled"]
    played = [(r["key"], r["t"]) for r in records if r["kind"] == "played"]
    voice = pair_cues(scheduled, played, until=stopped, prefix=VOICE_PREFIX)
    return {"voice_ms": [1000 * (p - at) for _, at, p in voice], "scheduled": [k for k, _ in scheduled]}


# --- 2. CPU and memory ---------------------------------------------------------------------------


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

SHORT_EXERCISE = """\
title = "Benchmark short"
kind = "breathing"
cycles = 1
[[phase]]
pace = "inhale"
seconds = 2
say = "In"
[[phase]]
pace = "exhale"
seconds = 2
say = "Out"
"""


def measure(process: ptyrun.PtyProcess, seconds: float) -> dict[str, Any]:
    """CPU-s/s of the process tree over ``seconds``, whole and per process, and peak memory."""
    before, t0 = process.cpu(), time.monotonic()
    time.sleep(seconds)
    per = ptyrun.cpu_per_second(before, process.cpu(), time.monotonic() - t0)
    memory = {pid: ptyrun.rss_mib(pid) for pid in process.tree()}
    return {
        "cpu": sum(per.values()),
        "cpu_split": {f"{ptyrun.process_name(p)}": v for p, v in per.items()},
        "rss": sum(v for v in memory.values() if not math.isnan(v)),
        "rss_split": {f"{ptyrun.process_name(p)}": v for p, v in memory.items()},
    }


def cpu_runs(window: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with sandbox() as env:
        app = ptyrun.PtyProcess([*CALMCOACH, "run", "breathing-4-2-6", "--minutes", "5"], env)
        try:
            app.wait_for("breath 1 of")
            time.sleep(1.0)
            out["breathing"] = measure(app, window)
            app.send(b" ")
            app.wait_for("Paused", since=app.count)
            time.sleep(0.5)
            out["paused"] = measure(app, window)
        finally:
            app.close()
        app = ptyrun.PtyProcess([*CALMCOACH, "run", "tension-release", "--area", "hand"], env)
        try:
            app.wait_for("Open and close")
            time.sleep(1.0)
            out["routine_step"] = measure(app, min(window, 25))
        finally:
            app.close()
        exercises = Path(env["CALMCOACH_CONFIG_DIR"]) / "exercises"
        exercises.mkdir()
        (exercises / "bench-hold.toml").write_text(HOLD_EXERCISE)
        app = ptyrun.PtyProcess([*CALMCOACH, "run", "bench-hold"], env)
        try:
            app.wait_for("HOLD")
            time.sleep(0.5)
            out["holding"] = measure(app, min(window, 50))
        finally:
            app.close()
    for name, argv in (
        ("bare_30hz", [PY, str(HERE / "baselines" / "bare_bar.py")]),
        ("bare_idle", [PY, str(HERE / "baselines" / "idle_and_1hz.py"), "idle"]),
        ("bare_1hz", [PY, str(HERE / "baselines" / "idle_and_1hz.py"), "1hz"]),
        ("bare_digits", [PY, str(HERE / "baselines" / "idle_and_1hz.py"), "digits"]),
        ("bare_session", [PY, str(HERE / "baselines" / "idle_and_1hz.py"), "session"]),
    ):
        bare = ptyrun.PtyProcess(argv)
        try:
            time.sleep(1.5)
            out[name] = measure(bare, window)
        finally:
            bare.close()
    return out


# --- 3. start-up -----------------------------------------------------------------------------------


def first_frame(argv: list[str], env: dict[str, str], frame_file: Path | None = None) -> float:
    """Launcher timestamp to the app's first-frame callback (the trace hook, or the bare
    app's own file), in seconds; the app runs in a pty and exits after its first frame."""
    with tempfile.TemporaryDirectory(prefix=f"calmcoach-start-{RUN_ID}-") as tmp:
        t0_file = Path(tmp) / "t0"
        trace = Path(tmp) / "trace.jsonl"
        extra = {"CALMCOACH_TRACE": str(trace), "CALMCOACH_EXIT_AFTER_FIRST_FRAME": "1"}
        command = [str(frame_file) if a == "{frame}" else a for a in argv]
        process = ptyrun.PtyProcess([PY, "-c", LAUNCH, str(t0_file), *command], {**env, **extra})
        try:
            process.process.wait(60)
        finally:
            process.close()
        t0 = float(t0_file.read_text())
        if frame_file is not None:
            return float(frame_file.read_text()) - t0
        return next(r["t"] for r in read_trace(trace) if r["kind"] == "first_frame") - t0


def import_in_process() -> float:
    code = "import time; t = time.perf_counter(); import textual.app; print(time.perf_counter() - t)"
    return float(subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True).stdout)


def startup_runs(repeats: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {"home": [], "bare_app": [], "import_textual": [], "ratio": []}
    with sandbox() as env, tempfile.TemporaryDirectory() as tmp:
        frame = Path(tmp) / "frame"
        bare = [PY, str(HERE / "baselines" / "bare_bar.py"), "--exit-after-first-frame", "{frame}"]
        first_frame(CALMCOACH, env)  # warm the disk cache and the parse cache; not counted
        for _ in range(repeats):
            results["import_textual"].append(import_in_process())
            home = first_frame(CALMCOACH, env)
            bare_app = first_frame(bare, {}, frame)
            results["home"].append(home)
            results["bare_app"].append(bare_app)
            results["ratio"].append(home / bare_app)
    return results


# --- 4. scale, typing and frame gaps -------------------------------------------------------------


def flare_copies(folder: Path, count: int) -> None:
    """``count`` user copies of the flare routine (a program: the expensive case)."""
    source = (REPO / "exercises" / "flare.toml").read_text()
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"user-flare-{i:04d}.toml").write_text(
            source.replace('title = "Flare routine"', f'title = "Flare copy {i:04d}"')
        )


def gaps_between(records: list[dict[str, Any]], start: float, end: float) -> float:
    """The longest wait of the app's loop (ms) between ``start`` and ``end`` (gap probe)."""
    # A gap recorded at t covers (t - seconds, t): count it if it overlaps the window.
    gaps = [
        r["seconds"]
        for r in records
        if r["kind"] == "gap" and r["t"] >= start and r["t"] - r["seconds"] <= end
    ]
    from calmcoach.ui.trace import GAP_RECORDED

    return 1000 * max(gaps, default=GAP_RECORDED)


def home_typing(count: int, keystrokes: int) -> dict[str, Any]:
    """Type into home's filter with ``count`` user programs: per keystroke, from the key
    written to the pty to the next write back (its frame); and the loop's longest wait."""
    with sandbox() as env:
        flare_copies(Path(env["CALMCOACH_CONFIG_DIR"]) / "exercises", count)
        trace = base_of(env) / "trace.jsonl"
        app = ptyrun.PtyProcess(
            CALMCOACH, {**env, "CALMCOACH_TRACE": str(trace), "CALMCOACH_TRACE_GAPS": "1"}
        )
        latencies: list[float] = []
        try:
            app.wait_for("flare routine", timeout=60)
            time.sleep(1.5)
            start = time.monotonic()
            text = "flare copy 09"
            for i in range(keystrokes):
                char = text[i % len(text)].encode()
                if i and i % len(text) == 0:
                    for _ in range(len(text)):  # clear the filter again
                        mark = app.count
                        sent = app.send(b"\x7f")
                        latencies.append(wait_write(app, mark, sent))
                        time.sleep(0.12)
                mark = app.count
                sent = app.send(char)
                latencies.append(wait_write(app, mark, sent))
                time.sleep(0.12)
            end = time.monotonic()
            time.sleep(0.3)
        finally:
            app.close()
        return {"keystroke_ms": latencies, "gap_ms": gaps_between(read_trace(trace), start, end)}


def typing_runs(count: int, runs: int, keystrokes: int) -> dict[str, list[dict[str, Any]]]:
    """``home_typing`` with ``count`` user programs and with none, taken in turns."""
    out: dict[str, list[dict[str, Any]]] = {"programs": [], "none": []}
    for _ in range(runs):
        out["programs"].append(home_typing(count, keystrokes))
        out["none"].append(home_typing(0, keystrokes))
    return out


def wait_write(app: ptyrun.PtyProcess, mark: int, sent: float, timeout: float = 5) -> float:
    """ms from ``sent`` to the first write after chunk ``mark``."""
    limit = time.monotonic() + timeout
    while time.monotonic() < limit:
        with app._lock:
            if len(app.chunks) > mark:
                return 1000 * (app.chunks[mark][0] - sent)
        time.sleep(0.001)
    raise RuntimeError("no frame came back within 5 s of a keystroke")


def eyes_closed_gaps() -> dict[str, float]:
    """The loop's longest wait while an eyes-closed session starts, and while it is
    started again from its summary (``r``): the new tones are made then."""
    with sandbox() as env:
        folder = Path(env["CALMCOACH_CONFIG_DIR"]) / "exercises"
        folder.mkdir()
        (folder / "bench-short.toml").write_text(SHORT_EXERCISE)
        trace = base_of(env) / "trace.jsonl"
        app = ptyrun.PtyProcess(
            [*CALMCOACH, "run", "bench-short", "--eyes-closed"],
            {**env, "CALMCOACH_TRACE": str(trace), "CALMCOACH_TRACE_GAPS": "1"},
        )
        try:
            app.wait_for("INHALE", timeout=30)
            opened = time.monotonic()
            app.wait_for("Again", timeout=30, since=app.count)
            time.sleep(0.5)
            mark = app.count
            again = app.send(b"r")
            app.wait_for("INHALE", timeout=30, since=mark)
            time.sleep(2.0)
            end = time.monotonic()
        finally:
            app.close()
        records = read_trace(trace)
        first = next(r["t"] for r in records if r["kind"] == "first_frame")
        return {
            "start_gap_ms": gaps_between(records, first, opened + 2.0),
            "again_gap_ms": gaps_between(records, again, end),
        }


def screen_push_gaps() -> dict[str, float]:
    """The floor: a bare Textual app pushing a screen of the same widgets, then again."""
    with tempfile.TemporaryDirectory(prefix=f"calmcoach-bench-{RUN_ID}-") as tmp:
        out = Path(tmp) / "gaps.json"
        app = ptyrun.PtyProcess([PY, str(HERE / "baselines" / "screen_push.py"), str(out)])
        try:
            app.process.wait(30)
        finally:
            app.close()
        return dict(json.loads(out.read_text()))


def eyes_closed_runs(runs: int) -> dict[str, list[dict[str, float]]]:
    """Eyes-closed start and repeat gaps, and the bare screen push, taken in turns."""
    out: dict[str, list[dict[str, float]]] = {"calmcoach": [], "bare": []}
    for _ in range(runs):
        out["calmcoach"].append(eyes_closed_gaps())
        out["bare"].append(screen_push_gaps())
    return out


def list_time(env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([*CALMCOACH, "list"], capture_output=True, check=True, env={**os.environ, **env})
    return time.perf_counter() - start


def scale_runs(repeats: int, count: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"list_cold": [], "list": [], "home_cold": [], "home": []}
    with sandbox() as env:
        flare_copies(Path(env["CALMCOACH_CONFIG_DIR"]) / "exercises", count)
        cache = Path(env["CALMCOACH_CACHE_DIR"])
        for _ in range(repeats):
            shutil.rmtree(cache, ignore_errors=True)
            out["list_cold"].append(list_time(env))
            out["list"].append(list_time(env))
            shutil.rmtree(cache, ignore_errors=True)
            out["home_cold"].append(first_frame(CALMCOACH, env))
            out["home"].append(first_frame(CALMCOACH, env))
    return out


def history_file(env: dict[str, str]) -> Path:
    code = "from calmcoach.data import locations; print(locations.history_file())"
    found = subprocess.run(
        [PY, "-c", code], capture_output=True, text=True, check=True, env={**os.environ, **env}
    )
    return Path(found.stdout.strip())


def fill_history(path: Path, count: int) -> None:
    from calmcoach.data.history import History

    path.parent.mkdir(parents=True, exist_ok=True)
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
    """The query and the page's text alone, without the screen (for comparison)."""
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from calmcoach.data.history import History\n"
        "from calmcoach.ui.screens.stats import stats_text\n"
        "t = time.perf_counter()\n"
        "h = History.open(Path(sys.argv[1]), check=False).history\n"
        "stats_text(h.stats())\n"
        "print(time.perf_counter() - t)\n"
    )
    return float(
        subprocess.run([PY, "-c", code, str(path)], capture_output=True, text=True, check=True).stdout
    )


def stats_screen(rows: int, repeats: int) -> dict[str, list[float]]:
    """From Ctrl+S on home to the Textual stats screen's first frame with its figures
    (the first write showing the page), with ``rows`` sessions in the history."""
    out: dict[str, list[float]] = {"screen": [], "query": []}
    with sandbox() as env:
        path = history_file(env)
        fill_history(path, rows)
        for _ in range(repeats):
            out["query"].append(time_stats(path))
            app = ptyrun.PtyProcess(CALMCOACH, env)
            try:
                app.wait_for("flare routine", timeout=30)
                time.sleep(1.5)  # services (history, player) started, as a person would find them
                mark = app.count
                sent = app.send(b"\x13")  # Ctrl+S
                shown = app.wait_for("Your practice", since=mark)
                out["screen"].append(shown - sent)
            finally:
                app.close()
    return out


def fill_report_history(path: Path, flares: int, sessions: int) -> None:
    """``sessions`` rated sessions (one in five skipped ahead) and ``flares`` flares over four
    areas, with triggers (one of them the person's own, with markup) and a note on every
    seventh, as ``calmcoach report`` meets them."""
    from calmcoach.data.history import History

    path.parent.mkdir(parents=True, exist_ok=True)
    History.open(path).history.close()
    db = sqlite3.connect(path)
    now = datetime.now(UTC)
    rows = []
    for i in range(sessions):
        moment = (now - timedelta(minutes=7 * i)).isoformat(timespec="seconds")
        spent = 60.0 if i % 5 == 0 else 120.0 + i % 60
        rows.append(
            ("breathing-4-2-6" if i % 3 else "flare", "Title", moment, moment, moment, spent, 6, 3 + i % 4)
        )
    db.executemany(
        "INSERT INTO sessions (exercise_id, title, started_at, updated_at, ended_at, status, "
        "planned_seconds, seconds_done, position_seconds, cycles_done, steps_done, "
        "rating_before, rating_after) "
        "VALUES (?, ?, ?, ?, ?, 'finished', 180, ?, 180, 10, 30, ?, ?)",
        rows,
    )
    areas = ("eyelid", "leg", "hand", "general")
    triggers = ("caffeine", "poor sleep", "stress spike", "<b>my own</b> words")
    db.executemany(
        "INSERT INTO flares (logged_at, area, intensity, triggers, note) VALUES (?, ?, ?, ?, ?)",
        [
            (
                (now - timedelta(minutes=61 * i)).isoformat(timespec="seconds"),
                areas[i % 4],
                i % 11,
                json.dumps(list(triggers[: i % 5])),
                f"note {i}, after a long day" if i % 7 == 0 else "",
            )
            for i in range(flares)
        ],
    )
    db.commit()
    db.close()


REPORT_FLARES, REPORT_SESSIONS = 10_000, 100_000


def report_runs(repeats: int) -> dict[str, list[float]]:
    """``calmcoach report --out`` from the command to the file written (the whole process: its
    start, reading the history, the figures, the charts and the file), with
    REPORT_FLARES flares and REPORT_SESSIONS sessions, for each format."""
    out: dict[str, list[float]] = {"pdf": [], "html": [], "md": [], "text": []}
    with sandbox() as env:
        fill_report_history(history_file(env), REPORT_FLARES, REPORT_SESSIONS)
        full = {**os.environ, **env}
        for _ in range(repeats):
            for kind in out:
                target = base_of(env) / f"report.{kind}"
                command = [*CALMCOACH, "report"] + ([] if kind == "text" else ["--out", str(target)])
                start = time.perf_counter()
                subprocess.run(command, env=full, check=True, stdout=subprocess.DEVNULL)
                out[kind].append(time.perf_counter() - start)
    return out


# --- 5. desktop and reminder (their own scripts) -------------------------------------------------


def json_tail(text: str) -> Any:
    start = text.find("\n{")
    return json.loads(text[start + 1 :] if start >= 0 else text)


def desktop_runs(runs: int) -> dict[str, Any]:
    done = subprocess.run(
        [PY, str(HERE / "desktop.py"), "--runs", str(runs), "--json"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        return {"problem": (done.stderr or done.stdout).strip().splitlines()[-1:]}
    out = dict(json_tail(done.stdout))
    out["floor"] = desktop_floor(runs)
    return out


def desktop_floor(runs: int) -> dict[str, Any]:
    """The floor under the desktop's start (desktop_trace.py): a bare Textual app served by
    our server and by textual-serve to the same headless Chromium, and started in a
    terminal, in the same rounds as calmcoach's own desktop and terminal starts."""
    with tempfile.TemporaryDirectory(prefix=f"calmcoach-bench-{RUN_ID}-") as tmp:
        raw = Path(tmp) / "floor.json"
        done = subprocess.run(
            [PY, str(HERE / "desktop_trace.py"), "--runs", str(runs), "--json-file", str(raw)],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if done.returncode != 0 or not raw.exists():
            return {"problem": (done.stderr or done.stdout).strip().splitlines()[-1:]}
        return dict(json.loads(raw.read_text()))


def remind_run(seconds: float) -> dict[str, Any]:
    done = subprocess.run(
        [PY, str(HERE / "remind.py"), "--seconds", str(seconds)], capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        return {"problem": (done.stderr or done.stdout).strip().splitlines()[-1:]}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# --- peers ----------------------------------------------------------------------------------------


def ensure_peers() -> dict[str, str]:
    """Make the peers' venv with the pinned versions (once); return the versions found."""
    pip = PEERS_VENV / "bin" / "pip"
    wanted = [f"{name}=={version}" for name, version in PEERS.items()]
    stamp = PEERS_VENV / "pinned.txt"
    if not stamp.exists() or stamp.read_text().split() != wanted:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(PEERS_VENV)], check=True)
        subprocess.run([str(pip), "install", "-q", *wanted], check=True)
        stamp.write_text("\n".join(wanted))
    found = subprocess.run([str(pip), "freeze"], capture_output=True, text=True, check=True).stdout
    versions = {line.split("==")[0]: line.split("==")[1] for line in found.split() if "==" in line}
    return {name: versions.get(name, "missing") for name in PEERS}


# --- the table --------------------------------------------------------------------------------------


@dataclass
class Row:
    figure: str
    value: str
    goal: str = ""
    verdict: str = ""
    compare: str = ""


def floor_text(floor: dict[str, Any] | None) -> str:
    """The desktop's floor, as ratios of medians to the same app in a terminal."""
    if not floor or "problem" in floor:
        return f"; floor not measured ({floor['problem']})" if floor else ""

    def drawn(key: str) -> float:
        values = [r["drawn"] for r in floor.get(key, []) if "drawn" in r]
        return statistics.median(values) if values else math.nan

    parts = [
        f"bare Textual app served by calmcoach's server {fmt(ratio(drawn('bare'), drawn('bare terminal')))}x "
        "its terminal start",
        f"by textual-serve {fmt(ratio(drawn('textual-serve'), drawn('bare terminal')))}x",
        f"calmcoach in the same rounds {fmt(ratio(drawn('calmcoach'), drawn('terminal')))}x",
    ]
    return f"; floor (desktop_trace.py, {len(floor.get('bare', []))} rounds): " + ", ".join(parts)


def verdict(met: bool | None) -> str:
    return "" if met is None else ("met" if met else "MISSED")


def build_table(results: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    timing = results.get("timing")
    if timing:
        rounds: list[dict[str, Any]] = timing["rounds"]
        names = list(rounds[0])
        pools = {n: pooled([r[n]["lateness_ms"] for r in rounds]) for n in names}
        drifts = {n: over_runs([r[n]["drift_ms"] for r in rounds]) for n in names}
        cpus = {n: over_runs([r[n]["cpu_total"] for r in rounds]) for n in names}
        cc = pools["calmcoach"]
        peers = [n for n in names if n.startswith(("breathe-cli", "nafas"))]

        def tail(n: str) -> float:
            return pools[n].tail[1]

        best_peer = min(
            peers, key=lambda n: abs(tail(n)) if not math.isnan(tail(n)) else math.inf, default=""
        )
        compare = "; ".join(
            f"{n}: {pools[n].tail_text()} ({fmt(ratio(tail(n), cc.tail[1]))}x)"
            for n in names
            if n not in ("calmcoach", RAMPING)
        )
        name, value = cc.tail
        rows.append(
            Row(
                f"boundary lateness at the terminal, {name} (pty)",
                cc.tail_text(),
                "<= 33 ms and >= 10x better than the best peer",
                verdict(
                    value <= 1000 * FRAME and bool(best_peer) and ratio(tail(best_peer), value) >= 10
                    if not math.isnan(value)
                    else None
                ),
                f"best peer {best_peer} is {fmt(ratio(tail(best_peer), value))}x; " + compare,
            )
        )
        if RAMPING in pools:  # runs kept before the ramping session was measured have no row
            ramp = pools[RAMPING]
            ramp_true = pooled([r[RAMPING]["terminal_vs_deadline_ms"] for r in rounds])
            rows.append(
                Row(
                    f"  same, a ramping session ({RAMP_CYCLES} cycles 2-1-3 to 4-2-6), {ramp.tail[0]}",
                    ramp.tail_text(),
                    "<= 33 ms",
                    verdict(ramp.tail[1] <= 1000 * FRAME if not math.isnan(ramp.tail[1]) else None),
                    f"steady 4-2-6 (calmcoach above) in the same run: {cc.tail_text()}; p50 "
                    f"{fmt(ramp.p50)} ms (steady {fmt(cc.p50)}); its phase word vs true deadline "
                    f"p50 {fmt(ramp_true.p50)} ms, {ramp_true.tail_text()}",
                )
            )
        rows.append(
            Row(
                "  same, p50",
                f"{fmt(cc.p50)} ms",
                "",
                "",
                "; ".join(f"{n}: {fmt(pools[n].p50)}" for n in names if n != "calmcoach"),
            )
        )
        best_drift = min(
            peers, key=lambda n: abs(drifts[n].median) if not math.isnan(drifts[n].median) else math.inf
        )
        d = drifts["calmcoach"]
        drift_ratio = ratio(abs(drifts[best_drift].median), abs(d.median))
        rows.append(
            Row(
                "drift over 5 min (least-squares slope)",
                d.text("ms"),
                "<= 3 ms and >= 100x better than the best peer",
                verdict(abs(d.median) <= 3 and drift_ratio >= 100),
                f"best peer {best_drift} {fmt(drifts[best_drift].median)} ms ({fmt(drift_ratio)}x); "
                + "; ".join(
                    f"{n}: {fmt(drifts[n].median)}" for n in names if n not in ("calmcoach", best_drift)
                ),
            )
        )
        rows.append(
            Row(
                "CPU while breathing, whole app (CPU-s/s)",
                cpus["calmcoach"].text(),
                "",
                "",
                "; ".join(
                    f"{n}: {fmt(cpus[n].median)} ({fmt(ratio(cpus[n].median, cpus['calmcoach'].median))}x)"
                    for n in names
                    if n != "calmcoach"
                ),
            )
        )
        # What the trace adds for calmcoach.
        cc_runs = [r["calmcoach"] for r in rounds]
        true = pooled([r["terminal_vs_deadline_ms"] for r in cc_runs])
        late_words = [w for r in cc_runs for w in r["word_a_frame_late"]]
        rows.append(
            Row(
                "  phase word at the terminal vs true deadline",
                f"p50 {fmt(true.p50)} ms, {true.tail_text()}",
                "",
                "",
                f"{len(late_words)} of {true.count} boundaries had a frame written after the app "
                "noticed the step but without its word (the word came a frame later)",
            )
        )
        event = pooled([r["event_ms"] for r in cc_runs])
        paint = pooled([r["painted_ms"] for r in cc_runs])
        rows.append(
            Row("  step noticed in the app (trace)", event.tail_text(), "", "", f"p50 {fmt(event.p50)} ms")
        )
        rows.append(
            Row(
                "  screen painted, app's callback (trace)",
                paint.tail_text(),
                "",
                "",
                f"p50 {fmt(paint.p50)} ms",
            )
        )
        cue = pooled([r["cue_ms"] for r in cc_runs])
        rows.append(
            Row(
                "cue start after its deadline (player)",
                cue.tail_text(),
                "<= 2 ms",
                verdict(cue.tail[1] <= 2 if cue.count else None),
            )
        )
        voice = pooled([r["voice_ms"] for r in cc_runs] + [r["voice_ms"] for r in results.get("voice", [])])
        rows.append(
            Row(
                "voice clip start after its deadline (player)",
                voice.tail_text() if voice.count else "no samples yet",
                "p99 <= 2 ms",
                verdict(voice.tail[1] <= 2 if voice.count else None),
                "eyes-closed 4-2-6 sessions"
                if voice.count
                else "no voice clip was handed to the player in this run (this calmcoach has no voice yet)",
            )
        )
    cpu = results.get("cpu")
    if cpu:
        one_hz = over_runs([c["bare_1hz"]["cpu"] for c in cpu])
        digits = over_runs([c["bare_digits"]["cpu"] for c in cpu if "bare_digits" in c])
        session = over_runs([c["bare_session"]["cpu"] for c in cpu if "bare_session" in c])
        for key, label in (("holding", "CPU holding"), ("routine_step", "CPU on a routine step")):
            value = over_runs([c[key]["cpu"] for c in cpu])
            share = ratio(value.median, one_hz.median)
            split = cpu[0][key]["cpu_split"]
            rows.append(
                Row(
                    f"{label}, app + player (CPU-s/s)",
                    value.text(),
                    "<= 1.3x bare Textual app changing one line at 1 Hz",
                    verdict(share <= 1.3),
                    f"bare 1 Hz app {fmt(one_hz.median)} ({fmt(share)}x)"
                    + (
                        f"; bare app changing big digits (Textual Digits) at 1 Hz {fmt(digits.median)} "
                        f"({fmt(ratio(value.median, digits.median))}x)"
                        if digits.count
                        else ""
                    )
                    + (
                        f"; bare app showing a screen of stock widgets built like the session "
                        f"screen, its digits changing at 1 Hz {fmt(session.median)} "
                        f"({fmt(ratio(value.median, session.median))}x)"
                        if session.count
                        else ""
                    )
                    + "; split "
                    + ", ".join(f"{k} {fmt(v)}" for k, v in split.items()),
                )
            )
        for key, label, base in (
            ("breathing", "CPU breathing, app + player", "bare_30hz"),
            ("paused", "CPU paused, app + player", "bare_idle"),
        ):
            value = over_runs([c[key]["cpu"] for c in cpu])
            b = over_runs([c[base]["cpu"] for c in cpu])
            rows.append(
                Row(
                    f"{label} (CPU-s/s)",
                    value.text(),
                    "",
                    "",
                    f"{base.replace('_', ' ')} {fmt(b.median)} ({fmt(ratio(value.median, b.median))}x)",
                )
            )
        memory = over_runs([c["breathing"]["rss"] for c in cpu])
        split = cpu[0]["breathing"]["rss_split"]
        rows.append(
            Row(
                "whole app memory, app + player (peak RSS, MiB)",
                memory.text(),
                "<= 60 MiB",
                verdict(memory.median <= 60),
                "split " + ", ".join(f"{k} {fmt(v)}" for k, v in split.items()),
            )
        )
    start = results.get("startup")
    if start:
        ratio_runs = over_runs(start["ratio"])
        rows.append(
            Row(
                "first frame: calmcoach home / bare Textual app",
                ratio_runs.text("x"),
                "",
                "",
                f"home {fmt(1000 * statistics.median(start['home']))} ms, bare app "
                f"{fmt(1000 * statistics.median(start['bare_app']))} ms, import textual.app in-process "
                f"{fmt(1000 * statistics.median(start['import_textual']))} ms",
            )
        )
    scale = results.get("scale")
    if scale:
        n = scale["count"]
        for key, label in (
            ("home_cold", f"home first frame, {n} user programs, first start after a change (s)"),
            ("home", f"home first frame, {n} user programs (s)"),
            ("list", f"`calmcoach list`, {n} user programs (s)"),
        ):
            value = over_runs(scale["runs"][key])
            floor = (
                f"no user programs: home {fmt(statistics.median(start['home']))} s, bare Textual app "
                f"{fmt(statistics.median(start['bare_app']))} s (first frame, same run)"
                if start and key != "list"
                else ""
            )
            rows.append(Row(label, value.text(), "< 0.5 s", verdict(value.median < 0.5), floor))
        typing = [
            *([scale["typing"]] if "typing" in scale else []),
            *scale.get("typing_runs", {}).get("programs", []),
        ]
        none = scale.get("typing_runs", {}).get("none", [])
        keys = Lateness(tuple(ms for run in typing for ms in run["keystroke_ms"]))
        keys_none = Lateness(tuple(ms for run in none for ms in run["keystroke_ms"]))
        rows.append(
            Row(
                f"home filter, keystroke to its frame, {n} programs (pty)",
                f"p50 {fmt(keys.p50)} ms, {keys.tail_text()}",
                "",
                "",
                f"no user programs: p50 {fmt(keys_none.p50)} ms, {keys_none.tail_text()}" if none else "",
            )
        )
        gap = over_runs([run["gap_ms"] for run in typing])
        gap_none = over_runs([run["gap_ms"] for run in none])
        rows.append(
            Row(
                f"largest frame gap while typing in home, {n} programs (loop probe)",
                gap.text("ms"),
                "<= 50 ms",
                verdict(gap.median <= 50),
                f"the same typing with no user programs {gap_none.text('ms')}" if none else "",
            )
        )
        eyes = scale["eyes_closed"]
        if "calmcoach" not in eyes:  # a run kept before the bare screen push was measured
            eyes = {"calmcoach": [eyes], "bare": []}
        for key, label in (("start_gap_ms", "starting"), ("again_gap_ms", "repeating (r)")):
            gap = over_runs([e[key] for e in eyes["calmcoach"]])
            bare = over_runs([e[key] for e in eyes["bare"]])
            rows.append(
                Row(
                    f"largest frame gap {label} an eyes-closed session",
                    gap.text("ms"),
                    "<= 50 ms",
                    verdict(gap.median <= 50),
                    f"bare Textual app pushing a screen of the same widgets {bare.text('ms')}"
                    if bare.count
                    else "",
                )
            )
        for rows_count, runs in scale["stats"].items():
            screen = over_runs(runs["screen"])
            rows.append(
                Row(
                    f"stats screen first frame, {int(rows_count):,} sessions (s)",
                    screen.text(),
                    "< 0.5 s",
                    verdict(screen.median < 0.5),
                    f"query and text alone {fmt(statistics.median(runs['query']))} s",
                )
            )
    report = results.get("report")
    if report:
        pdf = over_runs(report["runs"]["pdf"])
        others = "; ".join(
            f"{kind} {over_runs(report['runs'][kind]).text('s')}" for kind in ("html", "md", "text")
        )
        rows.append(
            Row(
                f"report for the doctor, {report['flares']:,} flares and {report['sessions']:,} sessions, "
                "PDF written (s)",
                pdf.text(),
                "< 2 s",
                verdict(pdf.median < 2),
                f"the whole command; {others}",
            )
        )
    desktop = results.get("desktop")
    if desktop:
        if "problem" in desktop:
            rows.append(
                Row("desktop: library drawn in the page", "not measured", "", "", str(desktop["problem"]))
            )
        else:
            drawn = [r["drawn"] for r in desktop["desktop"]]
            polled = [r.get("drawn_polled", r["drawn"]) for r in desktop["desktop"]]
            terminal = desktop["terminal"]
            share = ratio(statistics.median(drawn), statistics.median(terminal))
            rows.append(
                Row(
                    "desktop: `calmcoach desktop` to home drawn in the page (headless Chromium)",
                    over_runs(drawn).text("s"),
                    "<= 2x the terminal app's first frame",
                    verdict(share <= 2),
                    f"terminal, library drawn {fmt(statistics.median(terminal))} s ({fmt(share)}x); "
                    "drawn = the words in the page's terminal, seen inside the page; seen through "
                    f"the driver {fmt(statistics.median(polled))} s" + floor_text(desktop.get("floor")),
                )
            )
            whole = over_runs([r["server"] + r["app"] + r["player"] for r in desktop["desktop"]])
            first = desktop["desktop"][0]
            rows.append(
                Row(
                    "desktop memory, server + app + player (RSS, MiB)",
                    whole.text(),
                    "",
                    "",
                    f"server {fmt(first['server'])}, app {fmt(first['app'])}, player {fmt(first['player'])}",
                )
            )
            if "cpu_server" in first:
                cpu_whole = over_runs(
                    [r["cpu_server"] + r["cpu_app"] + r["cpu_player"] for r in desktop["desktop"]]
                )
                rows.append(
                    Row(
                        "desktop CPU with home shown, server + app + player (CPU-s/s)",
                        cpu_whole.text(),
                        "",
                        "",
                        f"server {fmt(first['cpu_server'])}, app {fmt(first['cpu_app'])}, "
                        f"player {fmt(first['cpu_player'])}",
                    )
                )
    remind = results.get("remind")
    if remind:
        if "problem" in remind:
            rows.append(Row("reminder process", "not measured", "", "", str(remind["problem"])))
        else:
            rows.append(
                Row(
                    "reminder process: memory (max RSS, MiB)",
                    fmt(remind["rss_mib_max"]),
                    "<= 30 MiB",
                    verdict(remind["rss_mib_max"] <= 30),
                    f"USS {fmt(remind['uss_mib'])} MiB",
                )
            )
            per_second = remind["cpu_percent"] / 100
            rows.append(
                Row(
                    "reminder process: idle CPU (CPU-s/s)",
                    fmt(per_second),
                    "< 0.0005",
                    verdict(per_second < 0.0005),
                    f"{fmt(remind['cpu_s_per_hour'])} CPU-s an hour",
                )
            )
    return rows


def print_table(rows: list[Row]) -> None:
    width = max(len(r.figure) for r in rows)
    value_width = max(len(r.value) for r in rows)
    for row in rows:
        goal = f"{row.goal} [{row.verdict}]" if row.verdict else row.goal
        print(f"{row.figure:<{width}}  {row.value:<{value_width}}  {goal}")
        if row.compare:
            print(f"{'':<{width}}    same run: {row.compare}")


def markdown_table(rows: list[Row]) -> str:
    lines = ["| figure | calmcoach | goal | baseline or peer, same run |", "| --- | --- | --- | --- |"]
    for row in rows:
        goal = (
            f"{row.goal}, **{row.verdict.lower()}**"
            if row.verdict == "MISSED"
            else (f"{row.goal}, {row.verdict}" if row.verdict else row.goal)
        )
        lines.append(f"| {row.figure.strip()} | {row.value} | {goal} | {row.compare} |")
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------------------


def compile_like_pip() -> str:
    """Byte-compile calmcoach's modules, as ``pip install`` does for every user (an
    editable checkout run with PYTHONDONTWRITEBYTECODE set never gets ``.pyc`` files)."""
    import compileall

    import calmcoach

    package = Path(calmcoach.__file__).resolve().parent
    ok = compileall.compile_dir(str(package), quiet=1)
    return f"compiled in {package}" if ok else f"compiling {package} failed"


def history_summary() -> None:
    """Each figure's median, min and max over every kept run."""
    runs = sorted(RESULTS.glob("2*.json"))
    values: dict[str, list[str]] = {}
    for path in runs:
        data = json.loads(path.read_text())
        for row in data.get("table", []):
            values.setdefault(row["figure"], []).append(row["value"])
    print(f"{len(runs)} kept runs in {RESULTS}")
    for figure, seen in values.items():
        print(f"{figure}: " + " | ".join(seen))


SECTIONS = ("timing", "cpu", "startup", "scale", "report", "desktop", "remind")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short windows, under 5 minutes")
    parser.add_argument("--only", choices=SECTIONS, action="append")
    parser.add_argument("--rounds", type=int, help="timing rounds (default 5; 1 with --quick)")
    parser.add_argument("--seconds", type=float, help="timing window (default 245; 30 with --quick)")
    parser.add_argument("--history", action="store_true", help="print the kept runs' figures and exit")
    parser.add_argument(
        "--table",
        nargs="+",
        type=Path,
        metavar="RESULT",
        help="print the table of kept results (a later file's sections replace an earlier one's)",
    )
    args = parser.parse_args()
    if args.history:
        history_summary()
        return 0
    if args.table:
        merged: dict[str, Any] = {}
        for path in args.table:
            merged.update(json.loads(path.read_text()))
        rows = build_table(merged)
        print_table(rows)
        print()
        print(markdown_table(rows))
        return 0
    quick = args.quick
    only = set(args.only or SECTIONS)
    seconds = args.seconds or (30.0 if quick else 245.0)
    rounds = args.rounds or (1 if quick else 5)
    if seconds > MAX_WINDOW:
        parser.error(f"--seconds: at most {MAX_WINDOW:g} (4-2-6 runs 5 minutes at most)")
    began = time.monotonic()
    results: dict[str, Any] = {
        "run": RUN_ID,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", "benchmarks/run.py", *sys.argv[1:]]),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "textual": __import__("textual").__version__,
        },
        "bytecode": compile_like_pip(),
    }
    if "timing" in only:
        results["peers"] = ensure_peers()
        runs = [boundary_round(seconds, quick) for _ in range(rounds)]
        results["timing"] = {"seconds": seconds, "rounds": runs}
        for run in runs:
            for name, record in run.items():
                if record["problem"]:
                    print(f"warning: {name}: {record['problem']}", file=sys.stderr)
    if "timing" in only:
        results["voice"] = [voice_run(26.0) for _ in range(1 if quick else 3)]
    if "cpu" in only:
        results["cpu"] = [cpu_runs(6.0 if quick else 20.0) for _ in range(1 if quick else 2)]
    if "startup" in only:
        results["startup"] = startup_runs(3 if quick else 9)
    if "scale" in only:
        count = 1000
        results["scale"] = {
            "count": count,
            "runs": scale_runs(1 if quick else 3, count),
            # --quick types only in the turns below (programs, then none), to stay under 5 min.
            **({} if quick else {"typing": home_typing(count, 39)}),
            # More runs, and the floor: the same typing in home with no user programs.
            "typing_runs": typing_runs(count, 1 if quick else 3, 13 if quick else 39),
            "eyes_closed": eyes_closed_runs(1 if quick else 3),
            "stats": {
                str(n): stats_screen(n, 1 if quick else 3)
                for n in ((1000, 100000) if quick else (1000, 10000, 100000))
            },
        }
    if "report" in only:
        results["report"] = {
            "flares": REPORT_FLARES,
            "sessions": REPORT_SESSIONS,
            "runs": report_runs(1 if quick else 5),
        }
    if "desktop" in only:
        results["desktop"] = desktop_runs(1 if quick else 3)
    if "remind" in only:
        results["remind"] = remind_run(10.0 if quick else 120.0)
    results["elapsed_s"] = time.monotonic() - began
    table = build_table(results)
    results["table"] = [row.__dict__ for row in table]
    print(
        f"\ncalmcoach benchmarks {results['date']}: {results['machine']}, peers {results.get('peers', {})}, "
        f"timing {rounds} round(s) of {seconds:g} s (every program side by side), "
        f"{results['elapsed_s']:.0f} s\n"
    )
    print_table(table)
    RESULTS.mkdir(exist_ok=True)
    text = json.dumps(results, indent=1)
    (RESULTS / f"{RUN_ID}.json").write_text(text)
    (RESULTS / "latest.json").write_text(text)
    (RESULTS / "latest.md").write_text(markdown_table(table) + "\n")
    print(f"\nwrote {RESULTS / (RUN_ID + '.json')} and latest.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
