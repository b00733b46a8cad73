"""Baselines for the quiet states: a bare Textual app that is idle, that changes one
short line of text once a second, that changes big 3x3 digits once a second (as
calmcoach's countdown does: Textual's own Digits widget), or that shows a screen built
from stock widgets like calmcoach's session screen (``screen_push.Session``) and changes
its digits once a second. Usage: ``idle_and_1hz.py idle|1hz|digits|session``."""

from __future__ import annotations

import sys

from screen_push import Session  # this folder is on the path when run as a script
from textual.app import App, ComposeResult
from textual.widgets import Digits, Static


class QuietApp(App[None]):
    def __init__(self, tick: bool, digits: bool = False, session: bool = False) -> None:
        super().__init__()
        self.tick_each_second = tick
        self.digits = digits
        self.session = session
        self.count = 60

    def compose(self) -> ComposeResult:
        yield Static("hold", id="word")
        yield Digits("60", id="count") if self.digits else Static("60", id="count")

    def on_mount(self) -> None:
        if self.session:
            self.push_screen(Session())
        if self.tick_each_second:
            self.set_interval(1.0, self.tick)

    def tick(self) -> None:
        self.count = self.count - 1 if self.count > 1 else 60
        count = self.screen.query_one("#countdown" if self.session else "#count")
        if isinstance(count, Digits):
            count.update(str(self.count))
        else:
            assert isinstance(count, Static)
            count.update(str(self.count), layout=False)


if __name__ == "__main__":
    mode = sys.argv[1]
    QuietApp(
        tick=mode in ("1hz", "digits", "session"), digits=mode == "digits", session=mode == "session"
    ).run()
