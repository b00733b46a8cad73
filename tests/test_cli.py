"""The command line, run in a subprocess against the installed package."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from calmcoach import __version__
from tests.helpers import calmcoach_command, with_default_sigint
from tests.plain_runs import Typed, run_plain_command

pytestmark = pytest.mark.slow


def cc(
    *args: str, env: dict[str, str], stdin: str = "", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*calmcoach_command(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def test_version(cli_env) -> None:
    result = cc("--version", env=cli_env)
    assert result.returncode == 0
    assert result.stdout.strip() == f"calmcoach {__version__}"


def test_help_names_the_commands(cli_env) -> None:
    result = cc("--help", env=cli_env)
    assert result.returncode == 0
    for command in ("list", "show", "validate", "run", "flare", "history", "log"):
        assert command in result.stdout


def test_list_shows_builtins_and_a_broken_user_file(cli_env, user_exercises: Path) -> None:
    (user_exercises / "wobbly.toml").write_text('title = "W"\nkind = "breathing"\ncycles = -1\n')
    result = cc("list", env=cli_env)
    assert result.returncode == 0
    for exercise_id in (
        "breathing-4-2-6",
        "tension-release",
        "attention-shift",
        "flare",
        "box-breathing",
        "breathing-4-7-8",
        "coherent-breathing",
        "physiological-sigh",
        "progressive-muscle-relaxation",
        "grounding-5-4-3-2-1",
    ):
        assert exercise_id in result.stdout
    assert "wobbly" in result.stdout
    assert f"{user_exercises / 'wobbly.toml'}:3: cycles: expected a whole number" in result.stdout


def test_list_json(cli_env, user_exercises: Path) -> None:
    (user_exercises / "breathing-4-2-6.toml").write_text(
        (Path(__file__).parent.parent / "exercises" / "breathing-4-2-6.toml").read_text()
    )
    rows = json.loads(cc("list", "--json", env=cli_env).stdout)
    by_id = {row["id"]: row for row in rows}
    assert by_id["breathing-4-2-6"]["source"] == "user (overrides built-in)"
    assert by_id["flare"]["kind"] == "program" and by_id["flare"]["source"] == "built-in"
    assert by_id["breathing-4-2-6"]["length"] == "3 min (2 to 5)"
    assert (by_id["breathing-4-2-6"]["minutes"], by_id["breathing-4-2-6"]["minutes_min"]) == (3, 2)
    assert by_id["breathing-4-2-6"]["minutes_max"] == 5 and by_id["breathing-4-2-6"]["waits_for_you"] is False
    flare = by_id["flare"]
    assert flare["minutes_min"] <= flare["minutes"] <= flare["minutes_max"] and flare["waits_for_you"] is True
    assert flare["minutes_min"] < flare["minutes_max"]
    assert all(row["errors"] == [] for row in rows)


def test_show_prints_the_timeline(cli_env) -> None:
    result = cc("show", "breathing-4-2-6", "--minutes", "2", env=cli_env)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert "   10 breaths of 12 s, 5 a minute" in lines
    assert "Length: 3 min (2 to 5)" in lines
    assert any(line.split()[:3] == ["0:04", "2s", "hold,"] for line in lines)
    assert any(line.split()[:3] == ["1:54", "6s", "exhale,"] for line in lines)
    assert lines[-1] == "Total: 2:00"


def test_show_of_a_tapped_start_says_so_and_lists_the_start_without_taps(cli_env) -> None:
    result = cc("show", "slow-down-gently", "--minutes", "2", env=cli_env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("Starts from your own pace: first you tap") for line in lines)
    # Without taps it starts at the file's 3-1-4 and reaches 4-2-6 at the sixth breath.
    assert "   breath 1: inhale 3 s, hold 1 s, exhale 4 s (8 s)" in lines
    assert "   breath 6: inhale 4 s, hold 2 s, exhale 6 s (12 s)" in lines
    assert any(line.split()[:3] == ["0:00", "3s", "inhale,"] for line in lines)


def test_show_unknown_id(cli_env) -> None:
    result = cc("show", "nope", env=cli_env)
    assert result.returncode == 1
    assert "no exercise 'nope'" in result.stderr


def test_validate_prints_every_error_and_exits_1(cli_env, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'title = "Bad"\nkind = "breathing"\ncycles = 3\nflavour = "mint"\n'
        '[[phase]]\npace = "inhale"\nseconds = -4\nsay = "in"\n'
    )
    good = tmp_path / "good.toml"
    good.write_text('title = "Good"\nkind = "routine"\n[[step]]\nsay = "x"\nseconds = 3\n')
    result = cc("validate", str(bad), str(good), env=cli_env)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert (
        f"{bad}:4: flavour: unknown key; expected one of: title, kind, summary, safety, tags, minutes, cycles, phase, voice_cycles, ramp_cycles, start, start_default"
        in lines
    )
    assert f"{bad}:7: phase[1].seconds: must be more than 0 seconds, got -4" in lines
    assert f"{good}: ok" in lines


def test_validate_all_good_exits_0(cli_env) -> None:
    files = sorted(str(p) for p in (Path(__file__).parent.parent / "exercises").glob("*.toml"))
    result = cc("validate", *files, env=cli_env)
    assert result.returncode == 0, result.stdout
    assert result.stdout.count(": ok") == len(files)


def test_run_plain_426_two_minutes(cli_env) -> None:
    result = cc(
        "run", "breathing-4-2-6", "--plain", "--speed", "100", "--minutes", "2", "--no-sound", env=cli_env
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    steps = [line.split(None, 2) for line in lines if line.split()[1:2] in (["inhale"], ["hold"], ["exhale"])]
    assert len(steps) == 30
    expected_times = [f"{s // 60}:{s % 60:02d}" for c in range(10) for s in (12 * c, 12 * c + 4, 12 * c + 6)]
    assert [s[0] for s in steps] == expected_times
    assert [s[1] for s in steps] == ["inhale", "hold", "exhale"] * 10
    assert lines[-1].split()[:2] == ["2:00", "done"]
    assert "10 of 10 breaths, 30 steps" in lines[-1]


def test_run_plain_prompt_reads_enter(cli_env) -> None:
    result = cc(
        "run", "attention-shift", "--plain", "--speed", "100", "--no-sound", env=cli_env, stdin="\n\n"
    )
    assert result.returncode == 0
    assert "[Enter to go on]" in result.stdout
    assert "Attention shifting finished: 2:45" in result.stdout


def test_run_minutes_out_of_range_is_a_usage_error(cli_env) -> None:
    result = cc("run", "breathing-4-2-6", "--plain", "--minutes", "9", env=cli_env)
    assert result.returncode == 2
    assert result.stderr == "calmcoach: breathing-4-2-6 takes --minutes from 2 to 5, not 9\n"
    assert result.stdout == ""


def test_bad_speed_is_refused(cli_env) -> None:
    result = cc("run", "breathing-4-2-6", "--plain", "--speed", "500", env=cli_env)
    assert result.returncode == 2
    assert "speed must be from 1 to 100" in result.stderr


def test_flare_plain_runs_the_program(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_plain_command(
        ["flare", "hand", "--plain", "--speed", "100", "--no-sound"], monkeypatch, capsys, Typed("\n\n")
    )
    assert result.code == 0, result.err
    out = result.out
    assert (
        out.index("== 4-2-6 breathing ==")
        < out.index("== Tension release (Hand or forearm) ==")
        < out.index("== Attention shifting ==")
    )


def test_ctrl_c_ends_plain_session_with_summary(cli_env) -> None:
    process = subprocess.Popen(
        with_default_sigint(
            [*calmcoach_command(), "run", "breathing-4-2-6", "--plain", "--speed", "10", "--no-sound"]
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    while first.startswith("Note:"):
        first = process.stdout.readline()
    assert "inhale" in first
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 130, err
    assert "4-2-6 breathing stopped at" in out
    assert "Traceback" not in err


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_version_does_not_import_textual(cli_env) -> None:
    code = "import sys; from calmcoach.cli import main; main(['list']); print('textual' in sys.modules)"
    result = subprocess.run([*_python(), "-c", code], capture_output=True, text=True, env=cli_env)
    assert result.stdout.strip().splitlines()[-1] == "False"


def _python() -> list[str]:
    import sys

    return [sys.executable]


# --- one description of an exercise's length (issue 10, point 16) ----------------------


def test_list_says_each_length_in_the_shared_words(cli_env) -> None:
    from calmcoach.data.library import load_default_library
    from calmcoach.domain.describe import length_text

    library = load_default_library()
    text = cc("list", env=cli_env).stdout.splitlines()
    rows = {row["id"]: row for row in json.loads(cc("list", "--json", env=cli_env).stdout)}
    assert set(rows) == set(library.exercises)
    header = text[0]
    start, end = header.index("LENGTH"), header.index("TITLE")
    for exercise in library.exercises.values():
        words = length_text(exercise, library.exercises)
        assert words, exercise.id
        assert rows[exercise.id]["length"] == words
        line = next(line for line in text if line.split()[0] == exercise.id)
        assert line[start:end].strip() == words, line
        assert line[end:].startswith(exercise.title)


def test_list_words_have_no_bare_decimals(cli_env) -> None:
    out = cc("list", env=cli_env).stdout
    for old in ("1.7", "0.2+", "6.4+", "(2-5)", "minutes"):
        assert old not in out
    assert "3 min (2 to 5)" in out


def test_show_counts_steps_that_wait_with_a_real_plural(cli_env, user_exercises: Path) -> None:
    (user_exercises / "one-wait.toml").write_text(
        'title = "One wait"\nkind = "routine"\n[[step]]\nsay = "ready?"\nwait = true\n'
        '[[step]]\nsay = "go"\nseconds = 5\n'
    )
    one = cc("show", "one-wait", env=cli_env).stdout.splitlines()
    assert one[-1] == "Total: 0:05, plus 1 step that waits for you"
    two = cc("show", "attention-shift", env=cli_env).stdout.splitlines()
    assert two[-1] == "Total: 2:45, plus 2 steps that wait for you"


def test_show_keeps_the_safety_notes(cli_env) -> None:
    from calmcoach.data.library import load_default_library

    exercise = load_default_library().exercises["tension-release"]
    lines = cc("show", "tension-release", "--area", "eyelid", env=cli_env).stdout.splitlines()
    assert exercise.safety
    for note in exercise.safety:
        assert f"Note: {note}" in lines
    assert any(line.startswith("== Tension release (Eyelid or face): 0:00 to ") for line in lines)


# --- options that do not apply are errors (issue 10, point 17) -------------------------


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ("show", "tension-release", "--minutes", "3"),
            "tension-release takes --area (eyelid, hand, leg, general), not --minutes",
        ),
        (
            ("run", "tension-release", "--plain", "--minutes", "3"),
            "tension-release takes --area (eyelid, hand, leg, general), not --minutes",
        ),
        (
            ("run", "breathing-4-2-6", "--plain", "--area", "leg"),
            "breathing-4-2-6 takes --minutes (2 to 5), not --area",
        ),
        (
            ("show", "breathing-4-2-6", "--area", "leg"),
            "breathing-4-2-6 takes --minutes (2 to 5), not --area",
        ),
        (
            ("run", "physiological-sigh", "--plain", "--minutes", "2"),
            "physiological-sigh takes neither --minutes nor --area; its length is fixed: about 1 min",
        ),
        (
            ("show", "attention-shift", "--area", "leg", "--minutes", "2"),
            "attention-shift takes neither --minutes nor --area; its length is fixed: about 3 min + your pace",
        ),
        (
            ("run", "flare", "--plain", "--minutes", "3"),
            "flare takes --area (eyelid, hand, leg, general), not --minutes",
        ),
    ],
)
def test_options_that_do_not_apply_exit_2_with_one_line(cli_env, args: tuple[str, ...], line: str) -> None:
    result = (
        cc(*args, "--speed", "100", "--no-sound", env=cli_env) if args[0] == "run" else cc(*args, env=cli_env)
    )
    assert result.returncode == 2, result
    assert result.stderr == f"calmcoach: {line}\n"
    assert result.stdout == ""


def test_minutes_on_a_fixed_minutes_exercise_is_refused(cli_env, user_exercises: Path) -> None:
    (user_exercises / "fixed.toml").write_text(
        'title = "Fixed"\nkind = "breathing"\nminutes = { default = 3, min = 3, max = 3 }\n'
        '[[phase]]\npace = "inhale"\nseconds = 4\nsay = "in"\n'
    )
    result = cc("show", "fixed", "--minutes", "3", env=cli_env)
    assert result.returncode == 2
    assert (
        result.stderr == "calmcoach: fixed takes neither --minutes nor --area; its length is fixed: 3 min\n"
    )
    assert cc("show", "fixed", env=cli_env).returncode == 0


def test_an_area_the_routine_does_not_have_is_refused(cli_env, user_exercises: Path) -> None:
    (user_exercises / "hands.toml").write_text(
        'title = "Hands"\nkind = "routine"\n[[area.hand.step]]\nsay = "open"\nseconds = 5\n'
        '[[area.leg.step]]\nsay = "walk"\nseconds = 5\n'
    )
    result = cc("show", "hands", "--area", "eyelid", env=cli_env)
    assert result.returncode == 2
    assert result.stderr == "calmcoach: hands takes --area (hand, leg), not eyelid\n"


def test_options_that_apply_still_work(cli_env) -> None:
    assert cc("show", "tension-release", "--area", "leg", env=cli_env).returncode == 0
    assert cc("show", "breathing-4-2-6", "--minutes", "4", env=cli_env).returncode == 0
    assert cc("show", "flare", "--area", "hand", env=cli_env).returncode == 0


def test_flare_plain_without_a_terminal_uses_general_and_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_plain_command(
        ["flare", "--plain", "--speed", "100", "--no-sound"], monkeypatch, capsys, Typed("\n\n\n")
    )
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == (
        "No area given and no terminal to ask on, so this runs for: Not sure / whole body. "
        "Name one next time, e.g. calmcoach flare eyelid"
    )
    assert "== Tension release (Not sure / whole body) ==" in lines
    assert "Where is the twitch?" not in result.out + result.err


# --- safety notes in plain runs (issue 10, point 4) ------------------------------------


def test_run_plain_shows_the_notes_before_the_first_step(cli_env) -> None:
    from calmcoach.data.library import load_default_library

    notes = load_default_library().exercises["breathing-4-7-8"].safety
    result = cc(
        "run", "breathing-4-7-8", "--plain", "--speed", "100", "--minutes", "1", "--no-sound", env=cli_env
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert notes and lines[: len(notes)] == [f"Note: {note}" for note in notes]
    assert lines[len(notes)].split()[:2] == ["0:00", "inhale"]


def test_flare_plain_shows_each_parts_notes_when_it_begins(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from calmcoach.data.library import load_default_library

    exercises = load_default_library().exercises
    result = run_plain_command(
        ["flare", "hand", "--plain", "--speed", "100", "--no-sound"], monkeypatch, capsys, Typed("\n\n")
    )
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    flare_notes = [f"Note: {n}" for n in exercises["flare"].safety]
    assert lines[: len(flare_notes)] == flare_notes
    at = lines.index("== Tension release (Hand or forearm) ==")
    notes = [f"Note: {n}" for n in exercises["tension-release"].safety]
    assert lines[at + 1 : at + 1 + len(notes)] == notes


# --- the flare question on a real terminal (issue 10, point 17) ------------------------

# A hang would otherwise stop the suite: 30 s is far more than the few seconds a 100x
# preview needs, and is only a bound, not a speed check.
PTY_TIMEOUT = 30.0


class Terminal:
    """A calmcoach process on a real pseudo-terminal: stdin, stdout and stderr are the pty."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        import pty

        command = [*calmcoach_command(), *args]
        pid, fd = pty.fork()
        if pid == 0:  # the child
            try:
                os.execvpe(command[0], command, env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.seen = ""

    def read_until(self, needle: str) -> str:
        import select

        deadline = time.monotonic() + PTY_TIMEOUT
        while needle not in self.seen:
            ready, _, _ = select.select([self.fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise AssertionError(f"{needle!r} never came; the screen ends with {self.seen[-400:]!r}")
            if not self._read():
                raise AssertionError(f"the process ended before {needle!r}: {self.seen[-400:]!r}")
        return self.seen

    def _read(self) -> bool:
        try:
            data = os.read(self.fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.seen += data.decode(errors="replace")
        return bool(data)

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def finish(self, enter_at: str | None = None) -> int:
        """Read to the end (pressing Enter at each ``enter_at``), then the exit code."""
        import select

        deadline = time.monotonic() + PTY_TIMEOUT
        answered = 0
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.5)
            if ready and not self._read():
                break
            if enter_at and self.seen.count(enter_at) > answered:
                answered += 1
                self.type("\n")
        else:
            os.kill(self.pid, signal.SIGKILL)
            raise AssertionError(f"still running after {PTY_TIMEOUT} s: {self.seen[-400:]!r}")
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)


@pytest.mark.skipif(os.name != "posix", reason="pseudo-terminals")
def test_flare_plain_on_a_terminal_asks_where_and_asks_again_on_a_bad_answer(cli_env) -> None:
    term = Terminal(["flare", "--plain", "--speed", "100", "--no-sound"], cli_env)
    screen = term.read_until("Type a letter and press Enter (Enter alone: n): ")
    assert "Where is the twitch?" in screen
    for line in (
        "  e  Eyelid or face",
        "  h  Hand or forearm",
        "  l  Leg or foot",
        "  n  Not sure / whole body",
    ):
        assert line in screen
    term.type("x\n")
    # The same question again, right after the hint (the terminal turns \n into \r\n).
    term.read_until("Please type one of: e, h, l, n.\r\nType a letter and press Enter (Enter alone: n): ")
    term.type("l\n")
    term.read_until("== Tension release (Leg or foot) ==")
    assert term.finish(enter_at="[Enter to go on]") == 0
    assert "Flare routine finished" in term.seen
    assert "No area given" not in term.seen


def test_flare_question_takes_a_number_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The question on a real terminal is the test above's; this one is the answer "2".
    result = run_plain_command(
        ["flare", "--plain", "--speed", "100", "--no-sound"], monkeypatch, capsys, Typed("2\n\n\n", tty=True)
    )
    assert result.code == 0, result.err
    assert "(Enter alone: n): " in result.err
    assert "== Tension release (Hand or forearm) ==" in result.out.splitlines()
    assert "Flare routine finished" in result.out


@pytest.mark.skipif(os.name != "posix", reason="pseudo-terminals")
def test_flare_question_ended_with_ctrl_d_exits_1_and_starts_nothing(cli_env) -> None:
    term = Terminal(["flare", "--plain", "--speed", "100", "--no-sound"], cli_env)
    term.read_until("(Enter alone: n): ")
    term.type("\x04")  # Ctrl+D on an empty line: end of input
    assert term.finish() == 1
    assert "calmcoach: no area chosen, so nothing was started." in term.seen
    assert "== 4-2-6 breathing ==" not in term.seen
    assert "Traceback" not in term.seen


def test_plain_closing_line_says_what_the_history_row_says(
    user_exercises: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 23: the closing line said the timeline's 0:01 while the history kept the time
    really spent, a while at the prompt included. Both now give the same figures."""
    from calmcoach.data import locations
    from calmcoach.data.history import History
    from calmcoach.domain.describe import clock_text

    (user_exercises / "think.toml").write_text(
        'title = "Think"\nkind = "routine"\n[[step]]\nsay = "name three sounds"\nwait = true\n'
        '[[step]]\nsay = "feet"\nseconds = 1\n'
    )
    # 2.2 s thinking at the prompt, on the runner's fake clock.
    result = run_plain_command(
        ["run", "think", "--plain", "--no-sound"], monkeypatch, capsys, Typed("\n", think=2.2)
    )
    assert result.code == 0, result.err
    out = result.out
    history = History.open(locations.history_file()).history
    try:
        (row,) = history.sessions()
    finally:
        history.close()
    assert (row.status, row.steps_done) == ("finished", 2) and row.seconds_done >= 3.2
    closing = out.splitlines()[-1]
    assert closing.endswith(f"done    Think finished: {clock_text(row.seconds_done)}, 2 steps."), closing
