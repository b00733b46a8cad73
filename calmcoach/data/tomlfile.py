"""Read small TOML data files, and find the line of a field for a problem.

Every data file calmcoach reads goes through here (exercises, the red flags, the
reminder's settings and pause): a size limit, UTF-8 text without a byte-order mark, no
key with so many dotted parts that tomllib would take seconds, and syntax errors with
their line. A ``Problem`` names the file, the line (when it can be found) and the field
path (``phase[2].seconds``, counting from 1, as a person would); ``describe_value``
words the value a file gave, the same way for every file.

Pure: reads files, never imports the UI or audio.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calmcoach.data.safefile import RefusedFile, read_limited
from calmcoach.domain.visible import visible

if TYPE_CHECKING:
    import tomllib

MAX_FILE_BYTES = 64 * 1024
"""Exercise files larger than this are refused unread. The largest built-in is about 3 KiB;
the limit keeps the worst file tomllib can be given to a fraction of a second."""
MAX_KEY_PARTS = 16
"""Dotted parts one key or table name may have (``area.hand.step`` has three). tomllib takes
time and memory that grow with the square of the parts: 16 000 took 17 s and 1 GB."""

_KEY_PART = r"""(?:[A-Za-z0-9_-]++|"(?:[^"\\\n]|\\.)*+"|'[^'\n]*+')"""
LONG_KEY = re.compile(
    rf"^[ \t]*+\[{{0,2}}[ \t]*+{_KEY_PART}(?:[ \t]*+\.[ \t]*+{_KEY_PART}){{{MAX_KEY_PARTS}}}", re.MULTILINE
)
"""A line that starts a key or a table name of more than MAX_KEY_PARTS parts. Possessive
quantifiers and the line anchor keep the search linear in the file's length."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an exercise file."""

    path: Path
    message: str
    field: str | None = None
    """Where in the file, as a path such as ``phase[2].seconds`` (1-based)."""
    line: int | None = None

    def __str__(self) -> str:
        """``file:line: field: message`` on one line, with any control character in the file's
        name, the field path or the message written out visibly (never sent to a terminal)."""
        path = visible(str(self.path))
        where = f"{path}:{self.line}" if self.line else path
        message = visible(self.message)
        return f"{where}: {visible(self.field)}: {message}" if self.field else f"{where}: {message}"


class Lines:
    """Maps field paths to the line that defines them, by a light scan of the text.

    tomllib reports no positions for values, so this follows table headers and
    ``key =`` lines. It is a guide for error messages, not a parser: when a path
    cannot be placed, the nearest enclosing path that can be is used.
    """

    _ARRAY = re.compile(r"^\s*\[\[\s*([^\]]+?)\s*\]\]")
    _TABLE = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
    _KEY = re.compile(r"""^\s*([A-Za-z0-9_\-."']+?)\s*=""")
    _INLINE_KEY = re.compile(r"[{,]\s*([A-Za-z0-9_\-]+)\s*=")

    def __init__(self, text: str) -> None:
        self.lines: dict[str, int] = {}
        counts: dict[str, int] = {}
        prefix = ""
        in_multiline = False
        items: tuple[str, int] | None = None
        """In an array of inline tables written one a line (a step's ``remind``): its
        path and how many tables so far, so ``remind[2].at`` finds its own line."""
        for number, raw in enumerate(text.splitlines(), start=1):
            if raw.count('"""') % 2 == 1 or raw.count("'''") % 2 == 1:
                in_multiline = not in_multiline
                if not in_multiline:
                    continue
            elif in_multiline:
                continue
            if items is not None:
                stripped = raw.strip()
                if stripped.startswith("{"):
                    path = f"{items[0]}[{items[1] + 1}]"
                    items = (items[0], items[1] + 1)
                    self.lines.setdefault(path, number)
                    for key in self._INLINE_KEY.findall(stripped):
                        self.lines.setdefault(f"{path}.{key}", number)
                    continue
                if stripped.startswith("]") or self._TABLE.match(raw) or self._KEY.match(raw):
                    items = None
            if m := self._ARRAY.match(raw):
                name = _clean_key(m.group(1))
                counts[name] = counts.get(name, 0) + 1
                prefix = f"{name}[{counts[name]}]"
                self.lines.setdefault(prefix, number)
            elif m := self._TABLE.match(raw):
                prefix = _clean_key(m.group(1))
                self.lines.setdefault(prefix, number)
            elif m := self._KEY.match(raw):
                key = _clean_key(m.group(1))
                # A dotted key (``minutes.max = 5``) defines each table on its way too.
                parts = key.split(".")
                for end in range(1 if len(parts) <= MAX_KEY_PARTS else len(parts), len(parts) + 1):
                    path = ".".join(parts[:end])
                    self.lines.setdefault(f"{prefix}.{path}" if prefix else path, number)
                if raw[m.end() :].strip() == "[":
                    items = (f"{prefix}.{key}" if prefix else key, 0)

    def find(self, path: str | None) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None


def _clean_key(key: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in key.split("."))


def describe_value(value: Any) -> str:
    """A value from a TOML file, for a problem message: short, quoted, control characters
    visible. Every file calmcoach reads (exercises, red flags, reminder settings) says
    what it got in these words."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{visible(value)}'" if len(value) < 40 else f"'{visible(value[:37])}...'"
    if isinstance(value, int) and abs(value) >= 10**15:
        return "a whole number with more than 15 digits"
    if isinstance(value, int | float):
        return figure(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    return type(value).__name__


def figure(value: float) -> str:
    """A number for a problem message as a person writes it: ``3``, not ``3.0``."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def decode_text(path: Path, raw: bytes) -> tuple[str | None, Problem | None]:
    """A data file's bytes as text, or the problem that stops them being read as TOML."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return None, Problem(path, "starts with a UTF-8 byte-order mark (BOM); save it as UTF-8 without BOM")
    if b"\x00" in raw:
        return None, Problem(path, "is a binary file, not a TOML text file")
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as error:
        return None, Problem(path, f"is not UTF-8 text (bad byte at offset {error.start})")


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_END = re.compile(r"\s*\(at end of document\)\s*$")


def deepest_line(text: str) -> int | None:
    """The line where brackets and braces nest deepest (a guide: strings are not skipped)."""
    depth, deepest, line_of_deepest = 0, 0, None
    for number, line in enumerate(text.splitlines(), start=1):
        for character in line:
            if character in "[{":
                depth += 1
                if depth > deepest:
                    deepest, line_of_deepest = depth, number
            elif character in "]}":
                depth = max(0, depth - 1)
    return line_of_deepest


def syntax_problem(path: Path, text: str, error: tomllib.TOMLDecodeError) -> Problem:
    """A TOML syntax error as a problem, with the line tomllib gave."""
    message = str(error)
    line = None
    if m := _TOML_POSITION.search(message):
        line = int(m.group(1))
        message = message[: m.start()]
    elif m := _TOML_END.search(message):
        line = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
        message = message[: m.start()] + " at the end of the file"
    return Problem(path, f"TOML syntax error: {message}", line=line)


def read_data_file(path: Path) -> tuple[dict[str, Any], str] | Problem:
    """Read a small TOML data file that is not an exercise (the red flags, for one).

    Gives its tables and its text (for ``line_of``), or the one problem that stopped
    it: not a regular file, too large, unreadable, not UTF-8 text, nested too deeply or
    a TOML syntax error. Checking the tables is the caller's job.
    """
    try:
        raw = read_limited(path, MAX_FILE_BYTES)
    except RefusedFile as error:
        return Problem(path, str(error))
    except OSError as error:
        return Problem(path, f"cannot be read: {error.strerror or error}")
    text, problem = decode_text(path, raw)
    if problem or text is None:
        return problem or Problem(path, "cannot be read")
    import tomllib

    if long_key := LONG_KEY.search(text):
        line = text.count("\n", 0, long_key.start()) + 1
        return Problem(path, f"a key or table name of more than {MAX_KEY_PARTS} dotted parts", line=line)
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as error:
        return syntax_problem(path, text, error)
    except RecursionError:
        return Problem(path, "nests lists or tables too deeply to read", line=deepest_line(text))
    except ValueError as error:  # an integer past Python's digit limit
        return Problem(path, f"cannot be read: {error}")


def line_of(text: str, where: str | None) -> int | None:
    """The line of TOML ``text`` that defines the field path ``where`` (``flag[2].urgency``,
    counting from 1), or that of the nearest enclosing path that can be placed."""
    return Lines(text).find(where)
