"""The calmcoach Textual app, and ``make_app`` (ui/factory.py): the one factory the CLI and
the tests share.

The app navigates between screens and keeps the services they share (cue player, history,
settings, notices). Screens tell it what happened by posting messages; opening a session
is ``ui/starting.py``'s."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import time
from collections.abc import Callable, Iterable
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen

from calmcoach.audio import CuePlayer, SilentPlayer
from calmcoach.data.loader import Library, ParseCache
from calmcoach.domain.visible import visible
from calmcoach.services import launch
from calmcoach.services.launch import RunOptions
from calmcoach.ui import collector, reporting, signals
from calmcoach.ui.factory import make_app as make_app
from calmcoach.ui.preferences import Preferences, palette_commands
from calmcoach.ui.screens.home import HomeScreen
from calmcoach.ui.starting import Starter, TappingReplies
from calmcoach.ui.threads import from_threads

if TYPE_CHECKING:
    from textual.driver import Driver

    from calmcoach.audio.voice import Voices
    from calmcoach.data.redflags import SafetyText
    from calmcoach.domain.session import Clock
    from calmcoach.services.conductor import Observer
    from calmcoach.services.record import Recorder
    from calmcoach.ui.screens.session import SessionScreen
    from calmcoach.ui.screens.stats import StatsScreen
    from calmcoach.ui.screens.summary import SummaryScreen

# Other screens, and what a session needs, are imported when first used: home's first frame is sooner.

log = logging.getLogger("calmcoach.ui")
"""Logged to the state dir's calmcoach.log when the CLI started the log (see logfile)."""


class CalmApp(TappingReplies, App[int]):
    """The coach: library, sessions, summary and safety pages."""

    CSS_PATH = "calmcoach.tcss"
    TITLE = "calmcoach"
    ENABLE_COMMAND_PALETTE = True
    history_unsaved: str | None = None
    """What the history could not save before the app closed (said after it exits)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+z",
            "suspend_process",
            "Suspend",
            show=False,
            id="app.suspend",
            tooltip="Suspend calmcoach; the session pauses until you come back",
        ),
        Binding(
            "exclamation_mark",
            "red_flags",
            "Doctor?",
            show=False,
            id="app.redflags",
            tooltip="When to see a doctor (a running session pauses while it is open)",
        ),
        Binding(
            "ctrl+t",
            "toggle_theme",
            "Theme",
            show=False,
            id="app.theme",
            tooltip="Switch between the light and dark themes",
        ),
    ]

    def __init__(
        self,
        *,
        library: Library,
        clock: Clock = time.monotonic,
        cues: CuePlayer | None = None,
        history: bool = True,
        options: RunOptions | None = None,
        show_first_run: bool | None = None,
        voices: Voices | None = None,
    ) -> None:
        """``options``: the command line's (what to start, sound, voice...); ``voices``: spoken clips."""
        super().__init__()
        self.library = library
        self.parse_cache: ParseCache | None = None
        """A parse cache filled while loading the library, saved after the first frame."""
        self.clock = clock
        """The session clock: ``time.monotonic``, or a fake one in tests."""
        self.cues: CuePlayer = cues or SilentPlayer()
        """The cue player: silent until the services start (see ``ensure_services``)."""
        self._own_cues = cues is None
        self._want_history = history
        self._recorder: Recorder | None = None
        self._services_ready = False
        self.options = options or RunOptions()
        """The command line's options; the voice key's choice replaces its ``voice``."""
        self.preferences = Preferences(
            lambda problem: self.tell(problem, title="Settings", severity="warning", timeout=8)
        )
        if show_first_run is None:
            from calmcoach.ui.nudges import opened_by_nudge

            # A nudge's Start opens the desk break at once; the welcome waits for the next start.
            show_first_run = not self.preferences.settings.first_run_seen and not (
                self.options.exercise is not None and opened_by_nudge()
            )
        self._show_first_run = show_first_run
        self.starter = Starter(self, voices)
        """Asks what a session needs and opens it."""
        self.after_first_frame: list[Callable[[], object]] = []
        """Called once the first frame is drawn (hooks such as the benchmarks', ui/trace.py)."""
        self.session_observers: list[Observer] = []
        """Further observers every session's conductor is given (hooks)."""
        self.on_close: list[Callable[[], object]] = []
        """Called as the app closes, once the cue player has stopped (hooks)."""
        self._collector_thresholds = gc.get_threshold()  # as before the app ran (see on_mount)

    @cached_property
    def safety(self) -> SafetyText:
        """The red flags and the disclaimer, read from their data file when first needed.

        A broken file never stops the app: the page then shows the fast-change rule and
        what is wrong with the file."""
        from calmcoach.data.redflags import load_red_flags_or_fallback

        return load_red_flags_or_fallback()

    @property
    def recorder(self) -> Recorder:
        """Writes sessions to the history (history off: a recorder that writes nothing)."""
        self.ensure_services()
        assert self._recorder is not None
        return self._recorder

    def get_default_screen(self) -> Screen[Any]:
        """Home is the bottom screen: no blank screen is composed under it."""
        return HomeScreen(self.library)

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver for this terminal, made to survive the terminal hanging up."""
        return signals.hangup_safe(super().get_driver_class())

    def on_load(self) -> None:
        # Before the terminal is taken over, so no moment is left where a signal
        # would leave it in the app's modes.
        signals.install(self)

    def on_mount(self) -> None:
        # After Ctrl+Z and fg the terminal was cleared, but Textual repaints only what changed
        # since: every cell is painted again, or still lines stay blank until a resize.
        self.app_resume_signal.subscribe(self, lambda _app: self.refresh(layout=True))
        settings = self.preferences.settings
        if settings.theme and settings.theme in self.available_themes:
            self.theme = settings.theme
        self.preferences.theme_at_start = self.theme
        self.theme_changed_signal.subscribe(self, lambda theme: self.preferences.theme_chosen(theme.name))
        for callback in self.after_first_frame:
            self.call_after_refresh(callback)
        if self._show_first_run:
            from calmcoach.ui.screens.safety import FirstRunNote

            # The note comes first: a session asked for on the command line starts
            # once it is read, not underneath it.
            self.push_screen(FirstRunNote(self.safety.disclaimer), self._first_run_done)
        else:
            self.starter.start_requested()
        # The player process and the history are not needed for the first frame.
        self.call_after_refresh(self.ensure_services)
        self.call_after_refresh(collector.freeze_what_lasts)
        collector.collect_young_rarely(self._collector_thresholds)
        from calmcoach.ui.nudges import watch_nudges

        self.nudges = watch_nudges(self)

    def on_unmount(self) -> None:
        gc.set_threshold(*self._collector_thresholds)
        self.nudges.close()
        self.cues.close()
        # A toast would not be seen now: the CLI prints this once the terminal is back.
        self.history_unsaved = self.recorder.close()
        for callback in self.on_close:
            callback()

    def action_flare(self) -> None:
        """Ask where the twitch is, then start the flare program (see ``Starter.ask_flare``)."""
        self.starter.ask_flare()

    def action_red_flags(self) -> None:
        """Open "When to see a doctor" (from any screen; a session under it pauses)."""
        from calmcoach.ui.screens.safety import RedFlagsScreen

        if not isinstance(self.screen, RedFlagsScreen):
            self.push_screen(RedFlagsScreen(self.safety))

    def action_reassurance(self) -> None:
        """Open the calm page on the signs that point toward anxiety twitches."""
        from calmcoach.ui.screens.safety import ReassuranceScreen, push_reassurance

        if not isinstance(self.screen, ReassuranceScreen):
            push_reassurance(self)

    def action_help(self) -> None:
        """Open the help screen (a session under it pauses)."""
        from calmcoach.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_stats(self) -> None:
        """Open the practice history and flare journal.

        The history's writer may still be opening the file (another program's lock, a
        quick check of a large file): that wait happens in a worker, and keys keep working."""
        self.run_worker(self._open_stats(), exclusive=True, group="stats")

    def action_toggle_reduced_motion(self) -> None:
        """Remember reduced motion on or off; it applies from the next session."""
        state = "on" if self.preferences.toggle_reduced_motion() else "off"
        self.notify(f"Reduced motion {state}, from the next session.", timeout=3)

    def action_toggle_theme(self) -> None:
        """Switch between Textual's light and dark themes."""
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"
        self.preferences.settings.theme = self.theme
        self.preferences.save()

    def on_home_screen_chosen(self, message: HomeScreen.Chosen) -> None:
        self.starter.choose_and_start(message.exercise_id)

    def on_home_screen_listed(self, _message: HomeScreen.Listed) -> None:
        collector.freeze_what_lasts()

    def on_session_screen_ended(self, message: SessionScreen.Ended) -> None:
        """The session screen gives way to its summary."""
        from calmcoach.ui.screens.summary import SummaryScreen

        self.switch_screen(SummaryScreen(message.session))

    def on_session_screen_voice_changed(self, message: SessionScreen.VoiceChanged) -> None:
        """The voice key: remembered for the next sessions, over the command line's choice."""
        self.options = dataclasses.replace(self.options, voice=None)
        self.preferences.settings.voice = "on" if message.on else "off"
        self.preferences.save()

    def on_summary_screen_rated(self, message: SummaryScreen.Rated) -> None:
        """Keep the after-session rating (in the history when it is on)."""
        self.recorder.rate(after=message.rating)

    def on_summary_screen_again(self, message: SummaryScreen.Again) -> None:
        self.starter.again(message.timeline)

    def on_summary_screen_closed(self, _message: SummaryScreen.Closed) -> None:
        self.to_home()

    def on_stats_screen_report_asked(self, message: StatsScreen.ReportAsked) -> None:
        reporting.report_for_the_doctor(self, message.history)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's commands, plus calmcoach's own settings."""
        yield from super().get_system_commands(screen)
        yield from palette_commands(self)

    def ensure_services(self) -> None:
        """Save the parse cache, start the cue player and open the history (once; before any session)."""
        if self._services_ready:
            return
        self._services_ready = True
        if self.parse_cache is not None:
            self.parse_cache.save()

        # The history is opened and written by its own thread; its notices come back
        # to this loop without waiting for the next session event (not running: they
        # wait for the recorder's next call).
        self._recorder = recorder = launch.open_recorder(
            self.options,
            partial(self.tell, title="History", severity="warning", timeout=8),
            wake=from_threads(lambda: recorder.deliver()),
            history=self._want_history,
        )
        if self._own_cues:
            # The bell rings through Textual, which owns the terminal while the app runs.
            # For the player's threads: its news is said within about a second, not at the next step.
            news = from_threads(lambda: self.say_cue_notice())
            self.cues = launch.make_cues(self.options, bell=self.bell, on_notice=news)
        self.say_cue_notice()

    def say_cue_notice(self) -> None:
        """Say what the cue player has to say (that it stopped answering, say), if anything."""
        if not self.is_running:
            return
        notice = self.cues.take_notice()
        if notice:
            self.tell(notice, title="Sound", severity="warning", timeout=8)

    def tell(
        self,
        text: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
    ) -> None:
        """Give the person a short notice (plain text, never markup), and log it.

        During a session it goes to the session's own notice line, clear of the pacer
        and the instruction; on any other screen it is a toast."""
        log.info("told: %s", visible(f"{title}: {text}" if title else text))
        # A session screen's notify shows it on its line; no screen is left as the app closes.
        (self.screen if self.screen_stack else self).notify(
            text, title=title, severity=severity, timeout=timeout, markup=False
        )

    def to_home(self) -> None:
        """Back to the library: every screen over it closes."""
        while len(self.screen_stack) > 1 and not isinstance(self.screen, HomeScreen):
            self.pop_screen()

    def _first_run_done(self, _result: None) -> None:
        self.preferences.settings.first_run_seen = True
        self.preferences.save()
        self.starter.start_requested()

    async def _open_stats(self) -> None:
        from calmcoach.services.record import OPEN_WAIT
        from calmcoach.ui.screens.stats import StatsScreen

        writer = self.recorder.writer
        if writer is not None:
            await asyncio.to_thread(writer.wait_opened, OPEN_WAIT)
        if not isinstance(self.screen, StatsScreen):
            self.push_screen(StatsScreen(self.recorder.history))
