"""The person's settings while the app runs, and the command palette's entries for them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from calmcoach.data import settings as user_settings

if TYPE_CHECKING:
    from calmcoach.ui.app import CalmApp


class Preferences:
    """The settings file's contents (theme, reduced motion, voice, the welcome seen): each
    change is saved at once, and a file that cannot be written is said once a run."""

    def __init__(self, tell: Callable[[str], object]) -> None:
        """``tell`` says why the settings could not be saved."""
        self.settings = user_settings.load()
        self._tell = tell
        self._problem_said = False
        self.theme_at_start = ""
        """The theme the app opened with (a theme chosen again is not saved)."""

    def save(self) -> None:
        """Remember the settings; if they cannot be written, say so once this run."""
        problem = user_settings.save(self.settings)
        if problem is not None and not self._problem_said:
            self._problem_said = True
            self._tell(problem)

    def toggle_reduced_motion(self) -> bool:
        """Reduced motion on or off, remembered; whether it is on now."""
        self.settings.reduced_motion = not self.settings.reduced_motion
        self.save()
        return self.settings.reduced_motion

    def theme_chosen(self, name: str) -> None:
        """Remember a theme, however it was chosen (Ctrl+T, the palette's "Change theme")."""
        if name != (self.settings.theme or self.theme_at_start):
            self.settings.theme = name
            self.save()


def palette_commands(app: CalmApp) -> Iterator[SystemCommand]:
    """calmcoach's own entries in the command palette."""
    state = "on" if app.preferences.settings.reduced_motion else "off"
    yield SystemCommand(
        f"Reduced motion (now {state})",
        "A still pacer: the phase word and a countdown, nothing moves",
        app.action_toggle_reduced_motion,
    )
    yield SystemCommand(
        "Light or dark theme", "Switch between the light and dark themes", app.action_toggle_theme
    )
    yield SystemCommand(
        "When to see a doctor", "The signs that mean a twitch should be checked", app.action_red_flags
    )
