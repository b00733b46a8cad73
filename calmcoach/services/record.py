"""Glue between sessions and the history: the recorder.

The recorder never lets history trouble reach a session. Its writes go to a
background writer (a thread that owns its own connection), so neither the app's
thread nor the plain runner ever waits on SQLite: a lock held by another program
delays writes, in order, and loses none. Any other failure turns history off for
the rest of the run and is said once. What a lock kept from being written before
the exit is kept beside the history and written at the next start
(:mod:`calmcoach.data.history.pending`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from calmcoach.data.history import History, HistoryUnavailable, utcnow
from calmcoach.data.history.pending import SessionSnapshot, keep
from calmcoach.domain.planner import Timeline
from calmcoach.domain.session import Event, Session, State, StepStarted, practice_of

_log = logging.getLogger(__name__)

Notify = Callable[[str], None]
Write = Callable[[History], None]

WRITER_BUSY_TIMEOUT = 0.1
"""How long one attempt of the writer waits on another program's lock before it tries again."""
RETRY_PAUSE = 0.05
"""Pause between two attempts of a write that found the history locked."""
CLOSE_TIMEOUT = 3.0
"""How long closing waits for writes still queued before it says what was not saved."""
KEPT = "kept it to write the next time calmcoach starts"
OPEN_WAIT = 3.0
"""How long reading the history (the stats screen) waits for the writer to have opened it."""


class HistoryWriter:
    """Writes to the history from a thread of its own, in the order the writes were asked for.

    The thread opens the file (so even opening, with its quick check, never holds up
    the caller) and owns the connection. A write that finds the file locked by
    another program is tried again until it goes through, before any later write:
    a lock delays writes, it does not lose or reorder them. Any other failure turns
    history off, with one notice. Notices are kept for the caller's thread to take
    (:meth:`take_notices`); ``wake`` is called, from the writer's thread, when one
    is waiting. Nothing here blocks except :meth:`close`, and only for its timeout.
    """

    def __init__(
        self,
        path: Path,
        *,
        wake: Callable[[], object] | None = None,
    ) -> None:
        self.path = path
        self._wake = wake
        self._jobs: queue.SimpleQueue[tuple[object, Write] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._drained = threading.Condition(self._lock)
        self._waiting: deque[object] = deque()
        """What each write not yet done saves (in order), for the message at close."""
        self._notices: list[str] = []
        self._opened = threading.Event()
        self._abandoned = threading.Event()
        self.available: bool | None = None
        """True once the file is open, False once history is off, None before either."""
        self.locked_now = False
        """The last attempt found the history locked (the log says when it was met and when
        it went away, for a bug report about a session missing from the history)."""
        self._thread = threading.Thread(target=self._run, name="calmcoach-history-writer", daemon=True)
        self._thread.start()

    # --- the caller's side ---------------------------------------------------------

    def submit(self, what: object, write: Write) -> None:
        """Queue a write; ``what`` says what it saves, for :meth:`close` to give back."""
        with self._lock:
            if self.available is False or self._abandoned.is_set():
                return  # history is off (already said) or closed
            self._waiting.append(what)
        self._jobs.put((what, write))

    def take_notices(self) -> list[str]:
        """Notices from the writer not yet shown, oldest first (each is given once)."""
        with self._lock:
            notices, self._notices = self._notices, []
        return notices

    def wait_opened(self, timeout: float) -> bool:
        """Wait until the writer has opened the file or given up on it; False on timeout."""
        return self._opened.wait(timeout)

    def flush(self, timeout: float) -> bool:
        """Wait until every queued write is done; False if some are left after ``timeout``."""
        with self._drained:
            return self._drained.wait_for(lambda: not self._waiting, timeout)

    def close(self, timeout: float = CLOSE_TIMEOUT) -> list[object]:
        """Let queued writes finish for at most ``timeout`` seconds, then stop the writer.

        Returns what could not be saved, in order (empty when everything was)."""
        self._jobs.put(None)
        self.flush(timeout)
        with self._lock:
            self._abandoned.set()
            unsaved = list(self._waiting)
            self._waiting.clear()
        self._thread.join(min(timeout, RETRY_PAUSE * 4))
        return unsaved

    # --- the writer's thread -------------------------------------------------------------

    def _say(self, text: str) -> None:
        with self._lock:
            self._notices.append(text)
        if self._wake is not None:
            # A caller's loop that has closed raises: the notice waits for take_notices.
            with contextlib.suppress(RuntimeError):
                self._wake()

    def _done(self) -> None:
        with self._drained:
            if self._waiting:
                self._waiting.popleft()
            self._drained.notify_all()

    def _off(self, error: BaseException) -> None:
        with self._lock:
            self.available = False
        self._opened.set()
        self._say(str(error) if isinstance(error, HistoryUnavailable) else f"history is off: {error}")

    def _wait_for_lock(self) -> bool:
        """Note an attempt that found a lock and pause; False once closing gave up."""
        if not self.locked_now:
            _log.info("history: locked by another program; saving waits until it is free")
        self.locked_now = True
        return not self._abandoned.wait(RETRY_PAUSE)

    def _unlocked(self) -> None:
        """Note an attempt that went through."""
        if self.locked_now:
            _log.info("history: no longer locked; what waited is being saved")
        self.locked_now = False

    def _open(self) -> History | None:
        while True:
            try:
                opened = History.open(self.path, busy_timeout=WRITER_BUSY_TIMEOUT)
            except HistoryUnavailable as error:
                if error.kind == "busy" and self._wait_for_lock():
                    continue
                if error.kind != "busy":
                    self._off(error)
                return None
            except Exception as error:  # never let the writer die without a word
                self._off(error)
                return None
            self._unlocked()
            with self._lock:
                self.available = True
            self._opened.set()
            if opened.notice:
                self._say(opened.notice)
            return opened.history

    def _attempt(self, history: History, what: object, write: Write) -> History | None:
        """Do one write, trying again while the file is locked; the history, or None once off."""
        while not self._abandoned.is_set():
            try:
                write(history)
            except HistoryUnavailable as error:
                if error.kind == "busy":
                    self._wait_for_lock()
                    continue
                self._off(error)
                history.close()
                return None
            except Exception as error:  # a bug in one write: say it, keep the others
                self._say(f"history: could not save {what}: {error}")
            self._unlocked()
            break
        return history

    def _run(self) -> None:
        history = self._open()
        try:
            while not self._abandoned.is_set():
                job = self._jobs.get()
                if job is None or self._abandoned.is_set():
                    break
                if history is not None:
                    history = self._attempt(history, *job)
                self._done()
        finally:
            if history is not None:
                history.close()
            with self._drained:
                self._drained.notify_all()


class _Row:
    """A session's row in the history: its id, once the writer has inserted it, and what
    it holds once every write asked for so far is done (kept on the caller's thread)."""

    id: int | None = None
    latest: SessionSnapshot | None = None


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class _Part:
    """What one write saves: ``start``, ``progress``, ``end`` or ``rating`` of a session."""

    part: str
    title: str
    row: _Row | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f"the {self.part} of {self.title}"


def _unsaved(parts: list[object], *, kept: bool = False) -> str:
    """What was not saved, session by session, in a few words."""
    by_title: dict[str, set[str]] = {}
    for part in parts:
        if isinstance(part, _Part):
            by_title.setdefault(part.title, set()).add(part.part)
    words = []
    for title, kinds in by_title.items():
        if "start" in kinds:
            words.append(f"the session {title}")
        elif "end" in kinds and not kept:
            words.append(f"the end of {title} (it will read back as interrupted)")
        elif "end" in kinds:
            words.append(f"the end of {title}")
        elif "progress" in kinds:
            words.append(f"the last steps of {title}")
        else:
            words.append(f"the rating of {title}")
    return _words(words or [str(part) for part in parts])


class Recorder:
    """Writes one session at a time to the history: start, each boundary, end, ratings.

    Each call takes what it needs from the session at once and hands the write to a
    :class:`HistoryWriter`, so it returns without waiting on SQLite. ``path`` None
    records nothing (history off, or a preview). Notices (history off, a file moved
    aside) reach ``notify`` on the caller's thread: at the next call, or at once
    through :meth:`deliver` when ``wake`` (called from the writer's thread) asks for it.
    """

    def __init__(
        self,
        path: Path | None,
        notify: Notify,
        *,
        wake: Callable[[], object] | None = None,
        close_timeout: float = CLOSE_TIMEOUT,
    ) -> None:
        self.path = path
        self.notify = notify
        self.close_timeout = close_timeout
        self.writer = None if path is None else HistoryWriter(path, wake=wake)
        self._row: _Row | None = None
        """The row of the session being recorded, if any."""
        self._last_row: _Row | None = None
        """The most recently ended session's row (for the after rating)."""
        self._title = ""
        self._reader: History | None = None
        self._closed = False

    def deliver(self) -> None:
        """Pass the writer's notices to ``notify`` (on the caller's thread)."""
        if self.writer is not None:
            for text in self.writer.take_notices():
                self.notify(text)

    def _submit(self, what: _Part, write: Write) -> None:
        self.deliver()
        if self.writer is not None and not self._closed:
            self.writer.submit(what, write)

    def begin(self, timeline: Timeline, rating_before: int | None = None) -> None:
        """A session starts: write its row."""
        row = self._row = _Row()
        self._title = timeline.title
        started, pid = utcnow(), os.getpid()
        row.latest = SessionSnapshot(
            exercise_id=timeline.exercise_id,
            title=timeline.title,
            started_at=_stamp(started),
            updated_at=_stamp(started),
            status="running",
            planned_seconds=timeline.total,
            pid=pid,
            area=timeline.area,
            rating_before=rating_before,
            start_pace=timeline.start_pace,
        )

        def write(history: History) -> None:
            row.id = history.start_session(
                timeline.exercise_id,
                timeline.title,
                timeline.total,
                area=timeline.area,
                rating_before=rating_before,
                now=started,
                pid=pid,
                start_pace=timeline.start_pace,
            )

        self._submit(_Part("start", timeline.title, row), write)

    def observe(self, session: Session, events: list[Event]) -> None:
        """Observer for a running session: update at step boundaries, complete at the end."""
        row = self._row
        if row is None:
            self.deliver()
            return
        if session.state in (State.FINISHED, State.STOPPED):
            self.end(session)
            return
        started = [e for e in events if isinstance(e, StepStarted)]
        if not started:
            self.deliver()
            return
        last = started[-1]
        # The boundary just reached, exactly: what a killed process can honestly claim.
        # Time spent is read at that boundary's moment; skipping forward adds none.
        seconds = session.active_seconds(last.deadline)
        position = last.segment.start
        cycles, steps, moment = session.cycles_done, session.steps_done, utcnow()
        row.latest = _progressed(row.latest, seconds, position, cycles, steps, moment)

        def write(history: History) -> None:
            if row.id is not None:
                history.update_session(
                    row.id, seconds=seconds, position=position, cycles=cycles, steps=steps, now=moment
                )

        self._submit(_Part("progress", self._title, row), write)

    def end(self, session: Session) -> None:
        """Complete the row as finished or stopped."""
        row = self._row
        if row is None:
            return
        done = practice_of(session)  # the figures the summary and plain mode say, too
        status = "finished" if done.finished else "stopped"
        seconds, position, cycles, steps = done.seconds, done.position, done.cycles, done.steps
        moment = utcnow()
        latest = _progressed(row.latest, seconds, position, cycles, steps, moment)
        row.latest = None if latest is None else replace(latest, status=status, ended_at=_stamp(moment))

        def write(history: History) -> None:
            if row.id is not None:
                history.end_session(
                    row.id, status, seconds=seconds, position=position, cycles=cycles, steps=steps, now=moment
                )

        self._submit(_Part("end", self._title, row), write)
        self._last_row = row
        self._row = None

    def rate(self, *, after: int | None = None, before: int | None = None) -> None:
        """Store a rating on the current (or just ended) session."""
        for value in (after, before):
            if value is not None and not 0 <= value <= 10:
                raise ValueError("a rating is from 0 to 10")
        row = self._row or self._last_row
        if row is None:
            return
        if row.latest is not None:
            if after is not None:
                row.latest = replace(row.latest, rating_after=after)
            if before is not None:
                row.latest = replace(row.latest, rating_before=before)

        def write(history: History) -> None:
            if row.id is not None:
                history.rate_session(row.id, after=after, before=before)

        self._submit(_Part("rating", self._title, row), write)

    @property
    def history(self) -> History | None:
        """The history to read (and log flares to) on the caller's thread, or None when off.

        Opened on first use, once the writer has opened the file (waiting a few seconds
        at most for that)."""
        if self._reader is not None or self.writer is None or self._closed:
            return self._reader
        opened = self.writer.wait_opened(OPEN_WAIT)
        self.deliver()
        if not opened or not self.writer.available:
            return None
        try:
            # Kept sessions are the writer's to write: this runs on the caller's (UI) thread.
            self._reader = History.open(self.writer.path, check=False, write_pending=False).history
        except HistoryUnavailable as error:
            self.notify(str(error))
            return None
        return self._reader

    def close(self) -> str | None:
        """Save what is queued (waiting ``close_timeout`` seconds at most) and close.

        What could not be saved in that time is said once, and returned."""
        if self._closed:
            return None
        self._closed = True
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self.writer is None:
            return None
        locked = self.writer.locked_now
        unsaved = self.writer.close(self.close_timeout)
        locked = locked or self.writer.locked_now
        self.deliver()
        if not unsaved:
            return None
        why = "the history file stayed locked by another program" if locked else "writing took too long"
        kept = self._keep(unsaved)
        text = f"history: could not save {_unsaved(unsaved, kept=kept == KEPT)}: {why}"
        if kept:
            text += f"; {kept}"
        self.notify(text)
        return text

    def _keep(self, unsaved: list[object]) -> str | None:
        """Keep the last state of each session not fully saved for the next start; says how."""
        rows: list[_Row] = []
        for part in unsaved:
            row = part.row if isinstance(part, _Part) else None
            if row is not None and row.latest is not None and row not in rows:
                rows.append(row)
        if not rows or self.path is None:
            return None
        try:
            keep(self.path, [row.latest for row in rows if row.latest is not None])
        except OSError as error:
            return f"it could not be kept for later either ({error.strerror or error})"
        return KEPT


def _progressed(
    latest: SessionSnapshot | None, seconds: float, position: float, cycles: int, steps: int, moment: datetime
) -> SessionSnapshot | None:
    if latest is None:
        return None
    return replace(
        latest,
        seconds_done=seconds,
        position_seconds=position,
        cycles_done=cycles,
        steps_done=steps,
        updated_at=_stamp(moment),
    )


def _words(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
