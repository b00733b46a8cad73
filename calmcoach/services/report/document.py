"""What the report says, as blocks every format draws: headings, paragraphs, tables,
lists and charts. Text, Markdown, HTML and PDF differ only in how they draw them, so the
four say the same thing. The words about the doctor's visit are the red-flags data
file's, as the red flags are.

Text from the person's rows (areas, triggers, notes, titles) has its control characters
made visible here (:func:`calmcoach.domain.visible.visible`); each format then escapes
what it must (HTML, Markdown). The red flags are the data file's words
(:mod:`calmcoach.data.redflags`), laid out as ``calmcoach doctor`` lays them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from calmcoach.data.history.stats import PRACTICE_SECONDS
from calmcoach.data.redflags import SafetyText
from calmcoach.domain.describe import number_text, plural, red_flag_lines
from calmcoach.domain.lasting import LASTING_DAYS, MAX_BREAK, Stretch
from calmcoach.domain.report import Figures, FlareEntry, area_name
from calmcoach.domain.visible import visible

TITLE = "Twitch report for the doctor"
OWN_RECORD = (
    "This is a record the person kept themselves with calmcoach, a relaxation coach. "
    "It is not a medical assessment."
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


def blocks(figures: Figures, safety: SafetyText, made: date, notice: str | None = None) -> list[Block]:
    """The whole report, top to bottom; ``notice`` is what reading the history had to say
    (a damaged file moved aside, say), shown right under the title."""
    out: list[Block] = [Heading(TITLE)]
    if notice:
        said = visible(notice).rstrip(".")
        out.append(
            Paragraph(
                f"{said[:1].upper()}{said[1:]}.",
                strong=True,
            )
        )
    out.append(Paragraph(f"{period_text(figures)} Made on {_day(made)}."))
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


def _flare_text(flare: FlareEntry) -> str:
    return f"{_when(flare.moment)}, {_area(flare.area)}, intensity {flare.intensity} of 10"


def _started(figures: Figures) -> list[Block]:
    out: list[Block] = [Heading("When it started")]
    first, ever = figures.first_flare, figures.history_first
    if not figures.bounded:
        if first is None:
            return [*out, Paragraph("No flares were logged in this period.")]
        out.append(
            Paragraph(f"First flare logged: {_flare_text(first)}. Flares logged in all: {figures.flares}.")
        )
    else:
        if ever is not None:
            out.append(Paragraph(f"First flare in the whole history: {_flare_text(ever)}."))
        if first is None:
            return [*out, Paragraph("No flares were logged in this period.")]
        out.append(
            Paragraph(
                f"First flare in this period: {_flare_text(first)}. Flares in this period: {figures.flares}."
            )
        )
    rows = tuple((_area(a.area), _day(a.first), _day(a.last), str(a.flares)) for a in figures.areas)
    out.append(Table(("Body area", "First day", "Last day", "Flares"), rows))
    return out


def _stretch_line(area: str, stretch: Stretch) -> str:
    if stretch.length == 1:
        return f"{_area(area)}: no stretch longer than a single day."
    line = (
        f"{_area(area)}: {stretch.length} days at most, {_day(stretch.start)} to {_day(stretch.end)} "
        f"(flares on {stretch.flare_days} of them)"
    )
    if stretch.lasting:
        line += ". That is more than three weeks without letting up: worth getting checked by a doctor"
    return line + "."


def _often(figures: Figures) -> list[Block]:
    if not figures.flares and not figures.worth_checking:
        return []
    out: list[Block] = [Heading("How often")]
    if figures.flares:
        out.append(
            Figure("weekly", "Flares per week (ISO weeks, Monday to Sunday), one colour per body area.")
        )
        rows = []
        for index, week in enumerate(figures.weeks):
            counts = [series.per_week[index] for series in figures.series]
            if any(counts):
                rows.append((week.label, _day(week.monday), *(str(c) for c in counts), str(sum(counts))))
        names = (shown(series.name) for series in figures.series)
        out.append(Table(("Week", "Starts", *names, "All"), tuple(rows)))
        quiet = len(figures.weeks) - len(rows)
        if quiet:
            out.append(
                Paragraph(
                    f"Weeks with no flares are left out of this table ({quiet} of {len(figures.weeks)})."
                )
            )
    whole = " over the whole history, not only this period" if figures.bounded else ""
    out.append(
        Paragraph(
            f"Longest stretch of days with flares in the same area on most days{whole} "
            f"(never more than {MAX_BREAK} days in a row without one):"
        )
    )
    out.append(Bullets(tuple(_stretch_line(found.area, found.stretch) for found in figures.stretches)))
    if not figures.worth_checking:
        where = (
            "everything logged (the whole history, not only this period)"
            if figures.bounded
            else "what was logged in this period"
        )
        out.append(
            Paragraph(
                f"In {where}, no area had flares on most days for more than three weeks "
                f"({LASTING_DAYS} days)."
            )
        )
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
    short = figures.short_sessions
    left_out = (
        f"{plural(short, 'session')} stopped before {PRACTICE_SECONDS} seconds "
        f"{'was' if short == 1 else 'were'} left out."
    )
    if not figures.exercises:
        words = (
            "No exercise sessions in this period."
            if not short
            else f"No exercise sessions of {PRACTICE_SECONDS} seconds or more in this period; {left_out}"
        )
        return [*out, Paragraph(words)]
    rows = tuple(
        (
            shown(e.title),
            str(e.times),
            number_text(e.minutes),
            str(e.rated) if e.rated else "none",
            _change(e.median_change),
        )
        for e in figures.exercises
    )
    out.append(
        Table(
            ("Exercise", "Times", "Minutes spent", "Rated before and after", "Median change in tension"), rows
        )
    )
    counted = f"Only sessions of at least {PRACTICE_SECONDS} seconds count here (as for the practice streak)"
    out.append(
        Paragraph(
            f"{counted}{': ' + left_out if short else '.'} "
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


def _appointment(safety: SafetyText) -> list[Block]:
    out: list[Block] = [Heading("Before the appointment"), Paragraph(safety.fast_change, strong=True)]
    if safety.doctor_asks:
        out += [Paragraph("A doctor will usually ask:"), Bullets(safety.doctor_asks)]
    if safety.doctor_checks:
        out.append(Paragraph(safety.doctor_checks))
    if safety.signs_intro:
        out.append(Paragraph(safety.signs_intro))
    out.append(Paragraph(safety.advice))
    if safety.flags:
        lines = [red_flag_lines(f.sign, f.cause, f.label, f.action) for f in safety.flags]
        out.append(Bullets(tuple(f[0] for f in lines), numbered=True, details=tuple(f[1:] for f in lines)))
    out += [Paragraph(problem) for problem in safety.problems]
    out.append(Paragraph(OWN_RECORD, strong=True))
    return out
