"""Spoken reminders inside long steps: the file format, where the planner puts them,
and the conductor speaking each once at its moment (in virtual time)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from calmcoach.audio.voice import Voices
from calmcoach.data.loader import Library, parse_file
from calmcoach.domain import voice_text
from calmcoach.domain.model import Exercise, Origin, Reminder
from calmcoach.domain.planner import PlanOptions, Timeline, plan
from calmcoach.domain.session import Session
from calmcoach.services.conductor import Conductor
from tests.clocks import FakeClock
from tests.doubles import RecordingPlayer
from tests.ui.helpers import AheadPlayer

T0 = 1000.0

LONG = """\
title = "Long"
kind = "routine"

[[step]]
say = "Sit down."
seconds = 10

[[step]]
say = "Rest here."
seconds = 100
remind = [
  {{ at = 30, say = "Still resting." }},
  {{ at = 70, say = "{second}" }},
]

[[step]]
say = "Done soon."
seconds = 10
"""


def load(tmp_path: Path, text: str) -> Exercise | tuple[object, ...]:
    path = tmp_path / "long.toml"
    path.write_text(text, "utf-8")
    return parse_file(path, Origin.USER)


def long_exercise(tmp_path: Path, second: str = "Half a minute more.") -> Exercise:
    exercise = load(tmp_path, LONG.format(second=second))
    assert isinstance(exercise, Exercise), exercise
    return exercise


# --- the file ---------------------------------------------------------------------


def test_a_step_reads_its_reminders_in_order(tmp_path: Path) -> None:
    exercise = long_exercise(tmp_path)
    assert exercise.steps[1].remind == (
        Reminder(30.0, "Still resting."),
        Reminder(70.0, "Half a minute more."),
    )
    assert exercise.steps[0].remind == ()


@pytest.mark.parametrize(
    ("remind", "message"),
    [
        (
            '"Still here"',
            "step[2].remind: expected a list like [{ at = 45, say = \"...\" }], got 'Still here'",
        ),
        (
            '[{ at = 0, say = "x" }]',
            "step[2].remind[1].at: expected more than 0 and less than the step's 100",
        ),
        (
            '[{ at = 100, say = "x" }]',
            "step[2].remind[1].at: expected more than 0 and less than the step's 100",
        ),
        ('[{ at = "soon", say = "x" }]', "step[2].remind[1].at: expected a number of seconds, got 'soon'"),
        ('[{ say = "x" }]', "step[2].remind[1]: missing 'at' (seconds from the step's start)"),
        ("[{ at = 5 }]", "step[2].remind[1]: missing 'say' (text)"),
        (
            '[{ at = 5, say = "x", loud = true }]',
            "step[2].remind[1].loud: unknown key; expected one of: at, say",
        ),
        (
            '[{ at = 50, say = "x" }, { at = 40, say = "y" }]',
            "step[2].remind[2].at: expected a later time than the reminder before (50)",
        ),
    ],
)
def test_a_bad_reminder_is_one_line_with_file_line_and_field(
    tmp_path: Path, remind: str, message: str
) -> None:
    text = 'title = "T"\nkind = "routine"\n[[step]]\nsay = "A"\nseconds = 5\n'
    text += f'[[step]]\nsay = "B"\nseconds = 100\nremind = {remind}\n'
    problems = load(tmp_path, text)
    assert isinstance(problems, tuple) and len(problems) == 1, problems
    assert str(problems[0]).startswith(f"{tmp_path / 'long.toml'}:9: {message}")


def test_a_bad_reminder_written_one_a_line_names_its_own_line(tmp_path: Path) -> None:
    problems = load(tmp_path, LONG.format(second="x").replace("at = 70", "at = 20"))
    assert isinstance(problems, tuple) and len(problems) == 1
    assert str(problems[0]) == (
        f"{tmp_path / 'long.toml'}:13: step[2].remind[2].at: "
        "expected a later time than the reminder before (30)"
    )


def test_a_step_that_waits_cannot_remind(tmp_path: Path) -> None:
    text = (
        'title = "T"\nkind = "routine"\n[[step]]\nsay = "A"\nwait = true\nremind = [{ at = 5, say = "x" }]\n'
    )
    problems = load(tmp_path, text)
    assert isinstance(problems, tuple) and len(problems) == 1
    assert "step[1].remind: a step that waits for you has no time to remind in" in str(problems[0])
    assert str(problems[0]).startswith(f"{tmp_path / 'long.toml'}:6: ")


def test_a_reminder_too_long_for_its_time_is_warned_about(tmp_path: Path) -> None:
    words = (
        "Keep resting here, let your shoulders drop, and feel the breath go in and out, slowly and evenly."
    )
    exercise = long_exercise(tmp_path, second=words)
    problems = voice_text.fit_problems(exercise, lambda text: 35.0 if text == words else 1.0)
    assert problems == (
        (
            "step[2].remind[2].say",
            "the voice needs about 35.0 s to say this, but has 30 s before the step ends; "
            "shorten the text or lengthen the step",
        ),
    )


# --- the plan ---------------------------------------------------------------------


def test_the_planner_puts_reminders_at_offsets_from_the_session_start(tmp_path: Path) -> None:
    timeline = plan(long_exercise(tmp_path))
    assert [(r.segment, r.at, r.say) for r in timeline.reminders] == [
        (1, 40.0, "Still resting."),
        (1, 80.0, "Half a minute more."),
    ]
    lines = voice_text.spoken_lines(timeline, {})
    assert lines[voice_text.reminder_slot(0)] == "Still resting."
    assert lines[voice_text.reminder_slot(1)] == "Half a minute more."
    assert lines[1] == "Rest here."


def test_the_builtin_long_steps_remind_about_every_45_seconds(library: Library) -> None:
    for exercise_id, area in (("tension-release", "eyelid"), ("attention-shift", None)):
        timeline = plan(library.exercises[exercise_id], PlanOptions(area=area))
        for segment in timeline.segments:
            if segment.duration < 90:
                continue
            moments = [segment.start] + [r.at for r in timeline.reminders if r.segment == segment.index]
            moments.append(segment.end)
            gaps = [b - a for a, b in itertools.pairwise(moments)]
            assert len(gaps) >= 3 and max(gaps) <= 60, (exercise_id, segment.title, gaps)
        voice = Voices().plan(voice_text.spoken_lines(timeline, library.exercises), use_engine=False)
        assert timeline.reminders and voice.unspoken == 0, "every built-in reminder has a shipped clip"


# --- the conductor ------------------------------------------------------------------


def keyed(timeline: Timeline) -> dict[int, str]:
    return {index: f"voice:{text}" for index, text in voice_text.spoken_lines(timeline, {}).items()}


def run(conductor: Conductor, clock: FakeClock, seconds: float, cues: AheadPlayer | None = None) -> None:
    for _ in range(int(seconds / 0.5)):
        clock.advance(0.5)
        if cues is not None:
            cues.catch_up()
        conductor.poll()


def test_a_player_on_the_session_clock_is_handed_each_reminder_on_its_moment(tmp_path: Path) -> None:
    timeline = plan(long_exercise(tmp_path))
    clock = FakeClock(T0)
    cues = AheadPlayer(clock)
    conductor = Conductor(Session(timeline, clock), cues=cues, voice=keyed(timeline), voice_on=True)
    conductor.start()
    run(conductor, clock, 10, cues)
    assert cues.pending == ("voice:Still resting.", T0 + 40)
    run(conductor, clock, 30, cues)
    assert cues.pending == ("voice:Half a minute more.", T0 + 80)
    run(conductor, clock, 85, cues)
    assert [name for name, _ in cues.started] == [
        "voice:Rest here.",
        "voice:Still resting.",
        "voice:Half a minute more.",
        "voice:Done soon.",
        "end",
    ]
    assert [at for _, at in cues.started] == [T0 + 10, T0 + 40, T0 + 80, T0 + 110, T0 + 120]
    assert cues.played == ["voice:Sit down."], "nothing was played twice"


def test_a_player_that_cannot_keep_time_says_each_reminder_at_the_next_read(tmp_path: Path) -> None:
    timeline = plan(long_exercise(tmp_path))
    clock = FakeClock(T0)
    cues = RecordingPlayer()
    conductor = Conductor(Session(timeline, clock), cues=cues, voice=keyed(timeline), voice_on=True)
    conductor.start()
    run(conductor, clock, 125)
    assert cues.played == [
        "voice:Sit down.",
        "voice:Rest here.",
        "voice:Still resting.",
        "voice:Half a minute more.",
        "voice:Done soon.",
        "end",
    ]


def test_no_reminder_with_the_voice_off_or_after_skipping_past_it_and_again_after_going_back(
    tmp_path: Path,
) -> None:
    timeline = plan(long_exercise(tmp_path))
    clock = FakeClock(T0)
    cues = RecordingPlayer()
    conductor = Conductor(Session(timeline, clock), cues=cues, voice=keyed(timeline), voice_on=False)
    conductor.start()
    run(conductor, clock, 45)  # past the first reminder, voice off
    conductor.set_voice(True)
    run(conductor, clock, 10)
    assert "voice:Still resting." not in cues.played, "a reminder passed with the voice off stays unsaid"
    conductor.previous_step()  # back to the start of the long step
    run(conductor, clock, 31)
    assert cues.played.count("voice:Still resting.") == 1, "going back says its reminders again"
    conductor.next_step()
    run(conductor, clock, 20)
    assert "voice:Half a minute more." not in cues.played, "skipped past: not said"


def test_a_stale_reminder_is_not_said_late(tmp_path: Path) -> None:
    timeline = plan(long_exercise(tmp_path))
    clock = FakeClock(T0)
    cues = RecordingPlayer()
    conductor = Conductor(
        Session(timeline, clock, max_gap=10), cues=cues, voice=keyed(timeline), voice_on=True
    )
    conductor.start()
    run(conductor, clock, 39)
    clock.advance(3.5)  # a read 3.5 s apart (a busy machine, not a suspend): past REMIND_LATE
    conductor.poll()
    assert "voice:Still resting." not in cues.played
    run(conductor, clock, 40)
    assert "voice:Half a minute more." in cues.played, "the next one, read on time, is said"
