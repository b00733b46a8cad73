"""calmcoach's screens."""

from __future__ import annotations

from textual.screen import Screen


class CalmScreen(Screen[None]):
    """A full screen of calmcoach's: it tells the app what happened by posting messages."""
