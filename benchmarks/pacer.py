"""The pacer's CPU cost: ``python benchmarks/pacer.py [--before REF] [--samples N] [--seconds S]``.

CPU-s/s of the app and its sound player while a 4-2-6 session breathes in a 100x30
pseudo-terminal, for the code at git ``REF`` (default ``main``) and for this working
tree, run in turns (before, after, after, before, ...) so that a machine loaded by
other work weighs on both alike. Prints the median, min and max of each and their
ratio. ``--color-system`` picks what the terminal says it shows (default truecolor,
where the pacer shades its edge). Nothing is asserted: figures are reported.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import ptyrun  # noqa: E402
from run import PY, REPO, measure, sandbox  # noqa: E402
from stats import fmt, over_runs  # noqa: E402

TERMINALS = {
    "truecolor": {"TERM": "xterm-256color", "COLORTERM": "truecolor"},
    "256": {"TERM": "xterm-256color", "COLORTERM": ""},
    "standard": {"TERM": "xterm", "COLORTERM": ""},
}
"""What the terminal says of itself, per colour system Rich then picks."""


def checkout(ref: str, into: Path) -> Path:
    """The tree at ``ref`` (the package and its exercises and sounds) unpacked into ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", ref, "calmcoach", "exercises", "sounds"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def breathing_cpu(tree: Path, terminal: dict[str, str], seconds: float) -> float:
    """CPU-s/s of one run of the code in ``tree``, over ``seconds`` of breathing."""
    with sandbox() as env:
        env.update(terminal)
        env["PYTHONPATH"] = str(tree)  # ahead of the installed (editable) calmcoach
        where = subprocess.run(
            [PY, "-c", "import calmcoach; print(calmcoach.__file__)"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=False,
            cwd=tree,  # python -c and -m put the working directory first on the path
        )
        if not where.stdout.startswith(str(tree)):
            raise SystemExit(
                f"calmcoach came from {where.stdout.strip() or where.stderr.strip()}, not {tree}"
            )
        app = ptyrun.PtyProcess(
            [PY, "-m", "calmcoach", "run", "breathing-4-2-6", "--minutes", "5"], env, cwd=str(tree)
        )
        try:
            app.wait_for("breath 1 of")
            time.sleep(1.0)
            return float(measure(app, seconds)["cpu"])
        finally:
            app.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--before", default="main", help="git ref of the code to compare with (default main)")
    parser.add_argument("--samples", type=int, default=5, help="runs of each (default 5)")
    parser.add_argument("--seconds", type=float, default=30.0, help="breathing measured per run (default 30)")
    parser.add_argument("--color-system", choices=sorted(TERMINALS), default="truecolor")
    args = parser.parse_args()
    terminal = TERMINALS[args.color_system]
    results: dict[str, list[float]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory(prefix="calmcoach-bench-pacer-") as tmp:
        trees = {"before": checkout(args.before, Path(tmp)), "after": REPO}
        for sample in range(args.samples):
            order = ("before", "after") if sample % 2 == 0 else ("after", "before")
            for name in order:
                value = breathing_cpu(trees[name], terminal, args.seconds)
                results[name].append(value)
                print(f"sample {sample + 1} {name}: {fmt(value)} CPU-s/s", flush=True)
    print(f"\nCPU while breathing, app + player ({args.color_system}, {args.seconds:g} s windows):")
    for name, values in results.items():
        got = over_runs(values)
        print(f"  {name:6} median {fmt(got.median)}  min {fmt(got.min)}  max {fmt(got.max)}  (n={got.count})")
    before, after = over_runs(results["before"]).median, over_runs(results["after"]).median
    print(f"  after / before (medians): {after / before:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
