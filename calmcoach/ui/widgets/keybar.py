"""The bar of keys along the bottom of every screen."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.screen import Screen


class KeyEntry(NamedTuple):
    """One key as the bar shows it."""

    key: str
    shown: str
    """The key as displayed (e.g. ``^p``)."""
    description: str
    enabled: bool
    tooltip: str
    action: str = ""
    """The binding's action (empty for a hint), which says how much the key matters."""


def hint(key: str, shown: str, description: str, tooltip: str = "") -> KeyEntry:
    """A key the bar tells of though no binding of the screen's shows it (a list's Enter, a
    form's Tab): a widget's own key, pressed on a click like any other."""
    return KeyEntry(key, shown, description, True, tooltip or description)


FIRST_KEPT = (
    "stop",
    "app.help",
    "app.red_flags",
    "cancel",
    "app.pop_screen",
    "save",
    "pause",
    "resume",
    "done",
)
"""The actions a narrow bar keeps first, most needed first: the ways out, help and the red
flags, then what space does. Hints come next, then every other key in the bar's order."""


class KeySpan(NamedTuple):
    """Where one key is drawn on the bar, and what it does."""

    start: int
    end: int
    key: str
    enabled: bool
    tooltip: str


class KeyBar(Widget):
    """The keys that work here, drawn on one line by one widget.

    It shows the same bindings as Textual's ``Footer`` (those with ``show``, one per
    action, and the command palette key at the right) in the footer's colours. The
    Footer mounts a widget per key and fills itself in a frame after the screen's
    first, which made it a fifth of calmcoach's start-up; this bar is drawn with the
    screen. A click presses the key; pointing at a key shows its tooltip.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"keybar--key", "keybar--description"}

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
        text-wrap: nowrap;
        text-overflow: clip;
        .keybar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .keybar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(
        self,
        *,
        hints: tuple[KeyEntry, ...] = (),
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._spans: list[KeySpan] = []
        self.hints = hints
        """Keys shown after the bindings' (see ``hint``)."""

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keybar--key", partial=True)
        description_style = self.get_component_rich_style("keybar--description", partial=True)
        dim = Style(dim=True)
        entries, palette = self._entries()
        spans: list[KeySpan] = []
        line = Text(no_wrap=True, overflow="crop")

        def add(entry: KeyEntry) -> None:
            key, shown, description, enabled, tooltip, _action = entry
            start = line.cell_len
            line.append(f" {shown} ", key_style + (dim if not enabled else Style()))
            if description:
                line.append(f"{description} ", description_style + (dim if not enabled else Style()))
            spans.append(KeySpan(start, line.cell_len, key, enabled, tooltip or description))

        for entry in self._fitting(entries):
            add(entry)
        if palette is not None:
            width = len(palette.shown) + len(palette.description) + 3
            gap = self.size.width - line.cell_len - width
            if gap > 0:
                line.append(" " * gap)
                add(palette)
        self._spans = spans
        return line

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def on_click(self, event: events.Click) -> None:
        span = self._span_at(event.x)
        if span is None:
            return
        event.stop()
        if span.enabled:
            self.app.simulate_key(span.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        span = self._span_at(event.x)
        self.tooltip = span.tooltip if span is not None else None

    def _bindings_changed(self, _screen: Screen[object]) -> None:
        self.refresh()

    def _entries(self) -> tuple[list[KeyEntry], KeyEntry | None]:
        """The key for each action shown here, and the command palette's key."""
        app = self.app
        active = self.screen.active_bindings
        entries: list[KeyEntry] = []
        actions: set[str] = set()
        for _node, binding, enabled, tooltip in active.values():
            if not binding.show or binding.action in actions:
                continue
            actions.add(binding.action)
            shown = app.get_key_display(binding)
            entries.append(
                KeyEntry(binding.key, shown, binding.description, enabled, tooltip or "", binding.action)
            )
        entries.extend(self.hints)
        palette = None
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _node, binding, enabled, tooltip = active[app.COMMAND_PALETTE_BINDING]
            palette = KeyEntry(
                binding.key,
                app.get_key_display(binding),
                binding.description,
                enabled,
                tooltip or binding.tooltip or binding.description,
            )
        return entries, palette

    def _fitting(self, entries: list[KeyEntry]) -> list[KeyEntry]:
        """The entries that fit the bar's width, in the bar's order: when not all do, the
        ones that matter most (``FIRST_KEPT``, then hints), so that a narrow screen still shows
        how to stop and where help is, rather than the keys that happen to come first."""
        width = self.size.width

        def cells(entry: KeyEntry) -> int:
            return cell_len(entry.shown) + 2 + (cell_len(entry.description) + 1 if entry.description else 0)

        if not width or sum(cells(entry) for entry in entries) <= width:
            return entries

        def rank(index: int) -> tuple[int, int]:
            action = entries[index].action
            if action in FIRST_KEPT:
                return (FIRST_KEPT.index(action), index)
            return (len(FIRST_KEPT) + (0 if not action else 1), index)

        kept: set[int] = set()
        used = 0
        for index in sorted(range(len(entries)), key=rank):
            size = cells(entries[index])
            if used + size <= width:
                kept.add(index)
                used += size
        return [entry for index, entry in enumerate(entries) if index in kept]

    def _span_at(self, x: int) -> KeySpan | None:
        return next((span for span in self._spans if span.start <= x < span.end), None)
