"""How the command line is put together: each command module adds its subcommands with
their own function, and the modules stay small enough to read."""

from __future__ import annotations

import argparse
from pathlib import Path

from calmcoach import cli
from calmcoach.cli import sessions
from calmcoach.cli.parser import COMMANDS, build_parser

BEFORE = ("list", "show", "validate", "run", "flare", "doctor", "history", "log", "desktop", "remind")
"""The commands, in the order --help listed them before the command line was split up."""


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert len(actions) == 1
    return dict(actions[0].choices)


def test_every_subcommand_runs_its_own_function() -> None:
    """A command module that forgot ``set_defaults(func=...)`` would open the library."""
    for name, sub in _subcommands(build_parser()).items():
        func = sub.get_default("func")
        assert callable(func) and func is not sessions.cmd_app, name


def test_the_command_modules_add_the_commands_in_help_order() -> None:
    added = []
    for module in COMMANDS:
        parser = argparse.ArgumentParser()
        module.add_parser(parser.add_subparsers())
        names = list(_subcommands(parser))
        assert names, f"{module} adds no command"
        added += names
    assert added == list(_subcommands(build_parser()))
    # A new module may go anywhere in COMMANDS; these keep their order in --help.
    assert [name for name in added if name in BEFORE] == list(BEFORE)


def test_no_module_of_the_command_line_is_over_600_lines() -> None:
    folder = Path(cli.__file__).parent
    long = {
        path.name: lines
        for path in sorted(folder.glob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 600
    }
    assert long == {}
