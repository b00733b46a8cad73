"""The core stays pure: it never imports Textual, Rich or simpleaudio."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CORE = [
    "calmcoach.model",
    "calmcoach.loader",
    "calmcoach.planner",
    "calmcoach.session",
    "calmcoach.history",
    "calmcoach.record",
    "calmcoach.cli",
    "calmcoach.plain",
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
