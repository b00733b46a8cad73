"""Fixtures for the app's tests."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from tests.ui.helpers import notices_told


@pytest.fixture
def told(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    """Gives every notice the app has given so far, oldest first (see ``notices_told``)."""
    caplog.set_level(logging.INFO, logger="calmcoach.ui")
    return lambda: notices_told(caplog)
