"""Choosing the window: an app window for Chromium-family browsers, a fallback when the
native window cannot start."""

from __future__ import annotations

import time

import pytest

from calmcoach.desktop import window


@pytest.mark.parametrize(
    ("browser", "command"),
    [
        ("chromium --no-sandbox %s", ["chromium", "--no-sandbox"]),
        ("/usr/bin/google-chrome-stable", ["/usr/bin/google-chrome-stable"]),
        ("firefox", None),
        ("lynx %s:chromium", None),  # only the first of $BROWSER's choices is read
    ],
)
def test_browser_variable_picks_an_app_window_only_for_chromium_family(
    monkeypatch: pytest.MonkeyPatch, browser: str, command: list[str] | None
) -> None:
    monkeypatch.setenv("BROWSER", browser)
    assert window.default_browser_command() == command


def test_without_browser_variable_or_xdg_settings_there_is_no_app_window(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.delenv("BROWSER", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no xdg-settings on it
    assert window.default_browser_command() is None


def test_a_native_window_that_cannot_start_gives_way_quickly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Here the window process fails for real: pywebview is not installed, or it has no
    display. Either way the launcher learns it at once and uses the browser."""
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    started = time.monotonic()
    assert window.open_native_window("http://127.0.0.1:9/unused/") is None
    assert time.monotonic() - started < window.WINDOW_SECONDS  # it did not wait out the timeout
