"""Renders calmcoach's icon (calmcoach/desktop/calmcoach.svg) into the small PNGs the tray
item sends as its pixmap fallback (calmcoach/remind/icons/). No SVG library is needed:
the icon is a rounded square and three circles, drawn here with 8x8 samples a pixel.

Run ``python -m tests.remind.tray_icon`` after changing the SVG; test_tray checks that the
shipped PNGs are what this draws from the SVG now.
"""

from __future__ import annotations

import math
import struct
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SVG = ROOT / "calmcoach" / "desktop" / "calmcoach.svg"
ICONS = ROOT / "calmcoach" / "remind" / "icons"
SIZES = (16, 22, 32, 48)
SAMPLES = 8


def _colour(text: str) -> tuple[float, float, float]:
    text = text.lstrip("#")
    return tuple(int(text[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def _shapes(svg: Path) -> tuple[float, list[tuple[object, tuple[float, float, float], float]]]:
    """The view box's width and each shape as (coverage test, colour, opacity)."""
    root = ET.parse(svg).getroot()
    width = float(root.get("viewBox", "0 0 64 64").split()[2])
    shapes: list[tuple[object, tuple[float, float, float], float]] = []
    for node in root:
        tag = node.tag.rsplit("}", 1)[-1]
        if tag == "rect":
            x, y, w, h, r = (float(node.get(k, "0")) for k in ("x", "y", "width", "height", "rx"))

            def inside(
                px: float, py: float, x: float = x, y: float = y, w: float = w, h: float = h, r: float = r
            ) -> bool:
                cx = min(max(px, x + r), x + w - r)
                cy = min(max(py, y + r), y + h - r)
                return x <= px <= x + w and y <= py <= y + h and math.hypot(px - cx, py - cy) <= r

            shapes.append((inside, _colour(node.get("fill", "#000")), float(node.get("fill-opacity", "1"))))
        elif tag == "circle":
            cx, cy, r = (float(node.get(k, "0")) for k in ("cx", "cy", "r"))
            if node.get("fill", "none") != "none":

                def disc(px: float, py: float, cx: float = cx, cy: float = cy, r: float = r) -> bool:
                    return math.hypot(px - cx, py - cy) <= r

                shapes.append((disc, _colour(node.get("fill", "#000")), float(node.get("fill-opacity", "1"))))
            if node.get("stroke", "none") != "none":
                half = float(node.get("stroke-width", "1")) / 2

                def ring(
                    px: float, py: float, cx: float = cx, cy: float = cy, r: float = r, half: float = half
                ) -> bool:
                    return abs(math.hypot(px - cx, py - cy) - r) <= half

                shapes.append(
                    (ring, _colour(node.get("stroke", "#000")), float(node.get("stroke-opacity", "1")))
                )
    return width, shapes


def render(size: int, svg: Path = SVG) -> bytes:
    """The icon at ``size`` pixels square, as RGBA rows (straight alpha)."""
    width, shapes = _shapes(svg)
    scale = width / size
    out = bytearray()
    for row in range(size):
        for column in range(size):
            r = g = b = a = 0.0  # premultiplied
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    px = (column + (sx + 0.5) / SAMPLES) * scale
                    py = (row + (sy + 0.5) / SAMPLES) * scale
                    pr = pg = pb = pa = 0.0
                    for inside, (cr, cg, cb), opacity in shapes:
                        if inside(px, py):  # type: ignore[operator]
                            pr, pg, pb = (
                                cr * opacity + pr * (1 - opacity),
                                cg * opacity + pg * (1 - opacity),
                                cb * opacity + pb * (1 - opacity),
                            )
                            pa = opacity + pa * (1 - opacity)
                    r, g, b, a = r + pr, g + pg, b + pb, a + pa
            n = SAMPLES * SAMPLES
            r, g, b, a = r / n, g / n, b / n, a / n
            if a > 0:
                r, g, b = r / a, g / a, b / a
            out += bytes(round(v * 255) for v in (r, g, b, a))
    return bytes(out)


def png(size: int, rgba: bytes) -> bytes:
    """A PNG file (8-bit RGBA, every row unfiltered) of ``rgba``."""
    stride = size * 4
    raw = b"".join(b"\0" + rgba[i * stride : (i + 1) * stride] for i in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    ICONS.mkdir(exist_ok=True)
    for size in SIZES:
        (ICONS / f"calmcoach-{size}.png").write_bytes(png(size, render(size)))
        print(f"wrote {ICONS / f'calmcoach-{size}.png'}")


if __name__ == "__main__":
    main()
