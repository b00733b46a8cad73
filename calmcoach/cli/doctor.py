"""``calmcoach doctor``: the red flags ("When to see a doctor") as plain text.

The app's page, for plain mode, pipes and screen readers, in the page's order: the rule
over all the signs first, the advice for all of them (not "just anxiety"), then each sign
with what may be behind it and what to do, how soon, the habits, and what calmcoach is
not. The words are the red-flags data file's (calmcoach/data/redflags.py), never copied here.
"""

from __future__ import annotations

import os
import sys
import textwrap
from typing import TYPE_CHECKING, TextIO

from calmcoach.data.redflags import RedFlag, SafetyText, load_red_flags_or_fallback
from calmcoach.domain.describe import red_flag_lines
from calmcoach.domain.visible import visible

if TYPE_CHECKING:
    import argparse

    from calmcoach.cli.common import Subparsers

DEFAULT_WIDTH = 80
"""The width when the output is not a terminal (a pipe, a file)."""
MIN_WIDTH = 20
"""Narrower terminals still get lines this long: a hanging indent needs some room."""

TITLE = "When to see a doctor"


def output_width(out: TextIO) -> int:
    """The terminal's width (20 at least), or 80 when ``out`` is not a terminal."""
    try:
        if not out.isatty():
            return DEFAULT_WIDTH
        columns = os.get_terminal_size(out.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return DEFAULT_WIDTH
    if columns <= 0:  # some pseudo-terminals report no size at all
        return DEFAULT_WIDTH
    return max(MIN_WIDTH, columns)


def _wrap(text: str, width: int, first: str = "", rest: str | None = None) -> list[str]:
    """``text`` wrapped to ``width``: the first line after ``first``, the others after
    ``rest`` (a hanging indent). Any control character is written out visibly."""
    return textwrap.wrap(
        visible(text),
        width,
        initial_indent=first,
        subsequent_indent=" " * len(first) if rest is None else rest,
        break_on_hyphens=False,
        break_long_words=False,  # a file's path stays whole, to copy
    ) or [first.rstrip()]


def _flag_lines(number: int, flag: RedFlag, width: int) -> list[str]:
    """One sign: the sign itself, what may be behind it, and its action with its urgency."""
    mark = f"{number}. "
    body = " " * len(mark)
    sign, *details = red_flag_lines(flag.sign, flag.cause, flag.label, flag.action)
    lines = _wrap(sign, width, mark)
    for detail in details:
        lines += _wrap(detail, width, body, body + "  ")
    return lines


def doctor_lines(text: SafetyText, width: int) -> list[str]:
    """The red flags page as lines of at most ``width`` characters (longer only where one
    word is longer than the line)."""
    lines = [TITLE, ""]
    lines += _wrap(text.fast_change, width)
    for problem in text.problems:
        lines += ["", *_wrap(problem, width, "! ", "  ")]
    lines += ["", *_wrap(text.intro, width)]
    # Before the signs, as on the app's page: the advice speaks of "its line below".
    lines += ["", *_wrap(text.advice, width)]
    for number, flag in enumerate(text.flags, start=1):
        lines += ["", *_flag_lines(number, flag, width)]
    if text.habits:
        lines += ["", "Habits that help over time:"]
        for habit in text.habits:
            lines += _wrap(habit, width, "- ")
    lines += ["", *_wrap(text.disclaimer, width)]
    return lines


def cmd_doctor(out: TextIO | None = None) -> int:
    """Print the red flags page; 1 when its data file could not be used (the rule over
    them all is printed even then, with what is wrong with the file)."""
    out = out or sys.stdout
    text = load_red_flags_or_fallback()
    out.write("\n".join(doctor_lines(text, output_width(out))) + "\n")
    out.flush()
    return 1 if text.problems else 0


def add_parser(subparsers: Subparsers) -> None:
    """``doctor``."""
    p = subparsers.add_parser(
        "doctor",
        help="print when to see a doctor: the red flags, the emergency rule first",
        description="Print the signs that mean a twitch should be checked by a doctor, "
        "with what may be behind each and how soon to act. The emergency rule comes first.",
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    del args  # the command takes no options
    return cmd_doctor()
