"""The nudge schedule in virtual time: no test waits an hour."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from calmcoach.remind.schedule import Schedule, Seen
from calmcoach.remind.settings import RemindSettings

POLL = timedelta(seconds=60)
MONDAY = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday


def at(day: int, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    """``day`` days after Monday 23 Nov 2026, at hh:mm:ss UTC."""
    return MONDAY + timedelta(days=day, hours=hh, minutes=mm, seconds=ss)


def run(
    schedule: Schedule,
    start: datetime,
    end: datetime,
    *,
    seen: Callable[[datetime], Seen] = lambda _: Seen(),
    answer: Callable[[datetime], str] = lambda _: "skipped",
    ticks: Callable[[datetime], bool] = lambda _: True,
) -> list[datetime]:
    """Drive ``schedule`` as the reminder process does, in virtual time: wake at the
    decision's time or after a poll, whichever is first. ``ticks(now)`` False means the
    process is not running then (a sleeping laptop). Every nudge is answered at once."""
    shown: list[datetime] = []
    now = start
    while now < end:
        if ticks(now):
            decision = schedule.tick(now, seen(now), POLL)
            if decision.nudge:
                shown.append(now)
                schedule.answered(answer(now), now)
            assert decision.wake > now
            now = min(decision.wake, now + POLL)
        else:
            now += POLL
    return shown


def test_hourly_within_the_work_hours_on_a_weekday() -> None:
    schedule = Schedule(RemindSettings(), at(0, 7), tz=UTC)
    shown = run(schedule, at(0, 7), at(1, 0))
    assert shown == [at(0, h) for h in range(10, 18)]  # 18:00 is the end: no nudge at it


def test_hour_boundary_is_a_deadline_and_a_late_tick_keeps_the_rhythm() -> None:
    schedule = Schedule(RemindSettings(), at(0, 9), tz=UTC)
    assert run(schedule, at(0, 9), at(0, 9, 59, 59)) == []
    assert not schedule.tick(at(0, 9, 59, 59), Seen(), POLL).nudge
    late = schedule.tick(at(0, 10, 0, 20), Seen(), POLL)  # 20 s late
    assert late.nudge
    schedule.answered("skipped", at(0, 10, 0, 20))
    assert late.wake == at(0, 11)  # the next one is on the hour, not 20 s later
    assert run(schedule, at(0, 10, 0, 20), at(0, 10, 59, 59)) == []
    assert not schedule.tick(at(0, 10, 59, 59), Seen(), POLL).nudge
    assert schedule.tick(at(0, 11), Seen(), POLL).nudge


def test_end_of_the_hours_is_exclusive_and_the_last_nudge_is_before_it() -> None:
    settings = RemindSettings(every=timedelta(minutes=45))
    schedule = Schedule(settings, at(0, 9), tz=UTC)
    shown = run(schedule, at(0, 9), at(0, 23))
    assert shown[0] == at(0, 9, 45) and shown[-1] == at(0, 17, 15)
    assert all(at(0, 9) < moment < at(0, 18) for moment in shown)


def test_weekend_has_no_nudges_and_monday_starts_fresh() -> None:
    schedule = Schedule(RemindSettings(), at(4, 17, 30), tz=UTC)  # Friday
    shown = run(schedule, at(4, 17, 30), at(7, 11, 30))  # to Monday 11:30
    assert shown == [at(7, 10), at(7, 11)]
    decision = Schedule(RemindSettings(), at(5, 12), tz=UTC).tick(at(5, 12), Seen(), POLL)
    assert not decision.nudge and decision.wake == at(7, 9)
    assert decision.why == "outside your hours; they start Mon at 09:00"


def test_chosen_days_and_hours_are_followed() -> None:
    settings = RemindSettings(days=frozenset({5}), start=datetime(2000, 1, 1, 20).time(), end_minutes=24 * 60)
    schedule = Schedule(settings, at(0, 0), tz=UTC)
    assert run(schedule, at(0, 0), at(7, 0)) == [at(5, 21), at(5, 22), at(5, 23)]


def test_snooze_puts_the_nudge_off_by_the_snooze_time() -> None:
    schedule = Schedule(RemindSettings(), at(0, 9), tz=UTC)
    answers = iter(["snoozed", "skipped"])
    shown = run(schedule, at(0, 9), at(0, 12, 30), answer=lambda _: next(answers, "started"))
    # 10:00 snoozed -> 10:15; the hour then counts from the snoozed nudge.
    assert shown == [at(0, 10), at(0, 10, 15), at(0, 11, 15), at(0, 12, 15)]


def test_pause_holds_nudges_and_the_timer_restarts_when_it_ends() -> None:
    schedule = Schedule(RemindSettings(), at(0, 9), tz=UTC)
    schedule.pause(at(0, 12, 10))
    decision = schedule.tick(at(0, 9, 30), Seen(), POLL)
    assert not decision.nudge and decision.why == "paused; nudges start again at 12:10"
    shown = run(schedule, at(0, 9, 30), at(0, 15))
    assert shown == [at(0, 13, 10), at(0, 14, 10)]


def test_resume_ends_a_pause_and_counts_from_then() -> None:
    schedule = Schedule(RemindSettings(), at(0, 9), tz=UTC)
    schedule.pause(at(0, 17))
    assert run(schedule, at(0, 9), at(0, 11, 20)) == []
    schedule.resume(at(0, 11, 20))
    assert run(schedule, at(0, 11, 20), at(0, 13, 30)) == [at(0, 12, 20), at(0, 13, 20)]


def test_away_holds_nudges_and_the_timer_restarts_on_return() -> None:
    # Idle from 9:50 to 11:07 (the idle counter grows while away), then back.
    def seen(now: datetime) -> Seen:
        if at(0, 9, 50) <= now < at(0, 11, 7):
            return Seen(idle=(now - at(0, 9, 50)).total_seconds())
        return Seen(idle=0.0)

    schedule = Schedule(RemindSettings(), at(0, 9), tz=UTC)
    shown = run(schedule, at(0, 9), at(0, 13, 30), seen=seen)
    assert shown == [at(0, 12, 7), at(0, 13, 7)]


def test_a_short_idle_spell_is_not_away() -> None:
    seen = lambda now: Seen(idle=240.0 if at(0, 9, 55) <= now < at(0, 10, 5) else 0.0)  # noqa: E731
    schedule = Schedule(RemindSettings(), at(0, 9), tz=UTC)
    assert run(schedule, at(0, 9), at(0, 10, 30), seen=seen) == [at(0, 10)]


def test_locked_screen_is_away() -> None:
    seen = lambda now: Seen(locked=at(0, 9, 30) <= now < at(0, 10, 45))  # noqa: E731
    schedule = Schedule(RemindSettings(), at(0, 9), tz=UTC)
    assert run(schedule, at(0, 9), at(0, 12), seen=seen) == [at(0, 11, 45)]


def test_do_not_disturb_holds_the_due_nudge_until_it_is_off() -> None:
    seen = lambda now: Seen(quiet=at(0, 9, 30) <= now < at(0, 10, 20))  # noqa: E731
    schedule = Schedule(RemindSettings(), at(0, 9), tz=UTC)
    assert run(schedule, at(0, 9), at(0, 10), seen=seen) == []
    decision = schedule.tick(at(0, 10), seen(at(0, 10)), POLL)
    assert not decision.nudge and "do not disturb" in decision.why
    shown = run(schedule, at(0, 10), at(0, 12), seen=seen)
    assert shown == [at(0, 10, 20), at(0, 11, 20)]


def test_a_laptop_that_slept_through_hours_gives_no_burst_and_restarts_the_timer() -> None:
    asleep = lambda now: at(0, 10, 30) <= now < at(0, 14, 40)  # noqa: E731
    schedule = Schedule(RemindSettings(), at(0, 9), tz=UTC)
    shown = run(schedule, at(0, 9), at(0, 17), ticks=lambda now: not asleep(now))
    assert shown == [at(0, 10), at(0, 15, 40), at(0, 16, 40)]


def test_no_second_nudge_while_one_waits_for_an_answer() -> None:
    schedule = Schedule(RemindSettings(every=timedelta(minutes=10)), at(0, 9), tz=UTC)
    shown = []
    for minute in range(31):  # a tick a minute; the nudge at 9:10 is never answered
        if schedule.tick(at(0, 9, minute), Seen(), POLL).nudge:
            shown.append(minute)
    assert shown == [10]
    assert schedule.tick(at(0, 9, 31), Seen(), POLL).why == "waiting for an answer to the last nudge"
    schedule.answered("ignored", at(0, 9, 31))
    assert schedule.tick(at(0, 9, 31, 30), Seen(), POLL).nudge  # long overdue: at once


def test_nudge_due_after_the_end_waits_for_the_next_days_hours() -> None:
    schedule = Schedule(RemindSettings(), at(0, 17, 30), tz=UTC)
    decision = schedule.tick(at(0, 17, 30), Seen(), POLL)
    assert not decision.nudge and decision.wake == at(1, 9)
    assert decision.why == "no more today; your hours start again tomorrow at 09:00"


@pytest.mark.parametrize("back", [timedelta(hours=-2), timedelta(hours=30)])
def test_clock_set_back_or_forward_restarts_the_timer(back: timedelta) -> None:
    schedule = Schedule(RemindSettings(), at(1, 9), tz=UTC)
    schedule.tick(at(1, 9, 30), Seen(), POLL)
    jumped = at(1, 11) + back
    decision = schedule.tick(jumped, Seen(), POLL)
    assert not decision.nudge
    assert schedule.anchor >= jumped


@pytest.mark.parametrize(
    ("start", "paused_until"),
    [
        (at(0, 10, 17), None),  # Monday, within the hours
        (at(0, 6), None),  # Monday, before the hours
        (at(0, 17, 30), None),  # too late for one more today
        (at(4, 19), None),  # Friday evening: Monday next
        (at(6, 3), None),  # Sunday night
        (at(0, 11), at(0, 15, 20)),  # paused until the afternoon
        (at(0, 11), at(0, 17, 30)),  # paused past the last nudge of the day
    ],
)
def test_the_first_nudge_said_at_start_is_the_one_that_comes(
    start: datetime, paused_until: datetime | None
) -> None:
    said = Schedule(RemindSettings(), start, tz=UTC)
    real = Schedule(RemindSettings(), start, tz=UTC)
    if paused_until is not None:
        said.pause(paused_until)
        real.pause(paused_until)
    expected = said.first_nudge(start)
    shown = run(real, start, start + timedelta(days=8))
    assert expected == shown[0]


def test_the_first_line_says_why_outside_the_hours_and_when_paused() -> None:
    schedule = Schedule(RemindSettings(), at(4, 19), tz=UTC)
    assert schedule.first_nudge_text(at(4, 19)) == (
        "next nudge Mon at 10:00 (your hours are 09:00 to 18:00, Mon to Fri, and it is outside "
        "them now; one every 1h from their start)"
    )
    schedule = Schedule(RemindSettings(), at(0, 11), tz=UTC)
    assert schedule.first_nudge_text(at(0, 11)) == (
        "next nudge at 12:00 (every 1h within your hours, 09:00 to 18:00, Mon to Fri)"
    )
    schedule.pause(at(0, 15, 20))
    assert schedule.first_nudge_text(at(0, 11)) == (
        "next nudge at 16:20 (paused; then every 1h within your hours, 09:00 to 18:00, Mon to Fri)"
    )
    short = RemindSettings(every=timedelta(hours=2), end_minutes=10 * 60)
    assert Schedule(short, at(0, 11), tz=UTC).first_nudge_text(at(0, 11)).startswith("no nudge can come")
