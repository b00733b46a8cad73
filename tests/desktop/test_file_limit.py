"""The open-file limit ``calmcoach desktop`` asks for when there is no hard limit.

Linux never lets RLIMIT_NOFILE's hard limit be infinite (it is capped by fs.nr_open), so
the one case a real process cannot show is played by a stand-in for getrlimit and
setrlimit; the finite case runs for real in test_signals.py."""

from __future__ import annotations

import resource

import pytest

from calmcoach.desktop import launch


def limits_asked(monkeypatch: pytest.MonkeyPatch, soft: int, hard: int) -> list[tuple[int, int]]:
    """What ``_raise_file_limit`` asks setrlimit for, given these limits now."""
    asked: list[tuple[int, int]] = []

    def getrlimit(which: int) -> tuple[int, int]:
        assert which == resource.RLIMIT_NOFILE
        return soft, hard

    def setrlimit(which: int, limits: tuple[int, int]) -> None:
        assert which == resource.RLIMIT_NOFILE
        asked.append(limits)

    monkeypatch.setattr(resource, "getrlimit", getrlimit)
    monkeypatch.setattr(resource, "setrlimit", setrlimit)
    launch._raise_file_limit()
    return asked


def test_with_no_hard_limit_the_soft_one_is_raised_to_a_large_finite_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = limits_asked(monkeypatch, 1024, resource.RLIM_INFINITY)  # -1 on Linux
    assert len(asked) == 1, asked
    soft, hard = asked[0]
    assert soft >= 1 << 16 and soft != resource.RLIM_INFINITY  # large, and one the kernel takes
    assert hard == resource.RLIM_INFINITY  # left as it was


def test_a_soft_limit_already_past_the_large_one_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    assert limits_asked(monkeypatch, 1 << 21, resource.RLIM_INFINITY) == []
    assert limits_asked(monkeypatch, resource.RLIM_INFINITY, resource.RLIM_INFINITY) == []


def test_a_finite_hard_limit_is_what_the_soft_one_is_raised_to(monkeypatch: pytest.MonkeyPatch) -> None:
    assert limits_asked(monkeypatch, 256, 4096) == [(4096, 4096)]
    assert limits_asked(monkeypatch, 4096, 4096) == []
