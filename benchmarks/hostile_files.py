"""Hostile exercise files: how long each takes to refuse, and how much memory.

``python benchmarks/hostile_files.py [--runs N]``

For each nasty file (huge, binary, FIFO, a link to /dev/zero, deep nesting, 1e-9-second
phases, 100 000 steps in a small file, escape codes, the largest file that loads, a
program at the segment cap...) this prints, over N runs:

- load: ``parse_file`` of that file alone, in this process (median, min, max in ms);
- plan: for a file that loads, planning it every way the home screen does (each area);
- lengths: the same lengths from ``planner.duration``, which builds no timeline;
- list: ``calmcoach list`` in a fresh process with only that file in the user's
  exercises dir: wall time and peak RSS (median, min, max), next to the same command
  with no user file at all (the baseline row), so the file's own share shows.

The goal it reports against: no file makes a command take a second longer or 100 MB
more. Nothing here is a test: figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable
LIST = """
import sys
from calmcoach.cli import main
code = main(["list"])
with open("/proc/self/status") as status:
    peak = next(line for line in status if line.startswith("VmHWM:")).split()[1]
sys.stderr.write(f"peak-kib {peak}\\n")
raise SystemExit(code)
"""
"""``calmcoach list`` that reports its own peak RSS (VmHWM belongs to the process after
exec: the fork's copy of this benchmark's memory does not count, as it would in wait4)."""
GOAL_SECONDS = 1.0
GOAL_MB = 100.0
ESCAPES = "\\u001b]0;PWNED\\u0007\\u001b]52;c;aGVsbG8=\\u0007\\u001b[2J"
BREATH = 'title = "B"\nkind = "breathing"\nsummary = "s"\n'


def _phases(count: int, seconds: str = "1") -> str:
    return ",".join(f'{{pace = "hold", seconds = {seconds}, say = "x"}}' for _ in range(count))


def make_files(directory: Path) -> dict[str, Path]:
    """Each nasty file in its own folder (so each ``list`` sees only it), by name."""
    from calmcoach.data.tomlfile import MAX_FILE_BYTES

    def folder(name: str) -> Path:
        path = directory / name
        path.mkdir(parents=True)
        return path

    made: dict[str, Path] = {}

    def text(name: str, content: str | bytes, extra: dict[str, str] | None = None) -> None:
        where = folder(name)
        path = where / f"{name}.toml"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        for other, other_text in (extra or {}).items():
            (where / f"{other}.toml").write_text(other_text)
        made[name] = path

    folder("baseline")
    made["baseline"] = directory / "baseline" / "none.toml"
    text("huge", b"#" * (8 * MAX_FILE_BYTES))
    text("binary", os.urandom(MAX_FILE_BYTES))
    fifo = folder("fifo") / "fifo.toml"
    os.mkfifo(fifo)
    made["fifo"] = fifo
    zero = folder("dev-zero") / "dev-zero.toml"
    zero.symlink_to("/dev/zero")
    made["dev-zero"] = zero
    text("deep-500", "tags = " + "[" * 500 + "]" * 500 + "\n")
    text("deep-5000", "tags = " + "[" * 5000 + "]" * 5000 + "\n")
    text("deep-at-limit", "tags = " + "[" * (MAX_FILE_BYTES // 2 - 8) + "]" * (MAX_FILE_BYTES // 2 - 8))
    text("phase-1e-9", f'{BREATH}cycles = 3\n[[phase]]\npace = "inhale"\nseconds = 1e-9\nsay = "in"\n')
    text("100000-steps", f"{BREATH}cycles = 1000\nphase = [{_phases(100)}]\n")
    largest = (MAX_FILE_BYTES - 200) // len(_phases(1) + ",")
    text("largest-that-loads", f"{BREATH}cycles = 1\nphase = [{_phases(largest)}]\n")
    text("escape-codes", f'title = "T"\nkind = "{ESCAPES}"\n"k{ESCAPES}" = 1\n')
    keys = "".join(f"unknown{i} = 1\n" for i in range(MAX_FILE_BYTES // 16))
    text("4000-unknown-keys", f'title = "T"\nkind = "routine"\n{keys}[[step]]\nsay = "a"\nseconds = 2\n')
    text("dotted-key-16000", "a" + ".a" * 16_000 + " = 1\n")
    sixteen = ".".join(["a"] * 15)
    text("16-part-keys", "".join(f"{sixteen}.k{i} = 1\n" for i in range(MAX_FILE_BYTES // 44)))
    text("tables-at-limit", "".join(f"[t{i}]\n" for i in range(MAX_FILE_BYTES // 10)))
    newlines = chr(10) * (MAX_FILE_BYTES - 100)
    text("blank-lines", f'title = "B"\nkind = "routine"\nsummary = """{newlines}"""\n')
    fast = f"{BREATH}minutes = {{ default = 120, min = 1, max = 120 }}\nphase = [{_phases(2, '0.5')}]\n"
    parts = '[[part]]\nexercise = "fast"\nminutes = 120\n[[part]]\nexercise = "fast"\nminutes = 15\n'
    text("program-near-cap", f'title = "P"\nkind = "program"\n{parts}', {"fast": fast})
    with_areas = '[[part]]\nexercise = "fast"\nminutes = 120\n[[part]]\nexercise = "tension-release"\n'
    text("program-cap-4-areas", f'title = "P"\nkind = "program"\n{with_areas}', {"fast": fast})
    parts_over = '[[part]]\nexercise = "fast"\nminutes = 120\n' * 2
    text("program-over-cap", f'title = "P"\nkind = "program"\n{parts_over}', {"fast": fast})
    return made


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):8.1f} {min(values):8.1f} {max(values):8.1f}"


def timed(work: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        out.append((time.perf_counter() - started) * 1000)
    return out


def list_in_process(user_dir: Path, home: Path) -> tuple[float, float]:
    """Wall ms and peak RSS MB of ``calmcoach list`` with this user exercises dir."""
    config = home / "config"
    config.mkdir()
    (config / "exercises").symlink_to(user_dir)
    env = dict(os.environ)
    env.update(
        CALMCOACH_CONFIG_DIR=str(config),
        CALMCOACH_DATA_DIR=str(home / "data"),
        CALMCOACH_STATE_DIR=str(home / "state"),
        CALMCOACH_CACHE_DIR=str(home / "cache"),
    )
    started = time.perf_counter()
    done = subprocess.run(
        [PY, "-c", LIST], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True
    )
    elapsed = (time.perf_counter() - started) * 1000
    peak = next(line for line in done.stderr.splitlines() if line.startswith("peak-kib "))
    return elapsed, int(peak.split()[1]) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from calmcoach.data import locations
    from calmcoach.data.loader import Library, load_library, parse_file
    from calmcoach.domain.model import Exercise, Origin
    from calmcoach.domain.planner import PlanError, PlanOptions, areas_of, duration, plan

    print(f"calmcoach hostile files, {args.runs} runs each, Python {sys.version.split()[0]}")
    print(f"goal: no file adds more than {GOAL_SECONDS:g} s or {GOAL_MB:g} MB to a command")
    print()
    head = f"{'file':<20} {'load ms (med min max)':>26} {'plan ms (med min max)':>26}"
    head += f" {'lengths ms (med min max)':>26}"
    print(f"{head} {'list ms (med min max)':>26} {'list peak RSS MB':>26}  result")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        files = make_files(root / "files")
        for name, path in files.items():
            directory = path.parent
            load = plan_cell = length_cell = "-"
            result = ""
            if path.exists() or path.is_symlink():
                loads = timed(lambda path=path: parse_file(path, Origin.USER, None), args.runs)
                load = spread(loads)
                library: Library = load_library(locations.builtin_exercises_dir(), directory, None)
                broken = [b for b in library.broken if b.id == name]
                if broken:
                    result = str(broken[0].problems[0].message)[:60]
                exercise = library.get(name)
                if isinstance(exercise, Exercise):
                    result = "loads"

                    def plan_all(exercise: Exercise = exercise, library: Library = library) -> None:
                        for area in areas_of(exercise, library.exercises) or (None,):
                            with contextlib.suppress(PlanError):
                                plan(exercise, PlanOptions(area=area), library.exercises)

                    def lengths(exercise: Exercise = exercise, library: Library = library) -> None:
                        for area in areas_of(exercise, library.exercises) or (None,):
                            with contextlib.suppress(PlanError):
                                duration(exercise, PlanOptions(area=area), library.exercises)

                    plan_cell = spread(timed(plan_all, args.runs))
                    length_cell = spread(timed(lengths, args.runs))
            walls, peaks = [], []
            for run in range(args.runs):
                home = root / "homes" / f"{name}-{run}"
                home.mkdir(parents=True)
                wall, peak = list_in_process(directory, home)
                walls.append(wall)
                peaks.append(peak)
            print(
                f"{name:<20} {load:>26} {plan_cell:>26} {length_cell:>26} {spread(walls):>26} "
                f"{spread(peaks):>26}  {result}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
