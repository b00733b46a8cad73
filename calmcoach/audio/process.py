"""The real cue player: simpleaudio, in a player process of its own.

The app talks to it over a pipe and never waits for it: ``play`` writes one
line and returns. A reader thread watches the replies; if the player reports
a failure (no device, say) or dies, this falls back to the terminal bell, says
so once, and the session goes on.
"""

from __future__ import annotations

import atexit
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from calmcoach.audio import GuideTone, guide_key, tone_key
from calmcoach.audio.wavs import CueFile, find_cues

Bell = Callable[[], None]

READY_TIMEOUT = 10.0
"""Longest wait for the player to load a session's cues before going on without it."""
DRAIN_TIMEOUT = 3.0
"""Longest wait for the last cue (the end bell) to finish when closing."""


class ProcessPlayer:
    """Plays cues through simpleaudio in a separate process; bell on any failure."""

    def __init__(
        self,
        sound_dirs: tuple[Path, ...],
        *,
        bell: Bell,
        log_file: Path | None = None,
        command: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.muted = False
        self.clock: Callable[[], float] | None = time.monotonic
        """The clock ``schedule`` takes times on: the monotonic clock, shared with the player."""
        self.sound_dirs = sound_dirs
        self._bell = bell
        self._lock = threading.Lock()
        self._notices: list[str] = []
        self._said: set[str] = set()
        self._failed: str | None = None
        self._bad: dict[str, str] = {}
        self._loaded: set[str] = set()
        self._ready = threading.Event()
        self._drained = threading.Event()
        self.played: list[tuple[str, float]] = []
        """(key, monotonic time of the play call in the player) as reported back."""
        self.sent: list[tuple[str, float]] = []
        """(key, monotonic time the play line was written, or the time set by ``schedule``)."""
        self._closing = False
        self._owed_bell = False
        self._log = None
        if log_file is not None:
            try:
                log_file.parent.mkdir(parents=True, exist_ok=True)
                self._log = open(log_file, "ab")  # noqa: SIM115 - lives as long as the player
            except OSError:
                self._log = None
        self._process: subprocess.Popen[str] | None
        try:
            self._process = subprocess.Popen(
                command or [sys.executable, "-m", "calmcoach.audio.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._log or subprocess.DEVNULL,
                text=True,
                bufsize=1,
                env=env,
                start_new_session=True,  # Ctrl+C in the terminal is the app's to handle
            )
        except OSError as error:
            self._process = None
            self._fail(f"the player could not start ({error})")
            return
        self._reader = threading.Thread(target=self._read, name="cue-player-reader", daemon=True)
        self._reader.start()
        atexit.register(self.close)

    @property
    def pid(self) -> int | None:
        """The player process's id (None if it never started)."""
        return self._process.pid if self._process else None

    @property
    def working(self) -> bool:
        """True while cues go to the player; False once it fell back to the bell."""
        return self._failed is None

    # --- notices -------------------------------------------------------------------

    def _notice(self, text: str) -> None:
        with self._lock:
            if text not in self._said:
                self._said.add(text)
                self._notices.append(text)

    def _pay_bell(self) -> None:
        if self._owed_bell:
            self._owed_bell = False
            if not self.muted:
                self._bell()

    def take_notice(self) -> str | None:
        """Everything to tell the person about sound since the last call, once each."""
        self._pay_bell()
        with self._lock:
            if not self._notices:
                return None
            text = "; ".join(self._notices)
            self._notices.clear()
            return text

    def _fail(self, reason: str) -> None:
        if self._failed is None:
            self._failed = reason
            self._notice(f"sound off: {reason}. Using the terminal bell")
        self._ready.set()
        self._drained.set()

    # --- the pipe ----------------------------------------------------------------------

    def _send(self, *words: str) -> bool:
        process = self._process
        if process is None or process.stdin is None or self._failed is not None:
            return False
        try:
            process.stdin.write("\t".join(words) + "\n")
            process.stdin.flush()
        except (OSError, ValueError):
            self._fail(self._death_reason())
            return False
        return True

    def _death_reason(self) -> str:
        process = self._process
        code = process.poll() if process else None
        if code is None and process is not None:
            try:
                code = process.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                code = None
        if code is not None and code < 0:
            return f"the player stopped (signal {-code})"
        return f"the player stopped (exit code {code})" if code is not None else "the player stopped"

    def _read(self) -> None:
        process = self._process
        assert process is not None and process.stdout is not None
        stream: IO[str] = process.stdout
        for line in stream:
            words = line.rstrip("\n").split("\t")
            kind = words[0]
            if kind == "loaded":
                self._loaded.add(words[1])
            elif kind == "ready":
                self._ready.set()
            elif kind == "played" and len(words) == 3:
                self.played.append((words[1], float(words[2])))
            elif kind == "drained":
                self._drained.set()
            elif kind == "bad" and len(words) >= 3:
                self._bad[words[1]] = words[2]
                if not words[1].startswith("~"):
                    self._notice(f"cue '{words[1]}' cannot be played ({words[2]}); the bell stands in")
            elif kind == "fail":
                self._fail(" ".join(words[1:]) or "the player failed")
                # The cue that failed is owed a bell, rung from the caller's thread
                # (a UI must never be touched from this reader thread).
                self._owed_bell = True
        if not self._closing:
            self._fail(self._death_reason())

    # --- CuePlayer ---------------------------------------------------------------------

    def prepare(self, names: Iterable[str], tones: Iterable[GuideTone] = ()) -> None:
        """Load these cues (and eyes-closed tones, laid under their cues) and wait until ready."""
        wanted = sorted(set(names))
        found, errors = find_cues(wanted, self.sound_dirs)
        for name, why in errors.items():
            self._bad[name] = why
            self._notice(f"cue '{name}' {why}; the bell stands in")
        cue: CueFile
        for name, cue in found.items():
            if name not in self._loaded:
                self._send("load", name, str(cue.path))
        for cue_name, pace, seconds in sorted(set(tones)):
            tone = tone_key(pace, seconds)
            self._send("tone", tone, pace, repr(seconds))
            if cue_name and cue_name in found:
                self._send("mix", guide_key(cue_name, pace, seconds), cue_name, tone)
        self._ready.clear()
        if self._send("ready?"):
            self._ready.wait(READY_TIMEOUT)

    def play(self, name: str) -> None:
        """Start cue ``name`` now; the bell if it or the player cannot."""
        self._pay_bell()
        if self.muted:
            return
        if not self._playable(name):
            self._bell()
            return
        sent_at = time.monotonic()
        if self._send("play", name):
            self.sent.append((name, sent_at))
        else:
            self._bell()

    def _playable(self, name: str) -> bool:
        return (
            self._failed is None
            and name not in self._bad
            and name.split("~", 1)[0] not in self._bad  # a guide tone laid under a broken cue
        )

    def schedule(self, name: str, at: float) -> bool:
        """Have the player start ``name`` by itself at monotonic time ``at``, replacing any
        cue set before. False when it cannot (muted, broken cue, bell fallback)."""
        self._pay_bell()
        if self.muted or not self._playable(name):
            return False
        if not self._send("at", name, repr(at)):
            return False
        self.sent.append((name, at))
        return True

    def cancel_scheduled(self) -> None:
        """Drop the cue handed over with ``schedule``, if it has not started."""
        self._send("cancel")

    def close(self, drain: bool = False) -> None:
        """Stop the player; with ``drain``, let the sound playing now finish first."""
        process = self._process
        if process is None or self._closing:
            return
        if drain and self._failed is None:
            self._drained.clear()
            if self._send("drain", repr(DRAIN_TIMEOUT)):
                self._drained.wait(DRAIN_TIMEOUT + 1)
        self._closing = True
        try:
            if process.stdin:
                process.stdin.close()
        except OSError:
            pass
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=2)
        if self._log is not None:
            self._log.close()
        atexit.unregister(self.close)
