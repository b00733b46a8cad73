"""The report as a PDF, made with fpdf2 (the ``report`` extra): text, tables, and the
charts as vectors (the SVG of :mod:`calmcoach.services.report.charts`, which fpdf2
turns into PDF paths).

fpdf2 is imported only here, and only when a PDF is asked for. A Unicode font from the
system (DejaVu Sans, which Debian and most Linux desktops have) is embedded when there is
one; otherwise the PDF's own Helvetica is used, which holds Latin-1 only, and any other
character is written as its escape (``\\u4e2d``) rather than lost. The charts' labels are
always written so: fpdf2 draws an SVG's text in Helvetica.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Container
from pathlib import Path
from typing import TYPE_CHECKING

from calmcoach.domain.report import Figures
from calmcoach.services.report import charts
from calmcoach.services.report.document import (
    TITLE,
    Block,
    Bullets,
    Figure,
    Heading,
    Paragraph,
    Table,
    period_text,
)

if TYPE_CHECKING:
    from fpdf import FPDF

INSTALL_HINT = "in calmcoach's folder, .venv/bin/pip install '.[report]'"

HEADING_HEIGHT = 12.0
"""A section heading with the space above and under it, in millimetres."""
START_HEIGHT = 22.0
"""What must follow a heading on its page when that is text or a table: a few lines."""
FONT_FOLDERS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
"""Where Linux distributions keep DejaVu Sans."""


class PdfUnavailable(Exception):
    """fpdf2 is not installed; the message says how to install it."""


def available() -> bool:
    try:
        import fpdf  # noqa: F401
    except ImportError:
        return False
    return True


def _unicode_font() -> tuple[Path, Path] | None:
    for folder in FONT_FOLDERS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


def _escape(character: str) -> str:
    code = ord(character)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def latin1(text: str) -> str:
    """``text`` with every character Helvetica cannot draw written as its escape."""
    if text.isascii():
        return text
    return "".join(ch if ord(ch) < 256 else _escape(ch) for ch in text)


def drawable(covered: Container[int]) -> Callable[[str], str]:
    """A label maker for a font that has a glyph for each code in ``covered``: any other
    character is written as its escape, where the font would leave a gap."""

    def label(text: str) -> str:
        if text.isascii():
            return text
        return "".join(ch if ord(ch) in covered else _escape(ch) for ch in text)

    return label


class _Writer:
    def __init__(self, pdf: FPDF, family: str, label: Callable[[str], str]) -> None:
        self.pdf = pdf
        self.family = family
        self.label = label
        self.widths: dict[bool, dict[str, float]] = {False: {}, True: {}}
        """Each character's width in the table's font, plain and bold."""

    def width(self, text: str, bold: bool) -> float:
        """The width of ``text`` in the table's font: the sum of its characters' widths
        (these fonts are drawn without kerning), each measured once. Measuring every
        cell with fpdf2 took a fifth of a second for 10,000 flares."""
        sizes = self.widths[bold]
        try:
            return sum(sizes[ch] for ch in text)
        except KeyError:
            for ch in set(text) - sizes.keys():
                sizes[ch] = self.pdf.get_string_width(ch)
            return sum(sizes[ch] for ch in text)

    def font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)

    def lines(self, text: str, size: float = 10, bold: bool = False, height: float = 5.2) -> None:
        self.font(size, bold)
        self.pdf.multi_cell(0, height, self.label(text), new_x="LMARGIN", new_y="NEXT", align="L")

    def heading(self, text: str, top: bool, following: float = 0.0) -> None:
        """A heading, on a new page when it and the first ``following`` millimetres of
        what it heads would not fit on this one (a heading alone at the foot of a page)."""
        if not top:
            if self.pdf.will_page_break(HEADING_HEIGHT + following):
                self.pdf.add_page()
            self.pdf.ln(4)
        self.lines(text, 18 if top else 13, bold=True, height=9 if top else 7)
        self.pdf.ln(1)

    def bullets(self, block: Bullets) -> None:
        self.font(10)
        for number, item in enumerate(block.items, start=1):
            mark = f"{number}." if block.numbered else "-"
            self.pdf.set_x(self.pdf.l_margin + 2)
            self.pdf.cell(7, 5.2, mark)
            self.pdf.multi_cell(0, 5.2, self.label(item), new_x="LMARGIN", new_y="NEXT", align="L")
            for detail in block.details_of(number - 1):
                self.pdf.set_x(self.pdf.l_margin + 9)
                self.pdf.multi_cell(0, 5.2, self.label(detail), new_x="LMARGIN", new_y="NEXT", align="L")
            self.pdf.ln(0.8)
        self.pdf.ln(1.5)

    def table(self, block: Table) -> None:
        """A table with ruled cells; a cell too long for its column wraps, and the header
        comes again at the top of each page. Drawn cell by cell (fpdf2's own tables
        took seconds for a thousand notes)."""
        pdf = self.pdf
        widths = _widths(block, pdf.epw)
        self._row(block.headers, widths, bold=True)
        for values in block.rows:
            if not self._row(values, widths, fits_only=True):
                pdf.add_page()
                self._row(block.headers, widths, bold=True)
                self._row(values, widths)
        pdf.ln(2)

    def _row(
        self, values: tuple[str, ...], widths: list[float], bold: bool = False, fits_only: bool = False
    ) -> bool:
        """Draw one row; with ``fits_only``, only if it fits on this page (False if not)."""
        pdf = self.pdf
        self.font(8.5, bold)
        line = 4.6
        texts = [self.label(value) for value in values]
        lines: list[list[str]] = []
        for text, width in zip(texts, widths, strict=True):
            if self.width(text, bold) <= width - 2:
                lines.append([text])
            else:
                wrapped = pdf.multi_cell(width - 2, line, text, dry_run=True, output="LINES")
                lines.append(list(wrapped) if isinstance(wrapped, list) else [text])
        height = line * max(len(cell) for cell in lines) + 1
        if fits_only and pdf.will_page_break(height):
            return False
        x, y = pdf.l_margin, pdf.y
        for cell, width in zip(lines, widths, strict=True):
            if bold:
                pdf.set_fill_color(242, 242, 242)
            pdf.rect(x, y, width, height, style="DF" if bold else "D")
            for number, words in enumerate(cell):
                # text() at the baseline where cell() would put it: a sixth of cell()'s cost,
                # which counts with thousands of cells.
                pdf.text(x + 1, y + 0.5 + number * line + line / 2 + 0.3 * pdf.font_size, words)
            x += width
        pdf.set_xy(pdf.l_margin, y + height)
        return True

    def figure_height(self, svg: str) -> float:
        """The height a chart takes on the page, its caption under it included."""
        ratio = float(svg.split('height="', 1)[1].split('"', 1)[0]) / charts.WIDTH
        return self.pdf.epw * ratio + 8

    def figure(self, svg: str, caption: str) -> None:
        width = self.pdf.epw
        height = self.figure_height(svg) - 8
        if self.pdf.will_page_break(height + 8):
            self.pdf.add_page()
        self.pdf.image(io.BytesIO(svg.encode("utf-8")), x=self.pdf.l_margin, w=width, h=height)
        self.lines(caption, 8.5)
        self.pdf.ln(2)


def _widths(block: Table, room: float) -> list[float]:
    """Column widths over the page's width, by the longest value in each (the first 500
    rows) or the longest word of its header, so notes get the room they need."""
    longest = [
        max([*(len(word) + 1 for word in header.split()), *(len(row[index]) for row in block.rows[:500])])
        for index, header in enumerate(block.headers)
    ]
    sizes = [min(60.0, max(6.0, size)) for size in longest]
    return [room * size / sum(sizes) for size in sizes]


def render_pdf(blocks: list[Block], figures: Figures) -> bytes:
    """The report as PDF bytes. Raises PdfUnavailable when fpdf2 is not installed."""
    try:
        from fpdf import FPDF
    except ImportError as error:
        raise PdfUnavailable(f"a PDF needs the fpdf2 library: {INSTALL_HINT}") from error
    footer_text = period_text(figures)

    class _Pages(FPDF):
        def footer(self) -> None:
            # Each page says where it belongs: a printed page that slips out of the pile.
            self.set_y(-12)
            self.set_font(writer.family, "", 8)
            self.set_text_color(90, 90, 90)
            words = f"{TITLE}. {footer_text} Page {self.page_no()} of {{nb}}."
            self.cell(0, 5, writer.label(words), align="C")
            self.set_text_color(0, 0, 0)

    pdf = _Pages(format="A4")
    pdf.set_margins(16, 16, 16)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_title(TITLE)
    pdf.set_creator("calmcoach")
    pdf.set_lang("en")
    font = _unicode_font()
    if font is not None:
        pdf.add_font("DejaVu", "", str(font[0]))
        pdf.add_font("DejaVu", "B", str(font[1]))
        # What the font has no glyph for is written as its escape: fpdf2 would leave a gap.
        covered: set[int] = set()
        for number, key in enumerate(("dejavu", "dejavuB")):
            cmap = getattr(pdf.fonts[key], "cmap", {})  # a TTF font's (a core font has none)
            covered = set(cmap) if number == 0 else covered.intersection(cmap)
        writer = _Writer(pdf, "DejaVu", drawable(covered))
    else:
        writer = _Writer(pdf, "Helvetica", latin1)
    pdf.alias_nb_pages()
    pdf.add_page()
    drawn = {
        "weekly": charts.weekly_chart,
        "intensity": charts.intensity_chart,
        "triggers": charts.triggers_chart,
    }
    # fpdf2 draws an SVG's text in its own Helvetica whatever font the page has.
    svgs = {block.chart: drawn[block.chart](figures, latin1) for block in blocks if isinstance(block, Figure)}
    first = True
    for number, block in enumerate(blocks):
        if isinstance(block, Heading):
            after = blocks[number + 1] if number + 1 < len(blocks) else None
            following = writer.figure_height(svgs[after.chart]) if isinstance(after, Figure) else START_HEIGHT
            writer.heading(block.text, first, following if after is not None else 0.0)
            first = False
        elif isinstance(block, Paragraph):
            writer.lines(block.text, bold=block.strong)
            pdf.ln(1.5)
        elif isinstance(block, Bullets):
            writer.bullets(block)
        elif isinstance(block, Table):
            writer.table(block)
        elif isinstance(block, Figure):
            writer.figure(svgs[block.chart], block.caption)
    return bytes(pdf.output())
