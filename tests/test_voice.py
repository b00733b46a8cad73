"""The voice at run time: the conductor's voice channel, the clips of a session (shipped,
cached, rendered by a real engine), and what a real player process plays (captured
through ALSA's file plugin)."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path
from typing import IO

import pytest

from calmcoach.audio import END_CUE, QUIET_PREFIX, VOICE_PREFIX, softer, sounds_for
from calmcoach.audio.speech import Engine, find_engine, read_wav
from calmcoach.audio.voice import Voices
from calmcoach.data.library import load_default_library
from calmcoach.data.loader import Library, load_library
from calmcoach.domain.planner import PlanOptions, Timeline, plan
from calmcoach.domain.session import Session, State
from calmcoach.domain.voice_text import asks_to_close_eyes, reminder_slot, spoken_lines, voice_wanted
from calmcoach.services.conductor import Conductor
from tests.clocks import FakeClock
from tests.helpers import (
    audio_env,
    calmcoach_command,
    capture_player,
    cue_bytes,
    need_simpleaudio,
    split_capture,
    wait_for_file,
)
from tests.ui.helpers import AheadPlayer

T0 = 1000.0
VOICE_DIR = Path(__file__).resolve().parent.parent / "sounds" / "voice"

OWN_ROUTINE = """\
title = "My rest"
kind = "routine"
summary = "A short rest of my own."

[[step]]
title = "Settle"
say = "Close your eyes and let your shoulders drop."
seconds = 8

[[step]]
title = "Hands"
say = "Let your hands rest, heavy and warm."
seconds = 8
"""


def eyelid(library: Library) -> Timeline:
    return plan(library.exercises["tension-release"], PlanOptions(area="eyelid"))


def drill(library: Library, minutes: float = 2.0) -> Timeline:
    return plan(library.exercises["breathing-4-2-6"], PlanOptions(minutes=minutes))


def shipped_plan(library: Library, timeline: Timeline) -> tuple[dict[int, str], dict[str, Path]]:
    voice = Voices().plan(spoken_lines(timeline, library.exercises), use_engine=False)
    assert voice.unspoken == 0, "every built-in line has a shipped clip"
    return voice.keys, voice.files


def own_library(tmp_path: Path) -> Library:
    folder = tmp_path / "own"
    folder.mkdir(exist_ok=True)
    (folder / "my-rest.toml").write_text(OWN_ROUTINE, "utf-8")
    return load_library(folder, None, None)


def pcm(path: Path) -> bytes:
    with wave.open(str(path), "rb") as wav:
        return wav.readframes(wav.getnframes())


def clip_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def heard_pcm(key: str, path: Path) -> bytes:
    """The samples the player plays for ``key``: a reminder's softer than its file."""
    return softer(pcm(path), 2) if key.startswith(QUIET_PREFIX) else pcm(path)


# --- when the voice is on ------------------------------------------------------------


def test_the_voice_is_on_by_default_only_where_a_step_asks_to_close_the_eyes(library: Library) -> None:
    flare_eyelid = plan(library.exercises["flare"], PlanOptions(area="eyelid"), library.exercises)
    flare_leg = plan(library.exercises["flare"], PlanOptions(area="leg"), library.exercises)
    assert asks_to_close_eyes(eyelid(library)) and asks_to_close_eyes(flare_eyelid)
    assert not asks_to_close_eyes(drill(library)) and not asks_to_close_eyes(flare_leg)
    assert voice_wanted(None, "auto", False, flare_eyelid)
    assert not voice_wanted(None, "auto", False, drill(library))
    assert voice_wanted(None, "auto", True, drill(library))  # --eyes-closed
    assert voice_wanted(None, "on", False, drill(library))  # the remembered setting
    assert not voice_wanted(None, "off", False, flare_eyelid)
    assert not voice_wanted(False, "on", True, flare_eyelid)  # --no-voice wins
    assert voice_wanted(True, "off", False, drill(library))  # --voice wins


def test_4_2_6_speaks_its_instructions_then_a_cycle_of_phase_words(library: Library) -> None:
    lines = spoken_lines(drill(library), library.exercises)
    assert list(lines) == [0, 1, 2, 3, 4, 5]
    assert list(lines.values()) == [
        "Breathe in slowly through your nose",
        "Hold",
        "Let it out slowly through pursed lips",
        "Breathe in",
        "Hold",
        "Breathe out",
    ]


# --- the conductor's voice channel, in virtual time ----------------------------------------


def voiced(
    timeline: Timeline, library: Library, voice_on: bool
) -> tuple[FakeClock, AheadPlayer, Conductor, dict[int, str]]:
    """A started session with the shipped clips, on a fake clock and a player on it."""
    clock = FakeClock(T0)
    cues = AheadPlayer(clock)
    keys, _ = shipped_plan(library, timeline)
    conductor = Conductor(Session(timeline, clock), cues=cues, voice=keys, voice_on=voice_on)
    conductor.start()
    return clock, cues, conductor, keys


def test_a_spoken_line_takes_the_place_of_the_cue_and_is_handed_ahead(library: Library) -> None:
    clock, cues, conductor, keys = voiced(drill(library), library, voice_on=True)
    assert cues.played == [keys[0]] and keys[0].startswith(VOICE_PREFIX)
    assert cues.pending == (keys[1], T0 + 4)
    for _ in range(int(120 / 0.25) + 4):
        clock.advance(0.25)
        cues.catch_up()
        conductor.poll()
    assert conductor.session.state is State.FINISHED
    started = [name for name, _ in cues.started]
    assert started == [keys[i] for i in range(1, 6)] + ["inhale", "hold", "exhale"] * 8 + [END_CUE]


def test_pause_stops_the_sentence_and_withdraws_the_next_and_resume_says_the_step_again(
    library: Library,
) -> None:
    clock, cues, conductor, keys = voiced(eyelid(library), library, voice_on=True)
    conductor.continue_()  # past the "get a cloth" prompt
    assert cues.played == [keys[0], keys[1]]
    clock.advance(1.0)
    conductor.poll()
    conductor.pause()
    assert cues.hushed == [T0 + 1.0] and cues.pending is None
    clock.advance(10)
    conductor.resume()
    assert cues.played[-1] == keys[1], "the step's instruction is said again"
    assert cues.pending == (keys[2], T0 + 10 + 20)


def test_skip_stop_mute_and_voice_off_each_stop_the_sentence(library: Library) -> None:
    clock, cues, conductor, keys = voiced(eyelid(library), library, voice_on=True)
    conductor.next_step()
    assert len(cues.hushed) == 1 and cues.played[-1] == keys[1]
    conductor.set_muted(True)
    assert len(cues.hushed) == 2 and cues.pending is None
    conductor.set_muted(False)
    conductor.set_voice(False)
    assert len(cues.hushed) == 3
    assert cues.pending == ("step", T0 + 20), "with the voice off the cue is handed over"
    conductor.set_voice(True)
    assert cues.pending == (keys[2], T0 + 20)
    conductor.stop()
    assert len(cues.hushed) == 4 and cues.pending is None


def test_with_the_voice_off_nothing_is_hushed_and_the_cues_play(library: Library) -> None:
    clock, cues, conductor, keys = voiced(eyelid(library), library, voice_on=False)
    conductor.continue_()
    conductor.pause()
    conductor.resume()
    conductor.next_step()
    assert cues.hushed == []
    assert not any(name.startswith(VOICE_PREFIX) for name in cues.played)


# --- clips: shipped, cached, rendered ---------------------------------------------------


def test_every_builtin_session_finds_its_clips_without_an_engine() -> None:
    library = load_default_library()
    asked: list[str] = []

    def no_engine() -> Engine | None:
        asked.append("engine")
        return None

    voices = Voices(engine=no_engine)
    for exercise_id in ("breathing-4-2-6", "tension-release", "flare", "desk-break", "evening-wind-down"):
        exercise = library.exercises[exercise_id]
        for area in exercise.areas or (None,):
            timeline = plan(exercise, PlanOptions(area=area), library.exercises)
            lines = spoken_lines(timeline, library.exercises)
            voice = voices.plan(lines, render=True)
            assert voice.unspoken == 0 and voice.notice is None
            assert set(voice.keys) == set(lines)
            for index, key in voice.keys.items():
                path = voice.files[key]
                prefix = QUIET_PREFIX if index < 0 else VOICE_PREFIX  # a reminder plays softer
                assert path.parent == VOICE_DIR and key == prefix + path.stem
    assert asked == [], "no engine is looked for when every line is shipped"


def test_own_lines_without_an_engine_get_one_notice_and_no_clip(tmp_path: Path) -> None:
    library = own_library(tmp_path)
    timeline = plan(library.exercises["my-rest"], PlanOptions())
    voices = Voices(cache_dir=tmp_path / "cache", engine=lambda: None)
    lines = spoken_lines(timeline, library.exercises)
    assert voices.needs_rendering(lines)
    voice = voices.plan(lines, render=True)
    assert voice.keys == {} and voice.unspoken == 2
    assert voice.notice is not None
    assert "no speech program was found" in voice.notice and "apt-get install festival" in voice.notice


@pytest.mark.slow
def test_own_lines_are_rendered_once_then_read_from_the_cache(tmp_path: Path) -> None:
    engine = find_engine()
    if engine is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI installs Festival: a speech engine must be found")
        pytest.skip("no speech engine: apt-get install festival festvox-us-slt-hts")
    library = own_library(tmp_path)
    lines = spoken_lines(plan(library.exercises["my-rest"], PlanOptions()), library.exercises)
    first = Voices(cache_dir=tmp_path / "cache", engine=lambda: engine)
    voice = first.plan(lines, render=True)
    assert first.rendered == 2 and voice.unspoken == 0 and voice.notice is None
    for path in voice.files.values():
        samples, rate = read_wav(path)
        assert path.parent == tmp_path / "cache" and rate >= 8000 and len(samples) > rate // 2

    def must_not_render(text: str) -> tuple[object, int]:
        raise AssertionError(f"rendered again: {text!r}")

    cached = Engine(engine.name, engine.key, must_not_render)  # type: ignore[arg-type]
    second = Voices(cache_dir=tmp_path / "cache", engine=lambda: cached)
    again = second.plan(lines, render=True)
    assert second.rendered == 0 and again.files == voice.files
    # Another engine or voice is another clip.
    other = Engine(engine.name, engine.key + "/other", must_not_render)  # type: ignore[arg-type]
    assert Voices(cache_dir=tmp_path / "cache", engine=lambda: other).plan(lines).unspoken == 2


def test_a_damaged_cached_clip_is_rendered_again(tmp_path: Path) -> None:
    library = own_library(tmp_path)
    lines = spoken_lines(plan(library.exercises["my-rest"], PlanOptions()), library.exercises)
    made: list[str] = []

    def render(text: str) -> tuple[object, int]:
        import array

        made.append(text)
        return array.array("h", [0] * 100 + [8000, -8000] * 4000 + [0] * 100), 16000

    engine = Engine("test tone", "tone/1", render)  # type: ignore[arg-type]
    voices = Voices(cache_dir=tmp_path / "cache", engine=lambda: engine)
    voice = voices.plan(lines, render=True)
    assert len(made) == 2
    next(iter(voice.files.values())).write_bytes(b"RIFF\x00\x00garbage")
    Voices(cache_dir=tmp_path / "cache", engine=lambda: engine).plan(lines, render=True)
    assert len(made) == 3


# --- what a real player plays (ALSA's file plugin) ---------------------------------------


def landed(capture: Path, size: int, limit: float = 5.0) -> None:
    """Wait until the capture holds ``size`` bytes: the sounds sent so far landed whole
    (a missing one is the final comparison's to report; ``limit`` only stops a hang)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and not (capture.exists() and capture.stat().st_size >= size):
        time.sleep(0.01)


def run_captured(
    tmp_path: Path, library: Library, timeline: Timeline, voice_on: bool = True
) -> tuple[list[str], dict[int, str]]:
    """Run ``timeline`` on a fake clock through a real player, letting each sound land
    whole in the capture, and each spoken line end in real time, before the next
    boundary; the keys heard, in order. Its wall time is about the lines' length."""
    need_simpleaudio()
    capture = tmp_path / "capture.raw"
    player, rings = capture_player(tmp_path, capture)
    keys, files = shipped_plan(library, timeline)
    player.prepare(*sounds_for(timeline, False), voices=files)
    assert player.wait_ready(10.0) and player.working
    known = {**cue_bytes(), **{key: heard_pcm(key, path) for key, path in files.items()}}
    seconds = {key: clip_seconds(path) for key, path in files.items()}
    clock = FakeClock(T0)
    conductor = Conductor(Session(timeline, clock), cues=player, voice=keys, voice_on=voice_on)
    expected_bytes = 0
    counted = 0

    def heard_so_far() -> None:
        """Wait until every sound sent so far has landed whole in the capture (the fake
        clock moves at once: without this, the next sound would cut the last one off)."""
        nonlocal expected_bytes, counted
        if len(player.sent) == counted:
            return  # everything sent has landed already: a second with no new sound waits for nothing
        for name, _ in player.sent[counted:]:
            expected_bytes += len(known[name])
        counted = len(player.sent)
        landed(capture, expected_bytes)

    def line_ended() -> None:
        """Wait, in real time, until the last line sent has been spoken to its end. The
        player leaves out a cue, and holds a line, while one is spoken; the fake clock
        reaches the next sound at once, so the test lets each line finish as a session
        would (a sound with no line playing waits for nothing)."""
        limit = time.monotonic() + 60  # hang guard only: the longest line is seconds long
        while time.monotonic() < limit:
            lines = [(key, called) for key, called in list(player.played) if key in seconds]
            if len(lines) >= sum(1 for key, _ in list(player.sent) if key in seconds):
                ends = max((called + seconds[key] for key, called in lines), default=0.0)
                left = ends - time.monotonic()
                if left <= 0:
                    return
                time.sleep(min(0.05, left))
            else:
                time.sleep(0.01)  # a line sent, its "played" not read yet (or held)
        pytest.fail("a line sent to the player never started, or never ended (left out?)")

    try:
        conductor.start()
        heard_so_far()
        for _ in range(len(timeline.segments) + 1):  # a boundary a turn: never loops forever
            if not conductor.session.active:
                break
            if conductor.session.waiting:
                line_ended()
                conductor.continue_()
            else:
                upcoming = conductor.session.upcoming()
                assert upcoming is not None, conductor.session.state
                while clock.now < upcoming[1]:  # reads a second apart: no gap is a suspend
                    clock.now = min(upcoming[1], clock.now + 1.0)
                    line_ended()
                    conductor.poll()
                    heard_so_far()  # a reminder inside the step
            heard_so_far()
        assert not conductor.session.active
    finally:
        player.close(drain=True)
    assert rings == [] and player.take_notice() is None
    return split_capture(capture.read_bytes(), known), keys


def test_the_eyelid_release_speaks_every_step_in_order_with_its_shipped_samples(
    tmp_path: Path, library: Library
) -> None:
    timeline = eyelid(library)
    heard, keys = run_captured(tmp_path, library, timeline)
    steps = list(timeline.segments)
    reminders = {
        s.index: [keys[reminder_slot(n)] for n, r in enumerate(timeline.reminders) if r.segment == s.index]
        for s in steps
    }
    assert sum(map(len, reminders.values())) == 2, "the cool cloth's two reminders"
    assert heard == [key for s in steps for key in (keys[s.index], *reminders[s.index])] + [END_CUE]
    # Each clip is the one the manifest lists for that line's words.
    texts = spoken_lines(timeline, library.exercises)
    builtin = Voices().builtin()
    slots = [
        i
        for s in steps
        for i in (
            s.index,
            *(reminder_slot(n) for n, r in enumerate(timeline.reminders) if r.segment == s.index),
        )
    ]
    assert [builtin[texts[i]].stem for i in slots] == [
        k.removeprefix(QUIET_PREFIX).removeprefix(VOICE_PREFIX) for k in heard[:-1]
    ]
    quiet = [k for k in heard if k.startswith(QUIET_PREFIX)]
    assert quiet == [keys[reminder_slot(0)], keys[reminder_slot(1)]], "the reminders play softer"


def test_4_2_6_speaks_two_cycles_then_only_the_tones(tmp_path: Path, library: Library) -> None:
    timeline = drill(library)
    heard, keys = run_captured(tmp_path, library, timeline)
    words = [keys[i] for i in range(6)]
    assert heard == words + ["inhale", "hold", "exhale"] * 8 + [END_CUE]


def test_with_no_voice_a_real_player_plays_only_the_cues(tmp_path: Path, library: Library) -> None:
    heard, _ = run_captured(tmp_path, library, drill(library), voice_on=False)
    assert heard == ["inhale", "hold", "exhale"] * 10 + [END_CUE]


# --- the command line --------------------------------------------------------------------


def test_plain_run_of_an_own_exercise_with_no_engine_says_so_once_and_goes_on(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    exercises = Path(cli_env["CALMCOACH_CONFIG_DIR"]) / "exercises"
    exercises.mkdir(parents=True, exist_ok=True)
    (exercises / "my-rest.toml").write_text(OWN_ROUTINE, "utf-8")
    empty = tmp_path / "no-programs"
    empty.mkdir()
    env = {**cli_env, "PATH": str(empty)}  # no text2wave, flite or espeak-ng
    result = subprocess.run(
        [*calmcoach_command(), "run", "my-rest", "--plain", "--speed", "50"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("no speech program was found") == 1
    assert "install Festival" in result.stdout and "voice on" not in result.stdout
    assert "My rest finished" in result.stdout


def test_plain_says_the_voice_is_on_and_no_voice_turns_it_off(cli_env: dict[str, str]) -> None:
    # The three runs go side by side: each mostly waits out its (sped-up) steps.
    variants = [(), ("--no-voice",), ("--no-sound",)]
    runs = [
        subprocess.Popen(
            [
                *calmcoach_command(),
                "run",
                "tension-release",
                "--area",
                "eyelid",
                "--plain",
                "--speed",
                "100",
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env,
            stdin=subprocess.DEVNULL,
        )
        for extra in variants
    ]
    said: list[str] = []
    try:
        for run in runs:
            out, err = run.communicate(timeout=60)
            assert run.returncode == 0, err
            said.append(out)
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
                run.wait()
    voiced, no_voice, no_sound = said
    assert "voice on: each step is spoken; --no-voice turns it off" in voiced
    assert "voice on" not in no_voice
    assert "voice on" not in no_sound


def test_validate_warns_of_a_step_too_short_for_its_words(tmp_path: Path, cli_env: dict[str, str]) -> None:
    path = tmp_path / "tight.toml"
    path.write_text(
        OWN_ROUTINE.replace(
            'say = "Let your hands rest, heavy and warm."\nseconds = 8',
            'say = "Let your hands rest, heavy and warm, and notice how the weight sinks down."\nseconds = 2',
        ),
        "utf-8",
    )
    result = subprocess.run(
        [*calmcoach_command(), "validate", str(path)], capture_output=True, text=True, env=cli_env, timeout=60
    )
    assert result.returncode == 0, "a warning does not stop the file running"
    assert f"{path}:12: step[2].say: warning: the voice needs about" in result.stdout
    assert "but the step lasts 2 s" in result.stdout and f"{path}: ok (1 warning)" in result.stdout


def test_the_voice_flags_are_one_or_the_other() -> None:
    from calmcoach.cli.options import options_from
    from calmcoach.cli.parser import parse

    assert options_from(parse(["run", "x", "--voice"])).voice is True
    assert options_from(parse(["run", "x", "--no-voice"])).voice is False
    assert options_from(parse(["run", "x"])).voice is None
    assert options_from(parse(["--no-voice"])).voice is False
    with pytest.raises(SystemExit):
        parse(["run", "x", "--voice", "--no-voice"])


def test_a_huge_line_is_never_sent_to_the_engine(tmp_path: Path) -> None:
    """A hostile file's 60 000-character step must not hold the session's start while an
    engine reads it out: it gets tones and the notice says why."""
    asked: list[int] = []

    def render(text: str) -> tuple[object, int]:
        asked.append(len(text))
        raise AssertionError("the engine was asked")

    engine = Engine("test", "test/1", render)  # type: ignore[arg-type]
    voice = Voices(cache_dir=tmp_path / "cache", engine=lambda: engine).plan(
        {0: "word " * 12_000}, render=True
    )
    assert asked == [] and voice.unspoken == 1
    assert voice.notice is not None and "too long to speak" in voice.notice


def test_a_real_player_lets_a_line_finish_holds_the_next_line_and_leaves_out_a_cue(tmp_path: Path) -> None:
    """A line longer than its step is not cut by the next boundary: a cue due while it
    plays is left out, and the next line, handed over for a moment inside it, starts
    when it ends. Heard through ALSA's file plugin: both lines whole, in order."""
    need_simpleaudio()
    capture = tmp_path / "capture.raw"
    player, rings = capture_player(tmp_path, capture)
    builtin = Voices().builtin()
    first, second = builtin["Breathe in slowly through your nose"], builtin["Hold"]
    a, b = VOICE_PREFIX + first.stem, VOICE_PREFIX + second.stem
    player.prepare(["inhale"], voices={a: first, b: second})
    assert player.wait_ready(10.0) and player.working
    known = {**cue_bytes(), a: pcm(first), b: pcm(second)}
    try:
        player.play(a)
        player.play("inhale")  # a pacing cue due while the line plays
        assert player.schedule(b, time.monotonic() + 0.2)  # the next step's line, handed ahead
        wait_for_file(capture, len(known[a]) + len(known[b]), timeout=10.0)
    finally:
        player.close(drain=True)
    played = dict(player.played)
    line_seconds = len(known[a]) / 2 / 16_000
    assert played[b] - played[a] >= line_seconds - 0.01, "the next line waited for the first to end"
    # "inhale" is among the known sounds: a capture of the two lines alone shows it left out.
    assert split_capture(capture.read_bytes(), known) == [a, b]
    assert rings == [] and player.take_notice() is None, "nothing counted as a fault"


def test_a_second_line_held_behind_a_long_one_takes_the_place_of_the_first_which_is_answered_dropped(
    tmp_path: Path,
) -> None:
    """Two lines handed over while a long one is spoken: only the later waits for it, and
    the player says, through its own answers, that the earlier one was left out (it had
    been answered "held": replaced silently, the app was told it would still be spoken).
    Heard through ALSA's file plugin: the long line, then the later one, nothing else."""
    need_simpleaudio()
    capture = tmp_path / "capture.raw"
    env = audio_env(dict(os.environ), tmp_path / "home", "capture.asoundrc", capture)
    builtin = Voices().builtin()
    clips = {
        VOICE_PREFIX + "long": builtin["Breathe in slowly through your nose"],
        VOICE_PREFIX + "hold": builtin["Hold"],
        VOICE_PREFIX + "out": builtin["Breathe out"],
    }
    long, hold, out = clips
    worker = subprocess.Popen(
        [sys.executable, "-m", "calmcoach.audio.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert worker.stdin is not None and worker.stdout is not None
    answers: queue.Queue[str] = queue.Queue()

    def read(stream: IO[str]) -> None:
        for line in stream:
            answers.put(line)

    threading.Thread(target=read, args=(worker.stdout,), daemon=True).start()

    def send(*words: str) -> None:
        assert worker.stdin is not None
        worker.stdin.write("\t".join(words) + "\n")
        worker.stdin.flush()

    def until(word: str) -> list[list[str]]:
        """The answers up to and including the first that starts with ``word`` (beats left out)."""
        heard = []
        while True:
            words = answers.get(timeout=10.0).rstrip("\n").split("\t")
            if words[0] != "alive":
                heard.append(words)
            if words[0] == word:
                return heard

    try:
        for key, path in clips.items():
            send("load", key, str(path))
        send("ready?")
        assert [w[0] for w in until("ready")] == ["hello", "loaded", "loaded", "loaded", "ready"]
        send("play", long)
        send("play", hold)  # its step passes while the long line is spoken...
        send("play", out)  # ...and the next step's line comes too
        heard = [w[:2] for w in until("played") + until("played")]
        send("drain", "5")
        until("drained")
    finally:
        worker.stdin.close()
        worker.wait(timeout=10)
    assert heard == [["played", long], ["held", hold], ["dropped", hold], ["held", out], ["played", out]]
    known = {key: pcm(path) for key, path in clips.items()}
    assert split_capture(wait_for_file(capture, len(known[long]) + len(known[out])), known) == [long, out]


# --- the tapping part of a tapped start ----------------------------------------------


async def test_the_app_says_how_to_tap_through_a_real_player(tmp_path: Path) -> None:
    """Slow down gently with the voice on: the tapping screen's line is heard whole in the
    capture, before any tap."""
    from calmcoach.domain.pace import TAP_LINE
    from calmcoach.ui.factory import make_app
    from calmcoach.ui.screens.tapping import TappingScreen

    need_simpleaudio()
    capture = tmp_path / "capture.raw"
    player, rings = capture_player(tmp_path, capture)
    spoken = Voices().plan({0: TAP_LINE}, use_engine=False)
    key = spoken.keys[0]
    app = make_app(
        start="slow-down-gently",
        minutes=2,
        voice=True,
        cues=player,
        clock=FakeClock(T0),
        show_first_run=False,
    )
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            limit = time.monotonic() + 10
            while not any(name == key for name, _ in player.played) and time.monotonic() < limit:
                await pilot.pause(0.05)
            assert isinstance(app.screen, TappingScreen)
            clip = heard_pcm(key, spoken.files[key])
            landed(capture, len(clip), limit=clip_seconds(spoken.files[key]) + 5)
    finally:
        player.close(drain=True)
    assert [name for name, _ in player.sent] == [key]
    assert split_capture(capture.read_bytes(), {key: clip}) == [key]
    assert rings == []
