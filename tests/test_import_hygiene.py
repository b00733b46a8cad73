"""What importing a module loads at run time: what lint-imports cannot check.

The import-linter contracts in ``pyproject.toml`` (run by ``lint-imports``, first in CI)
already check every import arrow between the layers, including that nothing below the
shells imports Textual or Rich and that the domain and the data never import
simpleaudio; so this file does not repeat them. It keeps only checks of what a fresh
interpreter actually holds after an import, which contracts cannot state:

- ``calmcoach.cli`` and ``calmcoach.cli.plain`` sit above the app (the CLI may start it), so
  no contract can forbid them Textual; but plain mode and the CLI's other commands must
  not load Textual, Rich or simpleaudio just by being imported (they import the app only
  when it runs).
- ``test_the_check_can_fail``: the probe is shown to see an import, so an empty answer
  above means something.
- The home screen's first frame loads no argparse, tomllib, sqlite3 or hashlib: a
  start-up cost, decided by what runs, not by which imports exist.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

NOT_THE_APP = ["calmcoach.cli", "calmcoach.cli.plain"]
"""Modules above or beside the app that must not load it, or sound, when imported."""
SHELLS = ("textual", "rich", "simpleaudio")


def shells_pulled_in(module: str) -> list[str]:
    """Import ``module`` in a fresh interpreter and name the shell packages that came with it."""
    code = (
        f"import sys, importlib; importlib.import_module({module!r}); "
        f"print(','.join(m for m in {SHELLS!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return [name for name in result.stdout.strip().split(",") if name]


@pytest.mark.parametrize("module", NOT_THE_APP)
def test_importing_the_cli_or_plain_mode_loads_no_textual_rich_or_simpleaudio(module: str) -> None:
    assert shells_pulled_in(module) == [], f"{module} pulled in a shell"


def test_the_check_can_fail() -> None:
    """The same probe, on a module that does import Textual, sees it."""
    assert "textual" in shells_pulled_in("calmcoach.ui.app")


FIRST_FRAME_PROBE = """
import json, os, sys
from textual.app import App
from calmcoach import cli
from calmcoach.cli import terminal
from calmcoach.ui import trace

terminal.app_cannot_start = lambda: None  # the probe has no terminal: it runs headless

run = App.run
App.run = lambda self, **kw: run(self, headless=True, size=(80, 24))
seen = []
def install(app):  # the benchmarks' hook point: make_app hands it every app it builds
    def first_frame():
        seen.extend(sorted(sys.modules))
        app.exit()
    app.after_first_frame.append(first_frame)
trace.install = install
sys.argv = ["calmcoach"]
cli.main()
print(json.dumps(seen))
"""


def test_home_first_frame_loads_no_parser_toml_or_database(user_exercises: object) -> None:
    """Plain ``calmcoach`` (with the parse cache warm) reaches home without argparse,
    tomllib, sqlite3 or hashlib (OpenSSL): each is start-up time and memory home does not need."""
    from calmcoach.data import locations

    locations.settings_file().write_text('{"first_run_seen": true}')  # the note reads its text file
    modules: list[str] = []
    for _ in range(2):  # the first start fills the parse cache
        result = subprocess.run([sys.executable, "-c", FIRST_FRAME_PROBE], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        modules = json.loads(result.stdout.strip().splitlines()[-1])
    assert "calmcoach.ui.screens.home" in modules  # the probe did reach home
    assert [m for m in ("argparse", "tomllib", "sqlite3", "hashlib") if m in modules] == []
