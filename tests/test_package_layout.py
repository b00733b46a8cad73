"""The package's shape (issue 25): folders are the layers, and no module grows past reading.

lint-imports checks which folder may import which; this checks what it cannot: how many
modules sit outside the folders, how long a module is, and that each folder's
``__init__`` says in its first line what it holds and what it may import.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "calmcoach"
MOST_LINES = 600
APP_MOST_LINES = 350


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_at_most_two_modules_sit_outside_the_folders() -> None:
    flat = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert flat == ["__init__.py", "__main__.py"]


def test_no_module_is_over_600_lines() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MOST_LINES
    }
    assert long == {}


def test_the_app_class_file_is_at_most_350_lines() -> None:
    assert len((PACKAGE / "ui" / "app.py").read_text(encoding="utf-8").splitlines()) <= APP_MOST_LINES


def test_each_folder_says_in_its_first_line_what_it_holds_and_may_import() -> None:
    for init in sorted(PACKAGE.rglob("__init__.py")):
        if init.parent == PACKAGE:
            continue
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert docstring, f"{init.relative_to(PACKAGE)} has no docstring"
        first = docstring.splitlines()[0]
        assert "import" in first, f"{init.relative_to(PACKAGE)}: {first!r} does not say what it may import"
