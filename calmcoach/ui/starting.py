"""Opening a session in the app: the question an exercise asks first (how long, or where
the twitch is), the flare picker, and the wait for the session's voice and sounds.

What a session is made of (plan, players, voice, recorder) is decided by the one session
setup every shell uses, ``services/launch.py``; this module only asks, waits off the
event loop, and opens the session screen."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from calmcoach.domain.describe import area_choices, minutes_text, safety_notes
from calmcoach.domain.model import BODY_AREAS, Exercise, Kind, area_key
from calmcoach.domain.pace import TAP_LINE, start_text
from calmcoach.domain.planner import PlanError, PlanOptions, Timeline, areas_of, plan
from calmcoach.services import launch
from calmcoach.ui.screens.choice import Choice, ChoiceScreen

if TYPE_CHECKING:
    from calmcoach.audio.voice import VoicePlan, Voices
    from calmcoach.data.loader import Library
    from calmcoach.services.conductor import Observer
    from calmcoach.services.launch import Prepared, SessionSetup
    from calmcoach.ui.app import CalmApp
    from calmcoach.ui.screens.tapping import TappingScreen

TAP_LINE_WAIT = 2.0
"""Longest wait for the tapping line's clip to load; later than that, it is not said."""
SOUNDS_NOTICE_AFTER = 0.1
"""Say "getting the sounds ready" if a session's sounds take longer than this to make."""
RELEASE_ONLY = "release-only"
"""The flare picker's answer for the tension release without the breathing first."""
REASSURE = "reassure"
"""The flare picker's answer for the page on signs that point toward anxiety."""
SLOW_DOWN = "slow-down-gently"
"""The flare picker's other start: from the person's own breath into 4-2-6 (its id)."""


def flare_areas(choices: list[tuple[str, str]] | None = None) -> list[Choice]:
    """The answers to "Where is the twitch?", each with its key (model.BODY_AREAS).

    ``choices`` are the (area, title) an exercise offers (``describe.area_choices``, its
    file's titles); None for every area, with the usual titles."""
    if choices is None:
        choices = [(area.id, area.title) for area in BODY_AREAS]
    return [Choice(area, title, area_key(area)) for area, title in choices]


def options_question(exercise: Exercise, library: Library) -> tuple[str, list[Choice], str | None]:
    """What to ask before ``exercise`` starts: the question, its answers (none: start at
    once) and the answer highlighted first."""
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
    areas = areas_of(exercise, library.exercises)
    if areas:
        choices = flare_areas(area_choices(exercise, library.exercises))
        return "Where is the twitch?", choices, "general" if "general" in areas else None
    return "", [], None


def release_of(flare: Exercise, library: Library) -> Exercise | None:
    """The flare program's part that is run for a body area (the tension release)."""
    for part in flare.parts:
        target = library.get(part.exercise)
        if target is not None and target.kind is Kind.ROUTINE and target.areas:
            return target
    return None


def cautions(library: Library, timeline: Timeline) -> dict[int, str]:
    """The safety note the session screen shows as each part begins, placed as plain
    mode places them (``describe.safety_notes``), cut to fit a line or two: the first
    two notes of a single exercise; for a program, its own first note over its first
    part, then the first note each later part adds."""
    exercise = library.get(timeline.exercise_id)
    if exercise is None:
        return {}
    placed = safety_notes(exercise, timeline, library.exercises)
    if len(timeline.parts) == 1:
        return {0: " ".join(placed.start[:2])} if placed.start else {}
    notes = {number: part[0] for number, part in enumerate(placed.parts) if part}
    if placed.start:
        notes[0] = placed.start[0]
    return notes


class Starter:
    """Asks what a session needs, then opens it once its voice and sounds are ready.

    The app keeps one; its screens, workers and timers are the app's, and so are the
    session's cue player, history recorder and notices."""

    def __init__(self, app: CalmApp, voices: Voices | None = None) -> None:
        self.app = app
        self._voices = voices
        self._voice_said: set[str] = set()
        """Voice notices given already (each is said once a run)."""
        self._getting_ready: SessionSetup | None = None
        """A session waiting for its sounds to be made before it opens."""
        self._opening_notice: str | None = None
        """Said on the next session screen's own notice line once it opens."""
        self._tapped: tuple[Timeline, str, PlanOptions] | None = None
        """The last tapped session's timeline, exercise and options: its "again" taps anew."""

    @property
    def voices(self) -> Voices:
        """Finds the clip of each spoken line (made when first asked for)."""
        if self._voices is None:
            from calmcoach.audio.voice import Voices

            self._voices = Voices()
        return self._voices

    def start_requested(self) -> None:
        """Start what the command line asked for: an exercise, the flare picker or the flare form."""
        options = self.app.options
        if options.exercise is not None:
            self.start_exercise(options.exercise, options.plan_options)
        elif options.flare:
            self.ask_flare()
        elif options.log_flare:
            from calmcoach.ui.screens.stats import StatsScreen

            journal = StatsScreen(self.app.recorder.history)
            self.app.push_screen(journal)
            journal.action_log_flare()

    def choose_and_start(self, exercise_id: str) -> None:
        """Ask for the options an exercise has (minutes or area), then start it."""
        exercise = self.app.library.get(exercise_id)
        if exercise is None:
            return
        if exercise_id == "flare":  # the same picker as Ctrl+F, with the release alone
            self.ask_flare()
            return
        question, choices, default = options_question(exercise, self.app.library)
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

        self.app.push_screen(ChoiceScreen(question, choices, default, notes=exercise.safety[:2]), picked)

    def ask_flare(self) -> None:
        """Ask where the twitch is, then start the flare program at once; or the release
        alone, without the breathing first."""
        library = self.app.library
        flare = library.get("flare")
        if flare is None:
            self.app.notify("The flare routine is missing or broken.", severity="error")
            return
        release = release_of(flare, library)
        extra = [Choice(RELEASE_ONLY, "Release only: skip the breathing", "r")] if release else []
        if library.get(SLOW_DOWN) is not None:
            extra.append(Choice(SLOW_DOWN, "Slow down gently from your own pace", "s"))
        extra.append(Choice(REASSURE, "Is it anxiety? Signs that point that way", "a"))

        def picked(area: str | None) -> None:
            if area == RELEASE_ONLY and release is not None:
                self._ask_release_area(release)
            elif area == SLOW_DOWN:
                self.start_exercise(SLOW_DOWN, PlanOptions())
            elif area == REASSURE:
                self.app.action_reassurance()
            elif area is not None:
                self.start_exercise("flare", PlanOptions(area=area))

        choices = flare_areas(area_choices(flare, library.exercises) or None) + extra
        self.app.push_screen(
            ChoiceScreen("Where is the twitch?", choices, "general", notes=flare.safety[:1]), picked
        )

    def _ask_release_area(self, release: Exercise) -> None:
        def picked(area: str | None) -> None:
            if area is not None:
                self.start_exercise(release.id, PlanOptions(area=area))

        choices = flare_areas(area_choices(release, self.app.library.exercises))
        default = "general" if "general" in release.areas else None
        question = f"{release.title}: where is the twitch?"
        self.app.push_screen(ChoiceScreen(question, choices, default, notes=release.safety[:1]), picked)

    def start_exercise(self, exercise_id: str, options: PlanOptions) -> None:
        """Plan an exercise and open its session screen."""
        exercise = self.app.library.get(exercise_id)
        if exercise is None:
            self.app.notify(f"No exercise '{exercise_id}'.", severity="error", markup=False)
            return
        try:
            timeline = plan(exercise, options, self.app.library.exercises)
        except PlanError as error:
            self.app.notify(str(error), severity="error", markup=False)
            return
        if launch.asks_for_taps(exercise):  # the options fit: now the taps, then the session
            self._ask_taps(exercise, options)
            return
        self.start_timeline(timeline)

    def _ask_taps(self, exercise: Exercise, options: PlanOptions) -> None:
        from calmcoach.ui.screens.tapping import TappingScreen

        app = self.app
        app.ensure_services()
        app.to_home()
        app.push_screen(TappingScreen(exercise, options, app.clock))
        self._say_tap_line()

    def _say_tap_line(self) -> None:
        """Speak what to do while the app waits for the taps, where sessions speak."""
        app, options = self.app, self.app.options
        voice = options.voice
        if voice is None:
            voice = app.preferences.settings.voice == "on" or options.eyes_closed
        if not (options.sound and voice):
            return
        spoken = self.voices.plan({0: TAP_LINE}, use_engine=False)
        key = spoken.keys.get(0)
        if key is not None:
            app.cues.prepare([], voices=spoken.files)
            app.run_worker(self._play_when_ready(key), group="tap-line")

    async def _play_when_ready(self, key: str) -> None:
        from calmcoach.ui.screens.tapping import TappingScreen

        await asyncio.to_thread(self.app.cues.wait_ready, TAP_LINE_WAIT)
        if isinstance(self.app.screen, TappingScreen) and not self.app.screen.finished:
            self.app.cues.play(key)

    def tapped(self, exercise_id: str, options: PlanOptions, breath: float | None) -> None:
        """The taps are done (or skipped): plan from the measured breath and open the session."""
        exercise = self.app.library.get(exercise_id)
        if exercise is None:
            return
        self.app.cues.hush()  # the tapping line, if it is still being said
        try:
            timeline = launch.plan_tapped(exercise, options, self.app.library.exercises, breath)
        except PlanError as error:
            self.app.to_home()
            self.app.notify(str(error), severity="error", markup=False)
            return
        # On the session's own line, not as a toast over its pacer and countdown.
        self._opening_notice = start_text(exercise, breath)
        self._tapped = (timeline, exercise_id, options)
        self.start_timeline(timeline)

    def tapping_cancelled(self) -> None:
        """The person went back from the taps: no session, nothing recorded."""
        self.app.cues.hush()  # the tapping line, if it is still being said
        self.app.to_home()

    def again(self, timeline: Timeline) -> None:
        """The same session again; a tapped one asks for the taps again (the pace now)."""
        if self._tapped is not None and self._tapped[0] is timeline:
            _, exercise_id, options = self._tapped
            exercise = self.app.library.get(exercise_id)
            if exercise is not None:
                self._ask_taps(exercise, options)
                return
        self.start_timeline(timeline)

    def start_timeline(self, timeline: Timeline) -> None:
        """Open a session screen for a planned timeline (on top of the library), once its
        sounds (and spoken lines) are ready."""
        app = self.app
        app.ensure_services()
        app.to_home()
        setup = launch.decide(app.options, timeline, app.library.exercises, app.preferences.settings.voice)
        if launch.needs_rendering(setup, self.voices):
            # Lines of the person's own exercise: found in the cache or spoken by the
            # engine, a second or so a line the first time: never on this loop.
            self._getting_ready = setup
            app.set_timer(SOUNDS_NOTICE_AFTER, self._say_getting_ready)
            app.run_worker(self._voice_then_sounds(setup), exclusive=True, group="sounds")
            return
        self._prepare_and_open(setup, launch.voice_for(setup, self.voices))

    async def _voice_then_sounds(self, setup: SessionSetup) -> None:
        plan = await asyncio.to_thread(launch.voice_for, setup, self.voices)
        if plan.notice is not None and plan.notice not in self._voice_said:
            self._voice_said.add(plan.notice)
            self.app.tell(plan.notice, title="Voice", severity="warning", timeout=12)
        if self._getting_ready is setup:
            self._getting_ready = None
            self._prepare_and_open(setup, plan)

    def _prepare_and_open(self, setup: SessionSetup, voice: VoicePlan) -> None:
        app = self.app
        prepared = launch.prepare(setup, voice, app.cues, app.recorder)
        if app.cues.wait_ready(0):
            self._open_session(prepared)
            return
        # New sounds are being made (eyes-closed tones, say): wait off this loop, so the
        # screen never freezes, and say so if it takes longer than a moment.
        self._getting_ready = setup
        app.set_timer(SOUNDS_NOTICE_AFTER, self._say_getting_ready)
        app.run_worker(self._wait_for_sounds(prepared), exclusive=True, group="sounds")

    async def _wait_for_sounds(self, prepared: Prepared) -> None:
        from calmcoach.audio.process import READY_TIMEOUT

        await asyncio.to_thread(self.app.cues.wait_ready, READY_TIMEOUT)
        if self._getting_ready is prepared.setup:
            self._getting_ready = None
            self._open_session(prepared)

    def _say_getting_ready(self) -> None:
        if self._getting_ready is not None:
            self.app.tell("Getting the sounds ready...", timeout=2)

    def _open_session(self, prepared: Prepared) -> None:
        from calmcoach.ui.screens.session import SessionScreen

        app = self.app
        # The app's observers: sound notices, and the hooks'.
        observers: list[Observer] = [lambda _session, _events: app.say_cue_notice()]
        observers.extend(app.session_observers)
        timeline = prepared.setup.timeline
        app.push_screen(
            SessionScreen(
                prepared.conductor(app.clock, tuple(observers)),
                exercises=app.library.exercises,
                # Still: asked for by flag, setting, or Textual's animation level.
                reduced_motion=app.options.reduced_motion
                or app.preferences.settings.reduced_motion
                or app.animation_level == "none",
                cautions=cautions(app.library, timeline),
                cell_aspect=app.options.cell_aspect,
            )
        )
        notice, self._opening_notice = self._opening_notice, None
        if notice is not None:
            app.call_after_refresh(app.tell, notice, timeout=6)


class TappingReplies:
    """The app's handler for the tapping screen's message (a base of the app, so the
    starting logic stays here)."""

    starter: Starter

    def on_tapping_screen_tapped(self, message: TappingScreen.Tapped) -> None:
        self.starter.tapped(message.exercise_id, message.options, message.breath)

    def on_tapping_screen_cancelled(self, _message: TappingScreen.Cancelled) -> None:
        self.starter.tapping_cancelled()
