"""Before a tapped start: the person breathes as they are and taps space at each
in-breath; the screen posts the measured breath (or None for the default) up to the app,
or that the person cancelled.

Time is the app's clock (fake in tests): the wait without a tap ends on it, read by a
short timer, so a test moves the clock instead of sleeping. While another screen covers
this one (the red flags, help) the wait stands still and that time is not a breath."""

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
    #tapping-note { color: $warning; margin-bottom: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "tap", "Tap", id="tapping.tap", tooltip="Tap as a breath comes in"),
        Binding(
            "d",
            "skip",
            "Default pace",
            id="tapping.default",
            tooltip="Start from the exercise's usual slow pace without tapping",
        ),
        Binding("escape", "cancel", "Cancel", id="tapping.cancel", tooltip="Go back: no session"),
        Binding("q", "cancel", "Cancel", show=False, id="tapping.quit", tooltip="Go back: no session"),
        Binding(
            "exclamation_mark",
            "app.red_flags",
            "Doctor?",
            id="tapping.redflags",
            tooltip="When to see a doctor (the wait for a tap stands still meanwhile)",
        ),
    ]

    class Tapped(Message):
        """The taps are done: ``breath`` in seconds, or None for the exercise's default."""

        def __init__(self, exercise_id: str, options: PlanOptions, breath: float | None) -> None:
            super().__init__()
            self.exercise_id = exercise_id
            self.options = options
            self.breath = breath

    class Cancelled(Message):
        """The person went back without a session."""

    def __init__(self, exercise: Exercise, options: PlanOptions, clock: Clock) -> None:
        super().__init__()
        self.exercise = exercise
        self.options = options
        self.clock = clock
        self.tapping = pace.Tapping()
        self.deadline = clock() + pace.TIMEOUT
        self.finished = False
        self._covered_at: float | None = None
        """When another screen came over this one (None: this one is on top)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="tapping"):
            yield Static(Text(self.exercise.title, style="bold"), id="tapping-title")
            if self.exercise.safety:
                yield Static(Text(self.exercise.safety[0]), id="tapping-note")
            yield Static(Text(pace.TAP_LINE), id="tapping-line")
            yield Static(self._count(), id="tapping-count")
            yield Static(
                Text(
                    f"d, or no tap for {pace.TIMEOUT:g} seconds: start from "
                    f"{pace.default_text(self.exercise)} (or from the breaths tapped so far). "
                    "Esc: go back."
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

    def on_screen_suspend(self) -> None:
        self._covered_at = self.clock()

    def on_screen_resume(self) -> None:
        if self._covered_at is None:  # the first time it is shown
            return
        # The time under the other screen neither ends the wait nor counts in a breath.
        covered = max(0.0, self.clock() - self._covered_at)
        self._covered_at = None
        self.deadline += covered
        self.tapping.times = [t + covered for t in self.tapping.times]

    def check_time(self) -> None:
        """Once the wait without a tap is over, end with the breaths tapped so far (if
        there is a whole one) or the default."""
        if not self.finished and self._covered_at is None and self.clock() >= self.deadline:
            self._finish(self.tapping.breath)

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

    def action_cancel(self) -> None:
        if not self.finished:
            self.finished = True
            self.post_message(self.Cancelled())

    def _finish(self, breath: float | None) -> None:
        self.finished = True
        self.post_message(self.Tapped(self.exercise.id, self.options, breath))
