"""The app's screens, which post messages up to the app; import widgets, the services and below."""

from __future__ import annotations

from textual.screen import Screen


class CalmScreen(Screen[None]):
    """A full screen of calmcoach's: it tells the app what happened by posting messages."""
