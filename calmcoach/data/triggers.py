"""What the guide says of each common trigger: how the twitch tends to feel, and why it
comes with anxiety (the guide's "Common triggers" table, in calmcoach's own words).

Keyed by the names the flare journal offers (``calmcoach.data.history.TRIGGERS``); plain text,
shown beside each trigger in the log form. Held against the guide in tests/test_triggers.py.
"""

from __future__ import annotations

from typing import NamedTuple


class TriggerNote(NamedTuple):
    """One row of the guide's table."""

    feels: str
    """How the twitch tends to feel with this trigger."""
    why: str
    """Why it shows up with anxiety."""


TRIGGER_NOTES: dict[str, TriggerNote] = {
    "stress spike": TriggerNote(
        "Short bursts in the face, neck or hands, during or after a tense moment.",
        "Stress hormones make nerves fire more and muscles readier to move.",
    ),
    "panic surge": TriggerNote(
        "Shaking, trembling, or twitches scattered across the body.",
        "Fast breathing and a racing heart make muscles and nerves more reactive.",
    ),
    "poor sleep": TriggerNote(
        "Random flickers at night or at rest, often in the legs or feet.",
        "Lost sleep changes the brain's signalling and how muscles recover.",
    ),
    "caffeine": TriggerNote(
        "Fine quivers in the eyelids, fingers or calves after coffee or energy drinks.",
        "Caffeine stimulates the nervous system and tightens muscles.",
    ),
    "dehydration / low electrolytes": TriggerNote(
        "Cramp-like twitches in the legs, feet or hands.",
        "Shifts in fluids and minerals change how muscles contract and relax.",
    ),
    "long desk hours": TriggerNote(
        "Twitching in one spot around the shoulders, neck or lower back.",
        "Holding one still posture, with tension, overloads small groups of muscles.",
    ),
    "high body awareness": TriggerNote(
        "Noticing tiny movements that others would ignore.",
        "Attention on body sensations makes each twitch stand out.",
    ),
    "stimulant medication": TriggerNote(
        "Fine tremors or twitches, often in the hands.",
        "Some medicines raise nerve activity as a side effect.",
    ),
}
"""The guide's note on each trigger the journal offers, in the journal's order."""


def trigger_note_text(trigger: str) -> str:
    """The note as the log form shows it; empty for a trigger the guide has no row for."""
    note = TRIGGER_NOTES.get(trigger)
    if note is None:
        return ""
    return f"Feels like: {note.feels}\nWhy with anxiety: {note.why}"
