"""A small bar chart drawn with block characters."""

from __future__ import annotations

BLOCKS = " ▁▂▃▄▅▆▇█"


def bar_rows(values: list[float], height: int) -> list[str]:
    """Rows (top first) of a column chart, one column per value, scaled to the largest."""
    top = max(values, default=0.0)
    if top <= 0:
        return [" " * len(values) for _ in range(height)]
    eighths = [round(v / top * height * 8) for v in values]
    # A day with any practice shows at least a sliver.
    eighths = [max(1, e) if v > 0 else 0 for e, v in zip(eighths, values, strict=True)]
    rows = []
    for row in range(height - 1, -1, -1):
        line = []
        for e in eighths:
            fill = min(8, max(0, e - row * 8))
            line.append(BLOCKS[fill])
        rows.append("".join(line))
    return rows
