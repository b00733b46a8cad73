"""The help screen: the keys, and the way to the red flags."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = [
    ("In the library", ""),
    ("type", "Filter the list by name, body area (leg, eye, hand) or tag"),
    ("Enter", "Start the highlighted exercise (f then Enter: the flare routine)"),
    ("Ctrl+F", "Start the flare routine (asks where the twitch is)"),
    ("Ctrl+S", "Your practice history and flare journal"),
    ("Esc", "Clear the filter"),
    ("During a session", ""),
    ("space", "Pause and resume; goes on past a step that waits for you"),
    ("n or →", "Next step"),
    ("b or ←", "Back a step"),
    ("p", "Next part of a program (from the breathing to the release)"),
    ("m", "Sound cues off or on"),
    ("q or Esc", "Stop and see the summary"),
    ("Ctrl+Z", "Suspend calmcoach (the session pauses)"),
    ("Anywhere", ""),
    ("!", "When to see a doctor (a session pauses while it is open)"),
    ("?", "This help (a session pauses while it is open)"),
    ("Ctrl+P", "Commands, including light and dark themes"),
    ("Ctrl+Q", "Quit"),
]


class HelpScreen(ModalScreen[None]):
    """Keys, in plain words."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "app.pop_screen", "Close", id="help.close", tooltip="Close help"),
        Binding(
            "exclamation_mark",
            "red_flags",
            "When to see a doctor",
            id="help.redflags",
            tooltip="The signs that mean a twitch should be checked",
        ),
    ]

    def compose(self) -> ComposeResult:
        text = Text()
        for key, meaning in KEYS:
            if not meaning:
                text.append(f"\n{key}\n", style="bold underline")
            else:
                text.append(f"  {key:<12}", style="bold")
                text.append(f"{meaning}\n")
        text.append("\nPress ! for when to see a doctor.", style="italic")
        with VerticalScroll(id="help"):
            yield Static(text)

    def action_red_flags(self) -> None:
        from calmcoach.ui.app import CalmApp

        self.app.pop_screen()
        if isinstance(self.app, CalmApp):
            self.app.action_red_flags()
