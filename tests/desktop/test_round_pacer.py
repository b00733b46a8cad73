"""The breathing circle is round in the desktop window: its page's cells are not the usual
1 by 2, the server says what they are, and the pacer draws for them."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest

from calmcoach.data import settings as user_settings
from calmcoach.desktop.spare import CELL_ASPECT, PAGE_CELL_ASPECT
from calmcoach.ui import factory
from tests.desktop.helpers import chromium, need_browser, served, wait_for_screen

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# xterm.js's measured cell, in CSS pixels, from the page's terminal.
READ_CELL = """
const t = (window.__terminals || [])[0];
return t ? t._core._renderService.dimensions.css.cell : null;
"""


def test_the_server_and_the_app_name_the_same_setting() -> None:
    assert CELL_ASPECT == factory.CELL_ASPECT


def circle_extent(png: bytes, top: int, bottom: int) -> tuple[float, float]:
    """The widest row and the tallest column of the pacer's disc between rows ``top`` and
    ``bottom``, in pixels: each pixel counts by how far it is from the background towards
    the disc's colour (a shaded edge pixel counts in part); other colours (text) not at all."""
    from PIL import Image

    image = Image.open(BytesIO(png)).convert("RGB")
    pixels = image.load()
    assert pixels is not None
    width = image.size[0]
    rows = [[pixels[x, y] for x in range(width)] for y in range(top, bottom)]
    background = rows[0][0]
    fill = max((colour for row in rows for colour in row), key=lambda c: c[0] - c[2])  # the orange

    def share(colour: tuple[int, int, int]) -> float:
        part = (colour[0] - background[0]) / (fill[0] - background[0])
        blend = [background[i] + part * (fill[i] - background[i]) for i in range(3)]
        if part <= 0 or any(abs(colour[i] - blend[i]) > 6 for i in range(3)):
            return 0.0
        return min(1.0, part)

    shares = [[share(colour) for colour in row] for row in rows]
    return max(sum(row) for row in shares), max(sum(column) for column in zip(*shares, strict=True))


def test_the_breathing_circle_is_round_in_the_window(cli_env: dict[str, str], tmp_path: Path) -> None:
    need_browser()
    user_settings.save(user_settings.Settings(first_run_seen=True))
    with served(cli_env, "run", "breathing-4-2-6") as server, chromium(tmp_path / "profile") as driver:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1000, "height": 560, "deviceScaleFactor": 1, "mobile": False},
        )
        driver.get(server.url)
        wait_for_screen(driver, r"HOLD")  # after the in-breath: the circle is full, and still
        cell = driver.execute_script(READ_CELL)
        # The shape the server tells its apps is the page's own.
        assert cell["height"] / cell["width"] == pytest.approx(float(PAGE_CELL_ASPECT), rel=0.005)
        rows = wait_for_screen(driver, r"HOLD").splitlines()
        # The pacer's rows: between the caution's last line and the step's words.
        first = next(y for y, line in enumerate(rows) if "▀" in line or "█" in line)
        last = max(y for y, line in enumerate(rows) if "▀" in line or "█" in line)
        png = driver.get_screenshot_as_png()
    top, bottom = first * cell["height"], (last + 1) * cell["height"]
    width, height = circle_extent(png, int(top), int(bottom))
    assert width > 200, f"no circle found: {width} x {height} px"
    assert height / width == pytest.approx(1.0, abs=0.02), f"{width:.1f} x {height:.1f} px"
