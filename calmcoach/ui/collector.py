"""The garbage collector's settings while the app runs, kept for the typing benchmark."""

from __future__ import annotations

import gc

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


def collect_young_rarely(before: tuple[int, ...]) -> None:
    """Collect the youngest generation every ``YOUNG_COLLECTION_EVERY`` objects; the older
    generations keep their thresholds (``before``, as ``gc.get_threshold`` gave them)."""
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *before[1:])


def freeze_what_lasts() -> None:
    """Take every object made so far out of the garbage collector's sight for good.

    Called once start-up has drawn its first frame, and again when home has first listed
    the whole library: most of what was made by then (the library and its rows, Textual's
    styles and widgets) lives as long as the app. Left in sight, a full collection walks
    all of it in the middle of some key's frame: 40 to 60 ms after start-up, and 18 ms
    with a thousand rows listed, in home's filter on this project's machine (issue 16).
    Garbage not yet collected then is kept too: a few layouts' worth, once."""
    gc.freeze()
