"""The real cue player: simpleaudio, in a player process of its own.

The app talks to it over a pipe and never waits for it: ``play`` writes one
line without blocking and returns. A reader thread watches the replies; if the
player reports a failure of the sound device or dies, this falls back to the
terminal bell, says so once, and the session goes on. A cue the player cannot
load or play is that cue's loss only: the bell stands in for it, said once.

A player that stops answering is killed and replaced by the bell, so neither a cue
nor the exit waits on it. Two threads notice it, and neither wakes on a fixed beat
while all is well: one waits for the kernel to say the player process was stopped
(SIGSTOP; at once, on Linux), the other sleeps until the moment the player's silence
would count: ``HUNG_AFTER`` after its last word (its heartbeat), or ``CUE_LATE_AFTER``
after the moment of a handed-over cue it has not said it started.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO

from calmcoach.audio import VOICE_PREFIX, GuideTone, guide_key, tone_key
from calmcoach.audio.wavs import CueFile, find_cues
from calmcoach.data import safefile
from calmcoach.domain.visible import visible

Bell = Callable[[], None]

READY_TIMEOUT = 10.0
"""Longest wait for the player to load a session's cues before going on without it."""
DRAIN_TIMEOUT = 3.0
"""Longest wait for the last cue (the end bell) to finish when closing."""
START_TIMEOUT = 5.0
"""Longest wait for the player's first word before it counts as not answering."""
HUNG_AFTER = 2.5
"""Seconds without a word from a started player (it says ``alive`` every second)
before it counts as not answering. A stopped player is noticed sooner, by the kernel's
word (see ``_watch_stop``); this bound is for one frozen without being stopped, and
for systems without ``os.waitid``."""
CUE_LATE_AFTER = 0.75
"""Seconds after a handed-over cue's moment by which the player must say it started (or
could not): one that keeps its heartbeat but cannot start a cue (stuck opening the
sound device, say) counts as not answering, and the bell rings for that cue."""
OVERSLEPT = 0.5
"""A watchdog that wakes this much later than it asked was itself stopped or starved:
the player's lines may be waiting unread, so the silence it finds proves nothing."""
EXIT_WAIT = 1.0
"""Longest wait for the player to end by itself at close, before it is killed."""


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
        on_notice: Callable[[], None] | None = None,
    ) -> None:
        """``on_notice`` is called, from a thread of this player, when there is something
        to tell (``take_notice``) or a bell to ring; it must only schedule that work."""
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
        """Set while nothing sent to the player is waiting to be loaded."""
        self._ready.set()
        self._drained = threading.Event()
        self._closing = False
        self._owed_bells = 0
        self._on_notice = on_notice
        self._heard: float | None = None
        """Monotonic time of the player's last line, None before its first."""
        self.hung_at: float | None = None
        """When the watchdog found the player not answering (monotonic), if it did."""
        self._stop_watch = threading.Event()
        self._rewatch = threading.Event()
        """Set to have the watchdog look again now (a cue handed over, the end)."""
        self._awaited: tuple[str, float, float] | None = None
        """(key, moment, answer due by) of the handed-over cue the player has not yet
        said it started."""
        self._stdin_fd = -1
        self._log = None
        if log_file is not None:
            try:
                safefile.private_folder(log_file.parent)
                self._log = safefile.open_for_append(log_file)  # private; never a FIFO
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
        assert self._process.stdin is not None
        self._stdin_fd = self._process.stdin.fileno()
        # Writes never block: a player that stops reading fills the pipe, and then it
        # counts as not answering instead of freezing the caller.
        os.set_blocking(self._stdin_fd, False)
        self._started = time.monotonic()
        self._reader = threading.Thread(target=self._read, name="cue-player-reader", daemon=True)
        self._reader.start()
        self._watchdog = threading.Thread(target=self._watch, name="cue-player-watchdog", daemon=True)
        self._watchdog.start()
        if hasattr(os, "waitid"):
            self._stop_watcher = threading.Thread(
                target=self._watch_stop, name="cue-player-stop-watcher", daemon=True
            )
            self._stop_watcher.start()
        atexit.register(self.close)

    @property
    def pid(self) -> int | None:
        """The player process's id (None if it never started)."""
        return self._process.pid if self._process else None

    # --- notices -------------------------------------------------------------------

    def _notice(self, text: str) -> None:
        with self._lock:
            if text in self._said:
                return
            self._said.add(text)
            self._notices.append(text)
        self._tell()

    def _tell(self) -> None:
        if self._on_notice is not None:
            try:
                self._on_notice()
            except Exception as error:  # a shell that is closing; the notice waits for take_notice
                self._log_line(f"on_notice failed: {error!r}")

    def _log_line(self, text: str) -> None:
        if self._log is not None:
            with contextlib.suppress(OSError, ValueError):
                self._log.write(f"calmcoach: {text}\n".encode())
                self._log.flush()

    def _owe_bell(self) -> None:
        """A cue handed to the player did not play: ring for it from the caller's thread
        (a UI must never be touched from the player's threads)."""
        with self._lock:
            self._owed_bells += 1
        self._tell()

    def _pay_bell(self) -> None:
        with self._lock:
            owed, self._owed_bells = self._owed_bells, 0
        if owed and not self.muted:
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
        with self._lock:
            first = self._failed is None
            if first:
                self._failed = reason
        if first:
            self._notice(f"sound off: {visible(reason)}. Using the terminal bell")
        self._ready.set()
        self._drained.set()

    # --- the pipe ----------------------------------------------------------------------

    def _send(self, *words: str) -> bool:
        """Write one command line without blocking; False (and the bell from now on) if
        the player is gone or has not read its pipe for so long that it is full."""
        if self._process is None or self._failed is not None or self._closing:
            return False
        line = ("\t".join(words) + "\n").encode()
        try:
            while line:
                line = line[os.write(self._stdin_fd, line) :]
        except BlockingIOError:
            self._give_up("the player stopped answering")
            return False
        except (OSError, ValueError):
            self._fail(self._death_reason())
            return False
        return True

    def _give_up(self, reason: str) -> None:
        """The player no longer answers: fall back to the bell and kill it, so no cue
        or exit waits on it (a stopped process dies of SIGKILL too)."""
        if self._failed is None:
            self.hung_at = time.monotonic()
        self._fail(reason)
        process = self._process
        if process is not None:
            with contextlib.suppress(OSError):
                process.kill()

    def _watch(self) -> None:
        """Fall back to the bell when the player goes quiet (see HUNG_AFTER and CUE_LATE_AFTER).

        Sleeps until the moment a silence would count, then looks again: about one
        wake-up per heartbeat and one per handed-over cue, none in between."""
        while not (self._stop_watch.is_set() or self._failed is not None or self._closing):
            with self._lock:
                heard, awaited = self._heard, self._awaited
            due = self._started + START_TIMEOUT if heard is None else heard + HUNG_AFTER
            if awaited is not None:
                due = min(due, awaited[2])
            now = time.monotonic()
            if now < due:
                self._rewatch.wait(due - now)
                self._rewatch.clear()
                woke = time.monotonic()
                if woke - due > OVERSLEPT:
                    # This process itself was stopped or starved (Ctrl+Z, a busy machine):
                    # the player's lines are waiting unread, so this silence proves nothing.
                    with self._lock:
                        if self._heard is not None:
                            self._heard = woke
                        if self._awaited is not None:
                            self._awaited = (*self._awaited[:2], woke + CUE_LATE_AFTER)
                continue
            if self._failed is not None or self._closing:
                return
            if awaited is not None and now >= awaited[2]:
                self._give_up(f"the player stopped answering (cue '{visible(awaited[0])}' did not start)")
                self._owe_bell()  # for the cue that did not play
            elif heard is None:
                self._give_up("the player did not start")
            else:
                self._give_up("the player stopped answering")
            return

    def _watch_stop(self) -> None:
        """Give up on the player the moment its process is stopped (SIGSTOP).

        The kernel tells a parent when its child stops, so this thread sleeps in
        ``waitid`` until the player stops or ends and costs nothing meanwhile. ``WNOWAIT``
        leaves an ended player for ``subprocess`` to collect; its end is the reader's to tell."""
        process = self._process
        assert process is not None
        try:
            result = os.waitid(os.P_PID, process.pid, os.WSTOPPED | os.WEXITED | os.WNOWAIT)
        except ChildProcessError:
            return  # already collected by subprocess: it ended, and the reader says so
        if result is None or result.si_code != os.CLD_STOPPED:
            return
        if not self._closing:
            self._give_up("the player stopped answering (its process was stopped)")

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
            with self._lock:
                self._heard = time.monotonic()
            words = line.rstrip("\n").split("\t")
            kind = words[0]
            if kind == "alive":
                continue
            if kind in ("played", "lost", "held", "dropped") and len(words) >= 2:
                self._answered(words[1], words[2] if kind == "played" and len(words) == 3 else None)
            if kind == "loaded":
                self._loaded.add(words[1])
            elif kind == "ready":
                self._ready.set()
            elif kind == "drained":
                self._drained.set()
            elif kind == "bad" and len(words) >= 3:
                self._bad[words[1]] = words[2]
                self._say_bad(words[1], words[2])
            elif kind == "lost" and len(words) >= 3:
                # Loaded, but it did not play: the bell for it now, and for it from now on.
                self._bad[words[1]] = words[2]
                self._say_bad(words[1], words[2])
                self._owe_bell()
            elif kind == "fail":
                self._fail(" ".join(words[1:]) or "the player failed")
                self._owe_bell()  # for the cue that found the device gone
        self._stop_watch.set()
        self._rewatch.set()
        if not self._closing:
            self._fail(self._death_reason())

    def _answered(self, key: str, called: str | None) -> None:
        """The player said it started ``key`` (at monotonic ``called``) or could not."""
        with self._lock:
            awaited = self._awaited
            if awaited is None or key != awaited[0]:
                return
            # A "played" from before the awaited moment is an earlier cue of the same
            # name (one due when the next was handed over), not this one.
            if called is not None and float(called) < awaited[1]:
                return
            self._awaited = None

    def _say_bad(self, key: str, why: str) -> None:
        cue, tone = key.split("~", 1) if "~" in key else (key, "")
        if key.startswith(VOICE_PREFIX):
            what = f"the spoken line {visible(key.removeprefix(VOICE_PREFIX))!r}"
        elif not tone:
            what = f"cue '{visible(cue)}'"
        elif cue:
            what = f"the eyes-closed tone under cue '{visible(cue)}'"
        else:
            what = "an eyes-closed guide tone"
        self._notice(f"{what} cannot be played ({visible(why)}); the bell stands in")

    # --- CuePlayer ---------------------------------------------------------------------

    def prepare(
        self, names: Iterable[str], tones: Iterable[GuideTone] = (), voices: Mapping[str, Path] | None = None
    ) -> None:
        """Have the player load these cues (and eyes-closed tones, laid under their cues,
        and spoken lines by key and file), without waiting: :meth:`wait_ready` says when
        it is done. What the player already holds is not sent again, so a session run
        again is ready at once."""
        wanted = sorted(set(names))
        found, errors = find_cues(wanted, self.sound_dirs)
        for name, why in errors.items():
            self._bad[name] = why
            self._notice(f"cue '{visible(name)}' {why}; the bell stands in")
        sent = False
        cue: CueFile
        for name, cue in found.items():
            if name not in self._loaded:
                sent = self._send("load", name, str(cue.path)) or sent
        for key, path in sorted((voices or {}).items()):
            if key not in self._loaded:
                sent = self._send("load", key, str(path)) or sent
        for cue_name, pace, seconds in sorted(set(tones)):
            tone = tone_key(pace, seconds)
            if tone not in self._loaded:
                sent = self._send("tone", tone, pace, repr(seconds)) or sent
            key = guide_key(cue_name, pace, seconds)
            if cue_name and cue_name in found and key not in self._loaded:
                sent = self._send("mix", key, cue_name, tone) or sent
        if not sent:
            return
        self._ready.clear()
        if not self._send("ready?"):
            self._ready.set()

    def wait_ready(self, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds for what :meth:`prepare` sent to be loaded
        (or for the player to be given up on); True when there is nothing left to wait for."""
        return self._ready.wait(timeout)

    def play(self, name: str) -> None:
        """Start cue ``name`` now; the bell if it or the player cannot."""
        self._pay_bell()
        if self.muted:
            return
        if not self._playable(name):
            self._bell()
            return
        if not self._send("play", name):
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
        # Awaited from before the line goes out, so an answer that comes at once (a cue
        # already due) is not missed. Only once every sound is loaded: before that the
        # player works through its loads in order, and a cue waits behind them.
        awaits = self._ready.is_set()
        if awaits:
            with self._lock:
                self._awaited = (name, at, max(at, time.monotonic()) + CUE_LATE_AFTER)
        if not self._send("at", name, repr(at)):
            if awaits:
                with self._lock:
                    self._awaited = None
            return False
        self._rewatch.set()
        return True

    def cancel_scheduled(self) -> None:
        """Drop the cue handed over with ``schedule``, if it has not started."""
        with self._lock:
            self._awaited = None
        self._send("cancel")

    def hush(self) -> None:
        """Stop every sound playing now (a sentence cut off by a pause, say)."""
        self._send("hush")

    def close(self, drain: bool = False) -> None:
        """Stop the player; with ``drain``, let the sound playing now finish first.

        Never waits long on the player: a drain ends when the watchdog finds it not
        answering, and a player that does not end EXIT_WAIT after its input closes is killed.
        """
        process = self._process
        if process is None or self._closing:
            return
        if drain and self._failed is None:
            self._drained.clear()
            if self._send("drain", repr(DRAIN_TIMEOUT)):
                self._drained.wait(DRAIN_TIMEOUT + 1)
        self._closing = True
        self._stop_watch.set()
        self._rewatch.set()
        with contextlib.suppress(OSError):
            if process.stdin:
                process.stdin.close()
        try:
            process.wait(timeout=EXIT_WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=2)
        if self._log is not None:
            self._log.close()
            self._log = None
        atexit.unregister(self.close)
