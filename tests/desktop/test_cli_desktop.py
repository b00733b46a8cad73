"""``calmcoach desktop`` on the command line: what it refuses before serving anything,
and ``calmcoach log`` with no area (what the launcher's "Log a flare" opens)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from calmcoach import cli
from calmcoach.desktop.launch import served_argv, unsupported_platform
from calmcoach.ui.app import make_app
from calmcoach.ui.screens.stats import FlareLogScreen, StatsScreen
from tests.desktop.helpers import calmcoach_command


@pytest.mark.parametrize("platform", ["darwin", "win32", "cygwin"])
def test_macos_and_windows_get_one_clear_line_and_exit_2(
    platform: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    for args in (["desktop"], ["desktop", "--install"], ["desktop", "--uninstall"], ["desktop", "flare"]):
        assert cli.main(args) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "not supported on" in err and "run calmcoach in a terminal" in err
    assert unsupported_platform("linux") is None


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["list"], 2, "desktop opens the library, run ID"),
        (["run", "no-such-exercise"], 1, "no exercise 'no-such-exercise'"),
        (["run", "breathing-4-2-6", "--minutes", "9"], 2, "takes --minutes from 2 to 5"),
        (["run", "breathing-4-2-6", "--plain"], 2, "--plain prints lines"),
        (["flare", "elbow"], 2, "unknown body area 'elbow'"),
        (["log", "leg"], 2, "desktop opens the library"),
        (["--install", "flare"], 2, "take nothing else"),
    ],
)
def test_what_the_window_would_open_is_checked_in_the_terminal_first(
    cli_env, args: list[str], code: int, says: str
) -> None:
    result = subprocess.run(
        [*calmcoach_command(), "desktop", *args], env=cli_env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == code, result.stderr
    assert says in result.stderr
    assert "served at" not in result.stdout  # nothing was served


def test_the_served_command_keeps_each_word_whole() -> None:
    assert served_argv(["run", "a; rm -rf ~", "--minutes", "3"]) == [
        sys.executable,
        "-P",
        "-m",
        "calmcoach",
        "run",
        "a; rm -rf ~",
        "--minutes",
        "3",
    ]


def test_log_with_an_area_still_needs_an_intensity(cli_env) -> None:
    result = subprocess.run(
        [*calmcoach_command(), "log", "leg"], env=cli_env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "--intensity is required" in result.stderr


def test_log_with_no_area_and_no_screen_says_how_to_log(cli_env) -> None:
    env = {k: v for k, v in cli_env.items() if k != "TEXTUAL_DRIVER"}
    result = subprocess.run(
        [*calmcoach_command(), "log"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "calmcoach log AREA --intensity N" in result.stderr


async def test_the_app_can_open_on_the_flare_form_over_the_journal() -> None:
    app = make_app(log_flare=True, show_first_run=False, no_sound=True)
    async with app.run_test(size=(80, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, FlareLogScreen)
        assert isinstance(app.screen_stack[-2], StatsScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, StatsScreen)
