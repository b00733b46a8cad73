"""The voice's clips: which file speaks each line of a session, made on first use.

A built-in line has a clip shipped under ``sounds/voice/`` (listed in its
``manifest.json``). A line of a person's own exercise is rendered by the speech
engine found on the machine (:mod:`calmcoach.audio.speech`) the first time a session
with the voice on needs it, and kept in the cache dir under a name made from the
text and the engine's version and voice, so it is read, not rendered, from then on.

Rendering must never run on an event loop: :meth:`Voices.plan` says whether it would
have to (``needs_rendering``), and the shells call it with ``render=True`` only from a
worker thread (the app) or before the session starts (plain mode). The engine runs on
a thread of its own, each line bounded in time and output (``speech.run_bounded``); a
session waits for it at most ``START_WAIT`` seconds in all, then starts with tones for
the lines not ready, which go on being made for next time. A line the engine failed on
is remembered in the cache (a ``.failed`` note beside where its clip would be), so it
is not tried again on every run. Where the cache cannot be written, clips are kept in
a private temporary folder until calmcoach closes, and the notice says so once.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from calmcoach.audio import QUIET_PREFIX, VOICE_PREFIX
from calmcoach.audio.speech import (
    ANY_ENGINE_HINT,
    Engine,
    VoiceCancelled,
    VoiceError,
    find_engine,
    finish,
    wav_bytes,
)
from calmcoach.audio.wavs import CueError, check_wav
from calmcoach.data import locations
from calmcoach.data.safefile import read_limited, write_atomic
from calmcoach.domain.visible import visible
from calmcoach.domain.voice_text import MAX_LINE_SECONDS, estimate_seconds

START_WAIT = 4.0
"""Longest a session's start waits, in all, for the speech program (finding it and
making its lines), in seconds; lines not ready by then are made for next time."""
MAX_RENDER_CHARS = 1000
"""A line longer than this is not sent to the engine (about a minute and a half of
speech; rendering it could hold a session's start for minutes): tones carry it."""
MAX_FAILED_NOTE = 4096
"""A ``.failed`` note is one short line; a larger file there is not read."""
MAX_MANIFEST_BYTES = 1024 * 1024
"""The shipped manifest is about 40 kB; a larger file is not read."""

log = logging.getLogger("calmcoach.audio")


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
        start_wait: float = START_WAIT,
    ) -> None:
        """``builtin_dir`` holds the shipped clips and their manifest; ``cache_dir`` the
        clips rendered here. ``engine`` finds the speech engine (called once, on the
        rendering thread, when a line first needs it). ``start_wait`` bounds how long
        ``plan`` waits for that thread."""
        self.builtin_dir = builtin_dir or locations.builtin_sounds_dir() / "voice"
        self.cache_dir = cache_dir or locations.cache_dir() / "voice"
        self._find_engine = engine
        self._engine: Engine | None = None
        self._engine_looked = False
        self._clock = clock
        self.start_wait = start_wait
        self._builtin: dict[str, Path] | None = None
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        """Told whenever the rendering thread settles a line."""
        self._queue: list[str] = []
        self._render = False
        """True once a plan has asked for lines to be made (not only looked up)."""
        self._absent: set[str] = set()
        """Lines looked up and not found, while nothing was to be made."""
        self._working = False
        """True while a rendering thread is at work: set when ``plan`` starts one, cleared
        under the lock at the moment it decides to stop (a thread still ending is not
        at work, so a line queued then gets a thread of its own)."""
        self._made: dict[str, Path] = {}
        """Text to clip, for lines found or made in this process."""
        self._failed: dict[str, str] = {}
        """Text to why the engine could not say it (from this run or a ``.failed`` note)."""
        self._private: Path | None = None
        """The temporary folder clips go to when the cache cannot be written."""
        self._cache_problem: str | None = None
        self._cache_told = False
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
        """The engine, looked for once (its version probe is bounded: ``speech.PROBE_TIMEOUT``)."""
        if not self._engine_looked:
            self._engine = self._find_engine()
            self._engine_looked = True
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
        the engine itself. With ``use_engine`` it blocks, at most about ``start_wait``
        seconds: call it from a worker thread. Without, it only reads the shipped manifest."""
        builtin = self.builtin()
        own = sorted({text for text in lines.values() if text not in builtin})
        ready: dict[str, Path] = {}
        failed: dict[str, str] = {}
        engine: Engine | None = None
        looked = False
        if own and use_engine:
            with self._lock:
                self._render = self._render or render
                if render:
                    self._absent.clear()  # looked up before without making them: make them now
                unsettled = [t for t in own if not self._settled(t)]
                self._queue = list(dict.fromkeys(self._queue + unsettled))
                if not self._working:
                    self._working = True
                    threading.Thread(target=self._work, name="voice", daemon=True).start()
                limit = self._clock() + self.start_wait
                while not all(self._settled(t) for t in own) and (
                    not self._engine_looked or self._engine is not None
                ):
                    left = limit - self._clock()
                    if left <= 0:
                        break
                    self._changed.wait(left)
                ready = {t: self._made[t] for t in own if t in self._made}
                failed = {t: self._failed[t] for t in own if t in self._failed}
                engine, looked = self._engine, self._engine_looked
        plan = VoicePlan()
        for index, text in sorted(lines.items()):
            found = builtin.get(text) or ready.get(text)
            if found is None:
                plan.unspoken += 1
                continue
            # A reminder (a negative index, ``voice_text.reminder_slot``) plays softer.
            key = (QUIET_PREFIX if index < 0 else VOICE_PREFIX) + found.stem
            plan.keys[index] = key
            plan.files[key] = found
        if use_engine:
            plan.notice = self._notice(plan, own, engine, looked, render, failed)
        return plan

    def _settled(self, text: str) -> bool:
        """True once the rendering thread is done with ``text`` (lock held)."""
        return text in self._made or text in self._failed or text in self._absent

    def _work(self) -> None:
        """The rendering thread: find the engine, then settle each queued line (cached,
        failed before, or made now), one at a time, until the queue is empty."""
        try:
            engine = self._engine_now()
        except Exception as error:  # a broken engine lookup must not end the session
            engine = None
            self._engine_looked = True
            self.problems.append(f"looking for a speech program failed: {visible(str(error))}")
        with self._changed:
            self._changed.notify_all()
        while True:
            with self._lock:
                if not self._queue or engine is None:
                    self._queue.clear()
                    self._working = False
                    return
                text = self._queue.pop(0)
                render = self._render
            try:
                path = self._settle(engine, text, render)
            except VoiceCancelled:
                with self._lock:
                    self._working = False
                return  # calmcoach is closing: not the line's fault, nothing to remember
            except (VoiceError, OSError) as error:
                self._remember_failure(engine, text, str(error))
                continue
            except Exception as error:
                # An engine's output this code did not foresee: that line's failure, kept
                # like any other, never the end of this thread (which would leave the
                # session waiting, and the lines after it unmade) nor a traceback on screen.
                # INFO: until the log is started, WARNING would go to the terminal.
                log.info("the voice could not make a line", exc_info=True)
                self._remember_failure(engine, text, f"{type(error).__name__}: {error}")
                continue
            with self._changed:
                if path is not None:
                    self._made[text] = path
                else:
                    self._absent.add(text)
                self._changed.notify_all()

    def _settle(self, engine: Engine, text: str, render: bool) -> Path | None:
        """The clip of ``text``: cached, or rendered now (with ``render``); None if it is
        not cached and may not be rendered. Raises VoiceError when the engine failed
        on it, now or on an earlier run."""
        path = self._cached(engine, text)
        for place in (path, self._private / path.name if self._private else None):
            if place is not None and self._usable(place):
                return place
        note = self._failed_note(path)
        if note is not None:
            raise VoiceError(note)
        if not render:
            return None
        if len(text) > MAX_RENDER_CHARS or estimate_seconds(text) > MAX_LINE_SECONDS:
            raise VoiceError(f"a line of {len(text)} characters is too long to speak")
        samples, rate = engine.render(text)
        data = wav_bytes(finish(samples, rate), rate)
        self.rendered += 1
        return self._store(path, data)

    def _store(self, path: Path, data: bytes) -> Path:
        """Write a clip to the cache, or, where the cache cannot be written, to a private
        temporary folder kept until calmcoach closes."""
        if self._private is None:
            try:
                write_atomic(path, data)
                return path
            except OSError as error:
                self._cache_problem = error.strerror or str(error)
                self._private = Path(tempfile.mkdtemp(prefix="calmcoach-voice-"))  # mode 0700
                atexit.register(shutil.rmtree, self._private, True)
        target = self._private / path.name
        write_atomic(target, data)
        return target

    def _failed_note(self, path: Path) -> str | None:
        """Why the engine could not say this line on an earlier run, if it could not."""
        try:
            return (
                read_limited(path.with_suffix(".failed"), MAX_FAILED_NOTE).decode("utf-8", "replace").strip()
            )
        except OSError:  # RefusedFile (a FIFO, a folder) is an OSError too
            return None

    def _remember_failure(self, engine: Engine, text: str, why: str) -> None:
        """Keep why a line failed, here and in the cache, so it is not tried on every run
        (a new engine version or voice is another cache name, and tries again)."""
        note = self._cached(engine, text).with_suffix(".failed")
        if self._private is None:
            with contextlib.suppress(OSError):
                write_atomic(note, why.encode("utf-8"))
        with self._changed:
            self._failed[text] = why
            self._changed.notify_all()

    def _notice(
        self,
        plan: VoicePlan,
        own: list[str],
        engine: Engine | None,
        looked: bool,
        render: bool,
        failed: dict[str, str],
    ) -> str | None:
        said = []
        if self._cache_problem is not None and not self._cache_told:
            self._cache_told = True
            said.append(
                f"Voice: the cache folder {visible(str(self.cache_dir))} cannot be written "
                f"({visible(self._cache_problem)}), so the lines made now are kept only until "
                "calmcoach closes."
            )
        if plan.unspoken:
            lines = "line" if plan.unspoken == 1 else "lines"
            if own and looked and engine is None:
                said.append(
                    f"Voice: no speech program was found, so {plan.unspoken} {lines} of your own "
                    f"exercise use tones instead. To hear them, {ANY_ENGINE_HINT}."
                )
            elif failed:
                count = len(failed)
                which = "line" if count == 1 else "lines"
                said.append(
                    f"Voice: {engine.name if engine else 'the speech program'} could not say "
                    f"{count} {which} ({visible(next(iter(failed.values())))}); tones stand in for "
                    f"{'it' if count == 1 else 'them'}, and {'it is' if count == 1 else 'they are'} "
                    "not tried again."
                )
            elif render:
                said.append(
                    f"Voice: the speech program was not done in time, so {plan.unspoken} {lines} "
                    "use tones this time; they are made meanwhile for next time."
                )
        return " ".join(said) or None
