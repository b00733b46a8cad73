"""Render the spoken prompts of the built-in exercises: ``python sounds/make_voice.py``.

One clip per distinct line the built-in exercises speak (each step's instruction and
each breathing phase's word, as ``calmcoach.domain.voice_text`` decides), written to
``sounds/voice/`` with ``manifest.json`` listing each clip's text, file, length, rate,
checksum, engine and where the exercises use it.

The engine is Festival with the CMU ARCTIC "slt" HTS voice, both Debian packages:
``apt-get install festival festvox-us-slt-hts``. ``sounds/voice/LICENSE`` says why this
voice, and under what licence its clips are shipped.

Reproducible: a clip's file name is a hash of its text and the voice settings, and
a clip whose manifest entry and file still match is not rendered again, so running
the script over unchanged exercises changes no file (and needs no engine). Clips
no exercise speaks any more are removed.

It fails, writing nothing, when a line lasts too long for its step (see
``voice_text.fits``) or the clips together pass the size budget.

Options:
  --check   change nothing; list what a run would change and exit 1 if anything
  --force   render every clip again (after an engine update, say)
"""

from __future__ import annotations

import argparse
import array
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from calmcoach.audio.speech import (  # noqa: E402
    ENGINE,
    RATE,
    SPEED,
    VOICE,
    VOICE_KEY,
    VOICE_PACKAGE,
    VoiceError,
    festival_render,
    festival_version,
    finish,
    wav_bytes,
)
from calmcoach.data.loader import load_library, sound_names_in  # noqa: E402
from calmcoach.domain import voice_text  # noqa: E402

VOICE_DIR = HERE / "voice"
EXERCISES_DIR = ROOT / "exercises"
MANIFEST = "manifest.json"
FORMAT = 1
"""Version of the manifest's layout."""

BUDGET_BYTES = 12_000_000
"""All built-in clips together stay within 12 MB (issue 23 let it grow from 8 MB for
the breathing instructions and the reminders of long steps)."""


@dataclass
class Need:
    """A line the built-in exercises speak, and where."""

    text: str
    seconds: float | None = None
    """The shortest step it is spoken in (None: only untimed steps)."""
    uses: list[str] = field(default_factory=list)
    """``exercise-id field`` for each place it is spoken."""


@dataclass
class Outcome:
    """What a run did (or, with ``check``, would do)."""

    changes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    rendered: int = 0
    render_seconds: float = 0.0
    manifest: dict[str, object] = field(default_factory=dict)


def needs(exercises_dir: Path = EXERCISES_DIR) -> dict[str, Need]:
    """Every distinct line the exercises in ``exercises_dir`` speak, by text."""
    library = load_library(exercises_dir, None, sound_names_in(HERE))
    if library.broken:
        problems = "; ".join(str(p) for broken in library.broken for p in broken.problems)
        raise VoiceError(f"built-in exercises do not load: {problems}")
    found: dict[str, Need] = {}
    for exercise_id in sorted(library.exercises):
        for line in voice_text.lines(library.exercises[exercise_id]):
            need = found.setdefault(line.text, Need(line.text))
            need.uses.append(f"{exercise_id} {line.where}")
            if line.seconds is not None and (need.seconds is None or line.seconds < need.seconds):
                need.seconds = line.seconds
    return found


def file_name(text: str) -> str:
    """The clip's file name: a few words to read, then a hash of the text and voice."""
    digest = hashlib.sha256(f"{VOICE_KEY}\n{text}".encode()).hexdigest()[:12]
    words = re.findall(r"[a-z0-9]+", text.lower())[:5]
    slug = "-".join(words)[:40].strip("-") or "clip"
    return f"{slug}-{digest}.wav"


def engine_version() -> str:
    """``festival 2.5.0`` plus the voice package's version where dpkg can say it."""
    version = festival_version()
    if shutil.which("dpkg-query"):
        package = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}", VOICE_PACKAGE],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if package.returncode == 0 and package.stdout:
            return f"{version}, {VOICE} ({VOICE_PACKAGE} {package.stdout.strip()})"
    return f"{version}, {VOICE}"


def load_manifest(voice_dir: Path) -> dict[str, object]:
    """The manifest in ``voice_dir``, or an empty one."""
    path = voice_dir / MANIFEST
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
    except ValueError as error:
        raise VoiceError(f"{path}: not valid JSON ({error}); delete it to render every clip again") from error
    if not isinstance(data, dict):
        raise VoiceError(f"{path}: expected a JSON object")
    return data


def manifest_text(manifest: dict[str, object]) -> str:
    """The manifest as written: stable key order, one entry a block."""
    return json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sync(
    voice_dir: Path = VOICE_DIR,
    exercises_dir: Path = EXERCISES_DIR,
    render: Callable[[str], array.array[int]] | None = None,
    *,
    check: bool = False,
    force: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> Outcome:
    """Bring ``voice_dir`` in line with the lines the exercises speak.

    ``render`` speaks one text (Festival unless given); it is only called for a text
    without a matching clip. With ``check``, nothing is rendered or written: the
    outcome lists what a run would change. Problems (a clip too long for its step,
    the budget passed) stop the run before anything is written.
    """
    outcome = Outcome()
    wanted = needs(exercises_dir)
    old = load_manifest(voice_dir)
    old_clips = {
        entry["text"]: entry
        for entry in old.get("clips", [])  # type: ignore[attr-defined]
        if isinstance(entry, dict) and isinstance(entry.get("text"), str)
    }
    clips: list[dict[str, object]] = []
    fresh: dict[str, bytes] = {}
    engine: str | None = None
    for need in wanted.values():
        name = file_name(need.text)
        entry = old_clips.get(need.text)
        path = voice_dir / name
        current = (
            not force
            and entry is not None
            and entry.get("file") == name
            and path.is_file()
            and entry.get("sha256") == sha256_of(path)
        )
        if current:
            assert entry is not None
            clip = dict(entry)
        else:
            outcome.changes.append(f"render {name}: {need.text!r}")
            if check:
                continue
            if render is None:
                engine = engine or engine_version()
                render = festival_render
            started = time.perf_counter()
            samples = finish(render(need.text))
            outcome.render_seconds += time.perf_counter() - started
            outcome.rendered += 1
            data = wav_bytes(samples)
            fresh[name] = data
            clip = {
                "file": name,
                "text": need.text,
                "seconds": round(len(samples) / RATE, 3),
                "frames": len(samples),
                "rate": RATE,
                "sha256": hashlib.sha256(data).hexdigest(),
                "engine": engine or "test renderer",
            }
            log(f"rendered {name} ({clip['seconds']} s) in {time.perf_counter() - started:.1f} s")
        clip["step_seconds"] = need.seconds
        clip["uses"] = need.uses
        clips.append(clip)
        seconds = float(str(clip["seconds"]))
        if not voice_text.fits(seconds, need.seconds):
            outcome.problems.append(
                f"{need.uses[0]}: the clip lasts {seconds:.2f} s, too long for a {need.seconds:g} s step "
                f"(it must end {voice_text.FIT_MARGIN:g} s before): {need.text!r}"
            )
    clips.sort(key=lambda clip: str(clip["file"]))
    total = sum(
        len(fresh[str(c["file"])]) if str(c["file"]) in fresh else (voice_dir / str(c["file"])).stat().st_size
        for c in clips
        if str(c["file"]) in fresh or (voice_dir / str(c["file"])).is_file()
    )
    if total > BUDGET_BYTES:
        outcome.problems.append(f"the clips take {total} bytes, over the budget of {BUDGET_BYTES}")
    manifest: dict[str, object] = {
        "format": FORMAT,
        "voice": {
            "key": VOICE_KEY,
            "engine": ENGINE,
            "voice": VOICE,
            "speed": SPEED,
            "licence": "see LICENSE in this folder",
        },
        "rate": RATE,
        "fit_margin_seconds": voice_text.FIT_MARGIN,
        "total_bytes": total,
        "clips": clips,
    }
    outcome.manifest = manifest
    keep = {str(c["file"]) for c in clips}
    stale = sorted(p for p in voice_dir.glob("*.wav") if p.name not in keep) if voice_dir.is_dir() else []
    outcome.changes += [f"remove {p.name}" for p in stale]
    text = manifest_text(manifest)
    manifest_path = voice_dir / MANIFEST
    if not manifest_path.exists() or manifest_path.read_text("utf-8") != text:
        outcome.changes.append(f"write {MANIFEST}")
    if check or outcome.problems:
        return outcome
    voice_dir.mkdir(parents=True, exist_ok=True)
    for name, data in fresh.items():
        _write(voice_dir / name, data)
    for path in stale:
        path.unlink()
    if f"write {MANIFEST}" in outcome.changes:
        _write(manifest_path, text.encode("utf-8"))
    return outcome


def _write(path: Path, data: bytes) -> None:
    """Write ``data`` whole or not at all."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a run would")
    parser.add_argument("--force", action="store_true", help="render every clip again")
    args = parser.parse_args(argv)
    try:
        outcome = sync(check=args.check, force=args.force, log=print)
    except VoiceError as error:
        print(f"make_voice: {error}", file=sys.stderr)
        return 2
    for problem in outcome.problems:
        print(f"make_voice: {problem}", file=sys.stderr)
    clips = outcome.manifest.get("clips", [])
    assert isinstance(clips, list)
    longest = max((float(c["seconds"]) for c in clips), default=0.0)
    tightest = min(
        (float(c["step_seconds"]) - float(c["seconds"]) for c in clips if c["step_seconds"] is not None),
        default=math.inf,
    )
    print(
        f"{len(clips)} clips, {outcome.manifest.get('total_bytes', 0)} bytes; "
        f"longest {longest:.2f} s; least time to spare before a step ends {tightest:.2f} s; "
        f"rendered {outcome.rendered} in {outcome.render_seconds:.1f} s"
    )
    if args.check:
        for change in outcome.changes:
            print(f"would {change}")
        return 1 if outcome.changes or outcome.problems else 0
    if outcome.problems:
        print("make_voice: nothing written", file=sys.stderr)
        return 1
    for change in outcome.changes:
        print(change)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
