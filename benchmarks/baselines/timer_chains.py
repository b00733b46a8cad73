"""Baselines for boundary timing: pacers a person might write, showing each 4-2-6 phase
word on the terminal so the benchmark times them from the pty like every other program.

Usage: ``timer_chains.py sleep|timer|absolute SECONDS``.

- ``sleep``: an asyncio.sleep chain, each phase slept after the one before (relative);
- ``timer``: a Textual app chaining ``set_timer`` for each phase's length (relative);
- ``absolute``: a Textual app that arms ``set_timer`` for each boundary's absolute
  deadline (``deadline - now``): the careful Textual user, the fair baseline.
"""

from __future__ import annotations

import asyncio
import sys
import time

PHASES = (("INHALE", 4.0), ("HOLD", 2.0), ("EXHALE", 6.0))


def schedule(total: float) -> list[tuple[float, str]]:
    """(offset, word) of every phase that starts within ``total`` seconds."""
    out, at, i = [], 0.0, 0
    while at <= total:
        word, length = PHASES[i % 3]
        out.append((at, word))
        at += length
        i += 1
    return out


async def sleep_chain(total: float) -> None:
    previous = 0.0
    for offset, word in schedule(total):
        await asyncio.sleep(offset - previous)
        previous = offset
        sys.stdout.write(f"\r{word:<8}")
        sys.stdout.flush()


def textual_chain(total: float, absolute: bool) -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    phases = schedule(total)

    class ChainApp(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("", id="word")

        def on_mount(self) -> None:
            self.start = time.monotonic()
            self.index = 0
            self.show()

        def show(self) -> None:
            if self.index >= len(phases):
                self.exit()
                return
            self.query_one("#word", Static).update(phases[self.index][1])
            self.index += 1
            if self.index >= len(phases):
                self.set_timer(1.0, self.exit)
                return
            offset = phases[self.index][0]
            if absolute:
                self.set_timer(max(0.0, self.start + offset - time.monotonic()), self.show)
            else:
                self.set_timer(offset - phases[self.index - 1][0], self.show)

    ChainApp().run()


if __name__ == "__main__":
    kind, seconds = sys.argv[1], float(sys.argv[2])
    if kind == "sleep":
        asyncio.run(sleep_chain(seconds))
    else:
        textual_chain(seconds, absolute=kind == "absolute")
