"""Helpers for driving the app in virtual time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest
from textual.pilot import Pilot

from calmcoach.audio import GuideTone
from calmcoach.ui.app import CalmApp, make_app
from calmcoach.ui.screens.session import SessionScreen
from tests.clocks import FakeClock
from tests.doubles import RecordingPlayer

T0 = 5000.0


def new_app(clock: FakeClock | None = None, **kwargs: object) -> tuple[CalmApp, FakeClock, RecordingPlayer]:
    """The real app with a fake clock and a recording silent cue player."""
    clock = clock or FakeClock(T0)
    cues = kwargs.pop("cues", None) or RecordingPlayer()
    assert isinstance(cues, RecordingPlayer)
    kwargs.setdefault("show_first_run", False)
    app = make_app(clock=clock, cues=cues, **kwargs)  # type: ignore[arg-type]
    return app, clock, cues


async def advance(pilot: Pilot[object], clock: FakeClock, seconds: float, step: float = 0.25) -> None:
    """Move virtual time forward in small steps, letting the session screen read it each time."""
    remaining = seconds
    while remaining > 1e-9:
        dt = min(step, remaining)
        clock.advance(dt)
        remaining -= dt
        screen = pilot.app.screen
        if isinstance(screen, SessionScreen):
            screen.tick()
    await pilot.pause()


def session_screen(pilot: Pilot[object]) -> SessionScreen:
    screen = pilot.app.screen
    assert isinstance(screen, SessionScreen), f"expected the session screen, got {screen!r}"
    return screen


class AheadPlayer(RecordingPlayer):
    """A silent player that keeps time on the session's own clock, so the app hands it each
    boundary's cue ahead of time (as it does the real player on the monotonic clock)."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.pending: tuple[str, float] | None = None
        """The cue handed over and not yet due or withdrawn."""
        self.started: list[tuple[str, float]] = []
        """Cues this player started by itself, with the moment they were due."""
        self.hushed: list[float] = []
        """The moments it was told to stop what plays (a sentence cut off)."""
        self.voices: dict[str, Path] = {}
        """Spoken lines it was asked to load, by key."""

    def prepare(
        self, names: Iterable[str], tones: Iterable[GuideTone] = (), voices: Mapping[str, Path] | None = None
    ) -> None:
        self.voices.update(voices or {})

    def hush(self) -> None:
        self.hushed.append(self.clock())

    def schedule(self, name: str, at: float) -> bool:
        if self.muted:
            return False
        self.pending = (name, at)
        return True

    def cancel_scheduled(self) -> None:
        self.pending = None

    def catch_up(self) -> None:
        """Start the cue handed over if the clock has reached its moment."""
        if self.pending is not None and self.clock() >= self.pending[1]:
            self.started.append(self.pending)
            self.pending = None


async def session_opened(pilot: Pilot[object], attempts: int = 200) -> SessionScreen:
    """The session screen, once it has opened: with a real player it opens only when the
    player says its sounds are ready (a moment after the app starts)."""
    for _ in range(attempts):
        screen = pilot.app.screen
        if isinstance(screen, SessionScreen) and screen.is_attached and screen.session.active:
            return screen
        await pilot.pause(0.05)
    return session_screen(pilot)


def notices_told(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every notice the app gave the person (a toast, or a line on the session's notice
    line), oldest first, as its log has them: the log a bug report includes. The test sets
    ``caplog`` to keep ``calmcoach.ui``'s information lines (the ``told`` fixture does)."""
    lines = [record.getMessage() for record in caplog.records if record.name == "calmcoach.ui"]
    return [line.removeprefix("told: ") for line in lines if line.startswith("told: ")]
