"""When to nudge: a pure schedule on wall-clock time, driven by an injected ``now``.

The reminder process calls :meth:`Schedule.tick` with the time and what the desktop
says (idle, locked, do not disturb) and sleeps until the decision's ``wake`` (or less).
Nothing here reads a clock, sleeps or does I/O, so every rule is tested in virtual time.

The rules:

- A nudge is due one interval after the *anchor*: the start of the day's hours, the
  last nudge, the end of a pause, or the moment the person came back.
- Nudges come only on the chosen days, from the start of the hours until (not at)
  their end; a nudge that would fall after the end waits for the next day's hours.
- Away (screen locked, or idle for ``away_after``) holds nudges; coming back restarts
  the timer. A gap between two ticks longer than ``away_after`` (a laptop that slept,
  a stopped process) counts as away too: no burst of missed nudges on waking.
- Do not disturb holds a due nudge until it is off.
- A nudge is due at a deadline: a tick a little late does not shift the ones after it.
- Snooze puts the next nudge ``snooze`` after the answer; a pause holds everything
  until it ends, and the timer restarts then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from calmcoach.remind.settings import RemindSettings, duration_text


@dataclass(frozen=True)
class Seen:
    """What the desktop says right now; None where it cannot be read."""

    idle: float | None = None
    """Seconds since the last keyboard or mouse input."""
    locked: bool | None = None
    """The screen is locked (or the screen saver is on)."""
    quiet: bool | None = None
    """Do not disturb is on."""


@dataclass(frozen=True)
class Decision:
    """What to do now, and when to look again at the latest."""

    nudge: bool
    wake: datetime
    why: str
    """What the schedule is waiting for, in words (for ``--status``)."""


class Schedule:
    """The nudge schedule. ``tz`` places the hours in a time zone (None: the system's)."""

    def __init__(self, settings: RemindSettings, now: datetime, *, tz: tzinfo | None = None) -> None:
        self.settings = settings
        self.tz = tz
        self.anchor = now
        """The moment the interval is counted from."""
        self.snoozed_until: datetime | None = None
        self.paused_until: datetime | None = None
        self.away_since: datetime | None = None
        self.waiting_answer = False
        """A nudge is out and not answered yet: no second one meanwhile."""
        self._last_tick = now

    # --- the hours --------------------------------------------------------------------

    def _at(self, day: date, minutes: int) -> datetime:
        moment = datetime.combine(day, time()) + timedelta(minutes=minutes)
        return moment.replace(tzinfo=self.tz) if self.tz is not None else moment.astimezone()

    def _local(self, now: datetime) -> datetime:
        return now.astimezone(self.tz) if self.tz is not None else now.astimezone()

    def hours_of(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's hours as (start, end), or None on a day without nudges."""
        if day.weekday() not in self.settings.days:
            return None
        return self._at(day, self.settings.start_minutes), self._at(day, self.settings.end_minutes)

    def next_hours(self, now: datetime) -> tuple[datetime, datetime]:
        """The hours now is in, or the next ones to come (within a week)."""
        today = self._local(now).date()
        for offset in range(8):
            hours = self.hours_of(today + timedelta(days=offset))
            if hours is not None and now < hours[1]:
                return hours
        raise ValueError("no days to nudge on")  # load_settings never allows an empty list

    # --- control ----------------------------------------------------------------------

    def pause(self, until: datetime) -> None:
        """Hold every nudge until ``until``; the timer restarts then."""
        self.paused_until = until
        self.snoozed_until = None

    def resume(self, now: datetime) -> None:
        """End a pause now: the next nudge is one interval from now."""
        if self.paused_until is not None:
            self.paused_until = None
            self.anchor = now

    def retry(self, at: datetime) -> None:
        """The nudge due could not be shown (the notification service did not answer in
        time): try again at ``at``, as if snoozed until then."""
        self.waiting_answer = False
        self.snoozed_until = at

    def answered(self, answer: str, now: datetime) -> None:
        """The nudge out was answered (started, snoozed, skipped, ignored)."""
        self.waiting_answer = False
        if answer == "snoozed":
            self.snoozed_until = now + self.settings.snooze

    # --- the decision -----------------------------------------------------------------

    def tick(self, now: datetime, seen: Seen, poll: timedelta) -> Decision:
        """Decide at ``now``. ``poll`` is how often the caller looks when nothing is due
        (the decision's ``wake`` is never later than ``now + poll`` while it watches for
        the person coming back or do not disturb ending)."""
        gap = now - self._last_tick
        self._last_tick = now
        if gap > self.settings.away_after or gap < -timedelta(minutes=1):
            # Slept, stopped, or the clock was set back: as if away until now.
            self.anchor = now
            self.snoozed_until = None
        if self.paused_until is not None:
            if now < self.paused_until:
                return Decision(
                    False,
                    self.paused_until,
                    f"paused; nudges start again {self._when(self.paused_until, now)}",
                )
            self.anchor = max(self.anchor, self.paused_until)
            self.paused_until = None
        away = bool(seen.locked) or (
            seen.idle is not None and seen.idle >= self.settings.away_after.total_seconds()
        )
        if away:
            if self.away_since is None:
                self.away_since = now
            self.snoozed_until = None
            return Decision(False, now + poll, "you seem to be away; the timer restarts when you are back")
        if self.away_since is not None:
            self.away_since = None
            self.anchor = now
        start, end = self.next_hours(now)
        if now < start:
            self.anchor = start
            self.snoozed_until = None
            return Decision(False, start, f"outside your hours; they start {self._when(start, now)}")
        self.anchor = max(self.anchor, start)
        due = self.snoozed_until or self.anchor + self.settings.every
        if due >= end:
            after = self.next_hours(end)
            return Decision(
                False, after[0], f"no more today; your hours start again {self._when(after[0], now)}"
            )
        if self.waiting_answer:
            return Decision(False, now + poll, "waiting for an answer to the last nudge")
        if now < due:
            return Decision(False, due, f"next nudge {self._when(due, now)}")
        if seen.quiet:
            return Decision(False, now + poll, "do not disturb is on; the nudge waits until it is off")
        # A deadline: a tick a little late keeps the rhythm, a long hold starts it again.
        self.anchor = due if now - due <= poll + poll else now
        self.snoozed_until = None
        self.waiting_answer = True
        return Decision(True, self.anchor + self.settings.every, "nudged")

    def _when(self, moment: datetime, now: datetime) -> str:
        local, today = self._local(moment), self._local(now).date()
        if local.date() == today:
            return f"at {local:%H:%M}"
        if local.date() == today + timedelta(days=1):
            return f"tomorrow at {local:%H:%M}"
        return f"{local:%a} at {local:%H:%M}"

    def first_nudge(self, now: datetime) -> datetime | None:
        """When the next nudge comes if the person is there all along (no away, no do not
        disturb); None when the hours are too short for one interval."""
        paused = self.paused_until is not None and now < self.paused_until
        moment = self.paused_until if paused and self.paused_until is not None else now
        due = (None if paused else self.snoozed_until) or max(self.anchor, moment) + self.settings.every
        for _ in range(9):  # today's hours, then each next day's: at most a week ahead
            start, end = self.next_hours(moment)
            # Outside the hours, the interval counts from their start.
            due = start + self.settings.every if moment < start else max(due, start + self.settings.every)
            if due < end:
                return due
            moment = end
        return None

    def first_nudge_text(self, now: datetime) -> str:
        """``next nudge tomorrow at 10:00 (...)``: when, and why then."""
        hours = self.settings.hours_text()
        every = duration_text(self.settings.every)
        due = self.first_nudge(now)
        if due is None:
            return f"no nudge can come: your hours ({hours}) are shorter than the interval ({every})"
        if self.paused_until is not None and now < self.paused_until:
            why = f"paused; then every {every} within your hours, {hours}"
        elif self.next_hours(now)[0] > now:
            why = f"your hours are {hours}, and it is outside them now; one every {every} from their start"
        else:
            why = f"every {every} within your hours, {hours}"
        return f"next nudge {self._when(due, now)} ({why})"

    def describe(self) -> str:
        """The settings in words: ``every 1h, 09:00 to 18:00, Mon to Fri``."""
        return f"every {duration_text(self.settings.every)}, {self.settings.hours_text()}"
