"""The report as plain text: for the terminal, a screen reader or a session over SSH.

Lines are wrapped to the width given; a table is read row by row, each value after its
column's name, since a grid of columns means little to a screen reader. Charts are left
out: their numbers are in the tables.
"""

from __future__ import annotations

import textwrap

from calmcoach.services.report.document import Block, Bullets, Figure, Heading, Paragraph, Table


def _wrap(text: str, width: int, first: str = "", rest: str | None = None) -> list[str]:
    return textwrap.wrap(
        text,
        width,
        initial_indent=first,
        subsequent_indent=" " * len(first) if rest is None else rest,
        break_on_hyphens=False,
        break_long_words=False,
    ) or [first.rstrip()]


def render_text(blocks: list[Block], width: int = 80) -> str:
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            lines += ["", block.text, "-" * min(width, len(block.text))] if lines else [block.text, ""]
        elif isinstance(block, Paragraph):
            lines += [*_wrap(block.text, width), ""]
        elif isinstance(block, Bullets):
            for number, item in enumerate(block.items, start=1):
                mark = f"{number}. " if block.numbered else "- "
                lines += _wrap(item, width, mark)
                for detail in block.details_of(number - 1):
                    lines += _wrap(detail, width, " " * len(mark), " " * (len(mark) + 2))
            lines.append("")
        elif isinstance(block, Table):
            for row in block.rows:
                values = ", ".join(
                    f"{name.lower()} {value}" for name, value in zip(block.headers[1:], row[1:], strict=True)
                )
                lines += _wrap(f"{row[0]}: {values}" if values else row[0], width, "- ", "  ")
            lines.append("")
        elif isinstance(block, Figure):
            continue
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"
