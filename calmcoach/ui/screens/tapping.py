"""Before a tapped start: the person breathes as they are and taps space at each
in-breath; the screen posts the measured breath (or None for the default) up to the app.

Time is the app's clock (fake in tests): the wait without a tap ends on it, read by a
short timer, so a test moves the clock instead of sleeping."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from calmcoach.domain import pace
from calmcoach.domain.model import Exercise
from calmcoach.domain.planner import PlanOptions
from calmcoach.ui.widgets.keybar import KeyBar

if TYPE_CHECKING:
    from calmcoach.domain.session import Clock

TICK = 0.1
"""How often the screen reads the clock for the wait without a tap."""


class TappingScreen(Screen[None]):
    """Count the taps of the in-breaths; post :class:`Tapped` when done."""

    DEFAULT_CSS = """
    TappingScreen { align: center middle; }
    #tapping { width: 60; max-width: 95%; height: auto; padding: 1 2; border: round $accent; }
    #tapping-count { margin: 1 0; text-style: bold; }
    #tapping-skip { color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "tap", "Tap", id="tapping.tap", tooltip="Tap as a breath comes in"),
        Binding(
            "escape",
            "skip",
            "Skip",
            id="tapping.skip",
            tooltip="Start from the exercise's usual slow pace without tapping",
        ),
    ]

    class Tapped(Message):
        """The taps are done: ``breath`` in seconds, or None for the exercise's default."""

        def __init__(self, exercise_id: str, options: PlanOptions, breath: float | None) -> None:
            super().__init__()
            self.exercise_id = exercise_id
            self.options = options
            self.breath = breath

    def __init__(self, exercise: Exercise, options: PlanOptions, clock: Clock) -> None:
        super().__init__()
        self.exercise = exercise
        self.options = options
        self.clock = clock
        self.tapping = pace.Tapping()
        self.deadline = clock() + pace.TIMEOUT
        self.finished = False

    def compose(self) -> ComposeResult:
        with Vertical(id="tapping"):
            yield Static(Text(self.exercise.title, style="bold"), id="tapping-title")
            yield Static(Text(pace.TAP_LINE), id="tapping-line")
            yield Static(self._count(), id="tapping-count")
            yield Static(
                Text(
                    f"Esc, or no tap for {pace.TIMEOUT:g} seconds: start from "
                    f"{pace.default_text(self.exercise)}."
                ),
                id="tapping-skip",
            )
        yield KeyBar()

    def _count(self) -> Text:
        done = len(self.tapping.times)
        dots = " ".join("●" if i < done else "○" for i in range(pace.TAPS))
        return Text(f"{dots}   {done} of {pace.TAPS} breaths")

    def on_mount(self) -> None:
        self.set_interval(TICK, self.check_time)

    def check_time(self) -> None:
        """End with the default once the wait without a tap is over."""
        if not self.finished and self.clock() >= self.deadline:
            self._finish(None)

    def action_tap(self) -> None:
        if self.finished:
            return
        now = self.clock()
        if self.tapping.tap(now):
            self.deadline = now + pace.TIMEOUT
            self.query_one("#tapping-count", Static).update(self._count())
        if self.tapping.done:
            self._finish(self.tapping.breath)

    def action_skip(self) -> None:
        if not self.finished:
            self._finish(None)

    def _finish(self, breath: float | None) -> None:
        self.finished = True
        self.post_message(self.Tapped(self.exercise.id, self.options, breath))
