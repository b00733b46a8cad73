"""The calm end-of-session summary, with an optional 0 to 10 tension rating."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Horizontal, Vertical
from textual.widgets import Button, Static

from calmcoach.describe import clock_text
from calmcoach.session import Session, State
from calmcoach.ui.screens import CalmScreen
from calmcoach.ui.widgets.keybar import KeyBar


class SummaryScreen(CalmScreen):
    """How the session went, and how tense the person feels now (optional)."""

    BINDINGS: ClassVar[list[BindingType]] = [  # type: ignore[assignment]
        Binding(
            "enter",
            "home",
            "Library",
            id="summary.home",
            tooltip="Back to the exercise library",
            priority=False,
        ),
        Binding("r", "again", "Again", id="summary.again", tooltip="Run the same exercise again"),
        Binding("q,escape", "app.quit", "Quit", id="summary.quit", tooltip="Close calmcoach"),
    ] + [
        Binding(str(n), f"rate({n})", show=False, id=f"summary.rate{n}", tooltip=f"Rate {n}")
        for n in range(10)
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.rating: int | None = None
        """The 0 to 10 "how tense now" rating, once given."""

    def compose(self) -> ComposeResult:
        session = self.session
        timeline = session.timeline
        finished = session.state is State.FINISHED
        with Vertical(id="summary"):
            yield Static(
                Text("Well done." if finished else "Session ended.", style="bold"), id="summary-title"
            )
            lines = [timeline.title]
            if finished:
                lines.append(f"Time: {clock_text(session.position())}")
            else:
                lines.append(f"Stopped at {clock_text(session.position())} of {clock_text(timeline.total)}")
            if timeline.cycles:
                lines.append(f"Breaths: {session.cycles_done} of {timeline.cycles}")
            lines.append(f"Steps done: {session.steps_done} of {len(timeline.segments)}")
            yield Static(Text("\n".join(lines)), id="summary-facts")
            yield Static(
                Text(
                    "How tense do you feel now? 0 is fully calm, 10 is very tense. "
                    "Optional: press a number, or just move on."
                ),
                id="rating-question",
            )
            with Center(), Horizontal(id="rating-row"):
                for n in range(11):
                    button = Button(str(n), id=f"rate-{n}", compact=True)
                    button.can_focus = False  # Enter belongs to the screen: back to the library
                    yield button
            yield Static(id="rating-said", markup=False)
        yield KeyBar()

    @on(Button.Pressed)
    def _rate_button(self, event: Button.Pressed) -> None:
        if event.button.id and event.button.id.startswith("rate-"):
            self.action_rate(int(event.button.id.removeprefix("rate-")))

    def action_rate(self, value: int) -> None:
        if not 0 <= value <= 10:
            return
        self.rating = value
        for button in self.query(Button):
            button.variant = "primary" if button.id == f"rate-{value}" else "default"
        self.query_one("#rating-said", Static).update(Text(f"Noted: {value} of 10. Thank you."))
        self.calm_app.rate_session(self.session, value)

    def action_home(self) -> None:
        self.calm_app.go_home()

    def action_again(self) -> None:
        self.calm_app.start_timeline(self.session.timeline)
