"""The report as one self-contained HTML page: its style and its charts (inline SVG) are
in the file, and a Content-Security-Policy forbids loading anything else, so it opens the
same with no network and sends nothing anywhere.

Every piece of text is HTML-escaped (a trigger with markup in it shows the markup).
"""

from __future__ import annotations

import re
from html import escape

from calmcoach.domain.report import Figures
from calmcoach.services.report import charts
from calmcoach.services.report.document import TITLE, Block, Bullets, Figure, Heading, Paragraph, Table

STYLE = """
body { font-family: Helvetica, Arial, sans-serif; color: #222; max-width: 52rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.3rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; }
table { border-collapse: collapse; margin: 0.6rem 0; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.n { text-align: right; }
td.d { white-space: nowrap; }
figure { margin: 0.8rem 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.9rem; color: #555; }
p.strong { font-weight: bold; }
@media print { h2 { break-after: avoid; } table, figure { break-inside: avoid; } }
"""
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


_WHEN = re.compile(r"\d{4}-(W\d{2}|\d{2}-\d{2}( \d{2}:\d{2})?)")
"""A week, a day or a time: kept on one line (a browser breaks "2026-W45" at its hyphen)."""


def _cell(value: str, tag: str) -> str:
    numeric = tag == "td" and value.replace(".", "", 1).lstrip("+-").isdigit()
    attribute = ' class="n"' if numeric else ' class="d"' if _WHEN.fullmatch(value) else ""
    return f"<{tag}{attribute}>{escape(value)}</{tag}>"


def render_html(blocks: list[Block], figures: Figures) -> str:
    drawn = {
        "weekly": charts.weekly_chart,
        "intensity": charts.intensity_chart,
        "triggers": charts.triggers_chart,
    }
    body: list[str] = []
    first = True
    for block in blocks:
        if isinstance(block, Heading):
            body.append(f"<h1>{escape(block.text)}</h1>" if first else f"<h2>{escape(block.text)}</h2>")
            first = False
        elif isinstance(block, Paragraph):
            attribute = ' class="strong"' if block.strong else ""
            body.append(f"<p{attribute}>{escape(block.text)}</p>")
        elif isinstance(block, Bullets):
            tag = "ol" if block.numbered else "ul"
            items = "".join(
                "<li>" + "<br>".join(escape(line) for line in (item, *block.details_of(n))) + "</li>"
                for n, item in enumerate(block.items)
            )
            body.append(f"<{tag}>{items}</{tag}>")
        elif isinstance(block, Table):
            head = "".join(_cell(h, "th") for h in block.headers)
            rows = "".join("<tr>" + "".join(_cell(v, "td") for v in row) + "</tr>" for row in block.rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif isinstance(block, Figure):
            svg = drawn[block.chart](figures)
            body.append(f"<figure>{svg}<figcaption>{escape(block.caption)}</figcaption></figure>")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(TITLE)}</title><style>{STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
