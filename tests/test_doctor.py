"""``calmcoach doctor``: the red flags as plain text, for plain mode (issue 23, section 4).

Run as a real process: through a pipe (80 columns) and on a pseudo-terminal 40 columns
wide. Every sign, cause and action comes from the red-flags data file.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from calmcoach.data.redflags import RedFlag, SafetyText, load_red_flags, load_red_flags_or_fallback
from tests.helpers import calmcoach_command
from tests.terminal_process import TerminalProcess

pytestmark = pytest.mark.slow

CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
"""Any control character but the line feed."""


def doctor(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*calmcoach_command(), "doctor"], capture_output=True, text=True, env=env, timeout=30
    )


def flat(text: str) -> str:
    """The text with its wrapping undone (every run of spaces and line ends as one space)."""
    return " ".join(text.split())


def paragraphs(text: str) -> list[str]:
    return [flat(block) for block in text.strip().split("\n\n")]


def test_doctor_prints_every_sign_cause_and_action_with_the_emergency_rule_first(cli_env) -> None:
    page = load_red_flags()
    result = doctor(cli_env)
    assert result.returncode == 0 and result.stderr == ""
    out = result.stdout
    assert not CONTROL.search(out)
    blocks = paragraphs(out)
    assert blocks[0] == "When to see a doctor"
    assert blocks[1] == page.fast_change  # the rule over all of them comes first
    assert page.advice in blocks and page.intro in blocks
    assert blocks[-1] == page.disclaimer  # what calmcoach is not, once, at the end
    assert flat(out).count("not a medical device") == 1
    assert len(page.flags) == 8
    for number, flag in enumerate(page.flags, start=1):
        block = next(b for b in blocks if b.startswith(f"{number}. "))
        cause = f" May be behind it: {flag.cause}" if flag.cause else ""
        assert block == f"{number}. {flag.sign}{cause} {flag.label}: {flag.action}"
    assert all(len(line) <= 80 for line in out.splitlines())  # not a terminal: 80 columns


def test_doctor_at_40_columns_wraps_with_hanging_indents(cli_env) -> None:
    page = load_red_flags()
    shell = TerminalProcess([*calmcoach_command(), "doctor"], cli_env, rows=12, columns=40)
    try:
        assert shell.wait(30) == 0
    finally:
        shell.close()
    out = shell.output.decode().replace("\r\n", "\n")
    assert not CONTROL.search(out)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 40
    assert max(len(line) for line in lines) >= 36  # the width is used, not 80 cut short
    assert paragraphs(out)[1] == page.fast_change
    # A flag's wrapped lines hang under its text, never back at the margin.
    at = lines.index("2. Twitching together with weakness you")
    block = lines[at : lines.index("", at)]
    assert all(line.startswith("   ") for line in block[1:]), block
    cause = [i for i, line in enumerate(block) if line.startswith("   May be behind it:")]
    action = [i for i, line in enumerate(block) if line.startswith("   URGENT:")]
    assert cause and action and cause[0] < action[0]
    assert all(line.startswith("     ") for line in block[cause[0] + 1 : action[0]])
    assert all(line.startswith("     ") for line in block[action[0] + 1 :])


def test_help_lists_doctor(cli_env) -> None:
    result = subprocess.run(
        [*calmcoach_command(), "--help"], capture_output=True, text=True, env=cli_env, timeout=30
    )
    assert re.search(r"^\s+doctor\s+print when to see a doctor", result.stdout, flags=re.MULTILINE)


def test_plain_flare_names_the_doctor_command_not_a_key(cli_env) -> None:
    result = subprocess.run(
        [*calmcoach_command(), "flare", "eyelid", "--plain", "--speed", "100", "--no-sound"],
        input="\n\n",
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "run calmcoach doctor" in result.stdout
    assert "press !" not in result.stdout


def test_the_readme_lists_doctor_among_the_commands() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    using = readme[readme.index("## Using it\n") : readme.index("\n## ", readme.index("## Using it\n") + 1)]
    assert "| `calmcoach doctor` |" in using


def test_each_cause_says_what_the_guide_says_may_be_behind_its_sign() -> None:
    causes = {flag.urgency: flag.cause for flag in load_red_flags().flags}
    for urgency, words in {
        "emergency": ("brain", "nerves"),
        "urgent": ("nerves or muscles", "stroke", "serious condition"),
        "same-week": ("infection", "metabolic", "whole body"),
        "soon": ("nerve pathway", "brain"),
        "assessment": ("nerve supply", "damage to the muscle"),
        "checkup": ("benign fasciculation", "long-term condition"),
        "clinician": ("side effect of a medicine", "illness progressing"),
    }.items():
        for word in words:
            assert word in causes[urgency], (urgency, word)
    assert causes["appointment"] == ""  # the guide names no cause for a spreading twitch


def test_text_that_holds_control_characters_is_written_out_visibly() -> None:
    from calmcoach.cli.doctor import doctor_lines

    hostile = SafetyText(
        fast_change="Act fast\x1b]0;owned\x07 now",
        intro="intro\x9b31m",
        advice="advice\r",
        disclaimer="not a medical device\x1b[2J",
        flags=(RedFlag(sign="sign\x1b[31m", action="act\x00", urgency="urgent", cause="cause\u202e"),),
        habits=("habit\x08",),
    )
    lines = doctor_lines(hostile, 40)
    text = "\n".join(lines)
    assert not CONTROL.search(text) and "\u202e" not in text
    assert "\\x1b]0;owned\\x07" in text and "\\u202e" in text


def test_a_broken_red_flags_file_still_prints_the_rule_first_and_says_what_is_wrong(tmp_path: Path) -> None:
    from calmcoach.cli.doctor import doctor_lines

    broken = tmp_path / "red_flags.toml"
    broken.write_text('fast_change = "x"\n[[flag]]\nsign = 3\n')
    text = load_red_flags_or_fallback(broken)
    lines = doctor_lines(text, 80)
    assert flat("\n".join(lines[2:4])).startswith(text.fast_change[:40])
    assert any(line.startswith(f"! {broken}:") for line in lines)  # a long path is never cut
