"""Baseline: a bare Textual app that pushes a screen built like calmcoach's session screen.

The floor for "largest frame gap on starting or repeating a session": the same kinds
and number of Textual widgets (a heading, a note, a list of steps, a big area, the
instruction, a word beside big digits, a hint, a progress line, a footer), pushed once,
then popped and pushed again, with the same loop probe as calmcoach's trace
(``calmcoach.ui.trace``: a wake-up every 5 ms). Writes JSON with the largest gap (ms)
around the first push and around the second to the file given as its argument.
"""

from __future__ import annotations

import json
import sys
import time
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Digits, Footer, OptionList, Static

PROBE = 0.005


class Session(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        ("space", "noop", "Pause"),
        ("n", "noop", "Next"),
        ("q", "noop", "Stop"),
    ]
    DEFAULT_CSS = """
    #body { height: 1fr; }
    #steps { width: 32; height: 1fr; border: round $panel; }
    #main { height: 1fr; align: center middle; }
    #area { height: 1fr; }
    #row { height: 3; align-horizontal: center; }
    #word, #pad { width: 8; height: 3; }
    #countdown { width: auto; }
    """

    def compose(self) -> ComposeResult:
        yield Static("Breathing  ·  breath 1 of 10", id="heading")
        yield Static("Sit or lie down somewhere comfortable before you begin.", id="note")
        with Horizontal(id="body"):
            yield OptionList(*[f"Step {n}  (0:30)" for n in range(12)], id="steps")
            with Vertical(id="main"):
                yield Static("●" * 20, id="area")
                yield Static("Breathe in slowly through your nose", id="say")
                with Horizontal(id="row"):
                    yield Static("INHALE", id="word")
                    yield Digits("4", id="countdown")
                    yield Static(id="pad")
                yield Static("Optional: how tense are you now?", id="hint")
        yield Static("━" * 10 + "─" * 30 + "  2 min left", id="progress")
        yield Footer()


class PushApp(App[None]):
    def __init__(self, out: str) -> None:
        super().__init__()
        self.out = out
        self.gaps: list[tuple[float, float]] = []
        self.marks: dict[str, float] = {}
        self.last = time.monotonic()

    def compose(self) -> ComposeResult:
        yield Static("home")

    def on_mount(self) -> None:
        self.set_interval(PROBE, self.wake)
        self.set_timer(1.0, self.first)

    def wake(self) -> None:
        now = time.monotonic()
        self.gaps.append((now, now - self.last))
        self.last = now

    def first(self) -> None:
        self.marks["first"] = time.monotonic()
        self.push_screen(Session())
        self.set_timer(1.5, self.again)

    def again(self) -> None:
        self.pop_screen()
        self.marks["again"] = time.monotonic()
        self.push_screen(Session())
        self.set_timer(1.5, self.done)

    def done(self) -> None:
        def largest(start: float, end: float) -> float:
            return 1000 * max((s for t, s in self.gaps if start <= t and t - s <= end), default=0.0)

        first, again = self.marks["first"], self.marks["again"]
        with open(self.out, "w") as handle:
            json.dump(
                {"start_gap_ms": largest(first, again - 0.1), "again_gap_ms": largest(again, again + 1.4)},
                handle,
            )
        self.exit()


if __name__ == "__main__":
    PushApp(sys.argv[1]).run()
