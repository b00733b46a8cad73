"""Baseline: a bare Textual app that redraws a small bar 30 times a second.

``--exit-after-first-frame FILE`` writes the monotonic time of the first frame
to FILE and exits (the startup baseline).
"""

from __future__ import annotations

import sys
import time

from textual.app import App, ComposeResult
from textual.widgets import Static


class Bar(Static):
    def on_mount(self) -> None:
        self.start = time.monotonic()
        self.set_interval(1 / 30, self.tick)

    def tick(self) -> None:
        width = int(20 + 20 * ((time.monotonic() - self.start) % 4) / 4)
        self.update("█" * width)


class BareApp(App[None]):
    def __init__(self, first_frame_file: str | None) -> None:
        super().__init__()
        self.first_frame_file = first_frame_file

    def compose(self) -> ComposeResult:
        yield Bar("")

    def on_mount(self) -> None:
        if self.first_frame_file:
            self.call_after_refresh(self._first_frame)

    def _first_frame(self) -> None:
        assert self.first_frame_file
        with open(self.first_frame_file, "w") as out:
            out.write(repr(time.monotonic()))
        self.exit()


if __name__ == "__main__":
    target = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "--exit-after-first-frame" else None
    BareApp(target).run()
