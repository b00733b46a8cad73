"""The core stays pure: it never imports Textual, Rich or simpleaudio."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

CORE = [
    "calmcoach.domain.model",
    "calmcoach.data.loader",
    "calmcoach.domain.planner",
    "calmcoach.domain.session",
    "calmcoach.data.history",
    "calmcoach.services.record",
    "calmcoach.cli",
    "calmcoach.cli.plain",
    "calmcoach.data.redflags",
    "calmcoach.data.library",
]
SHELLS = ("textual", "rich", "simpleaudio")


def test_import_linter_contract_holds() -> None:
    from pathlib import Path

    linter = Path(sys.executable).parent / "lint-imports"
    if not linter.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("import-linter is in the test extra and must be installed in CI")
        pytest.skip("import-linter is not installed: pip install '.[test]'")
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run([str(linter)], capture_output=True, text=True, cwd=root)
    assert result.returncode == 0, result.stdout


def shells_pulled_in(module: str) -> list[str]:
    """Import ``module`` in a fresh interpreter and name the shell packages that came with it."""
    code = (
        f"import sys, importlib; importlib.import_module({module!r}); "
        f"print(','.join(m for m in {SHELLS!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return [name for name in result.stdout.strip().split(",") if name]


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_no_shell(module: str) -> None:
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
