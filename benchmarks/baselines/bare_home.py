"""The floor for the desktop figure: a bare Textual app whose one line holds the words the
desktop benchmark waits for ("flare routine"), so it is timed exactly as calmcoach's home."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static


class BareHome(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("bare app: flare routine")


if __name__ == "__main__":
    BareHome().run()
