"""Regenerate the cue sounds in this folder: ``python sounds/make_sounds.py``.

The sounds are synthesized by ``calmcoach.audio.synth`` (standard library only), so
anyone can see exactly how each one is made and change it.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from calmcoach.audio.synth import CUES, write_wav  # noqa: E402


def main() -> None:
    for name, make in CUES.items():
        path = HERE / f"{name}.wav"
        write_wav(path, make())
        print(f"wrote {path.name}")


if __name__ == "__main__":
    main()
