"""The exercise model: frozen dataclasses read from exercise files.

Pure data. Nothing here knows about files, clocks, screens or sound.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Kind(StrEnum):
    """What sort of exercise a file describes."""

    BREATHING = "breathing"
    """Phases repeated as cycles, for some minutes or a number of cycles."""
    ROUTINE = "routine"
    """A list of steps, timed or untimed, optionally with body-area variants."""
    PROGRAM = "program"
    """A chain of other exercises by id."""


class Pace(StrEnum):
    """What the body does during a phase or step; drives the pacer's shape."""

    INHALE = "inhale"
    HOLD = "hold"
    EXHALE = "exhale"
    REST = "rest"


class Origin(StrEnum):
    """Where an exercise file came from."""

    BUILTIN = "built-in"
    USER = "user"


@dataclass(frozen=True)
class Area:
    """A body area a routine may have variants for, named the same way everywhere."""

    id: str
    """What exercise files, the history and ``--area`` store."""
    title: str
    """The words shown to people (an exercise file may title its own variant)."""
    key: str
    """The one key that picks it in the app's pickers and plain mode's question."""
    words: tuple[str, ...]
    """Everything the command line accepts for it, the id first; what the library's
    filter finds it by (a word of its title, a tag) is in here too."""


BODY_AREAS: tuple[Area, ...] = (
    Area("eyelid", "Eyelid or face", "e", ("eyelid", "eye", "face")),
    Area("hand", "Hand or forearm", "h", ("hand", "arm", "forearm")),
    Area("leg", "Leg or foot", "l", ("leg", "calf", "foot")),
    Area("general", "Not sure / whole body", "n", ("general", "not-sure", "whole-body")),
)
"""The one definition of the body areas, in the order every picker lists them."""

AREAS: dict[str, str] = {area.id: area.title for area in BODY_AREAS}
"""Body areas by id, with the words shown to people."""

_AREA_WORDS: dict[str, str] = {word: area.id for area in BODY_AREAS for word in area.words}


def area_from_word(word: str) -> str | None:
    """The area id a word on the command line names (``eye`` is ``eyelid``), or None.

    Spaces and underscores count as hyphens: the library's filter finds "not sure", so
    ``calmcoach flare "not sure"`` takes it too."""
    return _AREA_WORDS.get("-".join(word.strip().lower().replace("_", " ").split()))


def area_key(area: str) -> str:
    """The key that picks ``area`` (empty for an id outside :data:`BODY_AREAS`)."""
    return next((a.key for a in BODY_AREAS if a.id == area), "")


def area_words_text() -> str:
    """The words the command line accepts, one area at a time:
    ``eyelid (eye, face), hand (arm, forearm), ...``."""
    return ", ".join(f"{a.words[0]} ({', '.join(a.words[1:])})" for a in BODY_AREAS)


@dataclass(frozen=True)
class Minutes:
    """How long a breathing exercise runs by default, and the range allowed."""

    default: float
    min: float
    max: float


@dataclass(frozen=True)
class Phase:
    """One part of a breathing cycle."""

    pace: Pace
    seconds: float
    """The phase's length; for a ramped phase, its length once the ramp is over."""
    say: str
    cue: str | None = None
    """Name of a sound (a WAV stem in a sounds dir), or None for no cue."""
    ramp_from: float | None = None
    """A ramped phase's length in the first cycle (``seconds = { from = ... }``): it
    changes evenly to ``seconds`` over the exercise's ``ramp_cycles``. None: fixed."""

    @property
    def shortest(self) -> float:
        """The shortest this phase lasts in any cycle."""
        return self.seconds if self.ramp_from is None else min(self.seconds, self.ramp_from)


@dataclass(frozen=True)
class Reminder:
    """A quiet spoken line inside a long step, so a person with closed eyes knows the
    session still runs."""

    at: float
    """Seconds from the step's start."""
    say: str


@dataclass(frozen=True)
class Step:
    """One step of a routine."""

    say: str
    seconds: float | None
    """Length in seconds; None means an untimed prompt that waits for the person."""
    title: str = ""
    pace: Pace = Pace.REST
    cue: str | None = None
    remind: tuple[Reminder, ...] = ()
    """Spoken reminders inside the step, in time order (timed steps only)."""

    @property
    def waits(self) -> bool:
        """True for an untimed prompt."""
        return self.seconds is None


@dataclass(frozen=True)
class Variant:
    """The steps of a routine for one body area."""

    area: str
    title: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Part:
    """One exercise inside a program, with its own options."""

    exercise: str
    minutes: float | None = None
    area: str | None = None
    """A fixed area, or None to use the area the program was started with."""


@dataclass(frozen=True)
class Exercise:
    """A validated exercise, ready to plan."""

    id: str
    title: str
    kind: Kind
    summary: str
    path: Path
    origin: Origin = Origin.BUILTIN
    overrides_builtin: bool = False
    """True when a user file replaces a built-in exercise of the same id."""
    safety: tuple[str, ...] = ()
    """Short safety notes shown before and during the exercise."""
    minutes: Minutes | None = None
    cycles: int | None = None
    """A fixed number of cycles (breathing without a minutes range)."""
    voice_cycles: int | None = None
    """Breathing cycles whose phases the voice speaks (None: the default, two)."""
    ramp_cycles: int | None = None
    """Cycles over which ramped phases go from their ``ramp_from`` to their ``seconds``
    (None: no phase is ramped)."""
    tapped_start: bool = False
    """``start = "tapped"``: the session begins at the person's own pace, measured from
    their taps, and ramps over ``ramp_cycles`` to the phases' lengths."""
    start_default: tuple[float, ...] | None = None
    """The first cycle's phase lengths when no taps come (``start_default``); None: the
    phases' own lengths, no ramp."""
    phases: tuple[Phase, ...] = ()
    steps: tuple[Step, ...] = ()
    """Steps every variant shares; run before the chosen area's steps."""
    variants: tuple[Variant, ...] = ()
    parts: tuple[Part, ...] = ()
    tags: tuple[str, ...] = field(default=())

    @property
    def areas(self) -> tuple[str, ...]:
        """Body areas this exercise has variants for (for a program: of its parts)."""
        return tuple(v.area for v in self.variants)

    @property
    def cycle_seconds(self) -> float:
        """Length of one breathing cycle (once any ramp is over)."""
        return sum(p.seconds for p in self.phases)

    def variant(self, area: str | None) -> Variant | None:
        """The variant for ``area``, or the first one when ``area`` is None."""
        if not self.variants:
            return None
        if area is None:
            return self.variants[0]
        for variant in self.variants:
            if variant.area == area:
                return variant
        return None
