"""The core stays pure: it never imports Textual, Rich or simpleaudio."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE = [
    "calmcoach.model",
    "calmcoach.loader",
    "calmcoach.planner",
    "calmcoach.session",
    "calmcoach.cli",
    "calmcoach.plain",
]
SHELLS = ("textual", "rich", "simpleaudio")


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_no_shell(module: str) -> None:
    code = (
        f"import sys, importlib; importlib.import_module({module!r}); "
        f"print(','.join(m for m in {SHELLS!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{module} pulled in {result.stdout.strip()}"


def test_the_check_can_fail() -> None:
    code = "import sys, calmcoach.tones, textual.app; print('textual' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "True"
