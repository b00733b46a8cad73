"""Plain-mode commands (``calmcoach run ... --plain``, ``calmcoach flare ... --plain``) run in
this process, through ``cli.main`` and everything it sets up (options, plan, history,
cues), with the runner on a fake clock: a 7-minute flare routine takes no real time.

Only the runner's clock and sleep are replaced, through the ``base_clock`` and ``sleep``
that :class:`~calmcoach.cli.plain.PlainRunner` takes; ``tests/test_cli.py`` keeps real
processes on a real terminal for the entry point itself.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from typing import Any

import pytest

from calmcoach import cli
from calmcoach.cli import plain
from tests.clocks import FakeClock


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


class Typed(io.StringIO):
    """Standard input holding ``text``; a terminal if ``tty`` (for the flare question).

    With ``think``, each line is read only after that many seconds at the prompt, spent as
    plain mode spends them: the clock moving in small steps with the session read between
    (real plain mode reads it every ``MAX_WAIT`` while it waits)."""

    def __init__(self, text: str, *, tty: bool = False, think: float = 0.0) -> None:
        super().__init__(text)
        self.tty, self.think = tty, think
        self.runner: plain.PlainRunner | None = None
        self.clock: FakeClock | None = None

    def isatty(self) -> bool:
        return self.tty

    def readline(self, size: int | None = -1) -> str:
        if self.think and self.runner is not None and self.clock is not None:
            for _ in range(round(self.think / plain.MAX_WAIT)):
                self.clock.advance(plain.MAX_WAIT)
                self.runner.conductor.poll()
        return super().readline(size)


def run_plain_command(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stdin: Typed
) -> Ran:
    """``calmcoach ARGV`` in this process, its plain runner on a fake clock."""
    clock = FakeClock()

    def sleep(seconds: float) -> None:
        # A real sleep always lets some time pass; a wait of a rounding error (a deadline
        # read through the sped-up clock) would otherwise leave the fake clock where it is.
        clock.advance(max(seconds, 1e-6))

    class FakeTimeRunner(plain.PlainRunner):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **{**kwargs, "base_clock": clock, "sleep": sleep})
            stdin.runner, stdin.clock = self, clock

    # run_plain imports the runner from its module when a session starts.
    monkeypatch.setattr(plain, "PlainRunner", FakeTimeRunner)
    monkeypatch.setattr(sys, "stdin", stdin)
    code = cli.main(argv)
    captured = capsys.readouterr()
    return Ran(code, captured.out, captured.err)
