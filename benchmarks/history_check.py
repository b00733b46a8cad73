"""What the quick check on opening the history costs: PRAGMA quick_check and History.open
(with and without the check) on 1,000, 10,000 and 100,000 sessions.

    python benchmarks/history_check.py          # wall time
    python benchmarks/history_check.py --cpu    # CPU time of this process (steadier on a busy machine)

Prints the fastest and the median of seven runs of each, in milliseconds.
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from calmcoach.data.history import History

CLOCK = time.process_time if "--cpu" in sys.argv else time.perf_counter
RUNS = 7


def fill(path: Path, count: int) -> None:
    """``count`` finished sessions (and a flare for every tenth), as a real history holds them."""
    History.open(path).history.close()
    db = sqlite3.connect(path)
    now = datetime.now(UTC)
    rows = []
    for i in range(count):
        moment = (now - timedelta(minutes=37 * i)).isoformat(timespec="seconds")
        rows.append((moment, moment, moment, 120.0 + i % 60))
    db.executemany(
        "INSERT INTO sessions (exercise_id, title, started_at, updated_at, ended_at, status, "
        "planned_seconds, seconds_done, position_seconds, cycles_done, steps_done, area, "
        "rating_before, rating_after) VALUES ('breathing-4-2-6', '4-2-6 breathing', ?, ?, ?, "
        "'finished', 180, ?, 120, 10, 30, 'eyelid', 6, 3)",
        rows,
    )
    db.executemany(
        "INSERT INTO flares (logged_at, area, intensity) VALUES (?, 'eyelid', 5)",
        [(row[0],) for row in rows[: count // 10]],
    )
    db.commit()
    db.close()


def timed(action: Callable[[], None]) -> tuple[float, float]:
    """(fastest, median) of RUNS runs, in milliseconds."""
    times = []
    for _ in range(RUNS):
        start = CLOCK()
        action()
        times.append((CLOCK() - start) * 1000)
    return min(times), statistics.median(times)


def measure(path: Path) -> str:
    """One line of figures for the history at ``path``."""

    def quick_check() -> None:
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA quick_check").fetchall() == [("ok",)]
        db.close()

    check = timed(quick_check)
    with_check = timed(lambda: History.open(path).history.close())
    without = timed(lambda: History.open(path, check=False).history.close())
    return (
        f"quick_check {check[0]:6.1f} / {check[1]:6.1f}   "
        f"open with it {with_check[0]:6.1f} / {with_check[1]:6.1f}   "
        f"without {without[0]:4.1f} / {without[1]:4.1f}"
    )


def main() -> None:
    print(f"{'cpu' if CLOCK is time.process_time else 'wall'} time, fastest / median of {RUNS}, ms")
    for count in (1_000, 10_000, 100_000):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "history.sqlite3"
            fill(path, count)
            size = path.stat().st_size / 1e6
            print(f"{count:>7} sessions ({size:4.1f} MB): {measure(path)}")


if __name__ == "__main__":
    main()
