"""The safety texts: the red flags ("When to see a doctor") and the reassurance page.

Both come from data files in ``calmcoach/content``, read strictly: an unknown key, a
value of the wrong type, a missing field or an unknown urgency is a problem named
``file:line: field: message``, as in exercise files, and the whole file is refused
with a ``ContentError`` that lists them all. Nothing here runs until a screen needs
it (the first-run note, the doctor page), so the library opens without reading
these files or importing tomllib.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calmcoach.data.tomlfile import Problem, describe_value, line_of, read_data_file

CONTENT_DIR = Path(__file__).resolve().parent / "content"
RED_FLAGS_FILE = CONTENT_DIR / "red_flags.toml"
REASSURANCE_FILE = CONTENT_DIR / "reassurance.toml"

URGENCY_LABELS: Mapping[str, str] = {
    "emergency": "EMERGENCY NOW",
    "urgent": "URGENT",
    "same-week": "THIS WEEK",
    "soon": "SOON",
    "assessment": "NEUROLOGY ASSESSMENT",
    "checkup": "GET CHECKED",
    "appointment": "BOOK A VISIT",
    "clinician": "CONTACT YOUR CLINICIAN",
}
"""Every urgency a red flag may have, with the label the page shows, in the order the page
lists them (the clearly pressing first).

Each is one of the guide's: call emergency services right away; see a doctor urgently
(emergency care if sudden); an appointment the same week; medical care soon; arrange a
neurology assessment; get it checked; book a doctor or neurologist; contact the clinician
who manages an illness already diagnosed. The flag's action says the rest.
"""

MAX_TEXT = 600
"""The longest sentence or bullet a safety file may hold."""

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class ContentError(ValueError):
    """A safety data file that cannot be used, with every problem found in it."""

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class RedFlag:
    """A sign that a twitch needs a doctor, and what to do about it."""

    sign: str
    action: str
    urgency: str
    """A key of ``URGENCY_LABELS``."""
    cause: str = ""
    """What may be behind the sign, in the guide's terms (empty where the guide names nothing)."""

    @property
    def label(self) -> str:
        """The urgency as the page shows it (``EMERGENCY NOW``)."""
        return URGENCY_LABELS[self.urgency]


@dataclass(frozen=True)
class SafetyText:
    """The red flags, the rule above them all, and the plain statement of what calmcoach is not."""

    fast_change: str
    """The rule that comes first: a fast change in breathing, speech or movement means emergency care."""
    intro: str
    advice: str
    """What to do about any of the flags: not "just anxiety"; see a doctor or neurologist."""
    disclaimer: str
    flags: tuple[RedFlag, ...]
    habits: tuple[str, ...]
    problems: tuple[str, ...] = ()
    """Why the data file could not be used, when this is the built-in fallback."""
    doctor_asks: tuple[str, ...] = ()
    """What a doctor usually asks (the report for the doctor lists them)."""
    doctor_checks: str = ""
    """What a doctor usually checks, and that the outcome is often reassuring."""
    signs_intro: str = ""
    """The line that leads into the signs in the report for the doctor."""


@dataclass(frozen=True)
class Reassurance:
    """The calm page: signs that point toward anxiety twitches. Never a diagnosis."""

    title: str
    intro: str
    signs: tuple[str, ...]
    closing: str
    """Last words: when unsure, ask a health professional."""


class _Fields:
    """Checks the values of one parsed safety file, collecting every problem with its line."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self._text = text
        self.problems: list[Problem] = []

    def problem(self, where: str | None, message: str) -> None:
        self.problems.append(Problem(self.path, message, field=where, line=line_of(self._text, where)))

    def keys(self, table: Mapping[str, Any], where: str, allowed: tuple[str, ...]) -> None:
        for key in table:
            if key not in allowed:
                at = f"{where}.{key}" if where else key
                self.problem(at, f"unknown key; expected one of: {', '.join(allowed)}")

    def checked(self, value: Any, at: str) -> str | None:
        if not isinstance(value, str):
            self.problem(at, f"expected text in quotes, got {describe_value(value)}")
            return None
        text = value.strip()
        if not text:
            self.problem(at, "must not be empty")
        elif len(text) > MAX_TEXT:
            self.problem(at, f"too long ({len(text)} characters; at most {MAX_TEXT})")
        elif _CONTROL_RE.search(text):
            self.problem(at, "contains control characters; use plain text")
        else:
            return text
        return None

    def text(self, table: Mapping[str, Any], key: str, where: str = "") -> str:
        at = f"{where}.{key}" if where else key
        if key not in table:
            self.problem(where or None, f"missing '{key}' (text)")
            return ""
        return self.checked(table[key], at) or ""

    def texts(self, table: Mapping[str, Any], key: str) -> tuple[str, ...]:
        if key not in table:
            self.problem(None, f"missing '{key}' (a list of texts)")
            return ()
        value = table[key]
        if not isinstance(value, list) or not value:
            self.problem(key, f"expected a list of texts in [ ], got {describe_value(value)}")
            return ()
        found = (self.checked(item, f"{key}[{i}]") for i, item in enumerate(value, start=1))
        return tuple(item for item in found if item is not None)

    def tables(self, data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        value = data.get(key)
        if value is None:
            self.problem(None, f"missing [[{key}]] tables")
            return []
        if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
            self.problem(key, f"expected [[{key}]] tables, got {describe_value(value)}")
            return []
        return value


def _read(path: Path) -> tuple[Mapping[str, Any], _Fields]:
    result = read_data_file(path)
    if isinstance(result, Problem):
        raise ContentError((result,))
    data, text = result
    return data, _Fields(path, text)


_RED_FLAGS_KEYS = (
    "fast_change",
    "intro",
    "advice",
    "disclaimer",
    "doctor_asks",
    "doctor_checks",
    "signs_intro",
    "habits",
    "flag",
)
_FLAG_KEYS = ("sign", "cause", "action", "urgency")


def load_red_flags(path: Path | None = None) -> SafetyText:
    """Read the red flags (by default the file that ships with calmcoach).

    Raises ``ContentError`` naming every problem if the file cannot be used.
    """
    path = RED_FLAGS_FILE if path is None else path
    data, fields = _read(path)
    fields.keys(data, "", _RED_FLAGS_KEYS)
    fast_change = fields.text(data, "fast_change")
    intro = fields.text(data, "intro")
    advice = fields.text(data, "advice")
    disclaimer = fields.text(data, "disclaimer")
    habits = fields.texts(data, "habits")
    doctor_asks = fields.texts(data, "doctor_asks")
    doctor_checks = fields.text(data, "doctor_checks")
    signs_intro = fields.text(data, "signs_intro")
    flags = []
    for i, table in enumerate(fields.tables(data, "flag"), start=1):
        where = f"flag[{i}]"
        fields.keys(table, where, _FLAG_KEYS)
        sign = fields.text(table, "sign", where)
        action = fields.text(table, "action", where)
        urgency = fields.text(table, "urgency", where)
        cause = fields.text(table, "cause", where) if "cause" in table else ""
        if urgency and urgency not in URGENCY_LABELS:
            fields.problem(
                f"{where}.urgency",
                f"unknown urgency '{urgency}'; expected one of: {', '.join(URGENCY_LABELS)}",
            )
        flags.append(RedFlag(sign=sign, action=action, urgency=urgency, cause=cause))
    if fields.problems:
        raise ContentError(tuple(fields.problems))
    return SafetyText(
        fast_change=fast_change,
        intro=intro,
        advice=advice,
        disclaimer=disclaimer,
        flags=tuple(flags),
        habits=habits,
        doctor_asks=doctor_asks,
        doctor_checks=doctor_checks,
        signs_intro=signs_intro,
    )


FALLBACK = SafetyText(
    fast_change=(
        "If your breathing, speech or movement changes fast, get emergency care right away: "
        "call your local emergency number."
    ),
    intro="The full list of warning signs could not be read, so only the most urgent rule is shown here.",
    advice="If a twitch worries you, see a doctor. Reinstalling calmcoach restores the full list.",
    disclaimer="calmcoach is a relaxation coach, not a medical device.",
    flags=(),
    habits=(),
)
"""What the doctor page shows when the red-flags file is broken: the one rule that must never go missing."""


def load_red_flags_or_fallback(path: Path | None = None) -> SafetyText:
    """The red flags, or, if their file cannot be used, ``FALLBACK`` carrying the problems.

    For screens, which must open even then: the page still leads with the fast-change
    rule, and says what is wrong with the file instead of hiding it.
    """
    try:
        return load_red_flags(path)
    except ContentError as error:
        return SafetyText(
            fast_change=FALLBACK.fast_change,
            intro=FALLBACK.intro,
            advice=FALLBACK.advice,
            disclaimer=FALLBACK.disclaimer,
            flags=(),
            habits=(),
            problems=tuple(str(p) for p in error.problems),
        )


_REASSURANCE_KEYS = ("title", "intro", "signs", "closing")


def load_reassurance(path: Path | None = None) -> Reassurance:
    """Read the reassurance page (by default the file that ships with calmcoach).

    Raises ``ContentError`` naming every problem if the file cannot be used.
    """
    path = REASSURANCE_FILE if path is None else path
    data, fields = _read(path)
    fields.keys(data, "", _REASSURANCE_KEYS)
    page = Reassurance(
        title=fields.text(data, "title"),
        intro=fields.text(data, "intro"),
        signs=fields.texts(data, "signs"),
        closing=fields.text(data, "closing"),
    )
    if fields.problems:
        raise ContentError(tuple(fields.problems))
    return page
