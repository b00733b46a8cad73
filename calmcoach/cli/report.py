"""``calmcoach report``: the report for the doctor, printed as text or written to a file.

``--out`` picks the format by its suffix (.pdf, .md, .html); without it the report is
printed as plain text, wrapped to the terminal. Building the parser imports nothing
more than this module: the history, SQLite and fpdf2 load when the command runs.
"""

from __future__ import annotations

import calendar
import logging
import os
import re
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from calmcoach.cli.common import EXIT_USAGE
from calmcoach.domain.visible import visible

if TYPE_CHECKING:
    import argparse

    from calmcoach.cli.common import Subparsers


def _err(message: str) -> None:
    print(f"calmcoach report: {visible(message)}", file=sys.stderr)


def add_parser(subparsers: Subparsers) -> None:
    """Add ``report`` to the ``calmcoach`` command's subcommands."""
    p = subparsers.add_parser(
        "report",
        help="a report for the doctor from your flare journal and sessions (text, .pdf, .md or .html)",
        description="Sum up the flare journal and the sessions for an appointment: when it started, "
        "how often, how strong, what seems to set it off, what helped, your notes, and the signs "
        "a doctor should look at. Printed as text, or written to --out.",
    )
    p.add_argument("--since", metavar="YYYY-MM-DD", help="from this day on (default: the first row)")
    p.add_argument(
        "--until", metavar="YYYY-MM-DD", help="up to and including this day (default: the last row)"
    )
    p.add_argument("--out", metavar="FILE", type=Path, help="write a file: .pdf, .md or .html")
    p.set_defaults(func=cmd_report)


def _day(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        found = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value)
        if found and 1 <= int(found[2]) <= 12 and int(found[1]) >= 1:
            year, month = int(found[1]), int(found[2])
            days = calendar.monthrange(year, month)[1]
            raise ValueError(
                f"{option} {value}: that day does not exist "
                f"({calendar.month_name[month]} {year} has {days} days)"
            ) from error
        raise ValueError(f"{option} wants a date like 2026-11-01, not {value!r}") from error


def _folder_problem(folder: Path) -> str | None:
    """Why the report cannot go into ``folder`` (which is never made), or None."""
    if folder.is_dir():
        return None
    if os.path.lexists(folder):
        return f"{folder} is not a folder"
    problem = f"there is no folder {folder} (it is not made for you)"
    if folder.parts and folder.parts[0].startswith("~"):
        # The shell turns ~ into the home folder only when it is not in quotes.
        problem += f"; a ~ in quotes is not your home folder: write {Path.home()} or leave out the quotes"
    return problem


def cmd_report(args: argparse.Namespace) -> int:
    """Print the report, or write it to ``--out``; 2 for a usage error, 1 when it cannot be made."""
    from calmcoach.cli.doctor import output_width
    from calmcoach.data import locations, logfile
    from calmcoach.data.history import HistoryUnavailable
    from calmcoach.services.report import INSTALL_HINT, PdfUnavailable, format_of, make_report, write_report
    from calmcoach.services.report import pdf as pdf_format

    try:
        since, until = _day("--since", args.since), _day("--until", args.until)
    except ValueError as error:
        _err(str(error))
        return EXIT_USAGE
    if since and until and since > until:
        _err(f"--since ({since}) is after --until ({until}): nothing can fall between them")
        return EXIT_USAGE
    out: Path | None = args.out
    if out is not None:
        kind = format_of(out)
        if kind is None:
            _err(f"--out {out.name}: the report is written as .pdf, .md or .html (the suffix picks which)")
            return EXIT_USAGE
        problem = _folder_problem(out.parent)
        if problem:
            _err(f"--out {out}: {problem}")
            return 1
        if kind == "pdf" and not pdf_format.available():
            _err(f"a PDF needs the fpdf2 library, which is not installed: {INSTALL_HINT}")
            _err("(.md and .html work without it)")
            return 1
    logfile.start()
    try:
        report = make_report(locations.history_file(), since, until)
    except HistoryUnavailable as error:
        _err(f"the history cannot be read: {error}")
        return 1
    if report.notice:
        _err(report.notice)
    if out is None:
        sys.stdout.write(report.render("text", output_width(sys.stdout)).decode("utf-8"))
        sys.stdout.flush()
        return 0
    try:
        write_report(report, out)
    except PdfUnavailable as error:
        _err(f"{error}")
        return 1
    except OSError as error:
        # Named by the file asked for: the error's own file name may be the temporary one beside it.
        _err(f"could not write the report to {out}: {error.strerror or error}")
        return 1
    except Exception as error:  # the PDF library met something it cannot draw: said, and logged
        logging.getLogger(__name__).exception("report: the %s could not be made", out.suffix)
        _err(f"the report could not be made ({type(error).__name__}: {error}); the log has the details")
        return 1
    print(f"Wrote the report for the doctor to {visible(str(out))}")
    return 0
