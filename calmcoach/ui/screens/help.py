"""The help screen: the keys, and the way to the red flags."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from calmcoach.ui.widgets.keybar import KeyBar

KEYS = [
    ("In the library", ""),
    ("type", "Filter the list by name, body area (leg, eye, hand) or tag"),
    ("Enter", "Start the highlighted exercise (f then Enter: the flare routine)"),
    ("Ctrl+F", "Start the flare routine (asks where the twitch is)"),
    ("Ctrl+F, s", "Slow down gently: from the pace you breathe now into 4-2-6"),
    ("Ctrl+S", "Your practice history and flare journal"),
    ("Esc", "Clear the filter"),
    ("Before Slow down gently", ""),
    ("space", "Tap as each breath comes in (three times)"),
    ("d", "Start from 3-1-4 without tapping"),
    ("", "15 seconds without a tap: from the breaths tapped so far, or 3-1-4 without one"),
    ("Esc or q", "Go back without a session"),
    ("During a session", ""),
    ("space", "Pause and resume; goes on past a step that waits for you"),
    ("n or →", "Next step"),
    ("b or ←", "Back a step"),
    ("p", "Next part of a program (from the breathing to the release)"),
    ("m", "Sound cues off or on (the voice too)"),
    ("v", "Spoken guidance off or on (kept for next time)"),
    ("0 to 10", "How tense you feel as you begin, if you like (for 10: 1 then 0, or t)"),
    ("q or Esc", "Stop and see the summary"),
    ("Ctrl+Z", "Suspend calmcoach (the session pauses)"),
    ("After a session", ""),
    ("0 to 10", "How tense you feel now, if you like (for 10: 1 then 0, or t)"),
    ("r", "The same exercise again"),
    ("Esc or q", "Back to the library"),
    ("In your practice history (Ctrl+S)", ""),
    ("l", "Log a flare in the journal"),
    ("d", "Report for the doctor: a PDF (or web page) in your documents folder"),
    ("Anywhere", ""),
    ("!", "When to see a doctor (a session pauses while it is open)"),
    ("?", "This help (a session pauses while it is open)"),
    ("Ctrl+P", "Commands, including light and dark themes"),
    ("Ctrl+Q", "Quit"),
]


KEY_WIDTH = max(len(key) for key, meaning in KEYS if meaning)


def keys_table() -> Group:
    """The keys in two columns: a long meaning wraps within its own column."""
    parts: list[RenderableType] = []
    table: Table | None = None
    for key, meaning in KEYS:
        if not meaning:
            parts.append(Text(f"\n{key}", style="bold underline"))
            table = Table.grid(padding=(0, 2, 0, 0), pad_edge=False)
            table.add_column(width=KEY_WIDTH, no_wrap=True)
            table.add_column(ratio=1)
            parts.append(Padding(table, (0, 0, 0, 2)))
        elif table is not None:
            table.add_row(Text(key, style="bold"), Text(meaning))
    parts.append(Text("\nPress ! for when to see a doctor.", style="italic"))
    return Group(*parts)


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
        with VerticalScroll(id="help"):
            yield Static(keys_table())
        yield KeyBar()  # how to close it, as on every screen

    async def action_red_flags(self) -> None:
        """Close help, and open the red flags in its place."""
        self.dismiss()
        await self.app.run_action("red_flags")
