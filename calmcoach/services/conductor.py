"""The session conductor: what happens around a running session, for every shell.

A :class:`~calmcoach.domain.session.Session` knows where a session is; the conductor makes
the channels that follow its boundaries do their part, once each and in order:

- the cue player: each step's cue plays when the step starts. A player that keeps time
  on the session's own clock is handed the next boundary's cue ahead of time, so it
  starts on the deadline without waiting for the shell; pausing, muting, skipping and
  stopping withdraw it;
- the voice: where a segment has a spoken line and the voice is on, its clip takes
  the place of the cue (one sound at each boundary, so no second stream has to open
  on a device that cannot mix), handed ahead and withdrawn the same way; pausing,
  muting, skipping, stopping or turning the voice off also stops a sentence being
  spoken, and resuming a step says its instruction again; a long step's reminders
  ("Keep the cloth there...") are spoken at their moments on the session's clock, each
  once, handed ahead like a boundary's line;
- the recorder: the history row is written at the start, at each boundary and at the end;
- observers the shell adds (a trace for the benchmarks, say).

The app's session screen and the plain runner drive a session only through a conductor:
they call its controls (``pause``, ``next_step``...) and ``poll`` when the clock says a
boundary is due, and show what :attr:`session` says. No Textual, no terminal here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from calmcoach.audio import END_CUE, CuePlayer, sound_for
from calmcoach.domain.planner import Timeline
from calmcoach.domain.session import Event, Session, SessionFinished, State, StepStarted
from calmcoach.domain.voice_text import reminder_slot

REMIND_LATE = 2.0
"""Seconds after its moment a reminder may still be spoken (a player that cannot keep
time says it at the next read); one found later than that (after a stall) is left out."""

Observer = Callable[[Session, list[Event]], None]
"""Called after the conductor has handled events (possibly none, after a control)."""


class Recorder(Protocol):
    """What the conductor asks of the history recorder (``calmcoach.services.record.Recorder``)."""

    def begin(self, timeline: Timeline, rating_before: int | None = None) -> None: ...

    def observe(self, session: Session, events: list[Event]) -> None: ...

    def end(self, session: Session) -> None: ...

    def rate(self, *, after: int | None = None, before: int | None = None) -> None: ...


class Conductor:
    """Runs one session and drives the cue player, the recorder and any observers."""

    def __init__(
        self,
        session: Session,
        *,
        cues: CuePlayer,
        recorder: Recorder | None = None,
        eyes_closed: bool = False,
        voice: Mapping[int, str] | None = None,
        voice_on: bool = False,
        observers: tuple[Observer, ...] = (),
    ) -> None:
        """``voice`` maps a segment index to the player key of its spoken line (the clips
        must have been prepared); ``voice_on`` says whether they are spoken now."""
        self.session = session
        self.cues = cues
        self.recorder = recorder
        self.eyes_closed = eyes_closed
        self.observers = list(observers)
        self.voice: Mapping[int, str] = voice or {}
        self.voice_on = voice_on
        self._handed: tuple[str, int, float] | None = None
        """The cue handed to the player ahead of time: (sound, segment index, deadline); for
        a reminder, its ``reminder_slot`` stands for the segment index."""
        self._reminded: set[int] = set()
        """Reminders (by their number in ``Timeline.reminders``) whose moment was reached."""
        self._ended = False

    @property
    def timeline(self) -> Timeline:
        """The session's plan."""
        return self.session.timeline

    # --- controls: each reads the clock once, handles what it caused, and hands over --------

    def start(self) -> list[Event]:
        """Write the history row, start the session and play its first step."""
        if self.recorder is not None:
            self.recorder.begin(self.timeline)
        return self._after(self.session.start())

    def poll(self) -> list[Event]:
        """Handle the boundaries the clock has passed since the last read."""
        return self._after(self.session.poll())

    def pause(self) -> list[Event]:
        self.session.pause()
        self._hush()
        return self._after([])

    def resume(self) -> list[Event]:
        events = self.session.resume()
        self._say_again()
        return self._after(events)

    def continue_(self) -> list[Event]:
        """Go on past a step that waits for the person."""
        return self._after(self.session.continue_())

    def next_step(self) -> list[Event]:
        self._hush()
        return self._after(self._rearm(self.session.next_step()))

    def previous_step(self) -> list[Event]:
        self._hush()
        return self._after(self._rearm(self.session.previous_step()))

    def next_part(self) -> list[Event]:
        self._hush()
        return self._after(self._rearm(self.session.next_part()))

    def stop(self) -> list[Event]:
        """End the session early (recorded as stopped, with the time really spent)."""
        self.session.stop()
        self._hush()
        return self._after([])

    def rate(self, *, before: int | None = None, after: int | None = None) -> None:
        """Keep how tense the person said they felt (0 to 10), before or after."""
        if self.recorder is not None:
            self.recorder.rate(before=before, after=after)

    def set_muted(self, muted: bool) -> None:
        """Cues off or on; a cue handed ahead is withdrawn while muted, and a sentence
        being spoken stops."""
        if muted:
            self._hush()
        self.cues.muted = muted
        self.hand_over()

    def set_voice(self, on: bool) -> None:
        """Voice on or off from the next boundary; turned off, a sentence being spoken
        stops and the cues and tones take over."""
        if on == self.voice_on:
            return
        if not on:
            self._hush()
        self.voice_on = on
        self.hand_over()

    def _rearm(self, events: list[Event]) -> list[Event]:
        """After a skip, the reminders of the step skipped to are said again from its start."""
        for event in events:
            if isinstance(event, StepStarted):
                self._reminded -= {
                    n for n, r in enumerate(self.timeline.reminders) if r.segment == event.segment.index
                }
        return events

    def _remind(self) -> None:
        """Speak the reminder of the current step whose moment has come, if the player was
        not handed it ahead. Every reminder passed is marked, spoken or not (voice off,
        muted, late), so none is said twice or long after its moment."""
        session = self.session
        if session.state is not State.RUNNING or not self.timeline.reminders:
            return
        now = session.clock()
        position = session.position(now)
        index = session.index(now)
        due = [
            n
            for n, r in enumerate(self.timeline.reminders)
            if r.segment == index and r.at <= position and n not in self._reminded
        ]
        if not due:
            return
        self._reminded.update(due)
        number = due[-1]
        handed = self._handed
        if handed is not None and handed[1] == reminder_slot(number):
            self._handed = None  # the player started it on its moment
            return
        key = self.voice.get(reminder_slot(number))
        late = position - self.timeline.reminders[number].at
        if self.voice_on and key is not None and not self.cues.muted and late <= REMIND_LATE:
            self.cues.play(key)

    def _next_reminder(self, index: int, deadline: float) -> tuple[str, int, float] | None:
        """The next reminder to hand ahead while segment ``index`` ends at ``deadline``:
        (key, its slot, clock reading), or None."""
        if not self.voice_on:
            return None
        end = self.timeline.segments[index].end
        for number, reminder in enumerate(self.timeline.reminders):
            if reminder.segment != index or number in self._reminded:
                continue
            key = self.voice.get(reminder_slot(number))
            if key is not None:
                return key, reminder_slot(number), deadline - (end - reminder.at)
        return None

    @property
    def speaks(self) -> bool:
        """True when this session has spoken lines to turn on or off."""
        return bool(self.voice)

    def sound_at(self, index: int) -> str | None:
        """What plays as segment ``index`` starts: its spoken line when the voice is on
        and it has one, else its cue (with eyes closed, over its guide tone)."""
        if self.voice_on:
            key = self.voice.get(index)
            if key is not None:
                return key
        return sound_for(self.timeline.segments[index], self.eyes_closed)

    def _hush(self) -> None:
        """Stop a spoken line mid-sentence (cues are short: they go too)."""
        if self.voice_on and self.voice:
            self.cues.hush()

    def _say_again(self) -> None:
        """After a pause, say the current step's instruction again: the person may have
        missed its end, and with eyes closed it is all they have. A breathing phase's
        word is not repeated halfway through the phase."""
        if not (self.voice_on and self.session.state is State.RUNNING):
            return
        segment = self.session.current()
        if segment.cycle is not None:
            return
        key = self.voice.get(segment.index)
        if key is not None:
            self.cues.play(key)

    # --- what follows the boundaries -----------------------------------------------------

    def _after(self, events: list[Event]) -> list[Event]:
        for event in events:
            if isinstance(event, StepStarted):
                self._step(event)
            elif isinstance(event, SessionFinished):
                end = len(self.timeline.segments)
                if not self._take_handed(end, event.deadline, skipped=False):
                    self.cues.play(END_CUE)
        if self.session.state in (State.FINISHED, State.STOPPED):
            self._end()
        else:
            if self.recorder is not None and events:
                self.recorder.observe(self.session, events)
            self._remind()
            self.hand_over()
        for observer in self.observers:
            observer(self.session, events)
        return events

    def _step(self, event: StepStarted) -> None:
        sound = self.sound_at(event.segment.index)
        handed = self._take_handed(event.segment.index, event.deadline, event.skipped_to)
        if sound and not handed:
            self.cues.play(sound)

    def _end(self) -> None:
        if self._ended:
            return
        self._ended = True
        self._take_handed(-1, 0.0, skipped=True)  # nothing more will come on its own
        if self.recorder is not None:
            self.recorder.end(self.session)

    def hand_over(self) -> None:
        """Hand the next boundary's cue to the player ahead of time (only a player on the
        session's own clock can start it on the deadline), or withdraw the one handed over
        when there is no next boundary now (paused, muted, waiting, over)."""
        cues = self.cues
        if cues.clock is not self.session.clock:
            return
        target: tuple[str, int, float] | None = None
        upcoming = self.session.upcoming() if not cues.muted else None
        if upcoming is not None:
            index, deadline = upcoming
            segments = self.timeline.segments
            sound = END_CUE if index >= len(segments) else self.sound_at(index)
            if sound:
                target = (sound, index, deadline)
            target = self._next_reminder(index - 1, deadline) or target
        if target == self._handed:
            return
        if target is not None and cues.schedule(target[0], target[2]):
            self._handed = target
        elif self._handed is not None:
            cues.cancel_scheduled()
            self._handed = None

    def _take_handed(self, index: int, deadline: float, skipped: bool) -> bool:
        """True if the cue for this boundary was handed over (so the player has started it);
        any other cue handed over is withdrawn."""
        handed, self._handed = self._handed, None
        if handed is None:
            return False
        if not skipped and handed[1] == index and abs(handed[2] - deadline) < 1e-6:
            return True
        self.cues.cancel_scheduled()
        return False
