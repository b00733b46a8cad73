"""The calm end-of-session summary, with an optional 0 to 10 tension rating."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Static

from calmcoach.domain.describe import practice_facts, practice_greeting, practice_note
from calmcoach.domain.planner import Timeline
from calmcoach.domain.session import Session, practice_of
from calmcoach.ui.screens import CalmScreen
from calmcoach.ui.widgets.keybar import KeyBar
from calmcoach.ui.widgets.rating import RatingKeys

QUESTION = (
    "How tense do you feel now, 0 to 10? 0 is fully calm, 10 is very tense. "
    "Optional: press a number (for 10, 1 then 0, or t), or just move on."
)
QUESTION_SHORT = "How tense now, 0 to 10? Optional. For 10 press 1 then 0, or t."


class SummaryScreen(CalmScreen):
    """How the session went, and how tense the person feels now (optional)."""

    DEFAULT_CSS = """
    SummaryScreen #summary-note {
        margin: 0 0 1 0;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [  # type: ignore[assignment]
        # Esc and q lead back, never out: a person who has just calmed down should not
        # lose the app to a key pressed to close a page.
        Binding(
            "escape,q,enter",
            "home",
            "Library",
            id="summary.home",
            tooltip="Back to the exercise library",
            priority=False,
        ),
        Binding("r", "again", "Again", id="summary.again", tooltip="Run the same exercise again"),
        Binding(
            "exclamation_mark",
            "app.red_flags",
            "Doctor?",
            id="summary.redflags",
            tooltip="When to see a doctor",
        ),
        Binding("t", "rate(10)", "Ten", show=False, id="summary.rate10", tooltip="Rate 10: very tense"),
        # The app's own Ctrl+Q, here shown in the key bar (priority, as the app's is).
        Binding("ctrl+q", "app.quit", "Quit", id="summary.quit", tooltip="Close calmcoach", priority=True),
    ] + [
        Binding(str(n), f"rate_key({n})", show=False, id=f"summary.rate{n}", tooltip=f"Rate {n}")
        for n in range(10)
    ]

    class Rated(Message):
        """The person said how tense they feel now, 0 to 10."""

        def __init__(self, rating: int) -> None:
            super().__init__()
            self.rating = rating

    class Again(Message):
        """The person asked for the same session again."""

        def __init__(self, timeline: Timeline) -> None:
            super().__init__()
            self.timeline = timeline

    class Closed(Message):
        """The person is done with the summary: back to the library."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.rating: int | None = None
        """The 0 to 10 "how tense now" rating, once given."""
        self.rating_keys = RatingKeys()
        """Digit keys to ratings: ``1`` then ``0`` soon after is 10."""

    def compose(self) -> ComposeResult:
        # The figures the recorder wrote to the history, read the same way.
        practice = practice_of(self.session)
        with Vertical(id="summary"):
            yield Static(Text(practice_greeting(practice), style="bold"), id="summary-title")
            lines = [practice.title, *practice_facts(practice)]
            yield Static(Text("\n".join(lines)), id="summary-facts")
            note = practice_note(practice)
            yield Static(Text(note), id="summary-note", classes="-empty" if not note else "")
            yield Static(Text(QUESTION), id="rating-question", markup=False)
            with Center(), Horizontal(id="rating-row"):
                for n in range(11):
                    button = Button(str(n), id=f"rate-{n}", compact=True)
                    button.can_focus = False  # Enter belongs to the screen: back to the library
                    yield button
            yield Static(id="rating-said", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def action_rate_key(self, digit: int) -> None:
        """A digit key: its rating, or 10 for ``0`` just after ``1``."""
        self.action_rate(self.rating_keys.digit(digit))

    def action_rate(self, value: int) -> None:
        if not 0 <= value <= 10:
            return
        self.rating = value
        for button in self.query(Button):
            button.variant = "primary" if button.id == f"rate-{value}" else "default"
        self.query_one("#rating-said", Static).update(Text(f"Noted: {value} of 10. Thank you."))
        self.post_message(self.Rated(value))

    def action_home(self) -> None:
        self.post_message(self.Closed())

    def action_again(self) -> None:
        self.post_message(self.Again(self.session.timeline))

    @on(Button.Pressed)
    def _rate_button(self, event: Button.Pressed) -> None:
        if event.button.id and event.button.id.startswith("rate-"):
            self.action_rate(int(event.button.id.removeprefix("rate-")))

    def _fit(self) -> None:
        """A compact page on a small terminal, so the 0 to 10 row stays in view."""
        small = self.app.size.height < 18 or self.app.size.width < 60
        self.set_class(small, "-small")
        # A resize can reach the screen before its children are mounted.
        for question in self.query("#rating-question").results(Static):
            question.update(Text(QUESTION_SHORT if small else QUESTION))
        # The kind word under the figures gives way on a small terminal to the 0 to 10 row.
        for note in self.query("#summary-note").results(Static):
            note.display = not small and not note.has_class("-empty")
