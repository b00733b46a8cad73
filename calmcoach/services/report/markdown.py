"""The report as Markdown: headings, tables and lists any Markdown viewer shows.

Text from the person's rows is escaped, so a ``*`` or a ``|`` in a note is shown, never
read as formatting, and HTML in it is shown as written. Charts are left out: their
numbers are in the tables.
"""

from __future__ import annotations

import re

from calmcoach.services.report.document import Block, Bullets, Figure, Heading, Paragraph, Table

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_LINE_START = re.compile(r"^(\s*)([#+=-]|\d+(?=[.)]))")


def escape_md(text: str) -> str:
    """``text`` with every character Markdown (or HTML inside it) acts on escaped, and a
    start that would make a heading or a list item."""
    escaped = _SPECIAL.sub(r"\\\1", text)
    # "# x" and "- x" lose their meaning with a backslash before the mark; "1. x" with one after the number.
    return _LINE_START.sub(
        lambda m: m.group(1) + (m.group(2) + "\\" if m.group(2)[0].isdigit() else "\\" + m.group(2)),
        escaped,
    )


def render_markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    first = True
    for block in blocks:
        if isinstance(block, Heading):
            out.append(("# " if first else "## ") + escape_md(block.text))
            first = False
        elif isinstance(block, Paragraph):
            text = escape_md(block.text)
            out.append(f"**{text}**" if block.strong else text)
        elif isinstance(block, Bullets):
            items = []
            for n, item in enumerate(block.items, start=1):
                mark = f"{n}. " if block.numbered else "- "
                # A line break inside the item: two spaces at the end, then the item's indent.
                lines = [escape_md(item), *(escape_md(d) for d in block.details_of(n - 1))]
                items.append(mark + ("  \n" + " " * len(mark)).join(lines))
            out.append("\n".join(items))
        elif isinstance(block, Table):
            rows = [block.headers, tuple("---" for _ in block.headers), *block.rows]
            out.append(
                "\n".join(
                    "| " + " | ".join(cell if index == 1 else escape_md(cell) for cell in row) + " |"
                    for index, row in enumerate(rows)
                )
            )
        elif isinstance(block, Figure):
            continue
    return "\n\n".join(out) + "\n"
