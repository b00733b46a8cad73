"""The audio player process: ``python -m calmcoach.audio.worker``.

simpleaudio is kept out of the app's own process: its ALSA layer writes errors
straight to file descriptor 2 (which would garble the screen), and on some
platforms it can crash the process after playback. Here it can do neither harm:
this process's stderr goes to a log file, and if it dies the app carries on
with the bell.

Protocol, one line each way, words separated by tabs:

    parent -> worker                          worker -> parent
    load NAME PATH                            hello
    tone KEY PACE SECONDS                     loaded NAME | bad NAME REASON
    mix KEY CUE TONE                          ready
    ready?                                    played KEY MONOTONIC
    play KEY                                  lost KEY REASON
    at KEY MONOTONIC                          held KEY MONOTONIC | dropped KEY
    cancel                                    fail REASON
    hush                                      drained
    drain SECONDS                             alive
    quit

``at`` hands over the next cue ahead of time: a thread here starts it when the
monotonic clock (shared by every process on the machine) reaches MONOTONIC, so a
cue does not wait for the app's event loop. A later ``at`` replaces it and
``cancel`` drops it. It exits when its stdin closes, so it never outlives the app.

``hush`` stops every sound playing now (a sentence cut off by a pause). Spoken lines
(keys starting ``voice:``) never overlap another sound, so only one stream is ever open
on a device that cannot mix, and a line is never cut by the next boundary: while one
is spoken, the next line (or the end bell) waits until it ends (``held``, then
``played`` when it starts), and a pacing cue or tone due meanwhile is left out
(``dropped``: a late tone would mislead the breath more than a missing one). Only one
line waits: a later one takes its place, and the one that waited is ``dropped`` (its
step has passed; lines queued behind a long one would fall ever further behind the
screen, as late as a late tone). Only ``hush`` (pause, skip, stop, mute, voice off)
cuts a line short.

A cue that cannot be loaded (``bad``) or played (``lost``) is that cue's problem
only; ``fail`` is kept for the sound device itself, which no cue can play without.
``alive`` is a heartbeat sent every ``HEARTBEAT`` seconds from a thread of its own,
so the app can tell a frozen player from a quiet one. It is rare on purpose: a quiet
player wakes for nothing else (its command loop blocks on the pipe, its scheduler
thread sleeps until the one cue it holds is due, or until told), and the app hears of a
stopped player (SIGSTOP) from the kernel at once, without waiting for a missed beat.
"""

from __future__ import annotations

import array
import contextlib
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from calmcoach.audio import END_CUE, QUIET_PREFIX, VOICE_PREFIX, softer
from calmcoach.audio.wavs import CueError, load_wav

HEARTBEAT = 1.0
"""Seconds between two ``alive`` lines (the app's ``HUNG_AFTER`` allows for two missed)."""

_said = threading.Lock()


def _word(value: object) -> str:
    """One word of the protocol: no tab or line break inside it."""
    return " ".join(str(value).replace("\t", " ").splitlines())


def _say(out: TextIO, *words: object) -> None:
    with _said:
        out.write("\t".join(_word(w) for w in words) + "\n")
        out.flush()


def _heartbeat(out: TextIO, stop: threading.Event) -> None:
    """Say ``alive`` every HEARTBEAT seconds until ``stop`` is set or the app is gone."""
    while not stop.wait(HEARTBEAT):
        try:
            _say(out, "alive")
        except (OSError, ValueError):
            return


class _Sound:
    def __init__(self, data: bytes, channels: int, width: int, rate: int) -> None:
        self.data = data
        self.channels = channels
        self.width = width
        self.rate = rate

    @property
    def seconds(self) -> float:
        return len(self.data) / (self.channels * self.width * self.rate)


def _read(path: str) -> _Sound:
    """Read a cue with the app's own checks (a file changed since is caught here)."""
    cue, pcm = load_wav(Path(path))
    return _Sound(pcm, cue.channels, cue.width, cue.rate)


def _mono16(sound: _Sound) -> array.array[int]:
    """A cue as 16-bit mono samples at its own rate (for mixing with a tone)."""
    if sound.width == 2:
        samples = array.array("h", sound.data)
    else:
        samples = array.array("h", ((b - 128) << 8 for b in sound.data))
    if sound.channels == 2:
        samples = array.array(
            "h", ((samples[i] + samples[i + 1]) // 2 for i in range(0, len(samples) - 1, 2))
        )
    return samples


def _mix(a: array.array[int], b: array.array[int]) -> array.array[int]:
    length = max(len(a), len(b))
    out = array.array("h", bytes(2 * length))
    for i in range(length):
        value = (a[i] if i < len(a) else 0) + (b[i] if i < len(b) else 0)
        out[i] = max(-32767, min(32767, value))
    return out


def _device_failed(error: Exception) -> bool:
    """True when the sound device could not be opened at all (no cue can play)."""
    return "PCM device" in str(error)


def _plain_reason(error: Exception) -> str:
    """simpleaudio's error in plain words, e.g. for a missing or broken sound device."""
    text = " ".join(str(error).split())
    if "PCM device" in text or "CODE:" in text:
        detail = text.split("MSG:", 1)[-1].strip() if "MSG:" in text else text
        return f"the sound device could not be opened ({detail})"
    return f"{type(error).__name__}: {text}"


class Scheduler:
    """Starts one cue at a set moment of the monotonic clock, on a thread of its own."""

    def __init__(self, play: Callable[[str], None]) -> None:
        self._play = play
        self._changed = threading.Condition()
        self._pending: tuple[str, float] | None = None
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="cue-scheduler", daemon=True)
        self._thread.start()

    def set(self, key: str, at: float) -> None:
        """Play ``key`` at monotonic time ``at`` (at once if that has passed), replacing any
        other that is still to come. One whose moment has passed but whose thread has not
        run yet (a busy machine) is played first, never dropped: the app hands over the
        next boundary's sound as soon as it sees a boundary pass, which can be before
        this thread wakes."""
        with self._changed:
            if self._pending is not None and self._pending[1] <= time.monotonic():
                due, self._pending = self._pending[0], None
                self._play(due)
            self._pending = (key, at)
            self._changed.notify()

    def cancel(self) -> None:
        """Drop the cue waiting to be played, if any."""
        self.withdraw()

    def withdraw(self) -> str | None:
        """Drop the cue waiting to be played, and say which it was (None if none). One being
        started this instant is started first: it is then not waiting."""
        with self._changed:
            key = self._pending[0] if self._pending is not None else None
            self._pending = None
            self._changed.notify()
            return key

    @property
    def waiting(self) -> bool:
        """True while a cue is set and has not been played or dropped."""
        with self._changed:
            return self._pending is not None

    def take_due(self) -> str | None:
        """The waiting cue if its moment has come (it is then the caller's to play)."""
        with self._changed:
            if self._pending is not None and self._pending[1] <= time.monotonic():
                key, self._pending = self._pending[0], None
                return key
            return None

    def stop(self) -> None:
        """End the thread (a waiting cue is dropped)."""
        with self._changed:
            self._stopped = True
            self._pending = None
            self._changed.notify()
        self._thread.join(timeout=1)

    def _run(self) -> None:
        # The cue is played with the lock held, so ``take_due`` and ``stop`` never
        # miss one that is being started this instant.
        with self._changed:
            while not self._stopped:
                if self._pending is None:
                    self._changed.wait()
                    continue
                key, at = self._pending
                delay = at - time.monotonic()
                if delay > 0:
                    self._changed.wait(delay)
                    continue
                self._pending = None
                self._play(key)


def serve(stdin: TextIO, out: TextIO, player: Any) -> int:
    """Answer commands until quit or end of input. ``player`` is the simpleaudio module."""
    from calmcoach.audio import synth as tones

    sounds: dict[str, _Sound] = {}
    playing: list[tuple[str, Any]] = []
    device = threading.Lock()
    spoken_until = 0.0
    """Monotonic time the spoken line playing now ends (its samples' length from its start)."""

    def hush(only_voice: bool = False) -> None:
        nonlocal playing, spoken_until
        kept = []
        for key, played in playing:
            if only_voice and not key.startswith(VOICE_PREFIX):
                kept.append((key, played))
            else:
                with contextlib.suppress(Exception):  # it may have ended this instant
                    played.stop()
        playing = kept
        if not only_voice:
            spoken_until = 0.0

    def play(key: str) -> None:
        """Start ``key`` now, or, while a spoken line still plays, hold it until the line
        ends (a line or the end bell, in place of one held before) or leave it out (a
        pacing cue or tone)."""
        sound = sounds.get(key)
        if sound is None:
            _say(out, "lost", key, "not loaded")
            return
        line = key.startswith(VOICE_PREFIX) or key == END_CUE
        if line:
            # Taken before the line's end is read: a waiting line started meanwhile has
            # moved that end, and this one then waits for it instead.
            waited = after_line.withdraw()
            if waited is not None:
                _say(out, "dropped", waited)
        with device:
            until = spoken_until
        if time.monotonic() >= until:
            start(key)
        elif line:
            # Set outside the device lock: the holding thread takes that lock to start it.
            after_line.set(key, until)
            _say(out, "held", key, repr(until))
        else:
            _say(out, "dropped", key)

    def start(key: str) -> None:
        nonlocal playing, spoken_until
        sound = sounds.get(key)
        if sound is None:
            _say(out, "lost", key, "not loaded")
            return
        with device:
            hush(only_voice=not key.startswith(VOICE_PREFIX))
            called = time.monotonic()  # the moment of the play call, for the benchmarks
            try:
                playing.append((key, player.play_buffer(sound.data, sound.channels, sound.width, sound.rate)))
            except Exception as error:
                # A device that cannot be opened stops every cue; anything else
                # (a buffer this device refuses, say) stops only this one.
                if _device_failed(error):
                    _say(out, "fail", _plain_reason(error))
                else:
                    _say(out, "lost", key, _plain_reason(error))
                return
            if key.startswith(VOICE_PREFIX):
                spoken_until = called + sound.seconds
            playing = [(k, p) for k, p in playing if p.is_playing()]
        _say(out, "played", key, repr(called))

    after_line = Scheduler(start)
    """Starts the line (or end bell) held back until the line before it has ended."""
    scheduler = Scheduler(play)
    stop_heartbeat = threading.Event()
    threading.Thread(target=_heartbeat, args=(out, stop_heartbeat), name="heartbeat", daemon=True).start()
    _say(out, "hello")
    for line in stdin:
        words = line.rstrip("\n").split("\t")
        command = words[0]
        try:
            if command == "load":
                sound = _read(words[2])
                if words[1].startswith(QUIET_PREFIX):  # a reminder: softer than the lines
                    sound.data = softer(sound.data, sound.width)
                sounds[words[1]] = sound
                _say(out, "loaded", words[1])
            elif command == "tone":
                key, pace, seconds = words[1], words[2], float(words[3])
                if pace == "hold":
                    samples = tones.steady_tone(seconds)
                else:
                    samples = tones.guide_tone(seconds, rising=pace == "inhale")
                sounds[key] = _Sound(samples.tobytes(), 1, 2, tones.RATE)
                _say(out, "loaded", key)
            elif command == "mix":
                key, cue, tone = words[1], sounds[words[2]], sounds[words[3]]
                if cue.rate == tone.rate:
                    mixed = _mix(_mono16(cue), _mono16(tone))
                    sounds[key] = _Sound(mixed.tobytes(), 1, 2, tone.rate)
                else:
                    sounds[key] = tone
                _say(out, "loaded", key)
            elif command == "ready?":
                _say(out, "ready")
            elif command == "play":
                play(words[1])
            elif command == "at":
                scheduler.set(words[1], float(words[2]))
            elif command == "cancel":
                scheduler.cancel()
            elif command == "hush":
                after_line.cancel()
                with device:
                    hush()
            elif command == "drain":
                due = scheduler.take_due()  # a cue due this instant is not lost to the exit
                if due is not None:
                    play(due)
                limit = time.monotonic() + float(words[1])
                while time.monotonic() < limit and (
                    after_line.waiting or any(p.is_playing() for _, p in list(playing))
                ):
                    time.sleep(0.01)
                _say(out, "drained")
            elif command == "quit":
                break
        except CueError as error:
            _say(out, "bad", words[1], f"{Path(words[2]).name} {error}")
        except Exception as error:
            # Whatever goes wrong with one command is a problem of the sound it names.
            if len(words) > 1:
                _say(out, "bad", words[1], f"{type(error).__name__}: {error}")
            else:
                _say(out, "fail", _plain_reason(error))
    stop_heartbeat.set()
    scheduler.stop()
    after_line.stop()
    with contextlib.suppress(Exception):
        player.stop_all()
    return 0


def main() -> int:
    """Run the player on stdin/stdout."""
    try:
        import simpleaudio
    except Exception as error:
        _say(sys.stdout, "fail", f"simpleaudio is not installed ({error})")
        return 3
    return serve(sys.stdin, sys.stdout, simpleaudio)


if __name__ == "__main__":
    raise SystemExit(main())
