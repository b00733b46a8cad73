"""The benchmarks' own helpers: statistics, the pty recording's parser (on recordings
made from the real programs), cue pairing, and the trace hook the benchmarks install.

No test here times anything: the recordings carry the times they were made with.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import ptyrun  # noqa: E402
import stats  # noqa: E402

RECORDINGS = Path(__file__).resolve().parent / "benchmark_recordings"

WORDS = re.compile(r"(?<![A-Z])(INHALE|HOLD|EXHALE)(?![A-Z])")


def changes(name: str, pattern: str | re.Pattern[str]) -> list[tuple[float, str]]:
    chunks = ptyrun.merge(ptyrun.load(RECORDINGS / f"{name}.jsonl"))
    return ptyrun.phase_changes(chunks, re.compile(pattern) if isinstance(pattern, str) else pattern)


def relative(found: list[tuple[float, str]]) -> list[tuple[float, str]]:
    return [(round(t - found[0][0], 3), label) for t, label in found]


# --- the pty recording's parser ---------------------------------------------------------------


def test_strip_removes_escape_sequences_and_keeps_text() -> None:
    data = b"\x1b[?1049h\x1b[2J\x1b[12;40H\x1b[38;5;36mHOLD\x1b[0m\x1b]0;title\x07 4"
    assert ptyrun.strip(data).split() == ["HOLD", "4"]


def test_merge_joins_the_pieces_of_one_write_only() -> None:
    chunks = [(1.0, b"a"), (1.0005, b"b"), (1.001, b"c"), (1.05, b"d"), (1.06, b"e")]
    assert ptyrun.merge(chunks) == [(1.001, b"abc"), (1.05, b"d"), (1.06, b"e")]


def test_a_frame_split_across_reads_still_shows_its_phase_word() -> None:
    # The pty hands over at most 4095 bytes a read: the word may straddle two reads.
    chunks = [(2.0, b"\x1b[5;1H   EXH"), (2.0002, b"ALE  \x1b[6;1H")]
    assert ptyrun.phase_changes(chunks, WORDS) == []
    assert ptyrun.phase_changes(ptyrun.merge(chunks), WORDS) == [(2.0002, "EXHALE")]


def test_calmcoach_recording_shows_each_phase_once_per_change() -> None:
    # Recorded from `calmcoach run breathing-4-2-6` in a pty; frames that draw the same
    # word again (the count-down changing) are not changes.
    found = changes("calmcoach", WORDS)
    assert [label for _, label in found] == ["INHALE", "HOLD", "EXHALE", "INHALE"]
    assert relative(found) == [(0.0, "INHALE"), (3.884, "HOLD"), (5.887, "EXHALE"), (11.904, "INHALE")]


def test_plain_mode_recording() -> None:
    found = changes("plain", r"\d:\d\d +(inhale|hold|exhale) ")
    assert [label for _, label in found] == ["inhale", "hold", "exhale", "inhale"]
    assert [t for t, _ in relative(found)] == pytest.approx([0.0, 4.0, 6.0, 12.0], abs=0.002)


def test_peer_recordings() -> None:
    breathe = changes("breathe-cli", r"(?<![A-Za-z])(IN|OUT)(?![A-Za-z])")
    assert relative(breathe) == [(0.0, "IN"), (4.013, "OUT"), (10.013, "IN")]
    nafas = changes("nafas", r"- (Inhale|Retain|Exhale) for")
    assert [label for _, label in nafas] == ["Inhale", "Retain", "Exhale"]


def test_recording_round_trips_and_a_damaged_line_is_named(tmp_path: Path) -> None:
    chunks = [(1.5, b"\x1b[1mIN\x00"), (2.25, b"")]
    path = tmp_path / "rec.jsonl"
    ptyrun.save(chunks, path)
    assert ptyrun.load(path) == chunks
    path.write_text(path.read_text() + '[3.0, "zz"]\n')
    with pytest.raises(ValueError, match=r"rec\.jsonl:3: not a recorded chunk"):
        ptyrun.load(path)


# --- lateness against a program's own schedule -----------------------------------------------------


def test_anchored_lateness_on_the_recorded_app() -> None:
    times, late = stats.anchored_lateness(
        changes("calmcoach", WORDS), ("INHALE", "HOLD", "EXHALE"), (4, 2, 6)
    )
    # The first phase shown is the start (not a boundary); the most punctual boundary is 0.
    assert times == pytest.approx([0.0, 2.0027, 8.0198], abs=1e-3)
    assert late == pytest.approx([0.0, 2.672, 19.777], abs=1e-2)


def test_anchored_lateness_counts_nafas_pause_only_if_its_schedule_has_it() -> None:
    found = changes("nafas", r"- (Inhale|Retain|Exhale) for")
    _, late = stats.anchored_lateness(found, ("Inhale", "Retain", "Exhale"), (4, 2, 8))
    assert late == pytest.approx([4.571, 0.0], abs=1e-2)


def test_anchored_lateness_fails_loudly_on_a_missed_phase() -> None:
    writes = [(0.0, "INHALE"), (4.0, "HOLD"), (12.0, "INHALE")]  # EXHALE never written
    with pytest.raises(ValueError, match="phase change 2 wrote 'INHALE' where the pattern has 'EXHALE'"):
        stats.anchored_lateness(writes, ("INHALE", "HOLD", "EXHALE"), (4, 2, 6))


def test_anchored_lateness_starts_the_pattern_where_the_program_does() -> None:
    writes = [(10.0, "EXHALE"), (16.01, "INHALE"), (20.0, "HOLD")]
    times, late = stats.anchored_lateness(writes, ("INHALE", "HOLD", "EXHALE"), (4, 2, 6))
    assert times == pytest.approx([0.0, 3.99])
    assert late == pytest.approx([10.0, 0.0])


# --- statistics -------------------------------------------------------------------------------------


def test_p99_needs_300_samples_else_the_max_is_given_and_named() -> None:
    few = stats.Lateness(tuple(float(i) for i in range(299)))
    assert math.isnan(few.p99)
    assert few.tail == ("max", 298.0)
    assert few.tail_text() == "max 298 ms (n=299)"
    many = stats.Lateness(tuple(float(i) for i in range(300)))
    assert many.tail == ("p99", pytest.approx(296.01))
    assert many.tail_text().startswith("p99 296 ms (n=300)")


def test_percentile_interpolates_between_ranks() -> None:
    assert stats.percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert stats.percentile([1.0, 2.0], 0.99) == pytest.approx(1.99)
    assert math.isnan(stats.percentile([], 0.5))


def test_drift_is_the_least_squares_slope_over_five_minutes() -> None:
    times = [0.0, 60.0, 120.0, 180.0, 240.0]
    steady = [1.0, 1.0, 1.0, 1.0, 1.0]
    sliding = [0.0, 2.0, 4.0, 6.0, 8.0]  # 2 ms later each minute
    assert stats.drift(times, steady) == 0.0
    assert stats.drift(times, sliding) == pytest.approx(10.0)
    # One late boundary at the end moves a slope much less than "last minus first".
    noisy = [0.0, 0.0, 0.0, 0.0, 30.0]
    assert stats.drift(times, noisy) == pytest.approx(30 * 120 / 36000 * 300)
    assert math.isnan(stats.drift([0.0, 1.0], [0.0, 1.0]))
    with pytest.raises(ValueError):
        stats.drift([0.0, 1.0, 2.0], [0.0])


def test_over_runs_gives_median_min_max_and_count() -> None:
    runs = stats.over_runs([3.0, 1.0, 2.0, math.nan])
    assert (runs.median, runs.min, runs.max, runs.count) == (2.0, 1.0, 3.0, 3)
    assert runs.text("ms") == "2.00 ms (1.00 to 3.00, 3 runs)"
    assert stats.over_runs([]).text() == "no samples"


def test_pooled_lateness_joins_runs() -> None:
    assert stats.pooled([[1.0, 2.0], [3.0]]).count == 3


# --- cue and voice pairing ------------------------------------------------------------------------


def test_pair_cues_pairs_each_scheduled_sound_with_its_own_start() -> None:
    scheduled = [("inhale", 10.0), ("hold", 14.0), ("exhale", 16.0)]
    # The first cue of a session is played at once (not scheduled): it is passed over.
    played = [("inhale", 6.0005), ("inhale", 10.001), ("hold", 14.0004), ("exhale", 16.002)]
    pairs = stats.pair_cues(scheduled, played, until=20.0)
    assert [(k, at, round(1000 * (p - at), 1)) for k, at, p in pairs] == [
        ("inhale", 10.0, 1.0),
        ("hold", 14.0, 0.4),
        ("exhale", 16.0, 2.0),
    ]


def test_pair_cues_fails_loudly_when_a_cue_is_missing() -> None:
    scheduled = [("inhale", 10.0), ("hold", 14.0), ("exhale", 16.0), ("inhale", 22.0)]
    played = [("inhale", 10.001), ("exhale", 16.001), ("inhale", 22.001)]  # hold lost
    with pytest.raises(ValueError, match=r"sound 'hold' due at 14\.000 .* not reported played"):
        stats.pair_cues(scheduled, played, until=30.0)


def test_pair_cues_does_not_take_a_later_start_of_the_same_sound() -> None:
    scheduled = [("inhale", 10.0), ("inhale", 22.0)]
    played = [("inhale", 22.001)]  # the first one never played
    with pytest.raises(ValueError, match=r"sound 'inhale' due at 10\.000"):
        stats.pair_cues(scheduled, played, until=30.0)


def test_pair_cues_passes_over_a_cue_withdrawn_when_its_boundary_moved() -> None:
    # A pause moved the hold from 14.0 to 20.0: the cue handed over for 14.0 was withdrawn.
    scheduled = [("inhale", 10.0), ("hold", 14.0), ("hold", 20.0)]
    played = [("inhale", 10.001), ("hold", 20.001)]
    with pytest.raises(ValueError, match="sound 'hold' due at 14"):
        stats.pair_cues(scheduled, played, until=30.0)
    pairs = stats.pair_cues(scheduled, played, until=30.0, due=[10.0, 20.0])
    assert [(k, at) for k, at, _ in pairs] == [("inhale", 10.0), ("hold", 20.0)]
    # ...but a cue for a boundary that did come at its deadline still must have played.
    with pytest.raises(ValueError, match="sound 'hold' due at 20"):
        stats.pair_cues(scheduled, played[:1], until=30.0, due=[10.0, 20.0])


def test_pair_cues_ignores_sounds_due_after_the_run_stopped() -> None:
    scheduled = [("inhale", 10.0), ("hold", 14.0)]
    assert len(stats.pair_cues(scheduled, [("inhale", 10.001)], until=12.0)) == 1


def test_voice_clips_are_paired_by_their_key_prefix() -> None:
    scheduled = [("inhale", 10.0), ("voice:breathe-in", 10.0), ("hold", 14.0)]
    played = [("inhale", 10.001), ("voice:breathe-in", 10.0015), ("hold", 14.001)]
    voice = stats.pair_cues(scheduled, played, until=20.0, prefix="voice:")
    assert [(k, round(1000 * (p - at), 2)) for k, at, p in voice] == [("voice:breathe-in", 1.5)]
    assert stats.pair_cues([], [], until=20.0, prefix="voice:") == []


# --- the trace hook (installed by make_app only when asked) ---------------------------------------


async def test_trace_hook_records_first_frame_steps_and_paints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.ui.helpers import advance, new_app

    trace = tmp_path / "trace.jsonl"
    monkeypatch.setenv("CALMCOACH_TRACE", str(trace))
    app, clock, _cues = new_app(start="breathing-4-2-6", history=False)
    assert not hasattr(app, "trace")  # the app keeps no benchmark code of its own
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await advance(pilot, clock, 4.5)
        await pilot.pause()
    kinds = [json.loads(line)["kind"] for line in trace.read_text().splitlines()]
    assert kinds.count("first_frame") == 1
    assert kinds.count("step") == 2  # the first breath in, then the hold
    assert "painted" in kinds


async def test_no_hook_without_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.ui.helpers import new_app

    monkeypatch.delenv("CALMCOACH_TRACE", raising=False)
    monkeypatch.delenv("CALMCOACH_EXIT_AFTER_FIRST_FRAME", raising=False)
    app, _clock, _cues = new_app()
    assert (app.after_first_frame, app.session_observers, app.on_close) == ([], [], [])


async def test_exit_after_first_frame_hook_ends_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.ui.helpers import new_app

    monkeypatch.setenv("CALMCOACH_EXIT_AFTER_FIRST_FRAME", "1")
    app, _clock, _cues = new_app(history=False)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(50):
            if not app.is_running:
                break
            await pilot.pause()
    assert app.return_code == 0
    assert not app.is_running
