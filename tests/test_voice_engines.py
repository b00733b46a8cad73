"""Speech programs that misbehave: fake ones on PATH (bytes that are not UTF-8, a hang,
an endless writer, a slow one), on short timeouts. A session never waits long for its
voice, a line that failed is not tried again on every run, and a cache folder that
cannot be written keeps the lines for the session."""

from __future__ import annotations

import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from calmcoach.audio import speech
from calmcoach.audio.voice import Voices
from tests.helpers import calmcoach_command

WAV_WRITER = """\
import math, struct, sys, wave
target = sys.argv[sys.argv.index("-o") + 1]
with wave.open(target, "wb") as out:
    out.setnchannels(1); out.setsampwidth(2); out.setframerate(16000)
    frames = [0] * 800 + [int(8000 * math.sin(i / 5)) for i in range(8000)] + [0] * 800
    out.writeframes(struct.pack(f"<{len(frames)}h", *frames))
"""

WAV_AT_RATE = """\
import math, struct, sys
target = sys.argv[sys.argv.index("-o") + 1]
frames = struct.pack("<8000h", *(int(8000 * math.sin(i / 5)) for i in range(8000)))
fmt = struct.pack("<HHIIHH", 1, 1, {rate}, {rate} * 2, 2, 16)
body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(frames)) + frames
with open(target, "wb") as out:
    out.write(b"RIFF" + struct.pack("<I", len(body)) + body)
"""

BEHAVIOUR = {
    "garbled": 'sys.stdout.buffer.write(b"\\xff\\xfe\\x80 nonsense\\n"); sys.exit(3)',
    "hang": "time.sleep(600)",
    "chatter": 'line = b"\\xffblah " * 100 + b"\\n"\nwhile True: sys.stdout.buffer.write(line)',
    "huge-file": (
        'target = sys.argv[sys.argv.index("-o") + 1]\n'
        'with open(target, "wb") as out:\n'
        '    while True: out.write(b"\\0" * 65536)'
    ),
    "slow": f"time.sleep(0.6)\n{WAV_WRITER}",
    # A header written by hand: ``wave`` itself refuses to write these rates.
    "rate-0": WAV_AT_RATE.format(rate=0),
    "rate-12345": WAV_AT_RATE.format(rate=12345),
    "good": WAV_WRITER,
}


def fake_flite(folder: Path, behaviour: str, version: str = "ok") -> Path:
    """A ``flite`` on a PATH of its own that answers ``--version`` (``version``: ok,
    garbled, hang) and renders with ``behaviour``; it notes each call in ``calls``."""
    folder.mkdir(parents=True, exist_ok=True)
    versions = {
        "ok": 'print("flite-2.2 fake")',
        "garbled": 'sys.stdout.buffer.write(b"flite-2.2 \\xff\\xfe\\x80\\n")',
        "hang": "time.sleep(600)",
    }
    script = folder / "flite"
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, sys, time\n"
        f"with open({str(folder / 'calls')!r}, 'a') as calls: calls.write(' '.join(sys.argv[1:2]) + '\\n')\n"
        "if sys.argv[1:2] == ['--version']:\n"
        + "".join(f"    {line}\n" for line in versions[version].splitlines())
        + "    sys.exit(0)\n"
        + BEHAVIOUR[behaviour]
        + "\n",
        "utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return folder


def running(program: Path) -> list[int]:
    """Processes whose command line holds ``program`` (read from /proc: PATH may be a fake's)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(program).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def fake_clip(tmp_path: Path) -> Path:
    """A WAV such as a good speech program writes."""
    folder = fake_flite(tmp_path / "clip-bin", "good")
    target = tmp_path / "clip.wav"
    subprocess.run([str(folder / "flite"), "-voice", "slt", "-o", str(target)], check=True, timeout=30)
    return target


def calls(folder: Path) -> list[str]:
    path = folder / "calls"
    return path.read_text("utf-8").split("\n")[:-1] if path.exists() else []


@pytest.fixture
def short(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short bounds, so no test waits for the real ones."""
    monkeypatch.setattr(speech, "RENDER_TIMEOUT", 1.5)
    monkeypatch.setattr(speech, "PROBE_TIMEOUT", 0.5)


def voices_with(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wait: float = 3.0) -> Voices:
    monkeypatch.setenv("PATH", str(folder))
    return Voices(cache_dir=tmp_path / "cache", engine=speech._flite, start_wait=wait)


LINES = {0: "Let your shoulders drop.", 1: "Rest your hands."}


def test_output_that_is_not_utf8_is_read_with_replacement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = fake_flite(tmp_path / "bin", "garbled", version="garbled")
    plan = voices_with(folder, tmp_path, monkeypatch).plan(LINES, render=True)
    assert plan.unspoken == 2 and plan.keys == {}
    assert plan.notice is not None
    assert "could not say 2 lines (flite failed (\ufffd\ufffd\ufffd nonsense))" in plan.notice


@pytest.mark.parametrize("behaviour", ["hang", "chatter", "huge-file"])
def test_a_runaway_engine_is_stopped_and_the_plan_comes_back_soon(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, short: None, behaviour: str
) -> None:
    folder = fake_flite(tmp_path / "bin", behaviour)
    voices = voices_with(folder, tmp_path, monkeypatch, wait=5.0)
    started = time.monotonic()
    plan = voices.plan({0: "Let your shoulders drop."}, render=True)
    took = time.monotonic() - started
    assert took < 3.0, f"waited {took:.1f} s"
    assert plan.unspoken == 1 and plan.notice is not None
    why = {"hang": "took over 1.5 s", "chatter": "printed more than 64 KiB", "huge-file": "File too large"}[
        behaviour
    ]
    assert why in plan.notice, plan.notice
    assert not list((tmp_path / "cache").glob("*.wav"))
    assert running(folder / "flite") == [], "the engine was killed"


@pytest.mark.parametrize("rate", [0, 12345])
def test_a_clip_at_a_rate_the_voice_cannot_use_is_a_failed_line_remembered_not_a_dead_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, short: None, rate: int
) -> None:
    """A speech program's WAV header is its word only: a rate of 0 made the rendering
    thread die with a traceback on the terminal (the session then waited its whole start
    wait, and promised the line for next time); a rate the player refuses was kept and
    made again on every run."""
    died: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", died.append)
    folder = fake_flite(tmp_path / "bin", f"rate-{rate}")
    voices = voices_with(folder, tmp_path, monkeypatch, wait=5.0)
    started = time.monotonic()
    plan = voices.plan({0: "Let your shoulders drop."}, render=True)
    took = time.monotonic() - started
    assert died == [], "the rendering thread ended with an exception"
    assert took < 3.0, f"waited {took:.1f} s for a line that had already failed"
    assert plan.unspoken == 1 and plan.notice is not None
    assert f"a sample rate of {rate} Hz is not one the voice can use" in plan.notice, plan.notice
    assert "not tried again" in plan.notice
    assert len(list((tmp_path / "cache").glob("*.failed"))) == 1
    assert not list((tmp_path / "cache").glob("*.wav"))


def test_an_unforeseen_error_on_one_line_is_that_line_failing_and_the_next_is_still_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the engine's output does to the code after it, the rendering thread goes
    on: that line is remembered as failed (with why) and the next line is made."""
    died: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", died.append)
    good = speech.read_wav(fake_clip(tmp_path))

    def render(text: str) -> tuple[speech.Samples[int], int]:
        if text == LINES[0]:
            raise ZeroDivisionError("float division by zero")
        return good

    engine = speech.Engine("test", "test/1", render)
    voices = Voices(cache_dir=tmp_path / "cache", engine=lambda: engine, start_wait=5.0)
    started = time.monotonic()
    plan = voices.plan(LINES, render=True)
    assert time.monotonic() - started < 3.0
    assert died == []
    assert plan.unspoken == 1 and list(plan.keys) == [1], "the line after the failed one was made"
    assert plan.notice is not None and "ZeroDivisionError: float division by zero" in plan.notice
    assert len(list((tmp_path / "cache").glob("*.failed"))) == 1


def test_a_hanging_version_probe_is_given_up_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, short: None
) -> None:
    folder = fake_flite(tmp_path / "bin", "good", version="hang")
    started = time.monotonic()
    plan = voices_with(folder, tmp_path, monkeypatch).plan(LINES, render=True)
    assert time.monotonic() - started < 2.0
    assert plan.unspoken == 2 and plan.notice is not None and "no speech program was found" in plan.notice


def test_a_session_waits_at_most_its_start_wait_and_the_line_is_ready_next_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, short: None
) -> None:
    folder = fake_flite(tmp_path / "bin", "slow")
    voices = voices_with(folder, tmp_path, monkeypatch, wait=0.3)
    started = time.monotonic()
    first = voices.plan({0: "Let your shoulders drop."}, render=True)
    assert time.monotonic() - started < 1.0
    assert first.unspoken == 1 and first.notice is not None and "made meanwhile for next time" in first.notice
    for _ in range(100):  # the line goes on being made after the session started
        if list((tmp_path / "cache").glob("*.wav")):
            break
        time.sleep(0.05)
    again = Voices(cache_dir=tmp_path / "cache", engine=speech._flite, start_wait=3.0)
    second = again.plan({0: "Let your shoulders drop."}, render=True)
    assert second.unspoken == 0 and again.rendered == 0
    assert calls(folder).count("-voice") == 1, "rendered once"


def test_a_line_that_failed_is_not_tried_again_on_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = fake_flite(tmp_path / "bin", "garbled")
    voices_with(folder, tmp_path, monkeypatch).plan(LINES, render=True)
    assert calls(folder).count("-voice") == 2
    later = voices_with(folder, tmp_path, monkeypatch).plan(LINES, render=True)
    assert calls(folder).count("-voice") == 2, "not tried again"
    assert later.unspoken == 2 and later.notice is not None and "not tried again" in later.notice
    assert len(list((tmp_path / "cache").glob("*.failed"))) == 2


def test_an_unwritable_cache_keeps_the_lines_for_the_session_and_says_why_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = fake_flite(tmp_path / "bin", "good")
    (tmp_path / "cache").write_text("a file where the cache folder belongs", "utf-8")
    monkeypatch.setenv("PATH", str(folder))
    voices = Voices(cache_dir=tmp_path / "cache" / "voice", engine=speech._flite, start_wait=5.0)
    plan = voices.plan(LINES, render=True)
    assert plan.unspoken == 0 and len(plan.files) == 2
    for path in plan.files.values():
        assert path.is_file() and path.parent != tmp_path / "cache" / "voice"
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert plan.notice is not None and plan.notice.count("cannot be written") == 1
    assert "kept only until calmcoach closes" in plan.notice
    again = voices.plan(LINES, render=True)
    assert again.files == plan.files and again.notice is None, "kept, and said once"
    assert calls(folder).count("-voice") == 2


def test_validate_warns_of_a_line_the_voice_cannot_say_in_time(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    path = tmp_path / "slashes.toml"
    path.write_text(
        'title = "Slashes"\nkind = "routine"\n\n[[step]]\nsay = "' + "\\\\" * 599 + '"\nwait = true\n',
        "utf-8",
    )
    result = subprocess.run(
        [*calmcoach_command(), "validate", str(path)], capture_output=True, text=True, env=cli_env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert f"{path}:5: step[1].say: warning: the voice cannot say this in time" in result.stdout
    assert "tones stand in for it" in result.stdout


def test_plain_run_with_a_hanging_engine_starts_within_a_few_seconds_and_leaves_no_engine(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    exercises = Path(cli_env["CALMCOACH_CONFIG_DIR"]) / "exercises"
    exercises.mkdir(parents=True, exist_ok=True)
    (exercises / "my-rest.toml").write_text(
        'title = "My rest"\nkind = "routine"\n\n[[step]]\nsay = "Close your eyes and rest."\nseconds = 4\n',
        "utf-8",
    )
    folder = fake_flite(tmp_path / "bin", "hang")
    env = {**cli_env, "PATH": str(folder)}
    started = time.monotonic()
    process = subprocess.Popen(
        [*calmcoach_command(), "run", "my-rest", "--plain", "--speed", "20", "--voice"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    first_step = None
    for line in process.stdout:
        if "Close your eyes and rest." in line and first_step is None:
            first_step = time.monotonic() - started
    process.wait(timeout=30)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    assert first_step is not None and first_step < 8.0, f"first step after {first_step:.1f} s"
    assert running(folder / "flite") == [], "no speech program outlives calmcoach"


def test_a_line_asked_for_while_the_last_thread_is_ending_is_still_made(tmp_path: Path) -> None:
    """The rendering thread decides to stop (its queue empty) a moment before it has
    ended: a line queued in that moment must get a thread of its own, not wait for one
    that will never look at the queue again (it was then never made, and the notice
    promised it for next time)."""
    stopping, release = threading.Event(), threading.Event()
    clip = speech.read_wav(fake_clip(tmp_path))
    engine = speech.Engine("test", "test/1", lambda text: clip)

    class SlowToEnd(Voices):
        """Holds that moment open: the thread stays alive after its work is done."""

        def _work(self) -> None:
            super()._work()
            stopping.set()
            release.wait(5.0)

    voices = SlowToEnd(cache_dir=tmp_path / "cache", engine=lambda: engine, start_wait=2.0)
    try:
        assert voices.plan({0: LINES[0]}, render=True).unspoken == 0
        assert stopping.wait(5.0)
        second = voices.plan({0: LINES[1]}, render=True)
    finally:
        release.set()
    assert second.unspoken == 0 and second.notice is None
    assert voices.rendered == 2
