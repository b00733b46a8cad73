"""Safety screens: the red flags ("When to see a doctor") and the first-run note."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Static

from calmcoach.redflags import SafetyText
from calmcoach.ui.widgets.keybar import KeyBar

URGENCY_LABEL = {
    "emergency": "EMERGENCY",
    "urgent": "URGENT",
    "soon": "THIS WEEK",
    "check": "GET CHECKED",
}


class RedFlagsScreen(Screen[None]):
    """The red flags and what to do about each, read from a data file."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "app.pop_screen", "Back", id="redflags.back", tooltip="Close this page"),
    ]

    def __init__(self, text: SafetyText) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="redflags"):
            yield Static(Text("When to see a doctor", style="bold"), classes="page-title")
            yield Static(Text(self.text.intro), classes="page-text")
            for flag in self.text.flags:
                line = Text()
                line.append(
                    f" {URGENCY_LABEL.get(flag.urgency, flag.urgency.upper())} ", style="bold reverse"
                )
                line.append(f"  {flag.sign}\n", style="bold")
                line.append(f"    {flag.action}")
                yield Static(line, classes=f"flag -{flag.urgency}")
            if self.text.habits:
                yield Static(Text("Habits that help over time", style="bold"), classes="page-subtitle")
                yield Static(Text("\n".join(f"• {h}" for h in self.text.habits)), classes="page-text")
            yield Static(Text(self.text.disclaimer, style="italic"), classes="page-text")
        yield KeyBar()


class FirstRunNote(ModalScreen[None]):
    """Shown once, on the first run: what calmcoach is not. Any key dismisses it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,escape,space", "dismiss", "OK", id="firstrun.ok", tooltip="Close this note"),
    ]

    def __init__(self, disclaimer: str) -> None:
        super().__init__()
        self.disclaimer = disclaimer

    def compose(self) -> ComposeResult:
        with Vertical(id="first-run"):
            yield Static(Text("Welcome to calmcoach", style="bold"))
            yield Static(Text(self.disclaimer))
            yield Static(Text("Press ! at any time for the signs that mean a twitch should be checked."))
            yield Button("OK", id="first-run-ok", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
