"""Safety screens: the red flags ("When to see a doctor"), the reassurance page and the first-run note."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from rich.console import Console, ConsoleOptions, RenderResult
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Static

from calmcoach.data.redflags import Reassurance, SafetyText
from calmcoach.domain.describe import cause_text
from calmcoach.ui.widgets.keybar import KeyBar


class RedFlagsScreen(Screen[None]):
    """The red flags and what to do about each, read from a data file.

    The rule over all of them (a fast change in breathing, speech or movement means
    emergency care right away) comes first, in a block of its own that no one can miss.
    """

    DEFAULT_CSS = """
    RedFlagsScreen #fast-change {
        background: $error;
        color: $text;
        text-style: bold;
        padding: 0 1;
        margin: 0 0 1 0;
    }
    RedFlagsScreen #redflags-problems {
        color: $error;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "app.pop_screen", "Back", id="redflags.back", tooltip="Close this page"),
        Binding(
            "a",
            "reassurance",
            "Anxiety signs",
            id="redflags.reassurance",
            tooltip="Signs that point toward twitches that come from anxiety",
        ),
    ]

    def __init__(self, text: SafetyText) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="redflags"):
            yield Static(Text("When to see a doctor", style="bold"), classes="page-title")
            yield Static(Text(self.text.fast_change), id="fast-change")
            if self.text.problems:
                yield Static(Text("\n".join(self.text.problems)), id="redflags-problems", classes="page-text")
            yield Static(Text(self.text.intro), classes="page-text")
            yield Static(Text(self.text.advice, style="bold"), id="redflags-advice", classes="page-text")
            widest = max((len(flag.label) for flag in self.text.flags), default=0)
            for flag in self.text.flags:
                yield Static(
                    FlagLines(flag.label, flag.sign, flag.action, widest, cause=flag.cause),
                    classes=f"flag -{flag.urgency}",
                )
            if self.text.habits:
                yield Static(
                    Text("Habits that help over time", style="bold"),
                    id="habits-title",
                    classes="page-subtitle",
                )
                yield Static(bullets(self.text.habits), id="habits", classes="page-text")
            yield Static(Text(self.text.disclaimer, style="italic"), classes="page-text")
        yield KeyBar()

    def action_reassurance(self) -> None:
        """Open the signs that point toward anxiety twitches."""
        push_reassurance(self.app)


class FlagLines:
    """One red flag as the page shows it: the urgency label, then the sign and its action
    in a column of their own, so a line that wraps lines up with its text (a hanging
    indent), never back under the label.

    Where the widest label on the page leaves the text too little room beside it (40
    columns), every flag puts its label on a line of its own and the text under it.
    """

    GAP = 2
    """Cells between the label and the text beside it."""
    MIN_TEXT = 28
    """The fewest cells the text may have beside the labels; fewer, and it goes under them."""
    INDENT = 2
    """Where the text starts under a label on a line of its own."""

    def __init__(self, label: str, sign: str, action: str, widest: int, *, cause: str = "") -> None:
        self.label = label
        self.sign = sign
        self.action = action
        self.cause = cause
        """What may be behind the sign (the guide's middle column), or nothing."""
        self.widest = widest
        """The longest label on the page: it decides, for every flag alike, where the text goes."""

    def __str__(self) -> str:
        """The flag as plain text, for whatever reads the page's words rather than draws them."""
        cause = f"\n{cause_text(self.cause)}" if self.cause else ""
        return f"{self.label}  {self.sign}{cause}\n{self.action}"

    def beside(self, width: int) -> bool:
        """Whether the text goes beside the label at this width (else under it)."""
        return width - (self.widest + 2 + self.GAP) >= self.MIN_TEXT

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        tag = Text(f" {self.label} ", style="bold reverse", no_wrap=True)
        text = Text()
        text.append(self.sign, style="bold")
        if self.cause:
            text.append("\n")
            text.append(cause_text(self.cause), style="italic")
        text.append("\n")
        text.append(self.action)
        if self.beside(options.max_width):
            grid = Table.grid(padding=(0, self.GAP, 0, 0))
            grid.add_column(no_wrap=True)
            grid.add_column(ratio=1)
            grid.add_row(tag, text)
            yield grid
        else:
            yield tag
            yield Padding(text, (0, 0, 0, self.INDENT))


class ReassuranceScreen(Screen[None]):
    """A short, calm page: the signs that point toward anxiety twitches, never a diagnosis."""

    DEFAULT_CSS = """
    ReassuranceScreen #reassurance {
        padding: 1 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "dismiss", "Back", id="reassurance.back", tooltip="Close this page"),
    ]

    def __init__(self, page: Reassurance) -> None:
        super().__init__()
        self.page = page

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="reassurance"):
            yield Static(Text(self.page.title, style="bold"), classes="page-title")
            yield Static(Text(self.page.intro), classes="page-text")
            yield Static(bullets(self.page.signs), id="reassurance-signs", classes="page-text")
            yield Static(Text(self.page.closing, style="bold"), id="reassurance-closing", classes="page-text")
        yield KeyBar()


def bullets(items: Iterable[str]) -> Table:
    """A bulleted list whose wrapped lines stay clear of the bullets, even at 40 columns."""
    table = Table.grid(padding=(0, 1, 0, 0))
    table.add_column(width=1)
    table.add_column(ratio=1)
    for item in items:
        table.add_row("•", Text(item))
    return table


def push_reassurance(app: App[Any]) -> None:
    """Open the reassurance page over whatever is showing.

    Its data file is read now; if it cannot be used, a notice names every problem in
    it (``file:line: field: message``) and nothing opens.
    """
    from calmcoach.data.redflags import ContentError, load_reassurance

    try:
        page = load_reassurance()
    except ContentError as error:
        app.notify(str(error), title="The reassurance page could not be read", severity="error", markup=False)
        return
    app.push_screen(ReassuranceScreen(page))


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

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss()
