"""The calmcoach Textual app, and ``make_app``: the one factory the CLI and the tests share."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import gc
import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.theme import Theme

from calmcoach.audio import CuePlayer, SilentPlayer
from calmcoach.data import locations
from calmcoach.data import settings as user_settings
from calmcoach.data.library import load_default_library
from calmcoach.data.loader import Library, ParseCache
from calmcoach.domain.describe import area_choices, minutes_text, safety_notes
from calmcoach.domain.model import AREAS, BODY_AREAS, Exercise, Kind, area_key
from calmcoach.domain.planner import PlanError, PlanOptions, Timeline, areas_of, plan
from calmcoach.domain.visible import visible
from calmcoach.services import launch
from calmcoach.services.launch import RunOptions
from calmcoach.ui.screens.home import HomeScreen

if TYPE_CHECKING:
    from textual.driver import Driver

    from calmcoach.audio.voice import VoicePlan, Voices
    from calmcoach.data.redflags import SafetyText
    from calmcoach.domain.session import Clock, Session
    from calmcoach.services.conductor import Observer
    from calmcoach.services.launch import Prepared, SessionSetup
    from calmcoach.services.record import Recorder
    from calmcoach.ui.screens.choice import Choice
    from calmcoach.ui.screens.session import SessionScreen

# Screens other than home, and modules a session needs, are imported when first
# used: home's first frame does not wait for them.


SOUNDS_NOTICE_AFTER = 0.1
"""Say "getting the sounds ready" if a session's sounds take longer than this to make."""
YOUNG_COLLECTION_EVERY = 7000
"""Objects made between two collections of the youngest generation while the app runs
(Python's own default is 700). Kept for the README benchmark "largest frame gap while
typing in home, 1000 programs" (goal <= 50 ms; a 3-run spot check: 38.5 ms with it, 43.9 at 700).

Textual leaves a reference cycle behind at every layout (the compositor's arranging
function refers to itself), holding the old layout's map and lines. Python's default
collects the youngest objects so often that such a cycle is caught while still in use,
and it ages into the oldest generation; collecting that took 20 to 25 ms, inside a key's
frame, with a thousand rows in home's filter (issue 16). Collected young, the cycles cost
a few milliseconds now and then, and the oldest generation was not collected once while
typing. The app's own thresholds are put back as it closes."""
log = logging.getLogger("calmcoach.ui")
"""Logged to the state dir's calmcoach.log when the CLI started the log (see logfile)."""

RELEASE_ONLY = "release-only"
"""The flare picker's answer for the tension release without the breathing first."""
REASSURE = "reassure"
"""The flare picker's answer for the page on signs that point toward anxiety."""


def flare_areas(choices: list[tuple[str, str]] | None = None) -> list[Choice]:
    """The answers to "Where is the twitch?", each with its key (model.BODY_AREAS).

    ``choices`` are the (area, title) an exercise offers (``describe.area_choices``, its
    file's titles); None for every area, with the usual titles."""
    from calmcoach.ui.screens.choice import Choice

    if choices is None:
        choices = [(area.id, area.title) for area in BODY_AREAS]
    return [Choice(area, title, area_key(area)) for area, title in choices]


def from_threads(callback: Callable[[], object]) -> Callable[[], None] | None:
    """A function that other threads may call to have ``callback`` run soon on the running
    loop, in the context of the caller of this function (None with no loop running).

    Textual's widgets and timers read the app from a context variable; a callback that
    ``call_soon_threadsafe`` runs in a thread's own context has none, and a notice timer
    started there crashed the app when it fired (LookupError: active_app)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    context = contextvars.copy_context()

    def soon() -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed with the app
            loop.call_soon_threadsafe(callback, context=context.copy())

    return soon


class CalmApp(App[int]):
    """The coach: library, sessions, summary and safety pages."""

    CSS_PATH = "calmcoach.tcss"
    TITLE = "calmcoach"
    history_unsaved: str | None = None
    """What the history could not save before the app closed (said after it exits)."""
    ENABLE_COMMAND_PALETTE = True

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
        safety: SafetyText | None = None,
        clock: Clock = time.monotonic,
        cues: CuePlayer | None = None,
        history: bool = True,
        options: RunOptions | None = None,
        show_first_run: bool | None = None,
        voices: Voices | None = None,
    ) -> None:
        """``options`` are the command line's (what to start, sound, voice, speed...);
        ``voices`` finds the spoken lines' clips."""
        super().__init__()
        self.library = library
        self.parse_cache: ParseCache | None = None
        """A parse cache filled while loading the library, saved after the first frame."""
        self._safety = safety
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
        self._voices = voices
        self._voice_said: set[str] = set()
        self.settings = user_settings.load()
        if show_first_run is None:
            from calmcoach.ui.nudges import opened_by_nudge

            # A nudge's Start opens the desk break at once; the welcome waits for the next start.
            show_first_run = not self.settings.first_run_seen and not (
                self.options.exercise is not None and opened_by_nudge()
            )
        self._show_first_run = show_first_run
        self._getting_ready: SessionSetup | None = None
        """A session waiting for its sounds to be made before it opens."""
        self._settings_problem_said = False
        self.told: list[str] = []
        """Every notice given with :meth:`tell`, in order (what the person was told)."""
        self.last_rating: int | None = None
        """The last 0 to 10 rating given on a summary."""
        self.after_first_frame: list[Callable[[], object]] = []
        """Called once the first frame is drawn (hooks such as the benchmarks', ui/trace.py)."""
        self.session_observers: list[Observer] = []
        """Further observers every session's conductor is given (hooks)."""
        self.on_close: list[Callable[[], object]] = []
        """Called as the app closes, once the cue player has stopped (hooks)."""
        self._collector_thresholds = gc.get_threshold()
        """The garbage collector's thresholds before the app ran (see on_mount)."""

    @property
    def safety(self) -> SafetyText:
        """The red flags and the disclaimer, read from their data file when first needed.

        A broken file never stops the app: the page then shows the fast-change rule and
        what is wrong with the file."""
        if self._safety is None:
            from calmcoach.data.redflags import load_red_flags_or_fallback

            self._safety = load_red_flags_or_fallback()
        return self._safety

    @property
    def reduced_motion(self) -> bool:
        """Still pacer: asked for by flag, setting, or Textual's animation level."""
        return self.options.reduced_motion or self.settings.reduced_motion or self.animation_level == "none"

    # --- start-up ----------------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        """Home is the bottom screen: no blank screen is composed under it."""
        return HomeScreen(self.library)

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver for this terminal, made to survive the terminal hanging up."""
        from calmcoach.ui import signals

        return signals.hangup_safe(super().get_driver_class())

    def on_load(self) -> None:
        # Before the terminal is taken over, so no moment is left where a signal
        # would leave it in the app's modes.
        from calmcoach.ui import signals

        signals.install(self)

    def on_mount(self) -> None:
        self.app_resume_signal.subscribe(self, self._redraw_after_resume)
        if self.settings.theme and self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        self._theme_at_start = self.theme
        # Every way of choosing a theme (Ctrl+T, the palette's "Change theme") is remembered.
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        for callback in self.after_first_frame:
            self.call_after_refresh(callback)
        if self._show_first_run:
            from calmcoach.ui.screens.safety import FirstRunNote

            # The note comes first: a session asked for on the command line starts
            # once it is read, not underneath it.
            self.push_screen(FirstRunNote(self.safety.disclaimer), self._first_run_done)
        else:
            self._start_requested()
        # The player process and the history are not needed for the first frame.
        self.call_after_refresh(self.ensure_services)
        self.call_after_refresh(self.freeze_what_lasts)
        gc.set_threshold(YOUNG_COLLECTION_EVERY, *self._collector_thresholds[1:])
        from calmcoach.ui.nudges import watch_nudges

        self.nudges = watch_nudges(self)

    def freeze_what_lasts(self) -> None:
        """Take every object made so far out of the garbage collector's sight for good.

        Called once start-up has drawn its first frame, and again when home has first listed
        the whole library: most of what was made by then (the library and its rows, Textual's
        styles and widgets) lives as long as the app. Left in sight, a full collection walks
        all of it in the middle of some key's frame: 40 to 60 ms after start-up, and 18 ms
        with a thousand rows listed, in home's filter on this project's machine (issue 16).
        Garbage not yet collected then is kept too: a few layouts' worth, once."""
        gc.freeze()

    def _redraw_after_resume(self, _app: object) -> None:
        """Paint every cell again after Ctrl+Z and ``fg``.

        The terminal's screen was cleared while the process was stopped, but Textual
        only repaints what changed since, so still lines (title, filter, key bar)
        would stay blank until a resize."""
        self.refresh(layout=True)

    def ensure_services(self) -> None:
        """Save the parse cache, start the cue player and open the history (once; before any session)."""
        if self._services_ready:
            return
        self._services_ready = True
        if self.parse_cache is not None:
            self.parse_cache.save()

        def history_notice(text: str) -> None:
            self.tell(text, title="History", severity="warning", timeout=8)

        # The history is opened and written by its own thread; its notices come back
        # to this loop without waiting for the next session event (not running: they
        # wait for the recorder's next call).
        self._recorder = recorder = launch.open_recorder(
            self.options,
            history_notice,
            wake=from_threads(lambda: recorder.deliver()),
            history=self._want_history,
        )
        if self._own_cues:
            # The bell rings through Textual, which owns the terminal while the app runs.
            self.cues = launch.make_cues(self.options, bell=self.bell, on_notice=self._cue_news())
        self._say_cue_notice()

    @property
    def recorder(self) -> Recorder:
        """Writes sessions to the history (history off: a recorder that writes nothing)."""
        self.ensure_services()
        assert self._recorder is not None
        return self._recorder

    def _save_settings(self) -> None:
        """Remember the settings; if they cannot be written, say so once this run."""
        problem = user_settings.save(self.settings)
        if problem is not None and not self._settings_problem_said:
            self._settings_problem_said = True
            self.tell(problem, title="Settings", severity="warning", timeout=8)

    def _first_run_done(self, _result: None) -> None:
        self.settings.first_run_seen = True
        self._save_settings()
        self._start_requested()

    def _start_requested(self) -> None:
        """Start what the command line asked for: an exercise, the flare picker or the flare form."""
        options = self.options
        if options.exercise is not None:
            self.start_exercise(options.exercise, options.plan_options)
        elif options.flare:
            self.action_flare()
        elif options.log_flare:
            from calmcoach.ui.screens.stats import StatsScreen

            journal = StatsScreen(self.recorder.history)
            self.push_screen(journal)
            journal.action_log_flare()

    def _cue_news(self) -> Callable[[], None] | None:
        """For the player's threads: have this app's loop show the player's news soon (a
        player that stopped answering is said within about a second, not at the next step)."""
        return from_threads(lambda: self._say_cue_notice())

    def _say_cue_notice(self) -> None:
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
        """Give the person a short notice (plain text, never markup).

        During a session it goes to the session's own notice line, clear of the pacer
        and the instruction; on any other screen it is a toast."""
        from calmcoach.ui.screens.session import SessionScreen

        self.told.append(f"{title}: {text}" if title else text)
        log.info("told: %s", visible(self.told[-1]))
        screen = self.screen if self.screen_stack else None  # none left while the app closes
        if isinstance(screen, SessionScreen):
            screen.tell(f"{title}: {text}" if title else text, severity=severity, timeout=timeout)
        else:
            self.notify(text, title=title, severity=severity, timeout=timeout, markup=False)

    # --- starting things -----------------------------------------------------------

    def choose_and_start(self, exercise_id: str) -> None:
        """Ask for the options an exercise has (minutes or area), then start it."""
        exercise = self.library.get(exercise_id)
        if exercise is None:
            return
        if exercise_id == "flare":  # the same picker as Ctrl+F, with the release alone
            self.action_flare()
            return
        question, choices, default = self._options_for(exercise)
        if not choices:
            self.start_exercise(exercise_id, PlanOptions())
            return

        def picked(value: str | None) -> None:
            if value is None:
                return
            if exercise.kind is Kind.BREATHING:
                self.start_exercise(exercise_id, PlanOptions(minutes=float(value)))
            else:
                self.start_exercise(exercise_id, PlanOptions(area=value))

        from calmcoach.ui.screens.choice import ChoiceScreen

        self.push_screen(ChoiceScreen(question, choices, default, notes=exercise.safety[:2]), picked)

    def _options_for(self, exercise: Exercise) -> tuple[str, list[Choice], str | None]:
        from calmcoach.ui.screens.choice import Choice

        if exercise.kind is Kind.BREATHING and exercise.minutes is not None:
            m = exercise.minutes
            if m.min == m.max:
                return "", [], None
            values = sorted({m.min, m.default, m.max, *range(int(m.min) + 1, int(m.max) + 1)})
            values = [v for v in values if m.min <= v <= m.max]
            choices = [
                Choice(f"{v:g}", minutes_text(v) + ("  (usual)" if v == m.default else "")) for v in values
            ]
            return f"{exercise.title}: how long?", choices, f"{m.default:g}"
        areas = areas_of(exercise, self.library.exercises)
        if areas:
            choices = flare_areas(area_choices(exercise, self.library.exercises))
            return "Where is the twitch?", choices, "general" if "general" in areas else None
        return "", [], None

    def start_exercise(self, exercise_id: str, options: PlanOptions) -> None:
        """Plan an exercise and open its session screen."""
        exercise = self.library.get(exercise_id)
        if exercise is None:
            self.notify(f"No exercise '{exercise_id}'.", severity="error", markup=False)
            return
        try:
            timeline = plan(exercise, options, self.library.exercises)
        except PlanError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self.start_timeline(timeline)

    def start_timeline(self, timeline: Timeline) -> None:
        """Open a session screen for a planned timeline (on top of the library), once its
        sounds (and spoken lines) are ready."""
        self.ensure_services()
        self._to_home()
        setup = launch.decide(self.options, timeline, self.library.exercises, self.settings.voice)
        if launch.needs_rendering(setup, self.voices):
            # Lines of the person's own exercise: found in the cache or spoken by the
            # engine, a second or so a line the first time: never on this loop.
            self._getting_ready = setup
            self.set_timer(SOUNDS_NOTICE_AFTER, self._say_getting_ready)
            self.run_worker(self._voice_then_sounds(setup), exclusive=True, group="sounds")
            return
        self._prepare_and_open(setup, launch.voice_for(setup, self.voices))

    async def _voice_then_sounds(self, setup: SessionSetup) -> None:
        plan = await asyncio.to_thread(launch.voice_for, setup, self.voices)
        if plan.notice is not None and plan.notice not in self._voice_said:
            self._voice_said.add(plan.notice)
            self.tell(plan.notice, title="Voice", severity="warning", timeout=12)
        if self._getting_ready is setup:
            self._getting_ready = None
            self._prepare_and_open(setup, plan)

    def _prepare_and_open(self, setup: SessionSetup, voice: VoicePlan) -> None:
        prepared = launch.prepare(setup, voice, self.cues, self.recorder)
        if self.cues.wait_ready(0):
            self._open_session(prepared)
            return
        # New sounds are being made (eyes-closed tones, say): wait off this loop, so the
        # screen never freezes, and say so if it takes longer than a moment.
        self._getting_ready = setup
        self.set_timer(SOUNDS_NOTICE_AFTER, self._say_getting_ready)
        self.run_worker(self._wait_for_sounds(prepared), exclusive=True, group="sounds")

    async def _wait_for_sounds(self, prepared: Prepared) -> None:
        from calmcoach.audio.process import READY_TIMEOUT

        await asyncio.to_thread(self.cues.wait_ready, READY_TIMEOUT)
        if self._getting_ready is prepared.setup:
            self._getting_ready = None
            self._open_session(prepared)

    @property
    def voices(self) -> Voices:
        """Finds the clip of each spoken line (made when first asked for)."""
        if self._voices is None:
            from calmcoach.audio.voice import Voices

            self._voices = Voices()
        return self._voices

    def on_session_screen_voice_changed(self, message: SessionScreen.VoiceChanged) -> None:
        """The voice key: remembered for the next sessions, over the command line's choice."""
        self.options = dataclasses.replace(self.options, voice=None)
        self.settings.voice = "on" if message.on else "off"
        self._save_settings()

    def _say_getting_ready(self) -> None:
        if self._getting_ready is not None:
            self.tell("Getting the sounds ready...", timeout=2)

    def _open_session(self, prepared: Prepared) -> None:
        from calmcoach.ui.screens.session import SessionScreen

        # The app's observers: sound notices, and the hooks'.
        observers: list[Observer] = [lambda _session, _events: self._say_cue_notice()]
        observers.extend(self.session_observers)
        timeline = prepared.setup.timeline
        self.push_screen(
            SessionScreen(
                prepared.conductor(self.clock, tuple(observers)),
                reduced_motion=self.reduced_motion,
                cautions=self._cautions(timeline),
            )
        )

    def _cautions(self, timeline: Timeline) -> dict[int, str]:
        """The safety note the session screen shows as each part begins, placed as plain
        mode places them (``describe.safety_notes``), cut to fit a line or two: the first
        two notes of a single exercise; for a program, its own first note over its first
        part, then the first note each later part adds."""
        exercise = self.library.get(timeline.exercise_id)
        if exercise is None:
            return {}
        placed = safety_notes(exercise, timeline, self.library.exercises)
        if len(timeline.parts) == 1:
            return {0: " ".join(placed.start[:2])} if placed.start else {}
        notes = {number: part[0] for number, part in enumerate(placed.parts) if part}
        if placed.start:
            notes[0] = placed.start[0]
        return notes

    def _to_home(self) -> None:
        while len(self.screen_stack) > 1 and not isinstance(self.screen, HomeScreen):
            self.pop_screen()

    def go_home(self) -> None:
        """Back to the library."""
        self._to_home()

    def show_summary(self, session: Session) -> None:
        """Replace the session screen with its summary."""
        from calmcoach.ui.screens.summary import SummaryScreen

        self.switch_screen(SummaryScreen(session))

    # --- after a session ---------------------------------------------------------------

    def rate_session(self, session: Session, rating: int) -> None:
        """Keep the after-session rating (in the history when it is on)."""
        del session
        self.last_rating = rating
        self.recorder.rate(after=rating)

    # --- actions -----------------------------------------------------------------------

    def action_flare(self) -> None:
        """Ask where the twitch is, then start the flare program at once; or the release
        alone, without the breathing first."""
        flare = self.library.get("flare")
        if flare is None:
            self.notify("The flare routine is missing or broken.", severity="error")
            return
        from calmcoach.ui.screens.choice import Choice, ChoiceScreen

        release = self._release_of(flare)
        extra = [Choice(RELEASE_ONLY, "Release only: skip the breathing", "r")] if release else []
        extra.append(Choice(REASSURE, "Is it anxiety? Signs that point that way", "a"))

        def picked(area: str | None) -> None:
            if area == RELEASE_ONLY and release is not None:
                self._ask_release_area(release)
            elif area == REASSURE:
                self.action_reassurance()
            elif area is not None:
                self.start_exercise("flare", PlanOptions(area=area))

        self.push_screen(
            ChoiceScreen(
                "Where is the twitch?",
                flare_areas(area_choices(flare, self.library.exercises) or None) + extra,
                "general",
                notes=flare.safety[:1],
            ),
            picked,
        )

    def _release_of(self, flare: Exercise) -> Exercise | None:
        """The flare program's part that is run for a body area (the tension release)."""
        for part in flare.parts:
            target = self.library.get(part.exercise)
            if target is not None and target.kind is Kind.ROUTINE and target.areas:
                return target
        return None

    def _ask_release_area(self, release: Exercise) -> None:
        from calmcoach.ui.screens.choice import ChoiceScreen

        def picked(area: str | None) -> None:
            if area is not None:
                self.start_exercise(release.id, PlanOptions(area=area))

        choices = flare_areas(area_choices(release, self.library.exercises))
        default = "general" if "general" in release.areas else None
        self.push_screen(
            ChoiceScreen(
                f"{release.title}: where is the twitch?", choices, default, notes=release.safety[:1]
            ),
            picked,
        )

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

    async def _open_stats(self) -> None:
        from calmcoach.services.record import OPEN_WAIT
        from calmcoach.ui.screens.stats import StatsScreen

        writer = self.recorder.writer
        if writer is not None:
            await asyncio.to_thread(writer.wait_opened, OPEN_WAIT)
        if not isinstance(self.screen, StatsScreen):
            self.push_screen(StatsScreen(self.recorder.history))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's commands, plus calmcoach's own settings."""
        yield from super().get_system_commands(screen)
        state = "on" if self.settings.reduced_motion else "off"
        yield SystemCommand(
            f"Reduced motion (now {state})",
            "A still pacer: the phase word and a countdown, nothing moves",
            self.action_toggle_reduced_motion,
        )
        yield SystemCommand(
            "Light or dark theme", "Switch between the light and dark themes", self.action_toggle_theme
        )
        yield SystemCommand(
            "When to see a doctor", "The signs that mean a twitch should be checked", self.action_red_flags
        )

    def action_toggle_reduced_motion(self) -> None:
        """Remember reduced motion on or off; it applies from the next session."""
        self.settings.reduced_motion = not self.settings.reduced_motion
        self._save_settings()
        state = "on" if self.settings.reduced_motion else "off"
        self.notify(f"Reduced motion {state}, from the next session.", timeout=3)

    def _remember_theme(self, theme: Theme) -> None:
        if theme.name == (self.settings.theme or self._theme_at_start):
            return
        self.settings.theme = theme.name
        self._save_settings()

    def action_toggle_theme(self) -> None:
        """Switch between Textual's light and dark themes."""
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"
        self.settings.theme = self.theme
        self._save_settings()

    def on_unmount(self) -> None:
        gc.set_threshold(*self._collector_thresholds)
        self.nudges.close()
        self.cues.close()
        # A toast would not be seen now: the CLI prints this once the terminal is back.
        self.history_unsaved = self.recorder.close()
        for callback in self.on_close:
            callback()


def _scaled_clock(speed: float) -> Clock:
    from calmcoach.domain.session import ScaledClock

    return ScaledClock(speed)


def make_app(
    options: RunOptions | None = None,
    *,
    start: str | None = None,
    area: str | None = None,
    minutes: float | None = None,
    flare: bool = False,
    reduced_motion: bool = False,
    no_sound: bool = False,
    eyes_closed: bool = False,
    clock: Clock | None = None,
    library: Library | None = None,
    cues: CuePlayer | None = None,
    show_first_run: bool | None = None,
    history: bool = True,
    speed: float = 1.0,
    log_flare: bool = False,
    voice: bool | None = None,
    voices: Voices | None = None,
) -> CalmApp:
    """Build the app, as the CLI runs it (``options``, parsed from the command line) and
    as the tests drive it (the same options one by one, a clock, players)."""
    if options is None:
        options = RunOptions(
            exercise=start,
            minutes=minutes,
            area=area,
            sound=not no_sound,
            voice=voice,
            eyes_closed=eyes_closed,
            speed=speed,
            reduced_motion=reduced_motion,
            flare=flare,
            log_flare=log_flare,
        )
    if options.area is not None and options.area not in AREAS:
        raise ValueError(f"unknown area {options.area!r}")
    cache = None
    if library is None:
        cache = ParseCache(locations.parse_cache_file())
        library = load_default_library(cache)
    app = CalmApp(
        history=history,
        library=library,
        clock=clock or (_scaled_clock(options.speed) if options.speed != 1.0 else time.monotonic),
        cues=cues,
        options=options,
        show_first_run=show_first_run,
        voices=voices,
    )
    app.parse_cache = cache
    from calmcoach.ui.trace import install

    install(app)  # the benchmarks' hooks, when their environment asks
    return app
