"""Voice content: what each segment speaks, the shipped clips, and the script that makes them.

The clips under sounds/voice are checked against the exercises themselves, so a
reworded step without a new clip fails here. The make script's bookkeeping (render
what is new, leave the rest alone, refuse a line too long for its step) runs with
a small stand-in engine in every run, and with Festival itself where it is installed.
"""

from __future__ import annotations

import array
import dataclasses
import hashlib
import importlib.util
import json
import math
import shutil
import subprocess
import sys
import wave
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from calmcoach.data.library import load_default_library
from calmcoach.data.loader import Library, parse_file
from calmcoach.domain import voice_text
from calmcoach.domain.model import Exercise, Kind, Origin, Pace
from calmcoach.domain.planner import PlanOptions, plan

REPO = Path(__file__).resolve().parent.parent
VOICE_DIR = REPO / "sounds" / "voice"
EXERCISES = REPO / "exercises"


def load_make_voice() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_voice", REPO / "sounds" / "make_voice.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_voice"] = module
    spec.loader.exec_module(module)
    return module


make_voice = load_make_voice()


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data = json.loads((VOICE_DIR / "manifest.json").read_text("utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def clips(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    entries = manifest["clips"]
    assert isinstance(entries, list)
    return {entry["text"]: entry for entry in entries}


@pytest.fixture(scope="module")
def builtins() -> Library:
    return load_default_library()


def builtin_lines(library: Library) -> dict[str, list[tuple[str, voice_text.Line]]]:
    """Every line the built-ins speak, by text, with the exercise it is in."""
    found: dict[str, list[tuple[str, voice_text.Line]]] = {}
    for exercise in library.exercises.values():
        for line in voice_text.lines(exercise):
            found.setdefault(line.text, []).append((exercise.id, line))
    return found


# --- the shipped clips against the exercises -------------------------------------


def test_manifest_has_one_clip_for_each_line_the_builtins_speak(
    builtins: Library, clips: dict[str, dict[str, Any]]
) -> None:
    expected = builtin_lines(builtins)
    assert len(expected) > 40  # every routine step and the phase words
    missing = sorted(set(expected) - set(clips))
    extra = sorted(set(clips) - set(expected))
    assert not missing, f"no clip for these lines (run sounds/make_voice.py): {missing}"
    assert not extra, f"clips no exercise speaks: {extra}"


def test_manifest_says_where_each_line_is_used(builtins: Library, clips: dict[str, dict[str, Any]]) -> None:
    for text, uses in builtin_lines(builtins).items():
        assert sorted(clips[text]["uses"]) == sorted(f"{eid} {line.where}" for eid, line in uses)


def test_every_clip_is_a_wav_of_its_manifest_length_rate_and_bytes(
    clips: dict[str, dict[str, Any]],
) -> None:
    for entry in clips.values():
        path = VOICE_DIR / str(entry["file"])
        with wave.open(str(path), "rb") as wav:
            assert (wav.getsampwidth(), wav.getnchannels()) == (2, 1), path.name
            assert 16_000 <= wav.getframerate() <= 22_050, path.name
            assert wav.getframerate() == entry["rate"], path.name
            assert wav.getnframes() == entry["frames"], path.name
            assert wav.getnframes() / wav.getframerate() == pytest.approx(entry["seconds"], abs=0.001)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], path.name


def test_clip_file_names_follow_text_and_voice(clips: dict[str, dict[str, Any]]) -> None:
    for text, entry in clips.items():
        assert entry["file"] == make_voice.file_name(text)


def test_no_wav_file_is_left_out_of_the_manifest(clips: dict[str, dict[str, Any]]) -> None:
    listed = {entry["file"] for entry in clips.values()}
    assert {p.name for p in VOICE_DIR.glob("*.wav")} == listed


def test_all_clips_together_stay_within_12_mb(clips: dict[str, dict[str, Any]]) -> None:
    total = sum((VOICE_DIR / str(entry["file"])).stat().st_size for entry in clips.values())
    assert total <= 12_000_000, f"{total} bytes"


def test_every_clip_ends_before_its_step_does(builtins: Library, clips: dict[str, dict[str, Any]]) -> None:
    checked = 0
    for text, uses in builtin_lines(builtins).items():
        seconds = float(clips[text]["seconds"])
        for exercise_id, line in uses:
            if line.seconds is not None:
                checked += 1
                assert seconds + voice_text.FIT_MARGIN <= line.seconds, (exercise_id, line.where, text)
    assert checked > 30


def test_clips_are_levelled_start_on_the_voice_and_fade(clips: dict[str, dict[str, Any]]) -> None:
    for entry in clips.values():
        with wave.open(str(VOICE_DIR / str(entry["file"])), "rb") as wav:
            data = array.array("h", wav.readframes(wav.getnframes()))
            rate = wav.getframerate()
        assert max(abs(v) for v in data) <= 0.7 * 32768 + 1, entry["file"]
        assert abs(data[0]) < 100 and abs(data[-1]) < 100, entry["file"]
        # sound begins within 0.05 s (even a soft "s"): a clip played on its boundary is on time
        window = rate // 100
        loud = next(
            i
            for i in range(0, len(data), window)
            if math.sqrt(sum(v * v for v in data[i : i + window]) / window) > 0.01 * 32768
        )
        assert loud / rate <= 0.05, entry["file"]


def test_manifest_names_the_engine_voice_and_licence(manifest: dict[str, Any]) -> None:
    voice = manifest["voice"]
    assert isinstance(voice, dict)
    assert voice["engine"] == "festival" and voice["voice"] == "cmu_us_slt_arctic_hts"
    licence = (VOICE_DIR / "LICENSE").read_text("utf-8")
    for fact in ("Festival", "cmu_us_slt_arctic_hts", "CMU ARCTIC", "MIT", "lessac"):
        assert fact in licence


# --- the make script's bookkeeping ------------------------------------------------


def refuse(text: str) -> array.array[int]:
    raise AssertionError(f"the engine was called for {text!r}, though nothing changed")


def test_check_over_unchanged_exercises_finds_nothing_to_do() -> None:
    outcome = make_voice.sync(check=True, render=refuse)
    assert outcome.changes == []
    assert outcome.problems == []


def test_a_reworded_step_without_a_new_clip_is_caught(tmp_path: Path) -> None:
    exercises = tmp_path / "exercises"
    shutil.copytree(EXERCISES, exercises)
    path = exercises / "grounding-5-4-3-2-1.toml"
    text = path.read_text("utf-8")
    assert "Look around and name five things you can see." in text
    path.write_text(text.replace("name five things you can see", "name five things in view"), "utf-8")
    outcome = make_voice.sync(VOICE_DIR, exercises, check=True, render=refuse)
    renders = [c for c in outcome.changes if c.startswith("render ")]
    assert renders == [
        f"render {make_voice.file_name('Look around and name five things in view.')}: "
        "'Look around and name five things in view.'"
    ]
    assert (
        f"remove {make_voice.file_name('Look around and name five things you can see.')}" in outcome.changes
    )
    assert "write manifest.json" in outcome.changes


def tone_engine(calls: list[str]) -> Callable[[str], array.array[int]]:
    """A stand-in engine: a quiet lead-in, then a tone 0.05 s long per character."""

    def render(text: str) -> array.array[int]:
        calls.append(text)
        rate = make_voice.RATE
        silence = [0] * (rate // 5)
        tone = [
            round(8000 * math.sin(2 * math.pi * 220 * n / rate)) for n in range(int(0.05 * len(text) * rate))
        ]
        return array.array("h", silence + tone + silence)

    return render


SMALL = """\
title = "Small"
kind = "routine"

[[step]]
say = "Sit comfortably."
seconds = 5

[[step]]
say = "Press Enter when you are ready."
wait = true
"""


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(directory.iterdir())}


def test_a_second_run_renders_nothing_and_touches_no_file(tmp_path: Path) -> None:
    exercises = tmp_path / "exercises"
    exercises.mkdir()
    (exercises / "small.toml").write_text(SMALL, "utf-8")
    voice = tmp_path / "voice"
    calls: list[str] = []
    first = make_voice.sync(voice, exercises, tone_engine(calls))
    assert first.problems == []
    assert sorted(calls) == ["Press Enter when you are ready.", "Sit comfortably."]
    before = snapshot(voice)
    assert len(before) == 3  # two clips and the manifest
    second = make_voice.sync(voice, exercises, tone_engine(calls))
    assert second.changes == [] and second.rendered == 0
    assert len(calls) == 2
    assert snapshot(voice) == before


def test_a_damaged_clip_is_rendered_again(tmp_path: Path) -> None:
    exercises = tmp_path / "exercises"
    exercises.mkdir()
    (exercises / "small.toml").write_text(SMALL, "utf-8")
    voice = tmp_path / "voice"
    calls: list[str] = []
    make_voice.sync(voice, exercises, tone_engine(calls))
    damaged = voice / make_voice.file_name("Sit comfortably.")
    damaged.write_bytes(damaged.read_bytes()[:-100])
    calls.clear()
    make_voice.sync(voice, exercises, tone_engine(calls))
    assert calls == ["Sit comfortably."]


def test_a_line_too_long_for_its_step_stops_the_run_before_writing(tmp_path: Path) -> None:
    exercises = tmp_path / "exercises"
    exercises.mkdir()
    (exercises / "tight.toml").write_text(
        SMALL.replace("seconds = 5", "seconds = 1").replace("Sit comfortably.", "Sit down comfortably now."),
        "utf-8",
    )
    voice = tmp_path / "voice"
    outcome = make_voice.sync(voice, exercises, tone_engine([]))
    assert len(outcome.problems) == 1
    assert "tight step[1]" in outcome.problems[0] and "1 s step" in outcome.problems[0]
    assert not voice.exists()


def test_main_check_exits_0_when_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert make_voice.main(["--check"]) == 0
    out = capsys.readouterr().out
    assert "48 clips" in out or " clips, " in out


def festival_voice_installed() -> bool:
    if shutil.which("text2wave") is None:
        return False
    probe = subprocess.run(
        ["festival", "--batch", f"(voice_{make_voice.VOICE})"], capture_output=True, text=True, timeout=60
    )
    return probe.returncode == 0 and "not defined" not in probe.stderr + probe.stdout


@pytest.mark.slow
@pytest.mark.skipif(
    not festival_voice_installed(), reason="needs: apt-get install festival festvox-us-slt-hts"
)
def test_festival_renders_once_then_skips_and_renders_the_same_samples_again(tmp_path: Path) -> None:
    exercises = tmp_path / "exercises"
    exercises.mkdir()
    (exercises / "small.toml").write_text(SMALL, "utf-8")
    voice = tmp_path / "voice"
    first = make_voice.sync(voice, exercises)
    assert first.problems == [] and first.rendered == 2
    before = snapshot(voice)
    second = make_voice.sync(voice, exercises)
    assert second.rendered == 0 and second.changes == []
    assert snapshot(voice) == before
    forced = make_voice.sync(voice, exercises, force=True)
    assert forced.rendered == 2
    assert {name: data for name, (data, _) in snapshot(voice).items()} == {
        name: data for name, (data, _) in before.items()
    }
    entry = json.loads((voice / "manifest.json").read_text("utf-8"))["clips"][0]
    assert entry["engine"].startswith("festival ")


# --- what is spoken where ---------------------------------------------------------


def test_phase_words_use_the_short_form_only_when_the_full_one_cannot_fit() -> None:
    assert voice_text.phase_word(Pace.INHALE, 4) == "Breathe in"
    assert voice_text.phase_word(Pace.EXHALE, 6) == "Breathe out"
    assert voice_text.phase_word(Pace.HOLD, 2) == "Hold"
    assert voice_text.phase_word(Pace.REST, 3) == "Rest"
    assert voice_text.phase_word(Pace.INHALE, 0.8) == "In"
    assert voice_text.phase_word(Pace.EXHALE, 0.8) == "Out"


FIRST_4_2_6 = ["Breathe in slowly through your nose", "Hold", "Let it out slowly through pursed lips"]
"""The 4-2-6 file's own instructions; its 2 s hold is too short for "Pause, soft and easy"."""


def test_4_2_6_says_the_whole_instruction_first_then_the_phase_words_then_nothing(
    builtins: Library,
) -> None:
    exercise = builtins.exercises["breathing-4-2-6"]
    timeline = plan(exercise, PlanOptions(minutes=2))
    cycles = voice_text.voice_cycles(exercise)
    assert cycles == voice_text.DEFAULT_VOICE_CYCLES == 2
    spoken = [voice_text.segment_text(s, cycles) for s in timeline.segments]
    assert [p.say for p in exercise.phases][::2] == FIRST_4_2_6[::2], "the words are the file's"
    assert spoken[:6] == [*FIRST_4_2_6, "Breathe in", "Hold", "Breathe out"]
    assert len(spoken) > 6 and set(spoken[6:]) == {None}


def test_every_builtin_breathing_exercise_says_its_instructions_in_the_first_cycle(
    builtins: Library,
) -> None:
    for exercise in builtins.exercises.values():
        if exercise.kind is not Kind.BREATHING:
            continue
        first = plan(
            dataclasses.replace(exercise, minutes=None, cycles=max(2, exercise.ramp_cycles or 0)),
            PlanOptions(),
        ).segments[: len(exercise.phases)]
        spoken = [voice_text.segment_text(s, voice_text.voice_cycles(exercise)) for s in first]
        for phase, text in zip(exercise.phases, spoken, strict=True):
            fits = voice_text.fits(voice_text.estimate_seconds(phase.say), phase.seconds)
            assert text == (phase.say if fits else voice_text.phase_word(phase.pace, phase.seconds))
        assert sum(text in (p.say for p in exercise.phases) for text in spoken) >= 2, exercise.id


def test_a_routine_speaks_each_step_instruction_in_order(builtins: Library) -> None:
    exercise = builtins.exercises["tension-release"]
    timeline = plan(exercise, PlanOptions(area="eyelid"))
    spoken = [voice_text.segment_text(s, 0) for s in timeline.segments]
    eyelid = exercise.variant("eyelid")
    assert eyelid is not None
    assert spoken == [step.say for step in eyelid.steps]


def test_the_flare_program_speaks_its_breathing_part_then_every_step(builtins: Library) -> None:
    flare = builtins.exercises["flare"]
    timeline = plan(flare, PlanOptions(area="eyelid"), builtins.exercises)
    spoken = [
        voice_text.segment_text(s, voice_text.voice_cycles(builtins.exercises[s.exercise_id]))
        for s in timeline.segments
    ]
    breathing = [t for s, t in zip(timeline.segments, spoken, strict=True) if s.cycle is not None]
    assert breathing[:6] == [*FIRST_4_2_6, "Breathe in", "Hold", "Breathe out"]
    assert set(breathing[6:]) == {None}
    steps = [t for s, t in zip(timeline.segments, spoken, strict=True) if s.cycle is None]
    assert all(steps) and str(steps[0]).startswith("If you can, wet a cloth")


def test_every_line_a_planned_builtin_session_speaks_has_a_clip(
    builtins: Library, clips: dict[str, dict[str, Any]]
) -> None:
    for exercise in builtins.exercises.values():
        areas = exercise.areas if exercise.kind is Kind.ROUTINE and exercise.areas else (None,)
        if exercise.kind is Kind.PROGRAM:
            areas = ("eyelid", "hand", "leg", "general")
        for area in areas:
            timeline = plan(exercise, PlanOptions(area=area), builtins.exercises)
            for segment in timeline.segments:
                spoken_cycles = voice_text.voice_cycles(builtins.exercises[segment.exercise_id])
                text = voice_text.segment_text(segment, spoken_cycles)
                assert text is None or text in clips, (exercise.id, area, text)


BREATH = """\
title = "Mine"
kind = "breathing"
cycles = 4
{extra}

[[phase]]
pace = "inhale"
seconds = 4
say = "In we go"

[[phase]]
pace = "exhale"
seconds = 4
say = "Out we go"
"""


def load(tmp_path: Path, text: str) -> Exercise | tuple[object, ...]:
    path = tmp_path / "mine.toml"
    path.write_text(text, "utf-8")
    return parse_file(path, Origin.USER)


def test_voice_cycles_in_a_file_sets_how_many_cycles_speak(tmp_path: Path) -> None:
    exercise = load(tmp_path, BREATH.format(extra="voice_cycles = 3"))
    assert isinstance(exercise, Exercise) and exercise.voice_cycles == 3
    spoken = [voice_text.segment_text(s, voice_text.voice_cycles(exercise)) for s in plan(exercise).segments]
    assert spoken == ["In we go", "Out we go"] + ["Breathe in", "Breathe out"] * 2 + [None, None]


def test_voice_cycles_0_leaves_breathing_to_the_tones(tmp_path: Path) -> None:
    exercise = load(tmp_path, BREATH.format(extra="voice_cycles = 0"))
    assert isinstance(exercise, Exercise)
    assert {
        voice_text.segment_text(s, voice_text.voice_cycles(exercise)) for s in plan(exercise).segments
    } == {None}
    assert voice_text.lines(exercise) == ()


def test_voice_cycles_left_out_means_two(tmp_path: Path) -> None:
    exercise = load(tmp_path, BREATH.format(extra=""))
    assert isinstance(exercise, Exercise) and exercise.voice_cycles is None
    assert voice_text.voice_cycles(exercise) == 2


@pytest.mark.parametrize(
    ("value", "shown"), [("-1", "-1"), ("1001", "1001"), ("2.5", "2.5"), ("true", "true"), ('"two"', "'two'")]
)
def test_a_bad_voice_cycles_is_reported_with_its_line(tmp_path: Path, value: str, shown: str) -> None:
    problems = load(tmp_path, BREATH.format(extra=f"voice_cycles = {value}"))
    assert isinstance(problems, tuple) and len(problems) == 1
    assert str(problems[0]) == (
        f"{tmp_path / 'mine.toml'}:4: voice_cycles: expected a whole number from 0 to 1000, got {shown}"
    )


def test_voice_cycles_is_not_a_routine_field(tmp_path: Path) -> None:
    problems = load(
        tmp_path, 'title = "R"\nkind = "routine"\nvoice_cycles = 1\n[[step]]\nsay = "Hi"\nseconds = 3\n'
    )
    assert isinstance(problems, tuple)
    assert any("voice_cycles: unknown key" in str(p) for p in problems)


# --- fitting a line to its step ---------------------------------------------------


def test_fits_leaves_the_margin_and_untimed_steps_always_fit() -> None:
    assert voice_text.fits(2.0 - voice_text.FIT_MARGIN, 2.0)
    assert not voice_text.fits(2.0 - voice_text.FIT_MARGIN + 0.01, 2.0)
    assert not voice_text.fits(3.0, 2.0)
    assert voice_text.fits(60.0, None)


def test_the_estimate_is_within_0_8_s_of_every_builtin_clip(clips: dict[str, dict[str, Any]]) -> None:
    errors = [voice_text.estimate_seconds(text) - float(entry["seconds"]) for text, entry in clips.items()]
    assert max(abs(e) for e in errors) <= 0.8
    assert abs(sum(errors) / len(errors)) <= 0.1


def test_the_estimate_grows_with_the_text() -> None:
    assert voice_text.estimate_seconds("") == 0.0
    assert voice_text.estimate_seconds("   ") == 0.0
    short = voice_text.estimate_seconds("Rest your hands.")
    longer = voice_text.estimate_seconds("Rest your hands, and let your shoulders drop.")
    assert 0 < short < longer


def test_no_builtin_step_is_reported_as_too_long(builtins: Library) -> None:
    assert {
        e.id: voice_text.fit_problems(e) for e in builtins.exercises.values() if voice_text.fit_problems(e)
    } == {}


def test_a_user_step_too_short_for_its_text_is_reported_with_its_field(tmp_path: Path) -> None:
    text = (
        'title = "R"\nkind = "routine"\n[[step]]\nsay = "Hi"\nseconds = 3\n'
        '[[step]]\nsay = "Lift both arms slowly above your head, then lower them, and breathe."\nseconds = 2\n'
    )
    exercise = load(tmp_path, text)
    assert isinstance(exercise, Exercise)
    problems = voice_text.fit_problems(exercise)
    assert len(problems) == 1
    where, message = problems[0]
    assert where == "step[2].say"
    assert "lasts 2 s" in message and "shorten the text or lengthen the step" in message


def test_fit_problems_can_use_real_clip_lengths(builtins: Library) -> None:
    exercise = builtins.exercises["progressive-muscle-relaxation"]
    assert voice_text.fit_problems(exercise, lambda text: 4.8) != ()
    assert voice_text.fit_problems(exercise, lambda text: 4.7) == ()


def test_normalize_makes_one_space_of_any_run() -> None:
    assert voice_text.normalize("  Breathe\n  in\tslowly ") == "Breathe in slowly"


DEBIAN_VOICE_COPYRIGHT = Path("/usr/share/doc/festvox-us-slt-hts/copyright")


def licence_block(text: str, name: str) -> list[str]:
    """The lines of the stand-alone ``License: NAME`` paragraph of a Debian copyright
    file, without indentation (the LICENSE file indents what it quotes)."""
    lines = [line.strip() for line in text.splitlines()]
    start = max(i for i, line in enumerate(lines) if line == f"License: {name}")
    end = next((i for i in range(start + 1, len(lines)) if not lines[i]), len(lines))
    return lines[start:end]


@pytest.mark.parametrize("name", ["EST-2000", "BSD-3-clause"])
def test_the_licence_file_carries_the_voice_packages_licence_texts(name: str) -> None:
    ours = (VOICE_DIR / "LICENSE").read_text("utf-8")
    block = licence_block(ours, name)
    assert len(block) > 15, f"no {name} text in sounds/voice/LICENSE"
    if DEBIAN_VOICE_COPYRIGHT.is_file():  # copied verbatim from Debian's file
        assert block == licence_block(DEBIAN_VOICE_COPYRIGHT.read_text("utf-8"), name)
