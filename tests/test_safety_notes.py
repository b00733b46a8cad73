"""The built-in exercises' safety notes and wording agree with the guide (design notes, section 1)."""

from __future__ import annotations

import re

from calmcoach.data.loader import Library
from calmcoach.domain.model import Exercise


def has(text: str, phrase: str) -> bool:
    """Whether ``phrase`` occurs in ``text`` as whole words, any case."""
    return re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text, re.IGNORECASE) is not None


def get(library: Library, exercise_id: str) -> Exercise:
    exercise = library.get(exercise_id)
    assert exercise is not None, exercise_id
    return exercise


def notes_saying(exercise: Exercise, *words: str) -> list[str]:
    return [n for n in exercise.safety if all(has(n, w) for w in words)]


def test_safety_notes_are_short(library: Library) -> None:
    """Notes are shown before a session starts: a line or two each, never a wall."""
    for exercise in library.exercises.values():
        assert len(exercise.safety) <= 2, exercise.id
        long = [n for n in exercise.safety if len(n) > 120]
        assert long == [], f"{exercise.id}: {long}"


def test_flare_note_sends_a_fast_change_to_emergency_care_not_to_a_page(library: Library) -> None:
    flare = get(library, "flare")
    (rule,) = notes_saying(flare, "breathing", "speech", "movement", "fast", "emergency care", "right away")
    assert not has(rule, "red flags"), "a fast change goes straight to emergency care"
    assert flare.safety[0] == rule, "the emergency rule comes first"
    assert notes_saying(flare, "red flags"), "the rest is on the red-flags page"


def test_breath_holds_say_full_or_empty_lungs_and_what_to_do_with_air_hunger(library: Library) -> None:
    for exercise_id, lungs in (
        ("breathing-4-7-8", ("full lungs",)),
        ("box-breathing", ("full lungs", "empty")),
    ):
        exercise = get(library, exercise_id)
        assert notes_saying(exercise, "hold", *lungs), exercise_id
        assert notes_saying(exercise, "panic", "air hunger", "drop the", "breathe normally"), exercise_id


def test_progressive_muscle_relaxation_tenses_gently_and_not_in_a_flare(library: Library) -> None:
    pmr = get(library, "progressive-muscle-relaxation")
    assert notes_saying(pmr, "gently", "half", "never", "pain")
    assert notes_saying(pmr, "not for the middle of a flare", "flare routine instead")
    assert has(pmr.summary, "not the middle of a flare") and has(pmr.summary, "half effort")
    tense = [s for s in pmr.steps if s.title and s.title.endswith(": tense")]
    assert len(tense) == 8
    for step in tense:
        assert any(has(step.say, w) for w in ("gently", "softly", "lightly", "half")), step.say
        assert not any(has(step.say, w) for w in ("tight", "firmly", "hard", "as hard", "squeeze")), step.say
    (calves,) = [s for s in tense if s.title == "Calves: tense"]
    # Toes up toward the shins stretches the calf; pointing them away tenses it.
    assert not has(calves.say, "shins") and has(calves.say, "away") and has(calves.say, "calves")
