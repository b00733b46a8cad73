"""News from other threads (the cue player's, the history writer's) brought to the app's loop."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Callable


def from_threads(callback: Callable[[], object]) -> Callable[[], None] | None:
    """A function that other threads may call to have ``callback`` run soon on the running
    loop, in the context of the caller of this function (None with no loop running).

    Textual's widgets and timers read the app from a context variable; a callback that
    ``call_soon_threadsafe`` runs in a thread's own context has none, and a notice timer
    started there crashed the app when it fired (LookupError: active_app)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    context = contextvars.copy_context()

    def soon() -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed with the app
            loop.call_soon_threadsafe(callback, context=context.copy())

    return soon
