"""Draws the README's picture of the tray menu (docs/tray-menu.svg) from the real thing.

It starts ``calmcoach remind`` on a private session bus, reads the item (its icon and
tooltip) and the menu's layout through the stand-in tray host, as a panel does, and
draws what it read: the icon in a panel, its menu open, the submenu beside it. Nothing
in the picture is typed in here. Run: ``python -m tests.remind.draw_tray_menu``.
"""

from __future__ import annotations

import asyncio
import base64
import subprocess
import sys
import tempfile
from html import escape
from pathlib import Path

from tests.remind import tray_icon
from tests.remind.desktop_session import desktop_session, everyday_settings, remind_command
from tests.remind.tray_host import MenuEntry, TrayHost

OUT = Path(__file__).resolve().parents[2] / "docs" / "tray-menu.svg"
ROW, SEPARATOR, WIDTH = 28, 11, 200
FONT = "font-family='DejaVu Sans, Helvetica, Arial, sans-serif' font-size='13'"


def _menu(entries: list[MenuEntry], x: int, y: int) -> tuple[list[str], dict[int, int]]:
    """A menu box at (x, y): its SVG parts, and the y of each entry with a submenu."""
    height = sum(SEPARATOR if e.label == "-" else ROW for e in entries) + 8
    parts = [
        f"<rect x='{x + 3}' y='{y + 3}' width='{WIDTH}' height='{height}' rx='6' fill='#000' opacity='0.18'/>",
        f"<rect x='{x}' y='{y}' width='{WIDTH}' height='{height}' rx='6' fill='#fbfbfa' stroke='#c9c9c4'/>",
    ]
    rows: dict[int, int] = {}
    at = y + 4
    for entry in entries:
        if entry.label == "-":
            parts.append(
                f"<line x1='{x + 8}' x2='{x + WIDTH - 8}' y1='{at + 5.5}' y2='{at + 5.5}' stroke='#d8d8d3'/>"
            )
            at += SEPARATOR
            continue
        if entry.children:
            parts.append(
                f"<rect x='{x + 4}' y='{at}' width='{WIDTH - 8}' height='{ROW}' rx='4' fill='#2f7d74'/>"
            )
            colour, rows[entry.id] = "#fff", at
            parts.append(f"<text x='{x + WIDTH - 18}' y='{at + 18}' {FONT} fill='#fff'>&#9656;</text>")
        else:
            colour = "#222"
        parts.append(f"<text x='{x + 14}' y='{at + 18}' {FONT} fill='{colour}'>{escape(entry.label)}</text>")
        at += ROW
    return parts, rows


async def read_and_draw(folder: Path) -> str:
    everyday_settings(folder / "config", folder / "started.txt")
    with desktop_session(folder / "desk", notifications=False, display=False) as session:
        session.env["CALMCOACH_CONFIG_DIR"] = str(folder / "config")
        session.env["CALMCOACH_STATE_DIR"] = str(folder / "state")
        session.env["CALMCOACH_DATA_DIR"] = str(folder / "data")
        host = await TrayHost.start(session.env["DBUS_SESSION_BUS_ADDRESS"])
        try:
            remind = session.start(remind_command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            await host.until(lambda: host.registered, "the item's registration")
            item = await host.item_properties()
            _, root = await host.menu()
            session.stop(remind)
        finally:
            host.close()
    width, height, argb = next(p for p in item["IconPixmap"] if p[0] == 22)
    rgba = bytearray(len(argb))
    rgba[0::4], rgba[1::4], rgba[2::4], rgba[3::4] = argb[1::4], argb[2::4], argb[3::4], argb[0::4]
    icon = base64.b64encode(tray_icon.png(width, bytes(rgba))).decode()
    panel_x = 250
    parts = [
        "<rect width='100%' height='34' fill='#2b2b2e'/>",
        f"<text x='14' y='22' {FONT} fill='#ddd'>Panel</text>",
        f"<rect x='{panel_x - 5}' y='2' width='32' height='30' rx='4' fill='#4a4a50'/>",
        f"<image x='{panel_x}' y='6' width='{width}' height='{height}' href='data:image/png;base64,{icon}'/>",
        f"<text x='{panel_x + 40}' y='22' {FONT} fill='#ddd'>12:00</text>",
    ]
    menu_x = panel_x - 60
    drawn, rows = _menu(root.children, menu_x, 40)
    parts += drawn
    for entry in root.children:
        if entry.children:
            more, _ = _menu(entry.children, menu_x + WIDTH - 4, rows[entry.id] - 4)
            parts += more
    tip = escape(f"{item['ToolTip'][2]}: {item['ToolTip'][3]}".split(" at ")[0] + " at ...")
    parts.append(f"<text x='14' y='232' {FONT} fill='#555'>Tooltip: {tip}</text>")
    body = "\n".join(parts)
    return (
        "<svg xmlns='http://www.w3.org/2000/svg' width='620' height='246' viewBox='0 0 620 246'>\n"
        "<!-- Drawn by tests/remind/draw_tray_menu.py from the menu calmcoach remind serves. -->\n"
        f"<rect width='100%' height='100%' fill='#eceae4'/>\n{body}\n</svg>\n"
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="calmcoach-tray-") as folder:
        OUT.write_text(asyncio.run(read_and_draw(Path(folder))))
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
