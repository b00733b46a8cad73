"""The session conductor, without Textual: cues, hand-over and recording in virtual time."""

from __future__ import annotations

from calmcoach.data.loader import Library
from calmcoach.domain.planner import PlanOptions, Timeline, plan
from calmcoach.domain.session import Event, Session, SessionFinished, State, StepStarted
from calmcoach.services.conductor import Conductor
from tests.clocks import FakeClock
from tests.doubles import RecordingPlayer
from tests.ui.helpers import AheadPlayer

T0 = 1000.0


class ListRecorder:
    """Keeps what the conductor asked of the recorder, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def begin(self, timeline: Timeline, rating_before: int | None = None) -> None:
        self.calls.append(("begin", timeline.exercise_id))

    def observe(self, session: Session, events: list[Event]) -> None:
        indexes = [e.segment.index for e in events if isinstance(e, StepStarted)]
        self.calls.append(("observe", indexes))

    def end(self, session: Session) -> None:
        self.calls.append(("end", session.state.value))


def drill(library: Library) -> Timeline:
    return plan(library.exercises["breathing-4-2-6"], PlanOptions(minutes=2))


def test_each_step_plays_its_cue_once_and_the_end_bell_at_the_end(library: Library) -> None:
    clock = FakeClock(T0)
    cues = RecordingPlayer()  # cannot schedule: every cue is played at its boundary
    recorder = ListRecorder()
    conductor = Conductor(Session(drill(library), clock), cues=cues, recorder=recorder)
    conductor.start()
    for _ in range(121 * 4):
        clock.advance(0.25)
        conductor.poll()
    assert cues.played == ["inhale", "hold", "exhale"] * 10 + ["end"]
    assert recorder.calls[0] == ("begin", "breathing-4-2-6")
    assert recorder.calls[-1] == ("end", "finished")
    observed = [i for name, found in recorder.calls if name == "observe" for i in found]  # type: ignore[union-attr]
    assert observed == list(range(30))
    assert sum(name == "end" for name, _ in recorder.calls) == 1


def test_a_player_on_the_same_clock_is_handed_each_cue_ahead_and_never_plays_it_twice(
    library: Library,
) -> None:
    clock = FakeClock(T0)
    cues = AheadPlayer(clock)
    conductor = Conductor(Session(drill(library), clock), cues=cues)
    conductor.start()
    assert cues.played == ["inhale"] and cues.pending == ("hold", T0 + 4)
    for _ in range(16):  # reads at least every 2 s: a longer silence would be a suspend
        clock.advance(0.25)
        cues.catch_up()
        conductor.poll()
    assert cues.started == [("hold", T0 + 4)]
    assert cues.played == ["inhale"]
    assert cues.pending == ("exhale", T0 + 6)
    # Pause withdraws it; resume hands it again, moved by the pause.
    conductor.pause()
    assert cues.pending is None
    clock.advance(30)  # paused: no gap rule
    conductor.resume()
    assert cues.pending == ("exhale", T0 + 36)
    # Muting withdraws it; unmuting hands it again.
    conductor.set_muted(True)
    assert cues.pending is None
    conductor.set_muted(False)
    assert cues.pending == ("exhale", T0 + 36)
    # A skip plays the new step at once and hands over the one after.
    conductor.next_step()
    assert cues.played == ["inhale", "exhale"] and cues.pending == ("inhale", clock() + 6)
    # Stop withdraws it and nothing more plays.
    conductor.stop()
    assert cues.pending is None
    assert conductor.session.state is State.STOPPED


def test_the_end_bell_handed_ahead_is_not_played_again(library: Library) -> None:
    clock = FakeClock(T0)
    cues = AheadPlayer(clock)
    conductor = Conductor(Session(drill(library), clock), cues=cues)
    conductor.start()
    events: list[Event] = []
    for _ in range(120 * 4):
        clock.advance(0.25)
        cues.catch_up()
        events += conductor.poll()
    assert isinstance(events[-1], SessionFinished)
    assert cues.started[-1] == ("end", T0 + 120)
    assert "end" not in cues.played
    assert cues.pending is None


def test_stopping_records_stopped_once_and_observers_see_every_change(library: Library) -> None:
    clock = FakeClock(T0)
    recorder = ListRecorder()
    seen: list[tuple[str, int]] = []
    conductor = Conductor(
        Session(drill(library), clock),
        cues=RecordingPlayer(),
        recorder=recorder,
        observers=(lambda session, events: seen.append((session.state.value, len(events))),),
    )
    conductor.start()
    clock.advance(5)
    conductor.poll()
    conductor.stop()
    conductor.stop()  # a second stop changes nothing
    assert [c for c in recorder.calls if c[0] == "end"] == [("end", "stopped")]
    assert seen[0] == ("running", 1) and seen[-2] == ("stopped", 0)


def test_next_part_in_the_flare_routine_plays_the_release_cue(library: Library) -> None:
    clock = FakeClock(T0)
    cues = RecordingPlayer()
    flare = plan(library.exercises["flare"], PlanOptions(area="hand"), library.exercises)
    conductor = Conductor(Session(flare, clock), cues=cues)
    conductor.start()
    clock.advance(1)
    conductor.next_part()
    first_release = flare.segments[flare.parts[1].first]
    assert conductor.session.current() == first_release
    assert cues.played == ["inhale", first_release.cue]


def test_eyes_closed_plays_the_guide_tone_keys(library: Library) -> None:
    clock = FakeClock(T0)
    cues = RecordingPlayer()
    conductor = Conductor(Session(drill(library), clock), cues=cues, eyes_closed=True)
    conductor.start()
    assert cues.played == ["inhale~inhale-4"]
