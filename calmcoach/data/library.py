"""Find and load the exercise library and the cue sounds from their usual places."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from calmcoach.data import locations
from calmcoach.data.loader import Library, load_library, sound_names_in
from calmcoach.data.parsecache import ParseCache
from calmcoach.data.safefile import make_private


def sound_dirs() -> tuple[Path, ...]:
    """Where cue sounds are looked up, later dirs overriding earlier ones."""
    return (locations.builtin_sounds_dir(), locations.user_sounds_dir())


def sound_names() -> frozenset[str]:
    """Every cue name available."""
    return sound_names_in(*sound_dirs())


def load_default_library(cache: ParseCache | None = None) -> Library:
    """The built-in exercises with the user's files over them, parsing sped up by a cache.

    Without ``cache``, the user's parse cache is used and saved at once; a caller that
    passes its own saves it when it suits (the app does so after its first frame)."""
    make_private(locations.cache_dir())  # made before calmcoach kept its folders private
    own = cache is None
    cache = cache or ParseCache(locations.parse_cache_file())
    library = load_library(
        locations.builtin_exercises_dir(), locations.user_exercises_dir(), sound_names(), cache
    )
    if own:
        cache.save()
    if cache.problem:
        library = replace(library, notices=(*library.notices, cache.problem))
    return library
