"""Make text from files safe to show on a terminal: control characters become visible.

Anything read from a file or a file name can hold bytes a terminal obeys (ESC starts a
sequence that can set the window title, fill the clipboard or clear the screen) or
characters that reorder what follows them (bidirectional controls). ``visible`` writes
each such character as an escape a person can read (``\\x1b``, ``\\u202e``), so the text
shows what the file holds and the terminal is never told to do anything.

Pure: no I/O. Every shell uses it for text that came from a file.
"""

from __future__ import annotations

_SHOWN_CATEGORIES = frozenset({"Zs", "Co", "Cn"})
"""Not "printable" to Python, yet harmless on a terminal: spaces such as U+00A0, private
use (icon fonts) and characters newer than this Python's Unicode tables."""

JOINERS = frozenset({"\u200c", "\u200d"})
"""Zero-width (non-)joiners: format characters that writing systems and emoji sequences
need, and that move nothing around. Allowed in text and shown as they are."""


def _hidden(character: str) -> bool:
    """True for a character a terminal would act on or that changes how text around it shows."""
    if character.isprintable() or character in JOINERS:
        return False
    import unicodedata  # only for text that needs it: most text is printable

    return unicodedata.category(character) not in _SHOWN_CATEGORIES


def _escape(character: str) -> str:
    code = ord(character)
    if code < 0x80:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


LAYOUT = "\n\t"
"""Line feeds and tabs: kept by ``visible(..., layout=True)`` for text shown over lines."""


def visible(text: str, *, layout: bool = False) -> str:
    """``text`` with every control, format or separator character written as an escape.

    With ``layout``, line feeds and tabs are kept (for text shown over several lines,
    such as a step's instruction); every other such character, a carriage return
    included, is escaped. Text with nothing to escape comes back as it is, quickly.
    """
    if text.isprintable():
        return text
    keep = LAYOUT if layout else ""
    return "".join(_escape(ch) if ch not in keep and _hidden(ch) else ch for ch in text)


def first_hidden(text: str, *, allowed: str = "") -> str | None:
    """The first character ``visible`` would escape, ignoring those in ``allowed``; or None."""
    if text.isprintable():
        return None
    return next((ch for ch in text if ch not in allowed and _hidden(ch)), None)


def hidden_name(character: str) -> str:
    """A short description of one hidden character: its escape and, if known, its name."""
    import unicodedata

    name = unicodedata.name(character, "")
    return f"{_escape(character)} ({name.lower()})" if name else _escape(character)
