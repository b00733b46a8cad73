"""What the voice says at each boundary, and whether it has time to say it.

A routine's step speaks its instruction (its ``say``). A breathing exercise's first
cycle speaks each phase's whole instruction (its ``say``, "Breathe in slowly through
your nose"), so a person with closed eyes hears how to breathe, not only when; a
phase too short for its instruction says its phase word instead. The cycles after it,
up to ``voice_cycles`` (two unless the file says otherwise), speak only the phase
words, "Breathe in", "Hold", "Breathe out" or "Rest" (or a short form when the phase
is too short for the full one); after that the tones carry the pace alone, so the
voice does not chatter through a five-minute drill.

A spoken line must end before its step does: ``fits`` says whether a line of a given
length does, and ``estimate_seconds`` guesses the length of a text that has not
been spoken yet (a user's step, for ``calmcoach validate``). The estimate is
measured on the built-in voice (see ``sounds/voice/README.md``).

Domain level: imports the model and the planner only, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from calmcoach.domain.model import Exercise, Kind, Pace
from calmcoach.domain.pace import TAP_LINE
from calmcoach.domain.planner import Segment, Timeline

__all__ = [
    "DEFAULT_VOICE_CYCLES",
    "FIT_MARGIN",
    "MAX_LINE_SECONDS",
    "PHASE_WORDS",
    "Line",
    "asks_to_close_eyes",
    "estimate_seconds",
    "fit_problems",
    "fits",
    "lines",
    "normalize",
    "phase_line",
    "phase_word",
    "reminder_slot",
    "segment_text",
    "spoken_lines",
    "voice_cycles",
    "voice_wanted",
]

DEFAULT_VOICE_CYCLES = 2
"""Breathing cycles spoken when an exercise file does not set ``voice_cycles``."""

PHASE_WORDS: dict[Pace, tuple[str, str]] = {
    Pace.INHALE: ("Breathe in", "In"),
    Pace.HOLD: ("Hold", "Hold"),
    Pace.EXHALE: ("Breathe out", "Out"),
    Pace.REST: ("Rest", "Rest"),
}
"""For each pace, the full phase word and the short one used when a phase is brief."""

FIT_MARGIN = 0.3
"""Seconds a spoken line must leave free before its step ends, so the next boundary's
cue or line never lands on the tail of this one."""

# The speech-length estimate: a fixed start plus a time per syllable and per pause,
# fitted (least squares, rounded up a little) to the 48 built-in clips: it is within
# 0.8 s of each of them, and right to 0.1 s on average (tests/test_voice_content.py).
BASE_SECONDS = 0.2
SECONDS_PER_SYLLABLE = 0.24
SECONDS_PER_PAUSE = 0.33
"""After a comma, full stop, colon, semicolon, question or exclamation mark."""

MAX_LINE_SECONDS = 60.0
"""The longest line (by the estimate) the voice makes on this machine: a longer one
would hold the speech program for many seconds and make a clip too large to play, so it
is never sent to it; tones carry it, and ``calmcoach validate`` warns of it."""
SYMBOL_SYLLABLES = 2
"""A symbol the voice reads out by name ("backslash", "dollar") counts as two syllables."""

_WORD = re.compile(r"[A-Za-z0-9']+")
_SYMBOL = re.compile(r"[^\w\s,.;:!?'\"()-]")
_VOWELS = re.compile(r"[aeiouy]+")
_PAUSE = re.compile(r"[,.;:!?]+(?=\s|$)")
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """The text as it is spoken and looked up: trimmed, runs of white space made one."""
    return _SPACE.sub(" ", text).strip()


def _syllables(word: str) -> int:
    """A rough syllable count for an English word (digits count one per character)."""
    if word.isdigit():
        return 2 * len(word)
    lower = word.lower()
    count = len(_VOWELS.findall(lower))
    if count > 1 and (  # a silent e: "stone", "toes", "rolled", but not "little", "closes", "rested"
        (lower.endswith("e") and not lower.endswith(("le", "ee", "ye")))
        or (
            lower.endswith("es")
            and not lower.endswith(("ses", "xes", "zes", "ches", "shes", "ces", "ges", "ies"))
        )
        or (lower.endswith("ed") and not lower.endswith(("ted", "ded")))
    ):
        count -= 1
    return max(1, count)


def estimate_seconds(text: str) -> float:
    """About how long the voice takes to say ``text``, in seconds (0 for no words)."""
    text = normalize(text)
    words = _WORD.findall(text)
    symbols = len(_SYMBOL.findall(text))
    if not words and not symbols:
        return 0.0
    syllables = sum(_syllables(word) for word in words) + SYMBOL_SYLLABLES * symbols
    pauses = len(_PAUSE.findall(text.rstrip(".!?")))  # the last stop adds no pause
    return BASE_SECONDS + SECONDS_PER_SYLLABLE * syllables + SECONDS_PER_PAUSE * pauses


def fits(text_seconds: float, step_seconds: float | None) -> bool:
    """True when a line lasting ``text_seconds`` ends, with ``FIT_MARGIN`` to spare,
    before a step of ``step_seconds`` does. An untimed step (None) waits: any line fits."""
    if step_seconds is None:
        return True
    return text_seconds + FIT_MARGIN <= step_seconds


def phase_word(pace: Pace, seconds: float) -> str:
    """The word spoken at the start of a breathing phase: the full one if it fits."""
    full, short = PHASE_WORDS[pace]
    return full if fits(estimate_seconds(full), seconds) else short


def phase_line(say: str, pace: Pace, seconds: float) -> str:
    """What a phase says in the first cycle: its whole instruction if the voice can say
    it before the phase ends, else its phase word."""
    text = normalize(say)
    if text and fits(estimate_seconds(text), seconds):
        return text
    return phase_word(pace, seconds)


def voice_cycles(exercise: Exercise) -> int:
    """How many breathing cycles of ``exercise`` are spoken."""
    return DEFAULT_VOICE_CYCLES if exercise.voice_cycles is None else exercise.voice_cycles


def segment_text(segment: Segment, spoken_cycles: int) -> str | None:
    """What is spoken as ``segment`` starts, or None for nothing (the cue alone).

    ``spoken_cycles`` is ``voice_cycles`` of the exercise the segment comes from
    (``segment.exercise_id``). A breathing phase speaks its instruction in the first
    cycle and its phase word in the others up to ``spoken_cycles``; a routine's step
    speaks its instruction.
    """
    if segment.cycle is not None:
        if segment.cycle > spoken_cycles:
            return None
        if segment.cycle == 1:
            return phase_line(segment.say, segment.pace, segment.duration)
        return phase_word(segment.pace, segment.duration)
    text = normalize(segment.say)
    return text or None


@dataclass(frozen=True)
class Line:
    """One spoken line of an exercise, where it comes from and the time it has."""

    text: str
    seconds: float | None
    """How long its step or phase lasts (None: an untimed step that waits)."""
    where: str
    """The field it comes from, as loader problems name fields (``phase[2]``,
    ``area.eyelid.step[3]``, ``step[2].remind[1]``, counting from 1)."""
    until: str = ""
    """What ends its time when that is not its step's end: "the first reminder"..."""


def lines(exercise: Exercise) -> tuple[Line, ...]:
    """Every line ``exercise`` can speak, in file order, each place it is spoken.

    A program speaks its parts' lines, which belong to the parts' own files, so it
    has none of its own. A breathing exercise with ``voice_cycles = 0`` has none; one
    with more than one spoken cycle has each phase's first-cycle line and, where it
    differs, its phase word.
    """
    out: list[Line] = []
    if exercise.tapped_start:  # said while the app waits for the person's taps
        out.append(Line(TAP_LINE, None, "start"))
    if exercise.kind is Kind.BREATHING:
        spoken = voice_cycles(exercise)
        for i, phase in enumerate(exercise.phases, start=1):
            # A ramped phase is judged at its shortest, so no cycle of the ramp cuts a line off.
            seconds = phase.shortest
            texts = [phase_line(phase.say, phase.pace, seconds)] if spoken > 0 else []
            if spoken > 1:
                texts.append(phase_word(phase.pace, seconds))
            for text in dict.fromkeys(texts):
                out.append(Line(text, seconds, f"phase[{i}]"))
    elif exercise.kind is Kind.ROUTINE:
        steps = [(f"step[{i}]", step) for i, step in enumerate(exercise.steps, start=1)]
        for variant in exercise.variants:
            steps += [
                (f"area.{variant.area}.step[{i}]", step) for i, step in enumerate(variant.steps, start=1)
            ]
        for where, step in steps:
            text = normalize(step.say)
            if text:
                if step.remind:
                    out.append(Line(text, step.remind[0].at, where, "its first reminder"))
                else:
                    out.append(Line(text, step.seconds, where))
            for i, reminder in enumerate(step.remind, start=1):
                last = i == len(step.remind)
                ends = step.seconds or reminder.at if last else step.remind[i].at
                until = "the step ends" if last else "the next reminder"
                out.append(Line(normalize(reminder.say), ends - reminder.at, f"{where}.remind[{i}]", until))
    return tuple(out)


def fit_problems(
    exercise: Exercise, seconds_of: Callable[[str], float] = estimate_seconds
) -> tuple[tuple[str, str], ...]:
    """``(field, message)`` for each line of ``exercise`` too long for its step.

    ``seconds_of`` gives a line's length: the estimate by default, a rendered clip's
    real length where there is one.
    """
    found = []
    for line in lines(exercise):
        spoken = seconds_of(line.text)
        field = f"{line.where}.say" if exercise.kind is Kind.ROUTINE else f"{line.where}.seconds"
        if spoken > MAX_LINE_SECONDS:
            found.append(
                (
                    field,
                    f"the voice cannot say this in time (about {spoken:.0f} s of speech; it makes "
                    f"lines of up to {MAX_LINE_SECONDS:g} s), so tones stand in for it; shorten the text",
                )
            )
        elif not fits(spoken, line.seconds):
            found.append(
                (
                    field,
                    f"the voice needs about {spoken:.1f} s to say this, but "
                    + (
                        f"has {line.seconds:g} s before {line.until}"
                        if line.until
                        else f"the step lasts {line.seconds:g} s"
                    )
                    + "; shorten the text or lengthen the step",
                )
            )
    return tuple(found)


def reminder_slot(number: int) -> int:
    """The key of the ``number``-th (from 0) of ``Timeline.reminders`` among the spoken
    lines: negative, so it never meets a segment index."""
    return -1 - number


def spoken_lines(timeline: Timeline, exercises: Mapping[str, Exercise]) -> dict[int, str]:
    """What the voice says as each segment of ``timeline`` starts, by segment index, and
    the reminders inside long steps, by ``reminder_slot``.

    ``exercises`` (the library) gives each segment's exercise its ``voice_cycles``; a
    segment of an exercise it does not hold speaks the default number of cycles.
    """
    spoken: dict[int, str] = {}
    for segment in timeline.segments:
        exercise = exercises.get(segment.exercise_id)
        cycles = DEFAULT_VOICE_CYCLES if exercise is None else voice_cycles(exercise)
        text = segment_text(segment, cycles)
        if text:
            spoken[segment.index] = text
    for number, reminder in enumerate(timeline.reminders):
        text = normalize(reminder.say)
        if text:
            spoken[reminder_slot(number)] = text
    return spoken


_CLOSE_EYES = re.compile(r"\b(close|shut)\s+(your|the|both)\s+eyes\b|\beyes\s+(closed|shut)\b", re.IGNORECASE)


def asks_to_close_eyes(timeline: Timeline) -> bool:
    """True when a step of ``timeline`` asks the person to close their eyes: such a
    session is one they cannot follow by reading, so the voice is on by default."""
    return any(segment.cycle is None and _CLOSE_EYES.search(segment.say) for segment in timeline.segments)


def voice_wanted(choice: bool | None, setting: str, eyes_closed: bool, timeline: Timeline) -> bool:
    """Whether a session speaks: the command line's ``--voice``/``--no-voice`` (``choice``)
    first, then the remembered ``setting`` ("on", "off"), and otherwise ("auto") only
    where the person will not be looking: eyes-closed tones, or a step asking them to
    close their eyes."""
    if choice is not None:
        return choice
    if setting in ("on", "off"):
        return setting == "on"
    return eyes_closed or asks_to_close_eyes(timeline)
