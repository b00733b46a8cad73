"""calmcoach's screens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

if TYPE_CHECKING:
    from calmcoach.ui.app import CalmApp


class CalmScreen(Screen[None]):
    """A full screen of calmcoach's, with typed access to the app's hooks."""

    @property
    def calm_app(self) -> CalmApp:
        """The running CalmApp."""
        from calmcoach.ui.app import CalmApp

        assert isinstance(self.app, CalmApp)
        return self.app
