"""Slow down gently in plain mode: the taps (Enter) before the first breath, and a real
run on a terminal whose taps lead it from the tapped pace into 4-2-6."""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from calmcoach.cli.plain import ask_taps
from calmcoach.data.loader import parse_file
from calmcoach.domain.model import Exercise, Origin
from tests.helpers import calmcoach_command
from tests.terminal_process import TerminalProcess

SLOW = Path(__file__).resolve().parent.parent / "exercises" / "slow-down-gently.toml"


def slow() -> Exercise:
    result = parse_file(SLOW, Origin.BUILTIN, None)
    assert isinstance(result, Exercise)
    return result


class SteppingClock:
    """A fake clock that moves on by ``step`` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.now = 100.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_enter_three_times_measures_the_breath() -> None:
    out = io.StringIO()
    assert ask_taps(slow(), stdin=io.StringIO("\n\n\n"), out=out, clock=SteppingClock(2.0)) == 2.0
    text = out.getvalue()
    assert "Press Enter as each breath comes in, 3 times" in text and "breath 3" in text
    assert "Your breath: 2 seconds. Starting there, slowing to 4-2-6 over 6 breaths." in text


@pytest.mark.parametrize("typed", ["d\n", "\nD\n", ""])
def test_d_or_the_end_of_input_starts_from_the_default(typed: str) -> None:
    out = io.StringIO()
    assert ask_taps(slow(), stdin=io.StringIO(typed), out=out, clock=SteppingClock(2.0)) is None
    assert "No taps: starting at 3-1-4, slowing to 4-2-6 over 6 breaths." in out.getvalue()


def test_no_enter_for_the_timeout_starts_from_the_default() -> None:
    read, write = os.pipe()
    try:
        stdin = os.fdopen(read, "r", closefd=False)
        out = io.StringIO()
        # The clock moves 5 s a read: the 15 s pass after a few reads, never on the wall clock.
        started = time.monotonic()
        assert ask_taps(slow(), stdin=stdin, out=out, clock=SteppingClock(5.0)) is None
        assert time.monotonic() - started < 2.0
        assert "No taps" in out.getvalue()
    finally:
        os.close(read)
        os.close(write)


def test_no_enter_after_one_breath_uses_that_breath() -> None:
    # Enter, 4 s, Enter, then nothing: one whole breath of 4 s was measured.
    read, write = os.pipe()
    try:
        stdin = os.fdopen(read, "r", closefd=False)
        clock = SteppingClock(0.0)  # moved by ticking() only
        out = io.StringIO()
        # Each line is written as the clock passes its time and read (tapped) a clock read
        # or two later, the same each run: the taps land 4 s apart on this clock.
        typed = [(0.0, b"\n"), (5.0, b"\n")]

        def ticking() -> float:
            # Once both taps are counted, on to the timeout in big steps (select waits each).
            clock.now += 5.0 if "breath 2" in out.getvalue() else 0.5
            while typed and clock.now - 100.0 >= typed[0][0]:
                os.write(write, typed.pop(0)[1])
            return clock.now

        assert ask_taps(slow(), stdin=stdin, out=out, clock=ticking) == pytest.approx(4.0)
        text = out.getvalue()
        assert "Your breath: 4 seconds. Starting there" in text and "No taps" not in text
    finally:
        os.close(read)
        os.close(write)


def test_the_safety_notes_come_before_the_tapping_prompt() -> None:
    exercise = slow()
    out = io.StringIO()
    ask_taps(exercise, stdin=io.StringIO("d\n"), out=out, clock=SteppingClock(2.0), notes=exercise.safety)
    text = out.getvalue()
    assert exercise.safety
    assert text.index(f"Note: {exercise.safety[0]}") < text.index("Press Enter as each breath comes in")


LINE = re.compile(rb"(inhale|hold|exhale)\s.*\(breath (\d+) of \d+\)")


@pytest.mark.xdist_group("real-time")
def test_a_real_plain_run_starts_at_the_tapped_pace_and_ends_in_4_2_6(cli_env: dict[str, str]) -> None:
    plain = TerminalProcess(
        [*calmcoach_command(), "run", "slow-down-gently", "--plain", "--no-sound", "--minutes", "2"], cli_env
    )
    seen: dict[tuple[int, str], float] = {}
    try:
        assert plain.read_until(b"3 times", 30), plain.output
        # The safety notes come before the taps, once.
        assert plain.output.count(b"Note: ") >= 1 and plain.output.index(b"Note: ") < plain.output.index(
            b"3 times"
        )
        for tap in range(3):  # in-breaths 1.8 s apart
            if tap:
                time.sleep(1.8)
            os.write(plain.master, b"\r")
        assert plain.read_until(b"Your breath: 1.8 seconds", 5), plain.output
        limit = time.monotonic() + 90
        done = 0
        while (7, "inhale") not in seen and time.monotonic() < limit:
            plain._pump(0.02)
            lines = plain.output.split(b"\n")
            for line in lines[done : len(lines) - 1]:
                if match := LINE.search(line):
                    seen[(int(match[2]), match[1].decode())] = time.monotonic()
            done = len(lines) - 1
        assert (7, "inhale") in seen, plain.output
        os.write(plain.master, b"\x03")
        assert plain.wait(10) == 130
    finally:
        plain.close()
    assert plain.output.count(b"Note: ") == len(slow().safety)
    # The first breath is the tapped one: 1.8 s in 4:6, the hold left out.
    assert (1, "hold") not in seen
    assert seen[(2, "inhale")] - seen[(1, "inhale")] == pytest.approx(1.8, abs=0.3)
    # The sixth is the guide's 4-2-6.
    sixth = [seen[(6, "inhale")], seen[(6, "hold")], seen[(6, "exhale")], seen[(7, "inhale")]]
    lengths = [b - a for a, b in itertools.pairwise(sixth)]
    assert lengths == pytest.approx([4.0, 2.0, 6.0], abs=0.3)
    result = subprocess.run(
        [*calmcoach_command(), "history", "--json"], capture_output=True, text=True, env=cli_env, timeout=60
    )
    (row,) = [r for r in json.loads(result.stdout) if r["type"] == "session"]
    assert row["exercise_id"] == "slow-down-gently" and row["status"] == "stopped"
    assert row["start_pace"] == pytest.approx(1.8, abs=0.2)  # the breath measured from the taps
