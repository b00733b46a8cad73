"""The safety texts: the shipped red flags held against the guide's table, and strict loading.

The table below is the guide's (see the design notes, section 1), written out once here:
each warning sign, the urgency value it must carry, words its action must say, and words
that would make it stronger or weaker than the guide. A later edit to
``calmcoach/data/content/red_flags.toml`` that drifts from it fails here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from calmcoach.data.redflags import (
    FALLBACK,
    REASSURANCE_FILE,
    RED_FLAGS_FILE,
    URGENCY_LABELS,
    ContentError,
    RedFlag,
    SafetyText,
    load_reassurance,
    load_red_flags,
    load_red_flags_or_fallback,
)

STRONGER = ("emergency", "urgent", "urgently", "right away", "immediately", "at once", "now", "today")
"""Words that make an action more pressing than a visit in the coming days."""


@dataclass(frozen=True)
class GuideRow:
    """One warning sign of the guide, and what its action must (and must not) say."""

    name: str
    sign: tuple[str, ...]
    """Words that pick out this sign (all of them, any case)."""
    urgency: str
    action: tuple[str, ...]
    """Words the action must contain."""
    forbidden: tuple[str, ...]
    """Words that would make the action stronger or weaker than the guide's."""


GUIDE = [
    GuideRow(
        "speaking, swallowing or breathing",
        ("speak", "swallow", "breath"),
        "emergency",
        ("call emergency services", "right away"),
        ("soon", "this week", "when you can", "book", "appointment", "if"),
    ),
    GuideRow(
        "weakness",
        ("weakness",),
        "urgent",
        ("see a doctor urgently", "emergency care", "suddenly"),
        ("today", "this week", "soon", "when you can", "book"),
    ),
    GuideRow(
        "fever, weight loss or other unexplained symptoms",
        ("new twitching", "fever", "weight loss", "ongoing symptoms", "cannot explain"),
        "same-week",
        ("appointment", "doctor", "same week"),
        (*STRONGER, "soon"),
    ),
    GuideRow(
        "walking or hand skills",
        ("walk", "hands"),
        "soon",
        ("medical care", "soon", "full examination"),
        (*STRONGER, "this week", "when you can"),
    ),
    GuideRow(
        "muscle shrinking",
        ("shrinking",),
        "assessment",
        ("arrange", "assessment", "neurologist", "follow", "tests"),
        (*STRONGER, "soon", "this week"),
    ),
    GuideRow(
        "a twitch for more than a few weeks",
        ("more than a few weeks",),
        "checkup",
        ("checked", "may", "blood tests", "nerve tests"),
        (*STRONGER, "soon", "this week"),
    ),
    GuideRow(
        "a twitch that never stops in one spot and spreads",
        ("never stops in one spot", "spreads", "low-stress"),
        "appointment",
        ("book", "doctor", "neurologist"),
        (*STRONGER, "soon", "this week"),
    ),
    GuideRow(
        "a serious illness already diagnosed",
        ("already", "serious illness", "diagnosed"),
        "clinician",
        ("contact", "clinician", "your illness"),
        (*STRONGER, "soon", "this week", "their"),
    ),
]


def has(text: str, phrase: str) -> bool:
    """Whether ``phrase`` occurs in ``text`` as whole words, any case ("now" is not in "know")."""
    return re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text, re.IGNORECASE) is not None


def matching(flags: tuple[RedFlag, ...], row: GuideRow) -> list[RedFlag]:
    return [f for f in flags if all(word in f.sign.lower() for word in row.sign)]


@pytest.fixture(scope="module")
def shipped() -> SafetyText:
    """The red-flags file as it ships: loading it strictly fails the test if it is broken."""
    return load_red_flags()


# --- the shipped file against the guide -------------------------------------------------


@pytest.mark.parametrize("row", GUIDE, ids=lambda r: r.name)
def test_every_guide_row_is_there_with_its_urgency_and_action(shipped: SafetyText, row: GuideRow) -> None:
    found = matching(shipped.flags, row)
    assert len(found) == 1, f"expected one flag for {row.name!r}, found {[f.sign for f in found]}"
    (flag,) = found
    assert flag.urgency == row.urgency, (
        f"{row.name}: urgency {flag.urgency!r}, the guide says {row.urgency!r}"
    )
    missing = [word for word in row.action if not has(flag.action, word)]
    assert missing == [], f"{row.name}: the action {flag.action!r} does not say {missing}"
    drift = [word for word in row.forbidden if has(flag.action, word)]
    assert drift == [], f"{row.name}: the action {flag.action!r} says {drift}, unlike the guide"


def test_no_flag_beyond_the_guide(shipped: SafetyText) -> None:
    """Every flag shipped is one of the guide's rows: a new one needs a row in GUIDE first."""
    unmatched = [f.sign for f in shipped.flags if not any(f in matching(shipped.flags, r) for r in GUIDE)]
    assert unmatched == []
    assert len(shipped.flags) == len(GUIDE)


def test_each_urgency_of_the_guide_has_its_own_value_and_label(shipped: SafetyText) -> None:
    assert sorted(f.urgency for f in shipped.flags) == sorted(row.urgency for row in GUIDE)
    assert len(set(URGENCY_LABELS.values())) == len(URGENCY_LABELS)
    assert set(URGENCY_LABELS) == {row.urgency for row in GUIDE}
    # Only the two pressing urgencies may sound pressing on the page.
    for urgency, label in URGENCY_LABELS.items():
        if urgency not in ("emergency", "urgent"):
            assert [w for w in ("EMERGENCY", "URGENT", "NOW") if has(label, w)] == [], label
    assert has(URGENCY_LABELS["emergency"], "EMERGENCY")
    assert URGENCY_LABELS["urgent"] == "URGENT"
    assert has(URGENCY_LABELS["same-week"], "WEEK")
    assert has(URGENCY_LABELS["soon"], "SOON")
    assert has(URGENCY_LABELS["assessment"], "NEUROLOGY ASSESSMENT")
    assert has(URGENCY_LABELS["clinician"], "YOUR CLINICIAN")


def test_flags_are_listed_most_pressing_first(shipped: SafetyText) -> None:
    order = list(URGENCY_LABELS)
    positions = [order.index(f.urgency) for f in shipped.flags]
    assert positions == sorted(positions)
    assert shipped.flags[0].urgency == "emergency"


def test_the_fast_change_rule_is_there_and_first(shipped: SafetyText) -> None:
    rule = shipped.fast_change
    for word in ("breathing", "speech", "movement", "fast", "emergency", "right away"):
        assert has(rule, word), f"the fast-change rule does not say {word!r}: {rule!r}"
    # First in the file, before everything else it stands over.
    lines = [
        line for line in RED_FLAGS_FILE.read_text("utf-8").splitlines() if line.strip() and line[0] != "#"
    ]
    assert lines[0].startswith("fast_change =")


def test_the_overall_advice_is_not_just_anxiety(shipped: SafetyText) -> None:
    for word in ('"just anxiety"', "doctor", "neurologist"):
        assert has(shipped.advice, word), shipped.advice


HABITS = {
    "regular moderate movement": ("moderate", "walking", "swimming", "cycling"),
    "moving at a desk": ("desk", "every hour", "couple of minutes", "stand", "stretch", "walk"),
    "sleep": ("steady times", "cool", "dark", "screen glare", "bed"),
    "legs at night": ("legs", "night", "stretch", "warm bath", "before bed"),
    "caffeine": (
        "caffeine",
        "slowly",
        "coffee",
        "energy drinks",
        "strong tea",
        "pre-workout",
        "water",
        "herbal tea",
        "late in the day",
    ),
    "fluids and meals": ("drink", "eat at regular times"),
    "skills for worry": ("worry", "CBT"),
}


@pytest.mark.parametrize("name", list(HABITS))
def test_habits_carry_the_guides_list(shipped: SafetyText, name: str) -> None:
    words = HABITS[name]
    found = [h for h in shipped.habits if has(h, words[0])]
    assert len(found) == 1, f"expected one habit about {name}, found {found}"
    missing = [w for w in words if not has(found[0], w)]
    assert missing == [], f"the habit about {name} does not say {missing}: {found[0]!r}"


def test_the_doctors_questions_and_checks_carry_the_guide(shipped: SafetyText) -> None:
    """The guide's "at the doctor's office": the three questions a clinician usually asks,
    what they check and may order, and that the outcome is often reassuring (no stronger:
    "usually", "may", "sometimes", "many people")."""
    asks = " ".join(shipped.doctor_asks).lower()
    assert len(shipped.doctor_asks) == 3
    for words in ("when", "start", "how often", "set it off"):
        assert has(asks, words), asks
    checks = shipped.doctor_checks
    for words in (
        "usually",
        "strength",
        "reflexes",
        "coordination",
        "feeling",
        "may",
        "blood tests",
        "minerals",
        "thyroid",
        "sometimes",
        "nerve or muscle studies",
        "many people",
        "reassuring",
    ):
        assert has(checks, words), f"the doctor's checks do not say {words!r}: {checks!r}"
    for stronger in ("always", "will find", "nothing wrong", "diagnos"):
        assert stronger not in checks.lower()
    assert shipped.signs_intro.endswith(":") and "how soon" in shipped.signs_intro


# --- strict loading ---------------------------------------------------------------------


def shipped_text() -> str:
    return RED_FLAGS_FILE.read_text("utf-8")


def write(tmp_path: Path, text: str, name: str = "red_flags.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def problems_of(path: Path, load: Callable[[Path], object] = load_red_flags) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load(path)
    assert str(caught.value) == "\n".join(str(p) for p in caught.value.problems)
    return [str(p) for p in caught.value.problems]


def line_number(text: str, start: str, occurrence: int = 1) -> int:
    numbers = [i for i, line in enumerate(text.splitlines(), start=1) if line.startswith(start)]
    return numbers[occurrence - 1]


def test_habits_after_the_last_flag_are_refused_with_their_line(tmp_path: Path) -> None:
    """The old mistake: TOML puts ``habits`` after a [[flag]] inside that flag, and the
    section vanished without a word. Now the file is refused, naming the line."""
    text = shipped_text()
    start = text.index("habits = [")
    end = text.index("]\n", start) + 2
    moved = text[:start] + text[end:] + "\n" + text[start:end]
    path = write(tmp_path, moved)
    flags = moved.count("\n[[flag]]\n")
    assert problems_of(path) == [
        f"{path}: missing 'habits' (a list of texts)",
        f"{path}:{line_number(moved, 'habits = [')}: flag[{flags}].habits: unknown key; "
        "expected one of: sign, cause, action, urgency",
    ]


def test_unknown_keys_wrong_types_missing_fields_and_urgencies_are_all_named(tmp_path: Path) -> None:
    text = shipped_text()
    text = text.replace('intro = "', 'colour = "red"\nintro = "', 1)
    text = text.replace('urgency = "emergency"', "urgency = 3", 1)
    text = text.replace('action = "See a doctor urgently.', 'act = "See a doctor urgently.', 1)
    text = text.replace('urgency = "soon"', 'urgency = "whenever"\nnote = "extra"', 1)
    path = write(tmp_path, text)
    whenever = line_number(text, 'urgency = "whenever"')
    assert problems_of(path) == [
        f"{path}:{line_number(text, 'colour')}: colour: unknown key; "
        "expected one of: fast_change, intro, advice, disclaimer, doctor_asks, doctor_checks, signs_intro, habits, flag",
        f"{path}:{line_number(text, 'urgency = 3')}: flag[1].urgency: expected text in quotes, got 3",
        f"{path}:{line_number(text, 'act =')}: flag[2].act: unknown key; expected one of: sign, cause, action, urgency",
        f"{path}:{line_number(text, '[[flag]]', 2)}: flag[2]: missing 'action' (text)",
        f"{path}:{line_number(text, 'note =')}: flag[4].note: unknown key; expected one of: sign, cause, action, urgency",
        f"{path}:{whenever}: flag[4].urgency: unknown urgency 'whenever'; "
        "expected one of: emergency, urgent, same-week, soon, assessment, checkup, appointment, clinician",
    ]


def test_a_missing_rule_an_empty_list_and_control_characters_are_named(tmp_path: Path) -> None:
    text = shipped_text()
    text = re.sub(r"^fast_change = .*\n", "", text, count=1, flags=re.MULTILINE)
    text = text.replace(
        'sign = "Twitching together with weakness', 'sign = "\\u001b[2JTwitching with weakness', 1
    )
    path = write(tmp_path, re.sub(r"habits = \[.*?\]\n", "habits = []\n", text, count=1, flags=re.DOTALL))
    written = path.read_text("utf-8")
    escape = line_number(written, 'sign = "\\u001b')
    assert problems_of(path) == [
        f"{path}: missing 'fast_change' (text)",
        f"{path}:{line_number(written, 'habits')}: habits: expected a list of texts in [ ], got an empty list",
        f"{path}:{escape}: flag[2].sign: contains control characters; use plain text",
    ]


def test_no_flags_at_all_is_a_problem(tmp_path: Path) -> None:
    text = shipped_text()
    path = write(tmp_path, text[: text.index("\n[[flag]]\n")])
    assert problems_of(path) == [f"{path}: missing [[flag]] tables"]


def test_syntax_errors_and_unreadable_files_are_one_clear_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'fast_change = "unclosed\n')
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:1: TOML syntax error")
    path.write_bytes(b"\xff\xfe not text")
    assert problems_of(path) == [f"{path}: is not UTF-8 text (bad byte at offset 0)"]
    assert problems_of(tmp_path / "absent.toml") == [
        f"{tmp_path / 'absent.toml'}: cannot be read: No such file or directory"
    ]
    path.write_text("# " + "x" * 300_000)
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}: is too large")


def test_a_broken_file_falls_back_to_the_fast_change_rule_and_says_why(tmp_path: Path) -> None:
    path = write(tmp_path, shipped_text().replace('urgency = "soon"', 'urgency = "later"'))
    text = load_red_flags_or_fallback(path)
    assert text.fast_change == FALLBACK.fast_change and text.flags == ()
    (problem,) = text.problems
    assert problem.startswith(f"{path}:") and "unknown urgency 'later'" in problem
    for word in ("breathing", "speech", "movement", "fast", "emergency", "right away"):
        assert has(FALLBACK.fast_change, word)
    assert load_red_flags_or_fallback() == load_red_flags()  # the shipped file needs no fallback


def test_importing_the_module_reads_nothing_and_loads_no_toml_parser() -> None:
    code = "import sys, calmcoach.data.redflags; print('tomllib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# --- the reassurance page ---------------------------------------------------------------

SIGNS = {
    "stress": ("stressful days", "panic", "worry"),
    "moving around": ("move around", "instead of staying in one muscle"),
    "easing": ("ease", "distract yourself", "relax for a while"),
    "strength": ("strength", "clumsiness", "slipping out of your hands"),
    "normal tests": ("blood tests", "nerve", "normal", "now and then"),
    "at rest": ("resting", "rather than while you are moving"),
}
"""Each sign of the guide, by the words that pick it out (first) and the words it must say."""


@pytest.mark.parametrize("name", list(SIGNS))
def test_reassurance_carries_each_sign_of_the_guide(name: str) -> None:
    page = load_reassurance()
    words = SIGNS[name]
    found = [s for s in page.signs if has(s, words[0])]
    assert len(found) == 1, f"expected one sign about {name}, found {found}"
    missing = [w for w in words if not has(found[0], w)]
    assert missing == [], f"the sign about {name} does not say {missing}: {found[0]!r}"


def test_reassurance_never_says_twitches_ease_with_rest() -> None:
    """The guide: they ease when you distract yourself or relax for a while, and are noticed
    more at rest; "they ease when you rest" would contradict the sign beside it."""
    page = load_reassurance()
    (easing,) = [s for s in page.signs if has(s, "ease")]
    assert not re.search(r"\brest(ing)?\b", easing, re.IGNORECASE), easing


def test_reassurance_never_diagnoses_and_ends_with_a_health_professional() -> None:
    page = load_reassurance()
    assert len(page.signs) == len(SIGNS)
    assert has(page.intro, "not a diagnosis") and has(page.intro, "red flag")
    assert has(page.closing, "unsure") and has(page.closing, "health professional")
    everything = " ".join((page.title, page.intro, *page.signs, page.closing))
    for claim in ("you have", "it is anxiety", "nothing to worry", "harmless", "don't need", "no need"):
        assert not has(everything, claim), f"the page says {claim!r}"


def test_reassurance_is_loaded_as_strictly(tmp_path: Path) -> None:
    text = REASSURANCE_FILE.read_text("utf-8")
    text = text.replace('title = "', 'colour = "blue"\ntitle = "', 1)
    text = re.sub(r"^closing = .*\n", "", text, count=1, flags=re.MULTILINE)
    text = text.replace("signs = [", "signs = [\n  42,", 1)
    path = write(tmp_path, text, "reassurance.toml")
    assert problems_of(path, load_reassurance) == [
        f"{path}:{line_number(text, 'colour')}: colour: unknown key; expected one of: title, intro, signs, closing",
        f"{path}:{line_number(text, 'signs')}: signs[1]: expected text in quotes, got 42",
        f"{path}: missing 'closing' (text)",
    ]
