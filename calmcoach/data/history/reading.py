"""Reading one value the history file holds, whatever another program put there.

SQLite keeps whatever a program put in a column (a blob where words belong, text that
is not the JSON list it should be), and its checks pass. The store's listings and the
summaries read such values the same way, here: below both, so neither knows the other.

Pure standard library.
"""

from __future__ import annotations

import json

UNREADABLE = "unreadable"
"""What a field that cannot be read shows in place of its value (export, the CLI, stats)."""


def as_text(value: object) -> str | None:
    """Words kept in the file (a number reads as its figure), or None when they are not
    words (a blob, or nothing)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # a number where words were kept: still readable as words
    return None


def shown_text(value: object) -> str:
    """:func:`as_text`, or UNREADABLE in its place."""
    text = as_text(value)
    return UNREADABLE if text is None else text


def as_words(value: object) -> tuple[str, ...] | None:
    """A JSON list of words (a flare's triggers), or None when the value is not one."""
    try:
        words = json.loads(value) if isinstance(value, str) else None
    except (ValueError, RecursionError):
        return None
    if isinstance(words, list) and all(isinstance(word, str) for word in words):
        return tuple(words)
    return None


def as_whole(value: object, top: int | None = None) -> int | None:
    """A whole number kept in the file (``3.0`` reads as 3), from 0 to ``top`` when one is
    given, or None when the value is not one."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and (top is None or 0 <= value <= top):
        return value
    return None
