"""The report for the doctor, as text, Markdown, HTML or PDF: imports data and the domain, fpdf2 lazily.

The history's figures over a period, as plain text, Markdown, one self-contained HTML
page, or a PDF (with the ``report`` extra).

:func:`make_report` reads and renders; :func:`write_report` writes a file the person
named (replacing it, atomically); :func:`write_to_documents` is what the app calls: a
dated file in the documents folder, never over one that is there.

Imports data and the domain; never Textual or Rich. fpdf2 only when a PDF is made.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from calmcoach.data.history.period import read_period
from calmcoach.data.redflags import load_red_flags_or_fallback
from calmcoach.data.safefile import private_folder, write_atomic
from calmcoach.domain.report import Figures, figures
from calmcoach.services.report import pdf as pdf_format
from calmcoach.services.report.document import Block, blocks
from calmcoach.services.report.html import render_html
from calmcoach.services.report.markdown import render_markdown
from calmcoach.services.report.pdf import INSTALL_HINT, PdfUnavailable
from calmcoach.services.report.text import render_text

__all__ = [
    "FORMATS",
    "INSTALL_HINT",
    "PdfUnavailable",
    "Report",
    "format_of",
    "make_report",
    "write_report",
    "write_to_documents",
]

Format = Literal["text", "markdown", "html", "pdf"]
FORMATS: dict[str, Format] = {".pdf": "pdf", ".md": "markdown", ".html": "html"}
"""The file suffixes ``--out`` takes, and the format each picks."""


def format_of(path: Path) -> Format | None:
    """The format a file's suffix picks, or None for any other suffix."""
    return FORMATS.get(path.suffix.lower())


@dataclass(frozen=True)
class Report:
    """A report's figures and its blocks, ready to render in any format."""

    figures: Figures
    blocks: list[Block]
    made: date
    notice: str | None = None
    """What reading the history had to say once (a file read as it is, say)."""

    def render(self, kind: Format, width: int = 80) -> bytes:
        """The report as a file's bytes (UTF-8 for text). PdfUnavailable without fpdf2."""
        if kind == "pdf":
            return pdf_format.render_pdf(self.blocks, self.figures)
        if kind == "html":
            return render_html(self.blocks, self.figures).encode("utf-8")
        if kind == "markdown":
            return render_markdown(self.blocks).encode("utf-8")
        return render_text(self.blocks, width).encode("utf-8")


def make_report(
    history: Path, since: date | None = None, until: date | None = None, today: date | None = None
) -> Report:
    """Read the history at ``history`` for the period and lay the report out.

    Raises HistoryUnavailable (one sentence) when the history cannot be read."""
    rows = read_period(history, since, until)
    found = figures(
        rows.flares,
        rows.sessions,
        since=since,
        until=until,
        undated=rows.undated,
        short_sessions=rows.short_sessions,
        history_first=rows.history_first,
        history_days=rows.history_days,
    )
    made = today or datetime.now().astimezone().date()
    return Report(found, blocks(found, load_red_flags_or_fallback(), made, rows.notice), made, rows.notice)


def write_report(report: Report, path: Path) -> None:
    """Write the report to ``path``, the file the person named, in the format its suffix
    picks: atomically (a new private file renamed over it), mode 0600. Its folder must
    exist: a mistyped one is never made.

    Raises ValueError for another suffix, PdfUnavailable, OSError (FileNotFoundError for
    a missing folder)."""
    kind = format_of(path)
    if kind is None:
        raise ValueError(f"{path.name}: the report is written as .pdf, .md or .html")
    write_atomic(path, report.render(kind), make_folders=False)


def write_to_documents(history: Path, documents: Path, today: date | None = None) -> Path:
    """What the app's "Report for the doctor" calls: the PDF (HTML without fpdf2) of the
    whole history, written to ``documents`` as ``calmcoach-report-DATE.pdf`` (then
    ``-2``, ``-3``... when that name is taken), never over a file that is there. Returns
    its path. Raises HistoryUnavailable or OSError."""
    report = make_report(history, today=today)
    kind: Format = "pdf" if pdf_format.available() else "html"
    data = report.render(kind)
    suffix = ".pdf" if kind == "pdf" else ".html"
    private_folder(documents)  # made 0700 only when it is made here
    descriptor, temporary = tempfile.mkstemp(prefix=".calmcoach-report.", suffix=".tmp", dir=documents)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
        number = 1
        while True:
            tail = "" if number == 1 else f"-{number}"
            target = documents / f"calmcoach-report-{report.made.isoformat()}{tail}{suffix}"
            try:
                # A hard link is made whole, or not at all when the name is taken: the file
                # appears complete, and nothing that is there is ever replaced.
                os.link(temporary, target)
            except FileExistsError:
                number += 1
                continue
            except OSError as error:
                if error.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                    raise
                if not _create_new(target, data):  # a file system without hard links
                    number += 1
                    continue
            return target
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _create_new(target: Path, data: bytes) -> bool:
    """Write ``data`` to a new file at ``target`` (0600); False when the name is taken."""
    try:
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        return False
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(target)
        raise
    return True
