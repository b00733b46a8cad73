"""The home screen: the exercise library, grouped by kind, with type-to-filter."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from calmcoach.data.loader import BrokenFile, Library
from calmcoach.domain.describe import exercise_lengths, length_words
from calmcoach.domain.model import BODY_AREAS, Exercise, Kind
from calmcoach.domain.planner import areas_of
from calmcoach.domain.visible import visible
from calmcoach.ui.screens import CalmScreen
from calmcoach.ui.widgets.kept import KeptDrawing
from calmcoach.ui.widgets.keybar import KeyBar

if TYPE_CHECKING:
    from textual.timer import Timer

FLARE_ID = "flare"
"""The flare routine: listed first, under a heading of its own, where a person in a flare
looks first (the top of the list), whatever the order of the groups below it."""
FLARE_HEADING = "In a flare"
GROUPS = {
    Kind.BREATHING: "Breathing",
    Kind.ROUTINE: "Release and grounding",
    Kind.PROGRAM: "Programs",
}
FILTER_HINT = "Type to filter: a name, a body area (leg, eye, hand) or a tag"
FIRST_ROWS = 200
"""Rows in the list when it is first drawn: more than any terminal shows at once."""
ROWS_PER_STEP = 250
"""Rows added at a time after that, until the whole library is listed.

Kept for README Benchmarks' "largest frame gap while typing in home, 1000 programs" (goal
<= 50 ms, 43.0 ms): listing a key's thousand matches at once held that key's frame up."""
STEP_EVERY = 1 / 60
"""Seconds from one step of rows to the next: time enough to draw a frame in between
(for the same figure as ``ROWS_PER_STEP``)."""
SMALL_HEIGHT = 18
"""Below this many lines, the home screen drops its blank lines."""
PAGE_KEYS = set("!?")
"""Keys that open a page (the red flags, help) even while the filter field has the focus."""
REMEMBERED_QUERIES = 64
"""Queries whose matches are kept; past this, the memory starts again."""
RESERVED_KEYS = set("?!/")
"""Keys the library list keeps for its bindings; every other printable key (a space too) goes
to the filter, so typing a word ("flare", "sigh", "quiet") never fires a command."""


class LibraryList(OptionList):
    """The list of exercises; printable keys it has no use for go to the filter."""

    async def on_key(self, event: events.Key) -> None:
        character = event.character
        # A space too: keys typed quickly reach the list before the filter has the focus,
        # and a space dropped there made "box breathing" "boxbreathing".
        if character and character.isprintable() and character not in RESERVED_KEYS:
            event.stop()
            event.prevent_default()
            screen = self.screen
            if isinstance(screen, HomeScreen):
                await screen.start_filter(character)


class FilterField(Input):
    """The filter: it types every printable key but the two that open pages anywhere."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        # Textual hides the screen's bindings of the keys a field types; ! and ? stay bound,
        # so that they open the red flags and help whatever was typed before them.
        if character in PAGE_KEYS:
            return False
        return super().check_consume_key(key, character)


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
        # Before the filter field: ! and ? open their pages whatever was typed, as the welcome
        # and the key bar promise; they never go into the filter.
        Binding(
            "exclamation_mark",
            "app.red_flags",
            "Doctor?",
            id="home.redflags",
            tooltip="When to see a doctor",
            priority=True,
        ),
        Binding(
            "ctrl+s", "app.stats", "History", id="home.stats", tooltip="Practice history and flare journal"
        ),
        Binding(
            "question_mark", "app.help", "Help", id="home.help", tooltip="Keys and safety", priority=True
        ),
        Binding("ctrl+q", "app.quit", "Quit", id="home.quit", tooltip="Close calmcoach", priority=True),
    ]

    class Chosen(Message):
        """An exercise was chosen to start (its options are asked next)."""

        def __init__(self, exercise_id: str) -> None:
            super().__init__()
            self.exercise_id = exercise_id

    class Listed(Message):
        """The whole library is listed for the first time: what it made lives as long as home."""

    def __init__(self, library: Library) -> None:
        super().__init__()
        self.library = library
        self._lengths: dict[str, str] = {}
        self._haystacks: dict[str, str] = {}
        self._rows: dict[str, Option] = {}
        """Every row built so far, by its option id (see ``_options``)."""
        self._waiting: list[Option] = []
        """Rows of the whole library not in the list yet (see ``compose``)."""
        self._stepping: Timer | None = None
        """The timer of the next step of rows, while one is due."""
        self._first_listing = True
        """Whether the whole library is still being listed for the first time, with no filter
        typed yet (see ``_add_waiting``)."""
        self._last: tuple[list[str], Iterable[Exercise]] = ([], library.exercises.values())
        """The words of the last query and the exercises that matched them, in library order."""
        self._found: dict[tuple[str, ...], list[Exercise]] = {}
        """The exercises that matched recent queries (a backspace goes back to one)."""
        self._detail_of = ""
        """The option whose detail is shown under the list."""

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
            # Filled here, not on mount, so the first frame already shows the library: as many
            # rows as any screen shows at once, the rest just after (see ``_add_waiting``).
            options = self._options("")
            self._waiting = options[FIRST_ROWS:]
            yield LibraryList(*options[:FIRST_ROWS], id="library", markup=False)
            yield Static(id="detail", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        listing = self.query_one(LibraryList)
        listing.highlighted = self._first_enabled(listing)
        listing.focus()
        self._add_waiting_later()
        self.call_after_refresh(self._prepare_filter)

    def on_resize(self) -> None:
        # Fewer blank lines on a small screen, so the list keeps rows beside a whole note.
        self.set_class(self.size.height < SMALL_HEIGHT, "-small")
        self._show_detail()

    async def action_filter(self) -> None:
        await self.start_filter()

    def on_key(self, event: events.Key) -> None:
        field = next(self.query("#filter").results(Input), None)
        if field is None:
            return
        # Esc clears the filter wherever the focus is (back from a session it is on the
        # list), as help says; Down leaves the field for the list.
        if (event.key == "escape" and field.value) or (field.has_focus and event.key in ("escape", "down")):
            event.stop()
            if event.key == "escape":
                field.value = ""
            self.query_one(LibraryList).focus()

    @on(OptionList.OptionHighlighted, "#library")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Show the summary of the exercise under the cursor below the list."""
        self._detail_of = event.option.id or ""
        self._show_detail()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        listing = self.query_one(LibraryList)
        listing.focus()
        if listing.highlighted is not None:
            listing.action_select()

    @on(OptionList.OptionSelected, "#library")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option_id = event.option.id or ""
        if option_id.startswith(":broken:"):
            broken = next(b for b in self.library.broken if f":broken:{b.id}" == option_id)
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
            self.post_message(self.Chosen(option_id))

    async def start_filter(self, text: str = "") -> None:
        """Put the cursor in the filter field, typing ``text``."""
        field = await self._filter_field()
        field.focus()
        if text:
            field.insert_text_at_cursor(text)

    def _add_waiting_later(self) -> None:
        """Add the waiting rows in steps, starting a moment from now, unless that is under way.

        A timer, not ``call_after_refresh``: the screen runs callbacks that ask for more
        callbacks after a refresh one after another, before any frame, so the steps came all
        at once (800 rows at the end of a key's frame, tens of milliseconds)."""
        if self._waiting and self._stepping is None:
            self._stepping = self.set_timer(STEP_EVERY, self._add_waiting, name="home-rows")

    def _add_waiting(self) -> None:
        """Add the next rows past the first screenful, so a key pressed meanwhile is never
        held up for long; then the next step, a moment later. A filter typed in the meantime
        shows its own rows and ends this."""
        self._stepping = None
        if not self._waiting:
            return
        rows, self._waiting = self._waiting[:ROWS_PER_STEP], self._waiting[ROWS_PER_STEP:]
        self.query_one(LibraryList).add_options(rows)
        if self._waiting:
            self._add_waiting_later()
        elif self._first_listing:
            self._first_listing = False
            self.post_message(self.Listed())  # start-up's listing is done, and kept

    async def _prepare_filter(self) -> None:
        """Put the filter field in place after the first frame, unless the screen is going
        (the app may be quitting already, as it does after one frame for a benchmark)."""
        if self.is_attached and self.query_one("#home").is_attached:
            await self._filter_field()

    async def _filter_field(self) -> Input:
        """The filter field, put in the hint's place the first time it is asked for.

        The first frame shows a line of text instead (a field costs more to draw); the field
        takes its place just after, so that the first key only types: mounting a field and
        laying the screen out again held the first key's frame up by tens of milliseconds."""
        field = next(self.query("#filter").results(Input), None)
        if field is None:
            hint = self.query_one("#filter-hint", Static)
            # "-valid" from the start: a field with no validators is always valid, and Input
            # adds the class at the first key, which restyled it then (tens of milliseconds).
            field = FilterField(
                placeholder=FILTER_HINT, id="filter", select_on_focus=False, compact=True, classes="-valid"
            )
            await self.query_one("#home").mount(field, before=hint)  # in the DOM at once
            await hint.remove()
        return field

    def _fill(self, query: str) -> None:
        """Show the rows that match ``query``. When they are the rows shown already (typing
        on in a word every row has), the list is left as it is: only the highlight moves.

        Like the first frame, a new list gets a screenful of rows (and any down to the
        highlight) at once and the rest in timed steps: a thousand rows at once held the
        key's frame up by a tenth of a second."""
        listing = self.query_one(LibraryList)
        options = self._options(query)
        best = self._best(options, query)
        shown = len(listing.options)
        if options != [*listing.options, *self._waiting]:
            self._first_listing = False
            if self._stepping is not None:  # a step due for the old list waits a full step
                self._stepping.stop()
                self._stepping = None
            listing.clear_options()
            shown = max(FIRST_ROWS, (best or 0) + 1)
            listing.add_options(options[:shown])
            self._waiting = options[shown:]
            self._add_waiting_later()
        elif best is not None and best >= shown:  # the best row is still waiting
            listing.add_options(self._waiting[: best + 1 - shown])
            self._waiting = self._waiting[best + 1 - shown :]
        listing.highlighted = best

    def _best(self, options: list[Option], query: str) -> int | None:
        """The row to highlight for ``query``: the best fitting exercise, so that typing
        "f" and Enter opens the flare routine."""
        first = next((i for i, option in enumerate(options) if not option.disabled), None)
        if not query.strip():
            return first
        best: tuple[int, int] | None = None
        for index, option in enumerate(options):
            exercise = self.library.get(option.id or "")
            if exercise is None:
                continue
            rank = self._rank(exercise, query)
            if rank == 0:  # no row fits better, and none above it fits as well
                return index
            if best is None or rank < best[0]:
                best = (rank, index)
        return best[1] if best else first

    def _options(self, query: str) -> list[Option]:
        """The library's entries that match ``query``, under their group headings.

        Each row is built once and the same ``Option`` is given again for every query:
        the list keeps what it worked out for an option (its text laid out, its height), so a
        keystroke with a thousand rows costs a filter, not a thousand rows laid out anew."""
        words = query.lower().split()
        found = self._found.get(tuple(words))
        if found is None:
            candidates, unchecked = self._candidates(words)
            patterns = self._patterns(unchecked)
            found = [e for e in candidates if self._matches(e, patterns)]
            if len(self._found) >= REMEMBERED_QUERIES:
                self._found.clear()
            self._found[tuple(words)] = found
        self._last = (words, found)
        matching: dict[Kind, list[Exercise]] = {kind: [] for kind in GROUPS}
        flare: Exercise | None = None
        for exercise in found:
            if exercise.id == FLARE_ID:
                flare = exercise
            elif exercise.kind in matching:
                matching[exercise.kind].append(exercise)
        options: list[Option] = []
        if flare is not None:
            options.append(self._row(":group-flare", partial(_heading, ":group-flare", FLARE_HEADING)))
            options.append(self._row(flare.id, partial(self._entry, flare)))
        for kind, heading in GROUPS.items():
            members = matching[kind]
            if not members:
                continue
            group = f":group-{kind.value}"
            options.append(self._row(group, partial(_heading, group, heading)))
            options.extend(self._row(exercise.id, partial(self._entry, exercise)) for exercise in members)
        broken = [b for b in self.library.broken if not words or any(w in b.id.lower() for w in words)]
        if broken:
            broken_heading = partial(_heading, ":group-broken", "Files with errors")
            options.append(self._row(":group-broken", broken_heading))
            options.extend(self._row(f":broken:{item.id}", partial(_broken_entry, item)) for item in broken)
        if not options:
            options.append(self._row(":none", _nothing))
        return options

    def _candidates(self, words: list[str]) -> tuple[Iterable[Exercise], list[str]]:
        """The exercises that may match ``words``, and the words they still need checking
        for: those that matched the last query when ``words`` only adds to it (each word
        typed on, or more words), checked for the words that changed; else all of them, for
        every word. A row that has a longer word at a word's start has the shorter one there
        too, and it has an unchanged word still."""
        last_words, last_matched = self._last
        if len(words) >= len(last_words) and all(
            new.startswith(old) for new, old in zip(words, last_words, strict=False)
        ):
            unchecked = [
                word for i, word in enumerate(words) if i >= len(last_words) or word != last_words[i]
            ]
            return last_matched, unchecked
        return self.library.exercises.values(), words

    def _row(self, option_id: str, build: Callable[[], Option]) -> Option:
        """The row with this id, built by ``build`` the first time it is asked for. The
        list's own rows (headings, "Nothing matches", files with errors) have ids that start
        with ``:``, which no exercise id can, so an exercise never takes their place."""
        option = self._rows.get(option_id)
        if option is None:
            option = self._rows[option_id] = build()
        return option

    def _entry(self, exercise: Exercise) -> Option:
        """An exercise's row: its title, its length, and whose it is."""
        line = Text()
        line.append(exercise.title, style="bold")
        line.append(f"   {self._length(exercise)}", style="dim")
        if exercise.overrides_builtin:
            line.append("   (your version)", style="italic")
        elif exercise.origin.value == "user":
            line.append("   (yours)", style="italic")
        # The row keeps its drawing: a filter lists the same rows again and again.
        return Option(KeptDrawing(Content.from_rich_text(line)), id=exercise.id)

    def _length(self, exercise: Exercise) -> str:
        """The exercise's length in words, worked out once per library (not per keystroke),
        for every exercise at once: copies of one program share the work."""
        if not self._lengths:
            exercises = self.library.exercises
            lengths = exercise_lengths(exercises)
            self._lengths = {key: length_words(value, lengths[key]) for key, value in exercises.items()}
        return self._lengths.get(exercise.id, "")

    def _haystack(self, exercise: Exercise) -> str:
        """Everything the filter looks in: id, title, summary, tags and body areas."""
        areas = areas_of(exercise, self.library.exercises)
        labels = [f"{' '.join(a.words)} {a.title}" for a in BODY_AREAS if a.id in areas]
        titles = [variant.title for variant in exercise.variants]
        return " ".join(
            (exercise.id, exercise.title, exercise.summary, *exercise.tags, *labels, *titles)
        ).lower()

    @staticmethod
    def _patterns(words: list[str]) -> list[re.Pattern[str]]:
        """What ``_matches`` looks for, one pattern a typed word (made once per keystroke):
        the word, where the character before it is not a letter or digit.

        The word comes first and the check after it looks back, so the search can skip
        ahead to the word's first letter; with the check first, the search tried
        every place in every row and took ten times as long for a word nothing has."""
        escaped = [re.escape(word) for word in words]
        return [re.compile(rf"{word}(?<![^\W_]{word})") for word in escaped]

    def _matches(self, exercise: Exercise, patterns: list[re.Pattern[str]]) -> bool:
        """Every typed word begins a word somewhere in the exercise ("eye" finds "eyelid",
        "sigh" finds "physiological-sigh"; "f" does not find every "of")."""
        haystack = self._haystacks.get(exercise.id)
        if haystack is None:
            haystack = self._haystacks[exercise.id] = self._haystack(exercise)
        return all(pattern.search(haystack) for pattern in patterns)

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

    def _show_detail(self) -> None:
        """Two lines cut to the width, but a safety note that names emergency care, which is
        shown whole, wrapped: the emergency rule is never cut (on a small screen the summary
        gives way to it)."""
        option_id = self._detail_of
        exercise = self.library.get(option_id)
        detail = self.query_one("#detail", Static)
        note = exercise.safety[0] if exercise is not None and exercise.safety else ""
        whole = "emergency" in note.lower()
        detail.set_class(whole, "-whole")
        if whole and exercise is not None:
            # The screen's width less the padding of #home and #detail: known on a resize,
            # before the detail itself is laid out again.
            summary = Text(exercise.summary)
            summary.truncate(max(1, self.size.width - 4), overflow="ellipsis")
            lines = [summary, Text(f"Note: {note}")]
            if self.size.height < SMALL_HEIGHT:
                lines = lines[1:]
            detail.update(Text("\n").join(lines))
            return
        text = exercise.summary if exercise is not None else ""
        if note:
            text += f"\nNote: {note}"
        elif exercise is not None and exercise.tags:
            text += f"\n{', '.join(exercise.tags)}"
        elif option_id.startswith(":broken:"):
            text = "Not loaded. Press Enter to see how to check it again after a fix."
        detail.update(Text(text, no_wrap=True, overflow="ellipsis"))


def _heading(option_id: str, heading: str) -> Option:
    """A group's heading: shown, never chosen."""
    return Option(Text(heading.upper(), style="bold"), id=option_id, disabled=True)


def _broken_entry(item: BrokenFile) -> Option:
    """A file that did not load, with its problems under its name."""
    line = Text(f"{visible(item.path.name)}  (not loaded)", style="bold")
    for problem in item.problems:
        line.append(f"\n{problem}")
    # Enabled, so the keyboard can reach it: Enter shows the problems again.
    return Option(line, id=f":broken:{item.id}")


def _nothing() -> Option:
    return Option(Text("Nothing matches. Esc clears the filter."), id=":none", disabled=True)
