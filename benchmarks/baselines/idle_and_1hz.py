"""Baselines for the quiet states: a bare Textual app that is idle, or that changes
one short line of text once a second (as a countdown does). Usage: ``idle_and_1hz.py idle|1hz``."""

from __future__ import annotations

import sys

from textual.app import App, ComposeResult
from textual.widgets import Static


class QuietApp(App[None]):
    def __init__(self, tick: bool) -> None:
        super().__init__()
        self.tick_each_second = tick
        self.count = 60

    def compose(self) -> ComposeResult:
        yield Static("hold", id="word")
        yield Static("60", id="count")

    def on_mount(self) -> None:
        if self.tick_each_second:
            self.set_interval(1.0, self.tick)

    def tick(self) -> None:
        self.count = self.count - 1 if self.count > 1 else 60
        self.query_one("#count", Static).update(str(self.count), layout=False)


if __name__ == "__main__":
    QuietApp(tick=sys.argv[1] == "1hz").run()
