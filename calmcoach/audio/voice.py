"""The voice's clips: which file speaks each line of a session, made on first use.

A built-in line has a clip shipped under ``sounds/voice/`` (listed in its
``manifest.json``). A line of a person's own exercise is rendered by the speech
engine found on the machine (:mod:`calmcoach.audio.speech`) the first time a session
with the voice on needs it, and kept in the cache dir under a name made from the
text and the engine's version and voice, so it is read, not rendered, from then on.

Rendering takes about a second a line, so it must never run on an event loop:
:meth:`Voices.plan` says whether it would have to (``needs_rendering``), and the
shells call it with ``render=True`` only from a worker thread (the app) or before
the session starts (plain mode). A session never waits more than ``RENDER_BUDGET``
seconds for clips; lines left without one are carried by their cues and tones, with
one notice.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from calmcoach import locations
from calmcoach.audio import VOICE_PREFIX
from calmcoach.audio.speech import ANY_ENGINE_HINT, Engine, VoiceError, find_engine, finish, wav_bytes
from calmcoach.audio.wavs import CueError, check_wav
from calmcoach.safefile import read_limited, write_atomic
from calmcoach.visible import visible

RENDER_BUDGET = 60.0
"""Longest a session start waits for new clips to be rendered, in seconds."""
MAX_RENDER_CHARS = 1000
"""A line longer than this is not sent to the engine (about a minute and a half of
speech; rendering it could hold a session's start for minutes): tones carry it."""
MAX_MANIFEST_BYTES = 1024 * 1024
"""The shipped manifest is about 40 kB; a larger file is not read."""


@dataclass
class VoicePlan:
    """The clips a session speaks with, ready to hand to the player."""

    keys: dict[int, str] = field(default_factory=dict)
    """Segment index to the player key of its clip."""
    files: dict[str, Path] = field(default_factory=dict)
    """Player key to the WAV file it plays."""
    unspoken: int = 0
    """Lines with no clip (not rendered yet, or no engine): their cues play instead."""
    notice: str | None = None
    """One plain sentence about lines that have no voice and why, or None."""


class Voices:
    """Finds, and on request renders, the clip of each line a session speaks."""

    def __init__(
        self,
        builtin_dir: Path | None = None,
        cache_dir: Path | None = None,
        engine: Callable[[], Engine | None] = find_engine,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``builtin_dir`` holds the shipped clips and their manifest; ``cache_dir`` the
        clips rendered here. ``engine`` finds the speech engine (called once, when a line
        first needs rendering)."""
        self.builtin_dir = builtin_dir or locations.builtin_sounds_dir() / "voice"
        self.cache_dir = cache_dir or locations.cache_dir() / "voice"
        self._find_engine = engine
        self._engine: Engine | None = None
        self._engine_looked = False
        self._clock = clock
        self._builtin: dict[str, Path] | None = None
        self._lock = threading.Lock()
        self.rendered = 0
        """Lines rendered by the engine in this process (the rest came from files)."""
        self.problems: list[str] = []
        """Why the shipped manifest could not be read, if it could not."""

    # --- what exists ---------------------------------------------------------------

    def builtin(self) -> dict[str, Path]:
        """Text to shipped clip, from the manifest (read once)."""
        if self._builtin is None:
            self._builtin = self._read_manifest()
        return self._builtin

    def _read_manifest(self) -> dict[str, Path]:
        path = self.builtin_dir / "manifest.json"
        try:
            data = json.loads(read_limited(path, MAX_MANIFEST_BYTES).decode("utf-8"))
        except (OSError, ValueError, RecursionError) as error:
            self.problems.append(f"{visible(str(path))}: {visible(str(error))}")
            return {}
        clips = data.get("clips") if isinstance(data, dict) else None
        found: dict[str, Path] = {}
        for entry in clips if isinstance(clips, list) else []:
            if not isinstance(entry, dict):
                continue
            text, name = entry.get("text"), entry.get("file")
            if isinstance(text, str) and isinstance(name, str) and "/" not in name and name.endswith(".wav"):
                found[text] = self.builtin_dir / name
        return found

    def _engine_now(self) -> Engine | None:
        with self._lock:
            if not self._engine_looked:
                self._engine_looked = True
                self._engine = self._find_engine()
            return self._engine

    def _cached(self, engine: Engine, text: str) -> Path:
        digest = hashlib.sha256(f"{engine.key}\n{text}".encode()).hexdigest()[:24]
        return self.cache_dir / f"{digest}.wav"

    @staticmethod
    def _usable(path: Path) -> bool:
        try:
            check_wav("voice", path)
        except CueError:
            return False
        return True

    def needs_rendering(self, lines: Mapping[int, str]) -> bool:
        """True when a line has no shipped clip: finding out whether it is cached means
        asking the engine for its version, which is not for an event loop either."""
        builtin = self.builtin()
        return any(text not in builtin for text in lines.values())

    # --- a session's plan ------------------------------------------------------------

    def plan(self, lines: Mapping[int, str], render: bool = False, use_engine: bool = True) -> VoicePlan:
        """The clip for each line (segment index to text), from the shipped clips, the
        cache (``use_engine``: the engine is asked for its version), and with ``render``
        the engine itself. With ``use_engine`` it blocks, with ``render`` for as long as
        rendering takes (at most about ``RENDER_BUDGET`` seconds): call it from a worker
        thread. Without, it only reads the shipped manifest."""
        builtin = self.builtin()
        plan = VoicePlan()
        by_text: dict[str, Path | None] = {}
        own = sorted({text for text in lines.values() if text not in builtin})
        failed: list[str] = []
        engine = self._engine_now() if own and use_engine else None
        if engine is not None:
            started = self._clock()
            for text in own:
                path = self._cached(engine, text)
                if self._usable(path):
                    by_text[text] = path
                elif render and len(text) > MAX_RENDER_CHARS:
                    failed.append(f"a line of {len(text)} characters is too long to speak")
                elif render and self._clock() - started < RENDER_BUDGET:
                    try:
                        by_text[text] = self._render(engine, text, path)
                    except (VoiceError, OSError) as error:
                        failed.append(str(error))
        for index, text in sorted(lines.items()):
            found = builtin.get(text) or by_text.get(text)
            if found is None:
                plan.unspoken += 1
                continue
            key = VOICE_PREFIX + found.stem
            plan.keys[index] = key
            plan.files[key] = found
        plan.notice = self._notice(plan, own, engine, render, failed) if use_engine else None
        return plan

    def _render(self, engine: Engine, text: str, path: Path) -> Path:
        samples, rate = engine.render(text)
        data = wav_bytes(finish(samples, rate), rate)
        write_atomic(path, data)
        self.rendered += 1
        return path

    def _notice(
        self, plan: VoicePlan, own: list[str], engine: Engine | None, render: bool, failed: list[str]
    ) -> str | None:
        if not plan.unspoken:
            return None
        lines = "line" if plan.unspoken == 1 else "lines"
        if own and engine is None:
            return (
                f"Voice: no speech program was found, so {plan.unspoken} {lines} of your own "
                f"exercise use tones instead. To hear them, {ANY_ENGINE_HINT}."
            )
        if failed:
            return (
                f"Voice: {engine.name if engine else 'the speech program'} could not say "
                f"{plan.unspoken} {lines} ({visible(failed[0])}); tones stand in for them."
            )
        if render:
            return (
                f"Voice: making the spoken lines took too long, so {plan.unspoken} {lines} use "
                "tones this time; they are made next time."
            )
        return None
