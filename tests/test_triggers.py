"""The log form's notes on the common triggers, held against the guide's table.

The table is the guide's ("Common triggers" in the design notes), written out once here as
the words each note must carry: where the twitch tends to be and how it feels, and why it
comes with anxiety. A note that drops one of them says less than the guide; a word from
``STRONGER`` would say more (the guide names patterns and reasons, never a diagnosis or a
certainty).
"""

from __future__ import annotations

import pytest

from calmcoach.data.history import TRIGGERS
from calmcoach.data.triggers import TRIGGER_NOTES, trigger_note_text

GUIDE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # trigger: (words of "typical pattern", words of "why it comes with anxiety")
    "stress spike": (
        ("short bursts", "face", "neck", "hands", "tense"),
        ("stress hormones", "nerves", "fire", "muscles"),
    ),
    "panic surge": (
        ("shaking", "trembling", "scattered", "body"),
        ("fast breathing", "racing heart", "reactive"),
    ),
    "poor sleep": (("random flickers", "night", "rest", "legs", "feet"), ("sleep", "signalling", "recover")),
    "caffeine": (
        ("fine quivers", "eyelids", "fingers", "calves", "coffee", "energy drinks"),
        ("stimulates", "nervous system", "tightens"),
    ),
    "dehydration / low electrolytes": (
        ("cramp-like", "legs", "feet", "hands"),
        ("fluid", "minerals", "contract", "relax"),
    ),
    "long desk hours": (
        ("shoulders", "neck", "lower back"),
        ("still posture", "tension", "overloads", "small groups of muscles"),
    ),
    "high body awareness": (("tiny movements", "ignore"), ("attention", "body sensations", "stand out")),
    "stimulant medication": (
        ("fine tremors", "twitches", "hands"),
        ("some medicines", "nerve activity", "side effect"),
    ),
}

STRONGER = ("always", "cause", "causes", "damage", "disease", "dangerous", "never", "serious", "every time")
"""Words that would turn the guide's patterns into certainties or diagnoses."""


def test_every_trigger_the_journal_offers_has_the_guides_note_and_no_other() -> None:
    assert list(TRIGGER_NOTES) == list(TRIGGERS) == list(GUIDE)


@pytest.mark.parametrize("trigger", list(GUIDE))
def test_each_note_says_what_the_guide_says(trigger: str) -> None:
    note = TRIGGER_NOTES[trigger]
    pattern, why = GUIDE[trigger]
    feels, reason = note.feels.lower(), note.why.lower()
    assert [word for word in pattern if word not in feels] == []
    assert [word for word in why if word not in reason] == []
    words = set((feels + " " + reason).replace(",", " ").replace(".", " ").split())
    assert [word for word in STRONGER if " " not in word and word in words] == []
    assert "every time" not in feels + reason


def test_the_note_as_shown_names_both_halves_and_is_empty_for_an_own_trigger() -> None:
    text = trigger_note_text("caffeine")
    assert text.splitlines() == [
        f"Feels like: {TRIGGER_NOTES['caffeine'].feels}",
        f"Why with anxiety: {TRIGGER_NOTES['caffeine'].why}",
    ]
    assert trigger_note_text("my own words") == ""
