"""The home screen: the exercise library, grouped by kind, with type-to-filter."""

from __future__ import annotations

import re
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from calmcoach.describe import length_text
from calmcoach.loader import Library
from calmcoach.model import AREAS, Exercise, Kind
from calmcoach.planner import areas_of
from calmcoach.ui.screens import CalmScreen
from calmcoach.ui.widgets.keybar import KeyBar
from calmcoach.visible import visible

GROUPS = {
    Kind.BREATHING: "Breathing",
    Kind.ROUTINE: "Release and grounding",
    Kind.PROGRAM: "Programs",
}
FILTER_HINT = "Type to filter: a name, a body area (leg, eye, hand) or a tag"
RESERVED_KEYS = set("?!/")
"""Keys the library list keeps for its bindings; every other printable key goes to the filter,
so typing a word ("flare", "sigh", "quiet") never fires a command."""


class LibraryList(OptionList):
    """The list of exercises; printable keys it has no use for go to the filter."""

    async def on_key(self, event: events.Key) -> None:
        character = event.character
        if (
            character
            and character.isprintable()
            and not character.isspace()
            and character not in RESERVED_KEYS
        ):
            event.stop()
            event.prevent_default()
            screen = self.screen
            if isinstance(screen, HomeScreen):
                await screen.start_filter(character)


class HomeScreen(CalmScreen):
    """Pick an exercise; or press f for a flare."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # Letters type into the filter, so the commands here are on keys that are not letters.
        Binding(
            "ctrl+f",
            "app.flare",
            "Flare",
            id="home.flare",
            tooltip="Start the flare routine: breathe, release, shift attention",
        ),
        Binding("slash", "filter", "Filter", id="home.filter", tooltip="Type to filter the list"),
        Binding(
            "exclamation_mark", "app.red_flags", "Doctor?", id="home.redflags", tooltip="When to see a doctor"
        ),
        Binding(
            "ctrl+s", "app.stats", "History", id="home.stats", tooltip="Practice history and flare journal"
        ),
        Binding("question_mark", "app.help", "Help", id="home.help", tooltip="Keys and safety"),
        Binding("ctrl+q", "app.quit", "Quit", id="home.quit", tooltip="Close calmcoach", priority=True),
    ]

    def __init__(self, library: Library) -> None:
        super().__init__()
        self.library = library
        self._lengths: dict[str, str] = {}
        self._haystacks: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="home"):
            yield Static(
                Text.assemble(
                    ("calmcoach", "bold"), "   type to find  ·  Enter: start  ·  ctrl+f: flare routine"
                ),
                id="home-title",
            )
            # The filter field is mounted when first used; until then, a line says how.
            yield Static(FILTER_HINT, id="filter-hint", markup=False)
            # Filled here, not on mount, so the first frame already shows the library.
            yield LibraryList(*self._options(""), id="library", markup=False)
            yield Static(id="detail", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        listing = self.query_one(LibraryList)
        listing.highlighted = self._first_enabled(listing)
        listing.focus()

    def _length(self, exercise: Exercise) -> str:
        """The exercise's length in words, worked out once per library (not per keystroke)."""
        text = self._lengths.get(exercise.id)
        if text is None:
            text = self._lengths[exercise.id] = length_text(exercise, self.library.exercises)
        return text

    def _haystack(self, exercise: Exercise) -> str:
        """Everything the filter looks in: id, title, summary, tags and body areas."""
        areas = areas_of(exercise, self.library.exercises)
        labels = [f"{area} {AREAS[area]}" for area in areas if area in AREAS]
        titles = [variant.title for variant in exercise.variants]
        return " ".join(
            (exercise.id, exercise.title, exercise.summary, *exercise.tags, *labels, *titles)
        ).lower()

    def _matches(self, exercise: Exercise, words: list[str]) -> bool:
        """Every typed word begins a word somewhere in the exercise ("eye" finds "eyelid",
        "sigh" finds "physiological-sigh"; "f" does not find every "of")."""
        haystack = self._haystacks.get(exercise.id)
        if haystack is None:
            haystack = self._haystacks[exercise.id] = self._haystack(exercise)
        return all(re.search(rf"(?<![^\W_]){re.escape(word)}", haystack) for word in words)

    @staticmethod
    def _rank(exercise: Exercise, query: str) -> int:
        """How well a matching exercise fits what was typed: its name begins with it (0),
        a word of its name does (1), or it only matches somewhere (2)."""
        query = query.strip().lower()
        title = exercise.title.lower()
        if title.startswith(query) or exercise.id.lower().startswith(query):
            return 0
        if any(word.startswith(query) for word in title.replace("-", " ").split()):
            return 1
        return 2

    @staticmethod
    def _first_enabled(listing: OptionList) -> int | None:
        return next(
            (i for i in range(listing.option_count) if not listing.get_option_at_index(i).disabled), None
        )

    def _fill(self, query: str) -> None:
        listing = self.query_one(LibraryList)
        listing.clear_options()
        listing.add_options(self._options(query))
        listing.highlighted = self._best(listing, query)

    def _best(self, listing: OptionList, query: str) -> int | None:
        """The row to highlight for ``query``: the best fitting exercise, so that typing
        "f" and Enter opens the flare routine."""
        first = self._first_enabled(listing)
        if not query.strip():
            return first
        ranked = [
            (self._rank(exercise, query), index)
            for index in range(listing.option_count)
            if (exercise := self.library.get(listing.get_option_at_index(index).id or "")) is not None
        ]
        return min(ranked)[1] if ranked else first

    def _options(self, query: str) -> list[Option | None]:
        """The library's entries that match ``query``, under their group headings."""
        words = query.lower().split()
        options: list[Option | None] = []
        for kind, heading in GROUPS.items():
            members = [
                e for e in self.library.exercises.values() if e.kind is kind and self._matches(e, words)
            ]
            if not members:
                continue
            options.append(
                Option(Text(heading.upper(), style="bold"), id=f"group-{kind.value}", disabled=True)
            )
            for exercise in members:
                line = Text()
                line.append(exercise.title, style="bold")
                line.append(f"   {self._length(exercise)}", style="dim")
                if exercise.overrides_builtin:
                    line.append("   (your version)", style="italic")
                elif exercise.origin.value == "user":
                    line.append("   (yours)", style="italic")
                options.append(Option(line, id=exercise.id))
        broken = [b for b in self.library.broken if not words or any(w in b.id.lower() for w in words)]
        if broken:
            options.append(Option(Text("FILES WITH ERRORS", style="bold"), id="group-broken", disabled=True))
            for item in broken:
                line = Text(f"{visible(item.path.name)}  (not loaded)", style="bold")
                for problem in item.problems:
                    line.append(f"\n{problem}")
                # Enabled, so the keyboard can reach it: Enter shows the problems again.
                options.append(Option(line, id=f"broken-{item.id}"))
        if not options:
            options.append(Option(Text("Nothing matches. Esc clears the filter."), id="none", disabled=True))
        return options

    @on(OptionList.OptionHighlighted, "#library")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Show the summary of the exercise under the cursor below the list."""
        option_id = event.option.id or ""
        exercise = self.library.get(option_id)
        text = exercise.summary if exercise is not None else ""
        if exercise is not None and exercise.safety:
            text += f"\nNote: {exercise.safety[0]}"
        elif exercise is not None and exercise.tags:
            text += f"\n{', '.join(exercise.tags)}"
        elif option_id.startswith("broken-"):
            text = "Not loaded. Press Enter to see how to check it again after a fix."
        self.query_one("#detail", Static).update(Text(text, no_wrap=True, overflow="ellipsis"))

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        listing = self.query_one(LibraryList)
        listing.focus()
        if listing.highlighted is not None:
            listing.action_select()

    async def start_filter(self, text: str = "") -> None:
        """Put the cursor in the filter field (mounting it the first time), typing ``text``."""
        fields = self.query("#filter").results(Input)
        field = next(fields, None)
        if field is None:
            hint = self.query_one("#filter-hint", Static)
            field = Input(placeholder=FILTER_HINT, id="filter", select_on_focus=False, compact=True)
            await self.query_one("#home").mount(field, before=hint)
            await hint.remove()
        field.focus()
        if text:
            field.insert_text_at_cursor(text)

    def on_key(self, event: events.Key) -> None:
        field = next(self.query("#filter").results(Input), None)
        if field is not None and field.has_focus and event.key in ("escape", "down"):
            event.stop()
            if event.key == "escape":
                field.value = ""
            self.query_one(LibraryList).focus()

    @on(OptionList.OptionSelected, "#library")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option_id = event.option.id or ""
        if option_id.startswith("broken-"):
            broken = next(b for b in self.library.broken if f"broken-{b.id}" == option_id)
            problems = "\n".join(str(p) for p in broken.problems)
            path = visible(str(broken.path))  # a file's name: shown, never obeyed by the terminal
            self.notify(
                f"{problems}\n\nFix the file, then check it with: calmcoach validate {path}",
                title=f"{visible(broken.path.name)} is not loaded",
                severity="error",
                timeout=15,
                markup=False,
            )
        elif option_id:
            self.calm_app.choose_and_start(option_id)

    async def action_filter(self) -> None:
        await self.start_filter()
