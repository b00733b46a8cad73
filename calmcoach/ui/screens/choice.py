"""A small modal that asks one question with a few answers (area, minutes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from calmcoach.ui.widgets.keybar import KeyBar, hint

SMALL_HEIGHT = 18
"""Below this many lines, the dialog takes the whole screen (see ``on_resize``)."""


@dataclass(frozen=True)
class Choice:
    """One answer: its value, the words shown, and an optional single key that picks it."""

    value: str
    label: str
    key: str = ""


class ChoiceScreen(ModalScreen[str | None]):
    """Ask a question; Enter or the answer's key picks, Escape cancels (gives None)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="choice.cancel", tooltip="Go back without choosing"),
        # A modal screen hides the app's keys: this one keeps the way to the red flags.
        Binding(
            "exclamation_mark",
            "app.red_flags",
            "Doctor?",
            id="choice.redflags",
            tooltip="When to see a doctor",
        ),
    ]

    def __init__(
        self,
        question: str,
        choices: list[Choice],
        default: str | None = None,
        *,
        notes: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        self.question = question
        self.choices = choices
        self.default = default
        self.notes = notes
        """Safety notes shown under the question, before anything starts (keep to one or two)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="choice"):
            yield Static(Text(self.question, style="bold"), id="choice-question")
            if self.notes:
                yield Static(Text("\n".join(self.notes)), id="choice-notes")
            options = []
            for choice in self.choices:
                label = Text(choice.label)
                if choice.key:
                    label = Text.assemble((f"{choice.key}", "bold underline"), "  ", choice.label)
                options.append(Option(label, id=choice.value))
            yield OptionList(*options, id="choice-list", markup=False)
        # How to choose and how to go back, as on every screen.
        yield KeyBar(hints=(hint("enter", "enter", "Choose", "Choose the highlighted answer"),))

    def on_mount(self) -> None:
        answers = self.query_one(OptionList)
        if self.default is not None:
            answers.highlighted = answers.get_option_index(self.default)
        answers.focus()

    def on_resize(self) -> None:
        # On a small screen the dialog fills it and the answers scroll under the notes, so
        # that the question and the notes (the emergency rule among them) are never cut.
        self.set_class(self.size.height < SMALL_HEIGHT, "-small")

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_key(self, event: events.Key) -> None:
        for choice in self.choices:
            if choice.key and event.character == choice.key:
                event.stop()
                self.dismiss(choice.value)
                return

    @on(OptionList.OptionSelected, "#choice-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)
