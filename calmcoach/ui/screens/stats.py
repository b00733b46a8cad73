"""Practice history and the flare journal: minutes per day, streak, totals, flares."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, RadioButton, RadioSet, SelectionList, Static

from calmcoach.data.history import TRIGGERS, History, HistoryUnavailable, Stats
from calmcoach.data.triggers import trigger_note_text
from calmcoach.domain.describe import flare_logged_text
from calmcoach.domain.model import AREAS
from calmcoach.domain.visible import visible
from calmcoach.ui.screens import CalmScreen
from calmcoach.ui.widgets.chart import bar_rows
from calmcoach.ui.widgets.keybar import KeyBar, hint

CHART_HEIGHT = 5
TRIGGER_HINT = "Move onto a trigger to read how it tends to feel and why it comes with anxiety."
WIDE = 74
"""The body's width at 80 columns, for a page laid out before its size is known."""


def stats_text(stats: Stats, width: int = WIDE) -> Text:
    """The whole stats page as plain text (no markup is ever parsed), in ``width`` cells.

    Lines that must not wrap (the chart and its dates, the tables) are made to fit, so a
    narrow screen shows fewer days rather than bars broken over two lines."""
    width = max(width, 20)
    out = Text()
    if stats.empty:
        out.append("Nothing here yet.\n\n", style="bold")
        out.append(
            "Each session you run is kept here, with how long you practised and how tense you felt. "
            "Press Esc, then Enter on any exercise, or Ctrl+F for the flare routine. "
            "Press l to log a flare in the journal."
        )
        return out
    top = max(minutes for _, minutes in stats.per_day)
    label_width = len(f"{top:.0f}") + 1
    if stats.nudge_answers:
        label_width = max(label_width, len("moves "))  # the moves row's label fits
    days = stats.per_day[-max(1, width - label_width) :]
    values = [minutes for _, minutes in days]
    out.append(f"Minutes practised, last {len(days)} day{'s' if len(days) != 1 else ''}\n", style="bold")
    for index, row in enumerate(bar_rows(values, CHART_HEIGHT)):
        label = f"{top:.0f}".rjust(label_width - 1) + " " if index == 0 else " " * label_width
        out.append(label, style="dim")
        out.append(row + "\n", style="bold")
    moves = moves_row(stats, len(values))
    if moves is not None:
        out.append("moves".ljust(label_width), style="dim")
        out.append(moves + "\n")
    first, last = f"{days[0][0]:%d %b}", f"{days[-1][0]:%d %b}"
    gap = len(days) - len(first) - len(last)
    dates = first + " " * gap + last if gap >= 1 else last.rjust(len(days))
    out.append(" " * label_width + dates + "\n\n", style="dim")
    out.append(f"Streak: {stats.streak} day{'s' if stats.streak != 1 else ''}", style="bold")
    out.append(f"   Sessions: {stats.sessions}   Total: {stats.total_minutes:.0f} min\n")
    if stats.nudge_answers:
        out.append(nudges_text(stats) + "\n")
    if stats.rated_sessions and stats.average_change is not None:
        change = stats.average_change
        direction = "calmer" if change < 0 else "more tense" if change > 0 else "no change"
        out.append(
            f"Tension before and after: {change:+.1f} on average ({direction}), "
            f"over {stats.rated_sessions} rated session{'s' if stats.rated_sessions != 1 else ''}\n"
        )
    name_width = min(40, width - 8)
    if stats.totals:
        out.append("\nBy exercise\n", style="bold")
        # A row is "  title  sessions  minutes": 29 cells besides the title.
        title_width = min(40, width - 29)
        for raw_title, count, minutes in stats.totals[:12]:
            title = visible(raw_title)  # rows another program wrote may hold escape codes
            times = f"{count} session{'s' if count != 1 else ''}"
            if title_width >= 16:
                out.append(f"  {title[:title_width]:<{title_width}} {times:>14}  {minutes:6.0f} min\n")
            else:
                out.append(f"  {title[: width - 2]}\n    {times}, {minutes:.0f} min\n")
    if stats.flares_by_area:
        out.append("\nFlares by area\n", style="bold")
        for area, count in stats.flares_by_area.most_common():
            name = visible(AREAS.get(area, area))
            out.append(f"  {name[:name_width]:<{name_width}} {count:>5}\n")
    if stats.flares_by_trigger:
        out.append("\nFlares by trigger\n", style="bold")
        for raw_trigger, count in stats.flares_by_trigger.most_common(10):
            trigger = visible(raw_trigger)
            out.append(f"  {trigger[:name_width]:<{name_width}} {count:>5}\n")
    return out


def moves_row(stats: Stats, days: int) -> str | None:
    """Moves a day (nudges taken up) for the chart's last ``days`` columns: a digit a day,
    + for ten or more, blank for none. None when there were no nudges at all."""
    if not stats.nudge_answers:
        return None
    counts = [count for _, count in stats.moves_per_day[-days:]]
    return "".join(" " if c == 0 else str(c) if c < 10 else "+" for c in counts)


def nudges_text(stats: Stats) -> str:
    """``Nudges to move: 7 in 30 days (3 started, ...)``; the row under the chart explained."""
    answers = stats.nudge_answers
    total = sum(answers.values())
    parts = ", ".join(
        f"{answers[key]} {key}"
        for key in ("started", "snoozed", "skipped", "ignored", "unanswered")
        if answers.get(key)
    )
    days = len(stats.moves_per_day)
    return f"Nudges to move: {total} in {days} days ({parts}); 'moves' under the chart counts those started."


class StatsBody(Static):
    """The stats page, laid out again for its width whenever that changes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.stats: Stats | None = None

    def show(self, stats: Stats) -> None:
        """Show these stats at the width the body has now."""
        self.stats = stats
        self.update(stats_text(stats, self.size.width or WIDE))

    def on_resize(self) -> None:
        if self.stats is not None:
            self.update(stats_text(self.stats, self.size.width))


def persistent_text(stats: Stats) -> Text | None:
    """A plain pointer to the red flags when one area has flared on most days for weeks."""
    if not stats.persistent_areas:
        return None
    names = " and ".join(AREAS.get(a, a).lower() for a in stats.persistent_areas)
    return Text(
        f"You have logged {names} flares on most days for more than three weeks. "
        "A twitch that lasts for weeks is worth a check: press ! to see when to see a doctor."
    )


class StatsScreen(CalmScreen):
    """Your practice over time, and the flares you logged."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "app.pop_screen", "Back", id="stats.back", tooltip="Back to the library"),
        Binding("l", "log_flare", "Log a flare", id="stats.log", tooltip="Add a flare to the journal"),
        Binding(
            "d",
            "report",
            "Report",
            id="stats.report",
            tooltip="Report for the doctor: a PDF (or web page) in your documents folder",
        ),
        Binding(
            "exclamation_mark",
            "app.red_flags",
            "Doctor?",
            id="stats.redflags",
            tooltip="When to see a doctor",
        ),
    ]

    class ReportAsked(Message):
        """The person asked for the report for the doctor, from the history at ``history``."""

        def __init__(self, history: Path) -> None:
            super().__init__()
            self.history = history

    def __init__(self, history: History | None, today: date | None = None) -> None:
        super().__init__()
        self.history = history
        self.today = today
        """The day the charts end on (today, unless a test fixes it)."""
        self.stats: Stats | None = None
        """What is shown, once loaded."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="stats"):
            yield Static(Text("Your practice", style="bold"), classes="page-title")
            yield Static(id="stats-warning", markup=False)
            yield StatsBody(id="stats-body")
        yield KeyBar()

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Read the history again and show it."""
        body = self.query_one("#stats-body", StatsBody)
        warning = self.query_one("#stats-warning", Static)
        if self.history is None:
            body.update(Text("History is off for this run, so nothing is shown here."))
            warning.display = False
            return
        try:
            self.stats = self.history.stats(self.today)
        except HistoryUnavailable as error:
            body.update(Text(str(error)))
            warning.display = False
            return
        body.show(self.stats)
        pointer = persistent_text(self.stats)
        warning.display = pointer is not None
        if pointer is not None:
            warning.update(pointer)

    def action_report(self) -> None:
        if self.history is None:
            self.notify("History is off, so there is nothing to report.", severity="warning")
            return
        self.post_message(self.ReportAsked(self.history.path))

    def action_log_flare(self) -> None:
        if self.history is None:
            self.notify("History is off, so the journal cannot be written.", severity="warning")
            return

        def saved(result: bool | None) -> None:
            if result:
                self.reload()

        self.app.push_screen(FlareLogScreen(self.history), saved)


class FlareLogScreen(ModalScreen[bool]):
    """Log a flare: where, how strong, what may have set it off, and a note."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="flarelog.cancel", tooltip="Close without saving"),
        Binding("ctrl+s", "save", "Save", id="flarelog.save", tooltip="Save this flare"),
    ]

    def __init__(self, history: History) -> None:
        super().__init__()
        self.history = history

    def compose(self) -> ComposeResult:
        # The title and the buttons stay in view; the questions between them scroll.
        with Vertical(id="flare-log"):
            yield Static(Text("Log a flare", style="bold"), id="flare-title")
            with VerticalScroll(id="flare-fields"):
                yield from self._fields()
            yield Static(id="flare-error", markup=False)  # by the buttons, never scrolled away
            with Horizontal(id="flare-buttons"):
                yield Button("Save", id="flare-save", variant="primary", compact=True)
                yield Button("Cancel", id="flare-cancel", compact=True)
        yield KeyBar(hints=(hint("tab", "tab", "Next field"), hint("space", "space", "Pick")))

    def on_mount(self) -> None:
        self.query_one(RadioSet).focus()

    @on(Button.Pressed, "#flare-save")
    def action_save(self) -> None:
        error = self.query_one("#flare-error", Static)
        pressed = self.query_one(RadioSet).pressed_button
        area = pressed.name if pressed is not None and pressed.name else "general"
        raw = self.query_one("#flare-intensity", Input).value.strip()
        if not raw.isdigit() or not 0 <= int(raw) <= 10:
            error.update(Text("Intensity is a number from 0 to 10."))
            self.query_one("#flare-intensity", Input).focus()
            return
        triggers = list(self.query_one(SelectionList).selected)
        other = self.query_one("#flare-other", Input).value
        triggers += [word.strip() for word in other.split(",") if word.strip()]
        note = self.query_one("#flare-note", Input).value
        try:
            self.history.log_flare(area, int(raw), triggers, note)
        except (ValueError, HistoryUnavailable) as problem:
            error.update(Text(str(problem)))
            return
        self.notify(flare_logged_text(area, int(raw)), timeout=3)
        self.dismiss(True)

    @on(Button.Pressed, "#flare-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(SelectionList.SelectionHighlighted, "#flare-triggers")
    def _trigger_highlighted(self, event: SelectionList.SelectionHighlighted[str]) -> None:
        trigger = event.selection.value
        note = trigger_note_text(trigger)
        # Named, since the list keeps a highlighted row while another field has the focus.
        shown = Text.assemble((f"{trigger}: ", "bold"), note) if note else Text(TRIGGER_HINT)
        widget = self.query_one("#trigger-note", Static)
        widget.update(shown)
        # The note sits under the list: keep it in view as the cursor moves (at 80x24 the
        # questions are taller than the form), without an animation to wait for.
        self.call_after_refresh(widget.scroll_visible, animate=False)

    def _fields(self) -> ComposeResult:
        yield Static(Text("Where?"), classes="question")
        with RadioSet(id="flare-area"):
            for index, (area, words) in enumerate(AREAS.items()):
                yield RadioButton(words, value=index == 0, name=area)
        yield Static(Text("How strong, 0 to 10?"), classes="question")
        yield Input(placeholder="0 to 10", id="flare-intensity", type="integer", max_length=2, compact=True)
        yield Static(Text("What may have set it off?"), classes="question")
        yield SelectionList[str](*[(t, t) for t in TRIGGERS], id="flare-triggers")
        # The guide's note on the trigger under the cursor: how it tends to feel, and why.
        yield Static(Text(TRIGGER_HINT), id="trigger-note", markup=False)
        yield Input(placeholder="Other triggers, separated by commas", id="flare-other", compact=True)
        yield Input(placeholder="A note (optional)", id="flare-note", max_length=1000, compact=True)
