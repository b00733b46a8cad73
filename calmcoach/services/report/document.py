"""What the report says, as blocks every format draws: headings, paragraphs, tables,
lists and charts. Text, Markdown, HTML and PDF differ only in how they draw them, so the
four say the same thing.

Text from the person's rows (areas, triggers, notes, titles) has its control characters
made visible here (:func:`calmcoach.domain.visible.visible`); each format then escapes
what it must (HTML, Markdown). The red flags are the data file's words
(:mod:`calmcoach.data.redflags`), laid out as ``calmcoach doctor`` lays them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from calmcoach.data.redflags import SafetyText
from calmcoach.domain.describe import cause_text, number_text, plural
from calmcoach.domain.report import LONG_RUN_DAYS, Figures, area_name
from calmcoach.domain.visible import visible

TITLE = "Twitch report for the doctor"
OWN_RECORD = (
    "This is a record the person kept themselves with calmcoach, a relaxation coach. "
    "It is not a medical assessment."
)
DOCTOR_ASKS = (
    "When did the twitching start?",
    "How often does it come?",
    "What seems to set it off?",
)
DOCTOR_CHECKS = (
    "The doctor usually also checks strength, reflexes, coordination and feeling, and may "
    "order blood tests (such as minerals and thyroid) and sometimes nerve or muscle studies. "
    "For many people what they find is reassuring."
)

Chart = Literal["weekly", "intensity", "triggers"]


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str
    strong: bool = False


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    numbered: bool = False
    details: tuple[tuple[str, ...], ...] = ()
    """Lines under each item, if any (a red flag's cause and action), one tuple per item."""

    def details_of(self, index: int) -> tuple[str, ...]:
        return self.details[index] if index < len(self.details) else ()


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Figure:
    chart: Chart
    caption: str


Block = Heading | Paragraph | Bullets | Table | Figure


def shown(text: str) -> str:
    """Text from a row, with every control character written visibly."""
    return visible(text)


def _day(day: date) -> str:
    return day.isoformat()


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _area(area: str) -> str:
    return shown(area_name(area))


def period_text(figures: Figures) -> str:
    if figures.since and figures.until:
        return f"Period: {_day(figures.since)} to {_day(figures.until)}."
    if figures.since:
        return f"Period: from {_day(figures.since)} on."
    if figures.until:
        return f"Period: everything up to {_day(figures.until)}."
    return "Period: everything in the history."


def blocks(figures: Figures, safety: SafetyText, made: date) -> list[Block]:
    """The whole report, top to bottom."""
    out: list[Block] = [Heading(TITLE), Paragraph(f"{period_text(figures)} Made on {_day(made)}.")]
    if figures.undated:
        out.append(
            Paragraph(
                f"{plural(figures.undated, 'row')} of the history had a time that could not be read; "
                "they are left out of everything below."
            )
        )
    if figures.empty:
        out.append(Paragraph("No flares and no sessions were logged in this period."))
    out += _started(figures) + _often(figures) + _strong(figures) + _triggers(figures)
    out += _helped(figures) + _notes(figures) + _appointment(safety)
    return out


def _started(figures: Figures) -> list[Block]:
    out: list[Block] = [Heading("When it started")]
    first = figures.first_flare
    if first is None:
        return [*out, Paragraph("No flares were logged in this period.")]
    out.append(
        Paragraph(
            f"First flare logged: {_when(first.moment)}, {_area(first.area)}, "
            f"intensity {first.intensity} of 10. Flares logged in all: {figures.flares}."
        )
    )
    rows = tuple((_area(a.area), _day(a.first), _day(a.last), str(a.flares)) for a in figures.areas)
    out.append(Table(("Body area", "First day", "Last day", "Flares"), rows))
    return out


def _often(figures: Figures) -> list[Block]:
    if not figures.flares:
        return []
    out: list[Block] = [
        Heading("How often"),
        Figure("weekly", "Flares per week (ISO weeks, Monday to Sunday), one colour per body area."),
    ]
    areas = [a.area for a in figures.areas]
    rows = []
    for index, week in enumerate(figures.weeks):
        counts = [figures.per_week[area][index] for area in areas]
        if any(counts):
            rows.append((week.label, _day(week.monday), *(str(c) for c in counts), str(sum(counts))))
    out.append(Table(("Week", "Starts", *(_area(a) for a in areas), "All"), tuple(rows)))
    quiet = len(figures.weeks) - len(rows)
    if quiet:
        out.append(
            Paragraph(f"Weeks with no flares are left out of this table ({quiet} of {len(figures.weeks)}).")
        )
    lines = []
    for a in figures.areas:
        if a.longest_run == 1:
            line = f"{_area(a.area)}: never on two days in a row"
        else:
            line = f"{_area(a.area)}: flares on {a.longest_run} days in a row at most"
            line += f" ({_day(a.run_start)} to {_day(a.run_end)})"
        if a.worth_checking:
            line += (
                f". That is more than three weeks ({LONG_RUN_DAYS} days) without a day off: "
                "worth getting checked by a doctor"
            )
        lines.append(line + ".")
    out.append(Paragraph("Longest stretch of days in a row with a flare in the same area:"))
    out.append(Bullets(tuple(lines)))
    if not figures.worth_checking:
        out.append(Paragraph(f"No area had flares on more than {LONG_RUN_DAYS} days in a row."))
    return out


def _strong(figures: Figures) -> list[Block]:
    if not figures.flares:
        return []
    rows = tuple((_area(a.area), str(a.flares), number_text(a.median_intensity)) for a in figures.areas)
    return [
        Heading("How strong"),
        Figure("intensity", "Median intensity (0 to 10) of each week's flares, one line per body area."),
        Table(("Body area", "Flares", "Median intensity (0 to 10)"), rows),
    ]


def _triggers(figures: Figures) -> list[Block]:
    if not figures.flares:
        return []
    out: list[Block] = [Heading("What seems to set it off")]
    if figures.triggers:
        out.append(Figure("triggers", "How many flares named each trigger, most frequent first."))
        out.append(Table(("Trigger", "Flares"), tuple((shown(t), str(n)) for t, n in figures.triggers)))
    else:
        out.append(Paragraph("No flare in this period named a trigger."))
    if figures.untriggered and figures.triggers:
        out.append(Paragraph(f"{plural(figures.untriggered, 'flare')} named no trigger."))
    return out


def _change(value: float | None) -> str:
    if value is None:
        return "not rated"
    return "+" + number_text(value) if value > 0 else number_text(value)


def _helped(figures: Figures) -> list[Block]:
    out: list[Block] = [Heading("What helped")]
    if not figures.exercises:
        return [*out, Paragraph("No exercise sessions in this period.")]
    rows = tuple(
        (
            shown(e.title),
            str(e.times),
            number_text(e.minutes),
            str(e.rated),
            _change(e.median_change),
        )
        for e in figures.exercises
    )
    out.append(
        Table(
            ("Exercise", "Times", "Minutes spent", "Rated before and after", "Median change in tension"), rows
        )
    )
    out.append(
        Paragraph(
            "Minutes are the time each session really ran: pauses and skipped steps are not counted. "
            "Tension is the person's own rating from 0 to 10 before and after a session; "
            "a change below 0 means less tension after."
        )
    )
    return out


def _notes(figures: Figures) -> list[Block]:
    if not figures.notes:
        return []
    rows = tuple((_when(f.moment), _area(f.area), shown(f.note)) for f in figures.notes)
    return [Heading("Notes"), Table(("When", "Body area", "Note"), rows)]


def flag_lines(safety: SafetyText) -> tuple[tuple[str, ...], ...]:
    """Each red flag as ``calmcoach doctor`` says it, a line each: the sign, what may be
    behind it, and its action with how soon."""
    found = []
    for flag in safety.flags:
        lines = [flag.sign]
        if flag.cause:
            lines.append(cause_text(flag.cause))
        lines.append(f"{flag.label}: {flag.action}")
        found.append(tuple(lines))
    return tuple(found)


def _appointment(safety: SafetyText) -> list[Block]:
    out: list[Block] = [
        Heading("Before the appointment"),
        Paragraph(safety.fast_change, strong=True),
        Paragraph("A doctor will usually ask:"),
        Bullets(DOCTOR_ASKS),
        Paragraph(DOCTOR_CHECKS),
        Paragraph("Signs that mean a twitch should be looked at, and how soon:"),
        Paragraph(safety.advice),
    ]
    if safety.flags:
        lines = flag_lines(safety)
        out.append(Bullets(tuple(f[0] for f in lines), numbered=True, details=tuple(f[1:] for f in lines)))
    out += [Paragraph(problem) for problem in safety.problems]
    out.append(Paragraph(OWN_RECORD, strong=True))
    return out
