"""Baselines for boundary timing: an asyncio.sleep chain and a Textual set_timer chain.

Each sleeps through 4-2-6 phases one after another, the way a naive pacer
would, and records how late each boundary lands against the ideal absolute
schedule. Usage: ``timer_chains.py sleep|timer SECONDS OUT.json``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

PHASES = (4.0, 2.0, 6.0)


def schedule(total: float) -> list[float]:
    offsets, at, i = [], 0.0, 0
    while at + PHASES[i % 3] <= total + 1e-9:
        at += PHASES[i % 3]
        offsets.append(at)
        i += 1
    return offsets


async def sleep_chain(total: float) -> list[float]:
    start = time.monotonic()
    late = []
    previous = 0.0
    for offset in schedule(total):
        await asyncio.sleep(offset - previous)
        previous = offset
        late.append(time.monotonic() - (start + offset))
    return late


def timer_chain(total: float) -> list[float]:
    from textual.app import App

    offsets = schedule(total)
    late: list[float] = []

    class ChainApp(App[None]):
        def on_mount(self) -> None:
            self.start = time.monotonic()
            self.index = 0
            self.previous = 0.0
            self.arm()

        def arm(self) -> None:
            if self.index >= len(offsets):
                self.exit()
                return
            offset = offsets[self.index]
            self.set_timer(offset - self.previous, self.fire)
            self.previous = offset

        def fire(self) -> None:
            late.append(time.monotonic() - (self.start + offsets[self.index]))
            self.index += 1
            self.arm()

    ChainApp().run()
    return late


if __name__ == "__main__":
    kind, seconds, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    result = asyncio.run(sleep_chain(seconds)) if kind == "sleep" else timer_chain(seconds)
    with open(out, "w") as handle:
        json.dump(result, handle)
