"""Baselines for the quiet states: a bare Textual app that is idle, that changes one
short line of text once a second, or that changes big 3x3 digits once a second (as
calmcoach's countdown does: Textual's own Digits widget). Usage:
``idle_and_1hz.py idle|1hz|digits``."""

from __future__ import annotations

import sys

from textual.app import App, ComposeResult
from textual.widgets import Digits, Static


class QuietApp(App[None]):
    def __init__(self, tick: bool, digits: bool = False) -> None:
        super().__init__()
        self.tick_each_second = tick
        self.digits = digits
        self.count = 60

    def compose(self) -> ComposeResult:
        yield Static("hold", id="word")
        yield Digits("60", id="count") if self.digits else Static("60", id="count")

    def on_mount(self) -> None:
        if self.tick_each_second:
            self.set_interval(1.0, self.tick)

    def tick(self) -> None:
        self.count = self.count - 1 if self.count > 1 else 60
        count = self.query_one("#count")
        if isinstance(count, Digits):
            count.update(str(self.count))
        else:
            assert isinstance(count, Static)
            count.update(str(self.count), layout=False)


if __name__ == "__main__":
    QuietApp(tick=sys.argv[1] in ("1hz", "digits"), digits=sys.argv[1] == "digits").run()
