"""One session setup for every shell: the options, parsed once, and a session prepared
from them the same way for the app, plain mode and the desktop.

A shell turns its command line into :class:`RunOptions`, plans the timeline, and then
asks this module what the session is (:func:`decide`), which spoken clips it uses
(:func:`voice_for`, which may render: off an event loop) and for the players made ready
(:func:`prepare`). What is left to the shell is how it shows the session.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from calmcoach.audio import CuePlayer, GuideTone, sounds_for
from calmcoach.domain.planner import PlanOptions, Timeline
from calmcoach.domain.session import DEFAULT_MAX_GAP, Clock

# What only a session needs is imported when one is set up: the app's first frame
# (which imports RunOptions) does not wait for it.
if TYPE_CHECKING:
    from calmcoach.audio.voice import VoicePlan, Voices
    from calmcoach.domain.model import Exercise
    from calmcoach.services import conductor as conducting
    from calmcoach.services.conductor import Conductor, Observer
    from calmcoach.services.record import Recorder


@dataclass(frozen=True)
class RunOptions:
    """What the command line asked of a session, wherever on it each option was given."""

    exercise: str | None = None
    """The exercise to start (``run ID``; ``flare`` with an area); None opens the library."""
    minutes: float | None = None
    area: str | None = None
    """A body area id (already checked against the known words)."""
    sound: bool = True
    """False for ``--no-sound``: no cues and no voice."""
    voice: bool | None = None
    """``--voice`` (True), ``--no-voice`` (False), or neither (None: the setting decides)."""
    eyes_closed: bool = False
    speed: float = 1.0
    """A preview runs this many times faster than real time."""
    reduced_motion: bool = False
    plain: bool = False
    flare: bool = False
    """Open the flare picker (the app) when no area is given."""
    log_flare: bool = False
    """Open the journal's flare form (the app)."""
    cell_aspect: float = 2.0
    """A terminal cell's height over its width (``CALMCOACH_CELL_ASPECT``), so the pacer is round."""

    @property
    def recorded(self) -> bool:
        """A preview (``--speed``) is not a session: it is never recorded."""
        return self.speed == 1.0

    @property
    def max_gap(self) -> float:
        """The largest gap between two clock reads that is not a suspend: two real seconds
        of silence, whatever the speed."""
        return DEFAULT_MAX_GAP * self.speed

    @property
    def plan_options(self) -> PlanOptions:
        return PlanOptions(minutes=self.minutes, area=self.area)


def asks_for_taps(exercise: Exercise) -> bool:
    """True when ``exercise`` starts at the person's tapped pace (``start = "tapped"``):
    the shell asks for the taps before it plans the session with :func:`plan_tapped`."""
    return exercise.tapped_start


def plan_tapped(
    exercise: Exercise, options: PlanOptions, exercises: Mapping[str, Exercise], breath: float | None
) -> Timeline:
    """The timeline of a tapped start: from the measured ``breath`` (seconds; None when
    the taps did not give one, for the file's default) into the exercise's own pace. The
    timeline keeps the measured breath for the history. Raises PlanError as ``plan`` does."""
    from dataclasses import replace

    from calmcoach.domain.pace import start_from
    from calmcoach.domain.planner import plan

    timeline = plan(start_from(exercise, breath), options, exercises)
    return replace(timeline, start_pace=breath)


@dataclass(frozen=True)
class SessionSetup:
    """What a session is, decided from the options and the timeline alone: every shell
    gets the same one for the same command line."""

    timeline: Timeline
    sounds: tuple[str, ...]
    """The cue names to preload."""
    tones: tuple[GuideTone, ...]
    """The eyes-closed guide tones to make and preload."""
    lines: Mapping[int, str]
    """The spoken line of each segment (none without sound)."""
    voice: bool
    """Whether the lines are spoken (where their clips exist)."""
    sound: bool
    eyes_closed: bool
    speed: float
    max_gap: float
    recorded: bool


def decide(
    options: RunOptions, timeline: Timeline, exercises: Mapping[str, Exercise], voice_setting: str
) -> SessionSetup:
    """The session ``options`` ask for over ``timeline``; ``voice_setting`` is the
    settings file's voice choice."""
    from calmcoach.domain.voice_text import spoken_lines, voice_wanted

    names, tones = sounds_for(timeline, options.eyes_closed)
    # Without sound no line is heard, so none is looked up or rendered.
    lines = spoken_lines(timeline, exercises) if options.sound else {}
    voice = options.sound and voice_wanted(options.voice, voice_setting, options.eyes_closed, timeline)
    return SessionSetup(
        timeline=timeline,
        sounds=tuple(names),
        tones=tuple(tones),
        lines=lines,
        voice=voice,
        sound=options.sound,
        eyes_closed=options.eyes_closed,
        speed=options.speed,
        max_gap=options.max_gap,
        recorded=options.recorded,
    )


def needs_rendering(setup: SessionSetup, voices: Voices) -> bool:
    """True when :func:`voice_for` will ask the speech engine (seconds a line, the first
    time): the person's own exercise, spoken."""
    return setup.voice and voices.needs_rendering(setup.lines)


def voice_for(setup: SessionSetup, voices: Voices) -> VoicePlan:
    """The clips of the session's spoken lines. Spoken lines of the person's own exercise
    are rendered now: that blocks, so an event loop calls it from a thread. Unspoken, the
    shipped clips are still loaded, so the voice key can turn them on."""
    if needs_rendering(setup, voices):
        return voices.plan(setup.lines, render=True, use_engine=True)
    return voices.plan(setup.lines, use_engine=False)


@dataclass(frozen=True)
class Prepared:
    """A session ready to conduct: what it is, its clips, its players and its recorder."""

    setup: SessionSetup
    voice: VoicePlan
    cues: CuePlayer
    recorder: Recorder | None

    @property
    def speaks(self) -> bool:
        """Whether the session starts spoken (voice wanted, and clips to speak with)."""
        return self.setup.voice and bool(self.voice.keys)

    def conductor(self, clock: Clock, observers: tuple[Observer, ...] = ()) -> Conductor:
        """The session on ``clock``, conducted with these players and this recorder."""
        setup = self.setup
        return conduct(
            setup.timeline,
            clock,
            cues=self.cues,
            recorder=self.recorder,
            speed=setup.speed,
            eyes_closed=setup.eyes_closed,
            voice=self.voice.keys,
            voice_on=self.speaks,
            observers=observers,
        )


def conduct(
    timeline: Timeline,
    clock: Clock,
    *,
    cues: CuePlayer,
    recorder: conducting.Recorder | None,
    speed: float = 1.0,
    eyes_closed: bool = False,
    voice: Mapping[int, str] | None = None,
    voice_on: bool = False,
    observers: tuple[Observer, ...] = (),
) -> Conductor:
    """A session over ``timeline`` on ``clock`` and its conductor: the one place where
    both are made, so every shell takes the same gap for a suspend."""
    from calmcoach.domain.session import Session
    from calmcoach.services.conductor import Conductor

    return Conductor(
        Session(timeline, clock, max_gap=RunOptions(speed=speed).max_gap),
        cues=cues,
        recorder=recorder,
        eyes_closed=eyes_closed,
        voice=voice,
        voice_on=voice_on,
        observers=observers,
    )


def prepare(setup: SessionSetup, voice: VoicePlan, cues: CuePlayer, recorder: Recorder | None) -> Prepared:
    """Hand the session's sounds and clips to the player to get ready (the shell waits for
    it as suits it: plain mode blocks, the app waits off its loop)."""
    cues.prepare(list(setup.sounds), list(setup.tones), voices=voice.files)
    return Prepared(setup, voice, cues, recorder)


def make_cues(
    options: RunOptions,
    *,
    bell: Callable[[], None] | None = None,
    on_notice: Callable[[], None] | None = None,
) -> CuePlayer:
    """The cue player the options ask for: silent with ``--no-sound``."""
    from calmcoach.audio.factory import make_player

    if bell is None:
        return make_player(no_sound=not options.sound, on_notice=on_notice)
    return make_player(no_sound=not options.sound, bell=bell, on_notice=on_notice)


def open_recorder(
    options: RunOptions,
    notify: Callable[[str], None],
    *,
    wake: Callable[[], object] | None = None,
    history: bool = True,
) -> Recorder:
    """The history's recorder; a preview's (or one with ``history`` off) writes nothing."""
    from calmcoach.data import locations
    from calmcoach.services.record import Recorder

    return Recorder(locations.history_file() if history and options.recorded else None, notify, wake=wake)
