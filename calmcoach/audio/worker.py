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
    play KEY                                  fail REASON
    drain SECONDS                             drained
    quit

It exits when its stdin closes, so it never outlives the app.
"""

from __future__ import annotations

import array
import contextlib
import sys
import time
import wave
from typing import Any, TextIO


def _say(out: TextIO, *words: object) -> None:
    out.write("\t".join(str(w) for w in words) + "\n")
    out.flush()


class _Sound:
    def __init__(self, data: bytes, channels: int, width: int, rate: int) -> None:
        self.data = data
        self.channels = channels
        self.width = width
        self.rate = rate


def _read(path: str) -> _Sound:
    with wave.open(path, "rb") as wav:
        return _Sound(
            wav.readframes(wav.getnframes()), wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
        )


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


def _plain_reason(error: Exception) -> str:
    """simpleaudio's error in plain words, e.g. for a missing or broken sound device."""
    text = " ".join(str(error).split())
    if "PCM device" in text or "CODE:" in text:
        detail = text.split("MSG:", 1)[-1].strip() if "MSG:" in text else text
        return f"the sound device could not be opened ({detail})"
    return f"{type(error).__name__}: {text}"


def serve(stdin: TextIO, out: TextIO, player: Any) -> int:
    """Answer commands until quit or end of input. ``player`` is the simpleaudio module."""
    from calmcoach import tones

    sounds: dict[str, _Sound] = {}
    playing: list[Any] = []
    _say(out, "hello")
    for line in stdin:
        words = line.rstrip("\n").split("\t")
        command = words[0]
        try:
            if command == "load":
                sounds[words[1]] = _read(words[2])
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
                sound = sounds.get(words[1])
                if sound is None:
                    _say(out, "bad", words[1], "not loaded")
                    continue
                called = time.monotonic()  # the moment of the play call, for the benchmarks
                playing.append(player.play_buffer(sound.data, sound.channels, sound.width, sound.rate))
                _say(out, "played", words[1], repr(called))
                playing = [p for p in playing if p.is_playing()]
            elif command == "drain":
                limit = time.monotonic() + float(words[1])
                while any(p.is_playing() for p in playing) and time.monotonic() < limit:
                    time.sleep(0.01)
                _say(out, "drained")
            elif command == "quit":
                break
        except (OSError, EOFError, wave.Error, ValueError, IndexError, KeyError) as error:
            name = words[1] if len(words) > 1 else "?"
            _say(out, "bad", name, str(error) or type(error).__name__)
        except Exception as error:
            _say(out, "fail", _plain_reason(error))
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
